"""The gaia-holdout-9 set (written on 2026-12-03 by someone who did not read the agents' prompts; never used to tune
them): every expected answer recomputed here from its attachment or its question, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import (
    decimal_of,
    far_from_half,
    fmt,
    html_tables,
    money,
    read_csv,
    read_metadata,
    read_text,
    rounded,
    unique_top,
)

GAIA_HOLDOUT_9 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-9"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_9, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_9, name, delimiter)


# taxi_fares.csv: a taxi firm's job sheet for a week; drivers typed in three letter cases, distances in km or mi,
# a fare quoted with a thousands separator, blank tip cells, dates as dd/mm/yyyy, cancelled jobs (one with a high
# quoted fare for a short distance) and a void row with empty cells, quoted places and notes with commas.

KM_PER_MILE = 1.609344


def _jobs() -> list[dict[str, str]]:
    return _csv("taxi_fares.csv")


def _job_day(job: dict[str, str]) -> date:
    return datetime.strptime(job["date"], "%d/%m/%Y").date()


def _km(cell: str, *, convert: bool = True) -> float:
    value, unit = cell.split()
    assert unit in ("km", "mi"), cell
    return float(value) * (KM_PER_MILE if unit == "mi" and convert else 1)


def _driver(job: dict[str, str], fold_case: bool) -> str:
    return job["driver"].casefold() if fold_case else job["driver"]


def _grace_km(first: date = date(2026, 11, 17), last: date = date(2026, 11, 19), *, fold_case: bool = True,
              convert: bool = True, cancelled: bool = False) -> float:
    return sum(
        _km(j["distance"], convert=convert) for j in _jobs()
        if _driver(j, fold_case) == ("grace otieno" if fold_case else "Grace Otieno")
        and (j["status"] == "Completed" or (cancelled and j["status"] == "Cancelled"))
        and first <= _job_day(j) <= last
    )


def _fare_per_km(*, fold_case: bool = True, convert: bool = True, cancelled: bool = False, tips: bool = False,
                 per_job: bool = False) -> dict[str, float]:
    fares: dict[str, float] = defaultdict(float)
    kms: dict[str, float] = defaultdict(float)
    ratios: dict[str, list[float]] = defaultdict(list)
    for j in _jobs():
        if not (j["status"] == "Completed" or (cancelled and j["status"] == "Cancelled")):
            continue
        fare = float(decimal_of(j["fare_gbp"]) + (decimal_of(j["tip_gbp"]) if tips else 0))
        km = _km(j["distance"], convert=convert)
        who = _driver(j, fold_case)
        fares[who] += fare
        kms[who] += km
        ratios[who].append(fare / km)
    if per_job:
        return {who: sum(v) / len(v) for who, v in ratios.items()}
    return {who: fares[who] / kms[who] for who in fares}


# hackathon_scores.json: a hackathon's judging: weights at the top, tracks with nested teams, each with members and
# one score object per judge; nulls where a judge gave no score (a whole team, or one criterion), a disqualified
# team.


def _hackathon() -> dict:
    return json.loads(_text("hackathon_scores.json"))


def _teams() -> list[dict]:
    return [team for track in _hackathon()["tracks"] for team in track["teams"]]


def _judge_mean(judge: str = "Castellano", criterion: str = "tech", *, null_as_zero: bool = False) -> float:
    scores = [
        s[criterion] or 0 for t in _teams() for s in t["scores"]
        if s["judge"] == judge and (null_as_zero or s[criterion] is not None)
    ]
    return sum(scores) / len(scores)


def _team_scores(*, disqualified: bool = False, null_as_zero: bool = False, weighted: bool = True) -> dict[str, float]:
    weights = _hackathon()["weights"]
    out = {}
    for team in _teams():
        if team.get("disqualified") and not disqualified:
            continue
        total = 0.0
        for criterion, weight in weights.items():
            given = [s[criterion] or 0 for s in team["scores"] if null_as_zero or s[criterion] is not None]
            total += (weight if weighted else 1 / len(weights)) * sum(given) / len(given)
        out[team["team"]] = total
    return out


# ev_charging.jsonl: an EV charging hub's sessions over three days, one JSON object per line: a header with the
# tariff and overstay rule, note lines, energy in kWh or (bays 5 and 6) Wh, faulted sessions, an account id in
# three letter cases and sessions running past midnight.


def _ev_lines() -> list[dict]:
    return [json.loads(line) for line in _text("ev_charging.jsonl").splitlines() if line.strip()]


def _ev_header() -> dict:
    return _ev_lines()[0]


def _sessions() -> list[dict]:
    return [line for line in _ev_lines()[1:] if "id" in line]


def _kwh(session: dict, *, convert: bool = True) -> Decimal:
    energy = Decimal(str(session["energy"]))
    assert session["unit"] in ("kWh", "Wh")
    return energy / 1000 if session["unit"] == "Wh" and convert else energy


def _plugged_minutes(session: dict, *, dates: bool = True) -> int:
    if dates:
        span = datetime.fromisoformat(session["out"]) - datetime.fromisoformat(session["in"])
    else:  # a misreading: clock times only, as if every session ended on the day it began
        span = datetime.strptime(session["out"][11:], "%H:%M") - datetime.strptime(session["in"][11:], "%H:%M")
    return int(span.total_seconds() // 60)


def _energy_on(day: str = "2026-11-17", *, convert: bool = True, faults: bool = False) -> Decimal:
    return sum(
        (_kwh(s, convert=convert) for s in _sessions()
         if s["in"].startswith(day) and (s["status"] == "ok" or faults)),
        Decimal(0),
    )


def _fleet_cost(account: str = "FLEET-07", *, fold_case: bool = True, convert: bool = True, faults: bool = False,
                overstay: bool = True, dates: bool = True, round_each: bool = False) -> Decimal:
    header = _ev_header()
    tariff = Decimal(str(header["tariff_gbp_per_kwh"]))
    free_minutes = header["overstay_after_min"]
    fee = Decimal(str(header["overstay_gbp_per_min"]))
    total = Decimal(0)
    for s in _sessions():
        matches = s["acct"].casefold() == account.casefold() if fold_case else s["acct"] == account
        if not matches or (s["status"] != "ok" and not faults):
            continue
        cost = _kwh(s, convert=convert) * tariff
        if overstay:
            cost += max(0, _plugged_minutes(s, dates=dates) - free_minutes) * fee
        total += Decimal(money(cost)) if round_each else cost
    return total


def _fleet_bill(**rules: bool) -> str:
    return money(_fleet_cost(**rules))


# driving_lessons.tsv: a driving school's lessons around November; dates as dd-mm-yyyy, lengths in min or h, a
# pupil typed in three letter cases, Done, Cancelled, Late cancel and No-show lessons, Mock tests at a flat price.

RATE_PER_HOUR = {"Standard": Decimal(40), "Motorway": Decimal(48)}
MOCK_TEST = Decimal(55)


def _lessons() -> list[dict[str, str]]:
    return _csv("driving_lessons.tsv", delimiter="\t")


def _lesson_day(lesson: dict[str, str]) -> date:
    return datetime.strptime(lesson["date"], "%d-%m-%Y").date()


def _lesson_hours(cell: str, *, minutes_as_hours: bool = False) -> Decimal:
    value, unit = cell.split()
    assert unit in ("min", "h"), cell
    return Decimal(value) / 60 if unit == "min" and not minutes_as_hours else Decimal(value)


def _in_november(lesson: dict[str, str]) -> bool:
    return date(2026, 11, 1) <= _lesson_day(lesson) <= date(2026, 11, 30)


def _nadia_hours(*, statuses: tuple[str, ...] = ("Done",), november: bool = True) -> Decimal:
    return sum(
        (_lesson_hours(lesson["length"]) for lesson in _lessons()
         if lesson["instructor"] == "Nadia Qureshi" and lesson["status"] in statuses
         and (_in_november(lesson) or not november)),
        Decimal(0),
    )


def _lily_mae_bill(*, fold_case: bool = True, charged: tuple[str, ...] = ("Done", "Late cancel", "No-show"),
                   mock_by_hour: bool = False, november: bool = True) -> str:
    total = Decimal(0)
    for lesson in _lessons():
        name = lesson["pupil"].casefold() if fold_case else lesson["pupil"]
        if name != ("lily-mae harker" if fold_case else "Lily-Mae Harker") or lesson["status"] not in charged:
            continue
        if november and not _in_november(lesson):
            continue
        if lesson["type"] == "Mock test" and not mock_by_hour:
            total += MOCK_TEST
        else:
            total += _lesson_hours(lesson["length"]) * RATE_PER_HOUR.get(lesson["type"], RATE_PER_HOUR["Standard"])
    return money(total)


# car_wash.log: a car wash's bay controller log for one day, read with a regular expression; washes in three bays
# interleaved, END and ABORT lines that name only the bay, REFUND lines (one aborted wash was not refunded),
# vouchers and a rewash paid 0.00, system lines.

WASH_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:bay=(\d) (START|END|ABORT|REFUND)(.*)|system .*)$")


def _wash_events() -> list[tuple[datetime, str, str, str]]:
    events = []
    for line in _text("car_wash.log").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = WASH_LINE.match(line)
        assert m, line
        stamp, bay, kind, rest = m.groups()
        if bay is not None:
            events.append((datetime.fromisoformat(stamp), bay, kind, rest))
    return events


def _washes() -> list[dict]:
    running: dict[str, dict] = {}
    washes = []
    for at, bay, kind, rest in _wash_events():
        if kind == "START":
            assert bay not in running, (at, bay)
            fields = dict(re.findall(r"(\w+)=(\S+)", rest))
            running[bay] = {"bay": bay, "prog": fields["prog"], "paid": Decimal(fields["paid"]), "start": at}
        elif kind in ("END", "ABORT"):
            wash = running.pop(bay)
            wash.update(end=kind, stop=at)
            washes.append(wash)
    assert not running
    return washes


def _refunds() -> list[Decimal]:
    return [Decimal(re.search(r"amount=(\S+)", rest).group(1)) for _, _, kind, rest in _wash_events()
            if kind == "REFUND"]


def _net_takings(*, refunds: bool = True) -> str:
    return money(sum((w["paid"] for w in _washes()), Decimal(0)) - (sum(_refunds()) if refunds else 0))


def _mean_wash_seconds(prog: str = "DELUXE", *, aborted: bool = False) -> float:
    spans = [(w["stop"] - w["start"]).total_seconds() for w in _washes()
             if w["prog"] == prog and (w["end"] == "END" or aborted)]
    return sum(spans) / len(spans)


def _mm_ss(seconds: float) -> str:
    whole = int(Decimal(str(seconds)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole // 60:02d}:{whole % 60:02d}"


# bouldering_comp.html: a bouldering competition's results page: the result notation and the scoring rules in
# paragraphs, a results table with HTML entities (accented names, &ndash; for nothing), a disqualified climber
# and one who did not start.


def _climbers() -> list[dict[str, str]]:
    header, *rows = html_tables(_text("bouldering_comp.html"))["results"]
    return [dict(zip(header, (unescape(cell) for cell in row))) for row in rows]


PROBLEMS = ("P1", "P2", "P3", "P4", "P5", "P6")


def _points(result: str, *, penalty: bool = True, floor: bool = True, zone_on_top: bool = False) -> int:
    if result == "–":
        return 0
    m = re.fullmatch(r"([TZ])(\d+)", result)
    assert m, result
    if m.group(1) == "Z":
        return 30
    points = 100 - 10 * (int(m.group(2)) - 1) if penalty else 100
    return (max(points, 50) if floor else points) + (30 if zone_on_top else 0)


def _category_points(category: str = "Masters", *, disqualified: bool = False, **rules: bool) -> dict[str, int]:
    return {
        c["Climber"]: sum(_points(c[p], **rules) for p in PROBLEMS) for c in _climbers()
        if c["Category"] == category and (c["Status"] == "Ranked" or (disqualified and c["Status"] == "Disqualified"))
    }


def _flashes(category: str | None = "Youth") -> int:
    return sum(1 for c in _climbers() if category is None or c["Category"] == category for p in PROBLEMS
               if c[p] == "T1")


# shearing_tally.md: a shearing gang's tally book as a Markdown table below a list of notes (pay rates and a day
# bonus), dates as day/month, blank and - cells, a shearer typed in lower case once, a VOID row.


def _tally_lines() -> list[str]:
    return _text("shearing_tally.md").splitlines()


def _tally() -> list[dict[str, str]]:
    rows = [line for line in _tally_lines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    return [dict(zip(header, cells)) for cells in body]


def _count(cell: str) -> int:
    return 0 if cell in ("", "-") else int(cell)


def _sheep(row: dict[str, str]) -> int:
    return _count(row["Ewes"]) + _count(row["Lambs"]) + _count(row["Tups"])


def _shorn(row: dict[str, str], void: bool) -> bool:
    return void or "VOID" not in row["Note"]


def _pay_rates() -> dict[str, Decimal]:
    line = next(line for line in _tally_lines() if line.startswith("- Pay per head:"))
    return {kind: Decimal(value) for kind, value in re.findall(r"(ewe|lamb|tup) (\d+\.\d\d)", line)}


def _day_bonus() -> tuple[int, Decimal]:
    line = next(line for line in _tally_lines() if line.startswith("- Day bonus:"))
    m = re.search(r"(\d+\.\d\d) pounds to a shearer who shears (\d+) or more sheep", line)
    return int(m.group(2)), Decimal(m.group(1))


def _farm_total(farm: str = "Highbarrow", *, void: bool = False) -> int:
    return sum(_sheep(row) for row in _tally() if row["Farm"] == farm and _shorn(row, void))


def _shearer_pay(shearer: str = "Ruairi Doyle", *, fold_case: bool = True, void: bool = False,
                 bonus: bool = True) -> str:
    rates = _pay_rates()
    threshold, day_bonus = _day_bonus()
    pay = Decimal(0)
    per_day: dict[str, int] = defaultdict(int)
    for row in _tally():
        name_matches = row["Shearer"].casefold() == shearer.casefold() if fold_case else row["Shearer"] == shearer
        if not name_matches or not _shorn(row, void):
            continue
        pay += (_count(row["Ewes"]) * rates["ewe"] + _count(row["Lambs"]) * rates["lamb"]
                + _count(row["Tups"]) * rates["tup"])
        per_day[row["Date"]] += _sheep(row)
    if bonus:
        pay += day_bonus * sum(1 for total in per_day.values() if total >= threshold)
    return money(pay)


# pigeon_race.txt: a pigeon race result, space-aligned columns whose fanciers' names contain spaces, '&' and '.';
# distances in miles and yards, clock times with seconds, birds listed in clocking order, a disqualified bird.

YARDS_PER_MILE = 1760


def _race_lines() -> list[str]:
    return _text("pigeon_race.txt").splitlines()


def _liberated() -> datetime:
    line = next(line for line in _race_lines() if "Liberated" in line)
    m = re.search(r"Liberated \w+ (\d\d/\d\d/\d{4}) at (\d\d:\d\d:\d\d)", line)
    return datetime.strptime(" ".join(m.groups()), "%d/%m/%Y %H:%M:%S")


def _birds() -> list[dict[str, str]]:
    lines = _race_lines()
    (header_at,) = [i for i, line in enumerate(lines) if line.startswith("Fancier ")]
    names = lines[header_at].split()
    # The dashes under the header mark each column's extent (Miles and Yds are right-aligned within theirs).
    spans = [m.span() for m in re.finditer(r"-+", lines[header_at + 1])]
    assert len(spans) == len(names) == 6
    spans[-1] = (spans[-1][0], None)
    birds = []
    for line in lines[header_at + 2:]:
        if line.startswith("-"):
            break
        birds.append(dict(zip(names, (line[a:b].strip() for a, b in spans))))
    return birds


def _velocity(bird: dict[str, str], *, yards: bool = True, seconds: bool = True) -> float:
    start = _liberated()
    clocked = datetime.combine(start.date(), datetime.strptime(bird["Clocked"], "%H:%M:%S").time())
    if not seconds:
        clocked = clocked.replace(second=0)
    minutes = (clocked - start).total_seconds() / 60
    distance = int(bird["Miles"]) * YARDS_PER_MILE + (int(bird["Yds"]) if yards else 0)
    return distance / minutes


def _placings(*, disq: bool = False, **rules: bool) -> list[str]:
    placed = [b for b in _birds() if b["Status"] == "OK" or disq]
    velocities = {b["Fancier"]: _velocity(b, **rules) for b in placed}
    assert len(velocities) == len(placed)
    ranked = sorted(velocities, key=velocities.get, reverse=True)
    assert len({round(velocities[f], 2) for f in ranked[:4]}) == 4  # no tie near the top, even at 2 decimals
    return ranked


# makerspace_tools.yaml: a makerspace's tool register: defaults a tool's own rate and status override, areas and a
# member's name in several letter cases, flow-style bookings with YAML dates, bookings either side of November.


def _makerspace() -> dict:
    return yaml.safe_load(_text("makerspace_tools.yaml"))


def _tool_rate(tool: dict, *, defaults: bool = True) -> Decimal:
    rate = tool.get("rate_gbp_per_hour", _makerspace()["defaults"]["rate_gbp_per_hour"] if defaults else 0)
    return Decimal(str(rate))


def _area_hours(area: str = "Textiles", first: date = date(2026, 11, 1), last: date = date(2026, 11, 30), *,
                fold_case: bool = True) -> Decimal:
    return sum(
        (Decimal(str(b["hours"])) for tool in _makerspace()["tools"]
         if (tool["area"].casefold() == area.casefold() if fold_case else tool["area"] == area)
         for b in tool["bookings"] if first <= b["date"] <= last),
        Decimal(0),
    )


def _member_owes(member: str = "Jo Adebayo", *, fold_case: bool = True, defaults: bool = True) -> str:
    total = Decimal(0)
    for tool in _makerspace()["tools"]:
        for b in tool["bookings"]:
            if (b["member"].casefold() == member.casefold()) if fold_case else b["member"] == member:
                total += Decimal(str(b["hours"])) * _tool_rate(tool, defaults=defaults)
    return money(total)


# --- the tasks with no attachment ----------------------------------------------------------------------------

WORD = "LANTERNFISH"
OLD_PRICE, NEW_PRICE = 1240, 1385
INVOICE_DATE, PAYMENT_DAYS = date(2026, 11, 27), 30
BANK_HOLIDAYS = (date(2026, 12, 25), date(2026, 12, 28))


def _sorted_letters(*, keep_repeats: bool = True) -> str:
    letters = WORD.lower() if keep_repeats else set(WORD.lower())
    return "".join(sorted(letters))


def _due_date(*, weekends: bool = True, holidays: bool = True) -> date:
    due = INVOICE_DATE + timedelta(days=PAYMENT_DAYS)
    while (weekends and due.weekday() >= 5) or (holidays and due in BANK_HOLIDAYS):
        due += timedelta(days=1)
    return due


def _sunday_firsts(years: tuple[int, ...] = (2026, 2027)) -> int:
    return sum(1 for year in years for month in range(1, 13) if date(year, month, 1).weekday() == 6)


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return _sorted_letters()


def l1_02() -> str:
    (job,) = [j for j in _jobs() if j["job_no"] == "QT-4426"]
    assert job["distance"].endswith(" mi")
    return rounded(_km(job["distance"]), 1)


def l1_03() -> str:
    (team,) = [t for t in _teams() if t["team"] == "Bin There"]
    return fmt(len(team["members"]))


def l1_04() -> str:
    (session,) = [s for s in _sessions() if s["id"] == "EV-3115"]
    assert session["unit"] == "Wh"
    return str(_kwh(session).quantize(Decimal("0.01")))


def l1_05() -> str:
    (lesson,) = [lesson for lesson in _lessons() if lesson["lesson"] == "GL-0510"]
    minutes = _lesson_hours(lesson["length"]) * 60
    assert minutes == minutes.to_integral_value()
    return fmt(int(minutes))


def l1_06() -> str:
    return fmt(sum(1 for w in _washes() if w["bay"] == "3"))


def l1_07() -> str:
    (climber,) = [c for c in _climbers() if c["Climber"] == "Zoë Marchetti"]
    m = re.fullmatch(r"T(\d+)", climber["P4"])
    assert m, climber["P4"]
    return m.group(1)


def l1_08() -> str:
    (row,) = [r for r in _tally() if (r["Date"], r["Run"], r["Shearer"]) == ("16/6", "3", "Mags Pennington")]
    return fmt(_count(row["Ewes"]))


def l1_09() -> str:
    year, week, _ = date(2027, 1, 1).isocalendar()
    return f"{year}-W{week:02d}"


def l1_10() -> str:
    return rounded((NEW_PRICE - OLD_PRICE) / OLD_PRICE * 100, 1)


def l2_01() -> str:
    return rounded(_grace_km(), 1)


def l2_02() -> str:
    return rounded(_judge_mean(), 2)


def l2_03() -> str:
    return rounded(_energy_on(), 1)


def l2_04() -> str:
    return fmt(float(_nadia_hours()))


def l2_05() -> str:
    return _net_takings()


def l2_06() -> str:
    return fmt(_flashes())


def l2_07() -> str:
    return fmt(_farm_total())


def l2_08() -> str:
    (bird,) = [b for b in _birds() if b["Fancier"] == "Cragside Syndicate"]
    return rounded(_velocity(bird), 2)


def l2_09() -> str:
    return fmt(float(_area_hours()))


def l2_10() -> str:
    return _member_owes()


def l2_11() -> str:
    return _due_date().isoformat()


def l2_12() -> str:
    return fmt(_sunday_firsts())


def l3_01() -> str:
    winner = unique_top(_fare_per_km())
    return " ".join(part.capitalize() for part in winner.split())


def l3_02() -> str:
    return unique_top(_team_scores())


def l3_03() -> str:
    return _fleet_bill()


def l3_04() -> str:
    return _lily_mae_bill()


def l3_05() -> str:
    return _mm_ss(_mean_wash_seconds())


def l3_06() -> str:
    return unique_top(_category_points())


def l3_07() -> str:
    return _shearer_pay()


def l3_08() -> str:
    return ", ".join(_placings()[:3])


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold9-l1-01": l1_01,
    "hold9-l1-02": l1_02,
    "hold9-l1-03": l1_03,
    "hold9-l1-04": l1_04,
    "hold9-l1-05": l1_05,
    "hold9-l1-06": l1_06,
    "hold9-l1-07": l1_07,
    "hold9-l1-08": l1_08,
    "hold9-l1-09": l1_09,
    "hold9-l1-10": l1_10,
    "hold9-l2-01": l2_01,
    "hold9-l2-02": l2_02,
    "hold9-l2-03": l2_03,
    "hold9-l2-04": l2_04,
    "hold9-l2-05": l2_05,
    "hold9-l2-06": l2_06,
    "hold9-l2-07": l2_07,
    "hold9-l2-08": l2_08,
    "hold9-l2-09": l2_09,
    "hold9-l2-10": l2_10,
    "hold9-l2-11": l2_11,
    "hold9-l2-12": l2_12,
    "hold9-l3-01": l3_01,
    "hold9-l3-02": l3_02,
    "hold9-l3-03": l3_03,
    "hold9-l3-04": l3_04,
    "hold9-l3-05": l3_05,
    "hold9-l3-06": l3_06,
    "hold9-l3-07": l3_07,
    "hold9-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    return read_metadata(GAIA_HOLDOUT_9)


def test_levels_alternate_in_the_file() -> None:
    levels = [row["Level"] for row in _metadata().values()]
    assert levels[:24] == [1, 2, 3] * 8
    assert Counter(levels) == {1: 10, 2: 12, 3: 8}


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert set(questions) == {"hold9-l1-01", "hold9-l1-09", "hold9-l1-10", "hold9-l2-11", "hold9-l2-12"}
    for needed, tid in (("LANTERNFISH", "hold9-l1-01"), ("appears twice", "hold9-l1-01"),
                        ("1 January 2027", "hold9-l1-09"), ("first Thursday", "hold9-l1-09"),
                        ("£1,240", "hold9-l1-10"), ("£1,385", "hold9-l1-10"), ("one decimal place", "hold9-l1-10"),
                        ("Friday 27 November 2026", "hold9-l2-11"), ("30 days", "hold9-l2-11"),
                        ("Friday 25 December", "hold9-l2-11"), ("Monday 28 December 2026", "hold9-l2-11"),
                        ("2026 and 2027", "hold9-l2-12")):
        assert needed in questions[tid], (needed, tid)


def test_each_attachment_serves_the_tasks_that_name_it() -> None:
    files = Counter(row["file_name"] for row in _metadata().values() if row["file_name"])
    assert files == {
        "taxi_fares.csv": 3, "hackathon_scores.json": 3, "ev_charging.jsonl": 3, "driving_lessons.tsv": 3,
        "car_wash.log": 3, "bouldering_comp.html": 3, "shearing_tally.md": 3, "pigeon_race.txt": 2,
        "makerspace_tools.yaml": 2,
    }


def test_attachments_are_small_tables() -> None:
    counts = {
        "taxi_fares.csv": len(_jobs()), "hackathon_scores.json": sum(len(t["scores"]) for t in _teams()),
        "ev_charging.jsonl": len(_ev_lines()), "driving_lessons.tsv": len(_lessons()),
        "car_wash.log": len(_text("car_wash.log").splitlines()), "bouldering_comp.html": len(_climbers()),
        "shearing_tally.md": len(_tally()), "pigeon_race.txt": len(_birds()),
        "makerspace_tools.yaml": sum(1 + len(t["bookings"]) for t in _makerspace()["tools"]),
    }
    assert all(20 <= n <= 80 for n in counts.values()), counts


def test_the_no_file_rules_matter() -> None:
    assert _sorted_letters(keep_repeats=False) != l1_01()
    # The week belongs to the year before the date's own; counting from 1 January gives another week.
    assert not l1_09().startswith("2027") and date(2027, 1, 1).strftime("%Y-W%W") != l1_09()
    rise = (NEW_PRICE - OLD_PRICE) / OLD_PRICE * 100
    assert far_from_half(rise, 1)
    assert rounded((NEW_PRICE - OLD_PRICE) / NEW_PRICE * 100, 1) != l1_10()
    due = l2_11()
    assert _due_date(holidays=False).isoformat() != due and _due_date(weekends=False).isoformat() != due
    assert (INVOICE_DATE + timedelta(days=PAYMENT_DAYS)).isoformat() != due
    assert [d.strftime("%A") for d in BANK_HOLIDAYS] == ["Friday", "Monday"]
    assert _sunday_firsts((2026,)) != int(l2_12()) and _sunday_firsts((2027,)) != int(l2_12())


def test_the_taxi_rules_matter() -> None:
    jobs = _jobs()
    assert all(len(j) == 11 and None not in j for j in jobs)
    assert {j["status"] for j in jobs} == {"Completed", "Cancelled", "Void"}
    (void,) = [j for j in jobs if j["status"] == "Void"]
    assert not void["driver"] and not void["distance"] and not void["fare_gbp"]
    assert any("," in j["dropoff"] for j in jobs) and any("," in j["note"] for j in jobs)
    assert any("," in j["fare_gbp"] for j in jobs) and any(not j["tip_gbp"] for j in jobs if j["status"] != "Void")
    for name in ("grace otieno", "priya nair"):
        assert len({j["driver"] for j in jobs if j["driver"].casefold() == name}) == 3
    assert {j["distance"].split()[1] for j in jobs if j["distance"]} == {"km", "mi"}
    # The asked-for job is in miles; read as kilometres it gives another answer.
    assert l1_02() != rounded(_km("13.9 mi", convert=False), 1) and far_from_half(_km("13.9 mi"), 1)
    km = l2_01()
    assert far_from_half(_grace_km(), 1)
    assert rounded(_grace_km(fold_case=False), 1) != km
    assert rounded(_grace_km(convert=False), 1) != km
    assert rounded(_grace_km(cancelled=True), 1) != km
    assert rounded(_grace_km(last=date(2026, 11, 18)), 1) != km
    assert rounded(_grace_km(first=date(2026, 11, 18)), 1) != km
    assert rounded(_grace_km(last=date(2026, 11, 20)), 1) == km  # only a cancelled job of Grace's on 20/11
    winner = unique_top(_fare_per_km()).casefold()
    assert unique_top(_fare_per_km(convert=False)).casefold() != winner
    assert unique_top(_fare_per_km(fold_case=False)).casefold() != winner
    assert unique_top(_fare_per_km(cancelled=True)).casefold() != winner
    assert unique_top(_fare_per_km(per_job=True)).casefold() != winner
    assert l3_01() in {j["driver"] for j in jobs}


def test_the_hackathon_rules_matter() -> None:
    teams = _teams()
    assert len({t["team"] for t in teams}) == len(teams)
    assert sum(1 for t in teams if t.get("disqualified")) == 1
    scores = [s for t in teams for s in t["scores"]]
    # A judge who gave no score at all to one team, and judges who left out one criterion.
    assert any(all(s[c] is None for c in ("impact", "tech", "pitch")) for s in scores)
    assert any(s["pitch"] is None and s["impact"] is not None for s in scores)
    assert abs(sum(_hackathon()["weights"].values()) - 1) < 1e-9
    mean = l2_02()
    assert far_from_half(_judge_mean(), 2)
    assert rounded(_judge_mean(null_as_zero=True), 2) != mean
    winner = l3_02()
    assert unique_top(_team_scores(disqualified=True)) != winner
    assert unique_top(_team_scores(null_as_zero=True)) != winner
    assert unique_top(_team_scores(weighted=False)) != winner


def test_the_ev_charging_rules_matter() -> None:
    lines = _ev_lines()
    assert "id" not in lines[0] and any("note" in line for line in lines)
    sessions = _sessions()
    assert len({s["id"] for s in sessions}) == len(sessions)
    assert {s["unit"] for s in sessions} == {"kWh", "Wh"} and {s["status"] for s in sessions} == {"ok", "fault"}
    assert len({s["acct"] for s in sessions if s["acct"].casefold() == "fleet-07"}) == 3
    assert any(s["in"][:10] != s["out"][:10] for s in sessions)
    # One of the account's sessions stayed exactly the free minutes, no more.
    assert any(s["acct"].casefold() == "fleet-07" and _plugged_minutes(s) == _ev_header()["overstay_after_min"]
               for s in sessions)
    energy = l2_03()
    assert far_from_half(float(_energy_on()), 1)
    assert rounded(_energy_on(convert=False), 1) != energy
    assert rounded(_energy_on(faults=True), 1) != energy
    # A session plugged in on the 16th ran into the 17th; counting by the day it ended gives another total.
    by_end = sum((_kwh(s) for s in sessions if s["out"].startswith("2026-11-17") and s["status"] == "ok"),
                 Decimal(0))
    assert rounded(by_end, 1) != energy
    bill = l3_03()
    assert far_from_half(float(_fleet_cost()), 2)
    assert _fleet_bill(fold_case=False) != bill
    assert _fleet_bill(convert=False) != bill
    assert _fleet_bill(faults=True) != bill
    assert _fleet_bill(overstay=False) != bill
    assert _fleet_bill(dates=False) != bill
    # Rounding each session's cost before adding them up gives another total, so the question says not to.
    assert _fleet_bill(round_each=True) != bill


def test_the_driving_school_rules_matter() -> None:
    lessons = _lessons()
    assert all(len(lesson) == 8 and None not in lesson for lesson in lessons)
    assert {lesson["status"] for lesson in lessons} == {"Done", "Cancelled", "Late cancel", "No-show"}
    assert {lesson["length"].split()[1] for lesson in lessons} == {"min", "h"}
    assert len({lesson["pupil"] for lesson in lessons if lesson["pupil"].casefold() == "lily-mae harker"}) == 3
    # Dates read month-first would not all parse, and the month boundary rows exist on both sides.
    assert any(int(lesson["date"][:2]) > 12 for lesson in lessons)
    months = {_lesson_day(lesson).month for lesson in lessons}
    assert {10, 11, 12} <= months
    hours = Decimal(l2_04())
    assert _nadia_hours(statuses=("Done", "Late cancel", "No-show")) != hours
    assert _nadia_hours(november=False) != hours
    assert sum((_lesson_hours(lesson["length"], minutes_as_hours=True) for lesson in lessons
                if lesson["instructor"] == "Nadia Qureshi" and lesson["status"] == "Done" and _in_november(lesson)),
               Decimal(0)) != hours
    bill = l3_04()
    assert _lily_mae_bill(fold_case=False) != bill
    assert _lily_mae_bill(charged=("Done",)) != bill
    assert _lily_mae_bill(charged=("Done", "Late cancel", "No-show", "Cancelled")) != bill
    assert _lily_mae_bill(mock_by_hour=True) != bill
    assert _lily_mae_bill(november=False) != bill


def test_the_car_wash_rules_matter() -> None:
    washes = _washes()
    assert {w["end"] for w in washes} == {"END", "ABORT"}
    assert {w["prog"] for w in washes} == {"BASIC", "DELUXE", "ULTIMATE"}
    # An aborted wash with no refund: refunds are not the same as aborts.
    assert len(_refunds()) < sum(1 for w in washes if w["end"] == "ABORT")
    assert any(w["paid"] == 0 for w in washes)
    # END lines of different bays interleave, so an END cannot be paired with the latest START of any bay.
    latest_start_pairs = []
    open_starts: list[tuple[str, datetime]] = []
    for at, bay, kind, _ in _wash_events():
        if kind == "START":
            open_starts.append((bay, at))
        elif kind in ("END", "ABORT"):
            latest_start_pairs.append(open_starts.pop()[0] == bay)
    assert not all(latest_start_pairs)
    assert _net_takings(refunds=False) != l2_05()
    mean = _mean_wash_seconds()
    assert abs(mean % 1 - 0.5) > 0.05
    assert _mm_ss(_mean_wash_seconds(aborted=True)) != l3_05()


def test_the_bouldering_rules_matter() -> None:
    climbers = _climbers()
    assert len({c["Climber"] for c in climbers}) == len(climbers)
    assert {c["Status"] for c in climbers} == {"Ranked", "Disqualified", "DNS"}
    assert any(not c["Climber"].isascii() for c in climbers) and any("'" in c["Climber"] for c in climbers)
    assert any(c[p] == "–" for c in climbers for p in PROBLEMS)
    assert _flashes(None) != int(l2_06())
    winner = l3_06()
    assert unique_top(_category_points(disqualified=True)) != winner
    assert unique_top(_category_points(penalty=False)) != winner
    assert unique_top(_category_points(zone_on_top=True)) != winner
    # The floor of 50 changes some Masters climbers' scores, though not the winner.
    assert _category_points(floor=False) != _category_points()


def test_the_shearing_rules_matter() -> None:
    rows = _tally()
    assert sum(1 for r in rows if "VOID" in r["Note"]) == 1
    assert any(r["Lambs"] == "-" for r in rows) and any(r["Tups"] == "" for r in rows)
    assert len({r["Shearer"] for r in rows if r["Shearer"].casefold() == "ruairi doyle"}) == 2
    assert _pay_rates() == {"ewe": Decimal("1.90"), "lamb": Decimal("1.10"), "tup": Decimal("4.00")}
    assert _day_bonus() == (200, Decimal("20.00"))
    assert _farm_total(void=True) != int(l2_07())
    pay = l3_07()
    assert _shearer_pay(fold_case=False) != pay
    assert _shearer_pay(void=True) != pay
    assert _shearer_pay(bonus=False) != pay
    # One of Ruairi's days falls just short of the bonus; another reaches it only with the lower-case row.
    per_day: dict[str, int] = defaultdict(int)
    for r in rows:
        if r["Shearer"].casefold() == "ruairi doyle" and "VOID" not in r["Note"]:
            per_day[r["Date"]] += _sheep(r)
    assert sorted(per_day.values()) == [198, 205, 206]


def test_the_pigeon_race_rules_matter() -> None:
    birds = _birds()
    assert len({b["Fancier"] for b in birds}) == len(birds)
    assert {b["Status"] for b in birds} == {"OK", "DISQ"}
    assert any(" " in b["Fancier"] and "&" in b["Fancier"] for b in birds)
    assert _liberated() == datetime(2026, 8, 22, 7, 15)
    (bird,) = [b for b in birds if b["Fancier"] == "Cragside Syndicate"]
    assert far_from_half(_velocity(bird), 2)
    assert rounded(_velocity(bird, yards=False), 2) != l2_08()
    assert rounded(_velocity(bird, seconds=False), 2) != l2_08()
    top = _placings()[:3]
    assert _placings(disq=True)[:3] != top
    assert _placings(yards=False)[:3] != top
    assert [b["Fancier"] for b in birds if b["Status"] == "OK"][:3] != top  # clocking order is not finishing order


def test_the_makerspace_rules_matter() -> None:
    register = _makerspace()
    tools = register["tools"]
    assert len({t["id"] for t in tools}) == len(tools)
    assert len({t["area"] for t in tools if t["area"].casefold() == "textiles"}) == 3
    assert any("rate_gbp_per_hour" not in t for t in tools)
    members = {b["member"] for t in tools for b in t["bookings"]}
    assert len({m for m in members if m.casefold() == "jo adebayo"}) == 4
    hours = Decimal(l2_09())
    assert _area_hours(fold_case=False) != hours
    assert _area_hours(last=date(2026, 12, 31)) != hours and _area_hours(first=date(2026, 10, 1)) != hours
    owed = l2_10()
    assert _member_owes(fold_case=False) != owed
    assert _member_owes(defaults=False) != owed
