"""The gaia-holdout-6 set (written on 2026-12-03 by someone who did not read the agents' prompts; never used to tune
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
from decimal import Decimal
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import clock, fmt, html_tables, read_csv, read_metadata, read_text, unique_top

GAIA_HOLDOUT_6 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-6"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_6, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_6, name, delimiter)


def _money(cell: str) -> Decimal:
    """'£1,200.00', '1,085.00', '' (no charge) as an exact amount."""
    cleaned = cell.replace("£", "").replace(",", "").strip()
    return Decimal(cleaned) if cleaned else Decimal(0)


def _two_places(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


# vet_visits.csv: a veterinary practice's visit list; owners and procedures quoted with commas, species and vet
# names typed in varying letter case, dates day/month/year, weights with a unit, fees of a thousand pounds or more
# quoted with a thousands separator, empty fee cells on cancelled visits, no-show fees.


def _visits() -> list[dict[str, str]]:
    return _csv("vet_visits.csv")


def _visit_date(row: dict[str, str]) -> date:
    return datetime.strptime(row["date"], "%d/%m/%Y").date()


def _cat_fees_february(*, fold_case: bool = True, any_month: bool = False, with_no_shows: bool = False) -> Decimal:
    total = Decimal(0)
    for r in _visits():
        is_cat = r["species"].casefold() == "cat" if fold_case else r["species"] == "Cat"
        in_month = any_month or date(2026, 2, 1) <= _visit_date(r) <= date(2026, 2, 28)
        counted = r["status"] == "Completed" or (with_no_shows and r["status"] == "No-show")
        if is_cat and in_month and counted:
            total += _money(r["fee_gbp"])
    return total


def _average_fee_by_vet(*, fold_case: bool = True, with_no_shows: bool = False) -> dict[str, float]:
    fees: dict[str, list[Decimal]] = defaultdict(list)
    for r in _visits():
        if r["status"] == "Completed" or (with_no_shows and r["status"] == "No-show"):
            fees[r["vet"].casefold() if fold_case else r["vet"]].append(_money(r["fee_gbp"]))
    return {vet: float(sum(v) / len(v)) for vet, v in fees.items()}


def _surname(vet: str) -> str:
    return vet.split()[-1].capitalize()


# turbine_readings.jsonl: a wind farm's hourly turbine readings, one JSON object per line; null wind or power where
# a sensor dropped out, fault, curtailed and test statuses.


def _readings() -> list[dict]:
    return [json.loads(line) for line in _text("turbine_readings.jsonl").splitlines() if line.strip()]


def _hour(reading: dict) -> str:
    return datetime.fromisoformat(reading["ts"].replace("Z", "+00:00")).strftime("%H:%M")


def _mean_wind(turbine: str, *, null_as_zero: bool = False) -> float:
    winds = [r["wind_ms"] for r in _readings() if r["turbine"] == turbine]
    kept = [w or 0.0 for w in winds] if null_as_zero else [w for w in winds if w is not None]
    return sum(kept) / len(kept)


def _energy(
    *,
    first: str = "10:00",
    last: str = "13:00",
    inclusive: bool = True,
    statuses: tuple[str, ...] = ("running", "curtailed"),
) -> dict[str, int]:
    kwh = {r["turbine"]: 0 for r in _readings()}
    for r in _readings():
        hour = _hour(r)
        in_window = first <= hour <= last if inclusive else first <= hour < last
        if in_window and r["status"] in statuses:
            kwh[r["turbine"]] += r["power_kw"] or 0
    return kwh


def _top_three(kwh: dict[str, int]) -> list[str]:
    ranked = sorted(kwh, key=kwh.__getitem__, reverse=True)
    assert len({kwh[t] for t in ranked[:4]}) == 4, "tie in the top three or just below"
    return ranked[:3]


# choir_attendance.md: a choir's rehearsal register as a Markdown table; P, L, A, E marks and empty cells for
# weeks a singer was not on the register.


def _register() -> tuple[list[str], list[dict[str, str]]]:
    rows = [line for line in _text("choir_attendance.md").splitlines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    return header[2:], [dict(zip(header, cells)) for cells in body]


def _attending(dates_marks: list[str], marks: str = "PL") -> int:
    return sum(1 for m in dates_marks if m and m in marks)


def _attendance_by_rehearsal(marks: str = "PL") -> dict[str, int]:
    dates, singers = _register()
    return {d: _attending([s[d] for s in singers], marks) for d in dates}


def _low_attenders(
    *, excused_as_absent: bool = False, empty_as_absent: bool = False, at_or_below: bool = False
) -> list[str]:
    dates, singers = _register()
    low = []
    for s in singers:
        marks = [s[d] for d in dates]
        counted = {"P", "L", "A"} | ({"E"} if excused_as_absent else set()) | ({""} if empty_as_absent else set())
        rate = Decimal(_attending(marks)) / Decimal(sum(1 for m in marks if m in counted))
        if rate < Decimal("0.75") or (at_or_below and rate == Decimal("0.75")):
            low.append(s["Singer"])
    return sorted(low, key=lambda name: name.split()[-1])


# ferry_timetable.html: a ferry operator's timetable page: a sailings table (days as Daily, Mon–Sat, Sat, Sun...,
# notes that suspend a sailing or exclude a date) and a fares table with a thousands separator.


def _table(table_id: str) -> list[dict[str, str]]:
    header, *rows = html_tables(_text("ferry_timetable.html"))[table_id]
    return [dict(zip(header, row)) for row in rows]


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _runs_on(sailing: dict[str, str], day: date, *, honour_days: bool = True, honour_notes: bool = True) -> bool:
    if honour_notes and ("SUSPENDED" in sailing["Notes"] or f"Not {day.isoformat()}" in sailing["Notes"]):
        return False
    if not honour_days:
        return True
    days = sailing["Days"]
    weekday = WEEKDAYS[day.weekday()]
    if days == "Daily":
        return True
    if "–" in days:
        first, last = days.split("–")
        return WEEKDAYS.index(first) <= day.weekday() <= WEEKDAYS.index(last)
    return weekday in [d.strip() for d in days.split(",")]


def _departures(port: str, day: date, **rules: bool) -> int:
    return sum(1 for s in _table("sailings") if s["From"] == port and _runs_on(s, day, **rules))


def _earliest_arrival(
    at_terminal: str, day: date, *, check_in: int = 10, change: int = 20, honour_days: bool = True,
    honour_suspended: bool = True,
) -> str:
    sailings = [
        s for s in _table("sailings") if _runs_on(s, day, honour_days=honour_days, honour_notes=honour_suspended)
    ]
    best = None
    for first in sailings:
        if (first["From"], first["To"]) != ("Port Ardlow", "Innis Corran"):
            continue
        if clock(first["Departs"]) - timedelta(minutes=check_in) < clock(at_terminal):
            continue
        for second in sailings:
            if (second["From"], second["To"]) != ("Innis Corran", "Scarva"):
                continue
            if clock(second["Departs"]) - clock(first["Arrives"]) >= timedelta(minutes=change):
                best = min(best or second["Arrives"], second["Arrives"])
    assert best is not None
    return best


# ski_rentals.tsv: a ski-hire shop's rental export; item names in mixed case, sizes with and without units, rates
# and deposits with a pound sign and a thousands separator, empty returned cells for rentals still out.


def _rentals() -> list[dict[str, str]]:
    return _csv("ski_rentals.tsv", delimiter="\t")


def _returned(r: dict[str, str]) -> bool:
    return bool(r["returned"].strip())


def _periods(r: dict[str, str], *, grace: int = 60, calendar_days: bool = False) -> int:
    out, back = datetime.fromisoformat(r["out"]), datetime.fromisoformat(r["returned"])
    if calendar_days:
        return (back.date() - out.date()).days + 1
    minutes = int((back - out).total_seconds() // 60)
    whole, rest = divmod(minutes, 24 * 60)
    return max(1, whole + (rest > grace))


def _ski_charges(*, fold_case: bool = True, **rules: int | bool) -> Decimal:
    total = Decimal(0)
    for r in _rentals():
        is_skis = r["item"].casefold().startswith("skis") if fold_case else r["item"].startswith("Skis")
        if is_skis and _returned(r):
            total += _money(r["rate_per_day"]) * _periods(r, **rules)
    return total


# museum_visitors.txt: a museum's daily visitor counts, a space-aligned report whose gallery names hold spaces;
# 'closed' cells, whole-museum closed days, counts with a thousands separator.

GALLERIES = ["Maritime Gallery", "Natural History", "Print Room", "Roman Villa"]


def _museum_days() -> list[dict[str, str]]:
    lines = _text("museum_visitors.txt").splitlines()
    (header,) = [line for line in lines if line.startswith("Date ")]
    ends = [header.index(g) + len(g) for g in GALLERIES]
    starts = [len("Date        Day  ")] + ends[:-1]
    days = []
    for line in lines:
        if not re.match(r"\d{4}-\d\d-\d\d ", line) or "MUSEUM CLOSED" in line:
            continue
        row = {"Date": line[:10]}
        row.update({g: line[a:b].strip() for g, a, b in zip(GALLERIES, starts, ends)})
        days.append(row)
    return days


def _count(cell: str) -> int | None:
    return None if cell == "closed" else int(cell.replace(",", ""))


def _gallery_means(*, closed_as_zero: bool = False, over_fortnight: bool = False) -> dict[str, float]:
    means = {}
    for g in GALLERIES:
        counts = [_count(d[g]) for d in _museum_days()]
        open_counts = [c for c in counts if c is not None]
        divisor = 14 if over_fortnight else len(counts) if closed_as_zero else len(open_counts)
        means[g] = sum(open_counts) / divisor
    return means


# water_meter.log: a smart water meter hub's log; READ lines with running totals written with a thousands
# separator, a failed read retried, warnings, and a SWAP line where the meter was replaced.

READ = re.compile(r"^(\S+ \S+) INFO\s+READ\s+meter=(\S+) reading=([\d,]+) L$")
SWAP = re.compile(r"^(\S+ \S+) INFO\s+SWAP\s+old=(\S+) final=([\d,]+) L new=(\S+) start=([\d,]+) L")


def _meter_events() -> list[tuple[datetime, str, int]]:
    """(time, kind, litres) for every READ and SWAP, where a SWAP gives the old meter's final total."""
    events = []
    for line in _text("water_meter.log").splitlines():
        if m := READ.match(line):
            events.append((datetime.fromisoformat(m[1]), "READ", int(m[3].replace(",", ""))))
        elif m := SWAP.match(line):
            assert int(m[5]) == 0
            events.append((datetime.fromisoformat(m[1]), "SWAP", int(m[3].replace(",", ""))))
    return events


def _reading_at(stamp: str) -> int:
    (litres,) = [v for t, kind, v in _meter_events() if kind == "READ" and t.strftime("%Y-%m-%d %H:%M") == stamp]
    return litres


def _use_between(start: datetime, end: datetime, *, swap_final: bool = True, naive: bool = False) -> int:
    """Litres used from the READ at start to the READ at end, adding up across a meter swap."""
    events = [e for e in _meter_events() if start <= e[0] < end + timedelta(minutes=1)]
    if naive:
        reads = [v for _, kind, v in events if kind == "READ"]
        return reads[-1] - reads[0]
    total, previous = 0, None
    for _, kind, litres in events:
        if kind == "SWAP":
            if swap_final:
                total += litres - previous
            previous = 0
        else:
            if previous is not None:
                total += litres - previous
            previous = litres
    return total


def _daily_use(**rules: bool) -> dict[str, int]:
    return {
        (date(2026, 5, 4) + timedelta(days=n)).isoformat(): _use_between(
            datetime(2026, 5, 4 + n), datetime(2026, 5, 5 + n), **rules
        )
        for n in range(4)
    }


# tt_tournament.json: a table tennis club's one-day event: groups with players and matches nested, games written
# home player first, walkovers with no games.


def _event() -> dict:
    return json.loads(_text("tt_tournament.json"))


def _group(name: str) -> dict:
    (group,) = [g for g in _event()["groups"] if g["group"] == name]
    return group


def _names(group: dict) -> dict[str, str]:
    return {p["id"]: p["name"] for p in group["players"]}


def _games_won(match: dict) -> dict[str, int]:
    won = {match["home"]: 0, match["away"]: 0}
    for game in match["games"]:
        home, away = (int(x) for x in game.split("-"))
        won[match["home"] if home > away else match["away"]] += 1
    return won


def _winner(match: dict) -> str:
    if match["result"] == "walkover":
        return match["winner"]
    won = _games_won(match)
    return max(won, key=won.__getitem__)


def _match_points(name: str, *, skip_walkovers: bool = False, walkover_loser_point: bool = False) -> dict[str, int]:
    group = _group(name)
    points = {pid: 0 for pid in _names(group)}
    for m in group["matches"]:
        if m["result"] == "walkover" and skip_walkovers:
            continue
        winner = _winner(m)
        loser = m["away"] if winner == m["home"] else m["home"]
        points[winner] += 2
        points[loser] += 1 if m["result"] == "played" or walkover_loser_point else 0
    return {_names(group)[pid]: p for pid, p in points.items()}


def _second(points: dict[str, int]) -> str:
    ranked = sorted(points.values(), reverse=True)
    assert ranked[0] != ranked[1] != ranked[2], f"tie around second place: {ranked}"
    return sorted(points, key=points.__getitem__, reverse=True)[1]


def _games_by_player(name: str, *, walkover_as_three_nil: bool = False) -> dict[str, int]:
    group = _group(name)
    games = {pid: 0 for pid in _names(group)}
    for m in group["matches"]:
        if m["result"] == "walkover":
            games[m["winner"]] += 3 if walkover_as_three_nil else 0
            continue
        for pid, n in _games_won(m).items():
            games[pid] += n
    return {_names(group)[pid]: n for pid, n in games.items()}


# garden_plots.yaml: a community garden's plot register: sections with flow-mapping plots, sizes as "L m x W m",
# a garden rate that one section overrides, a raised-bed rate, concessions, active, vacant, lapsed and offered plots.


def _garden() -> dict:
    return yaml.safe_load(_text("garden_plots.yaml"))


def _area(size: str) -> Decimal:
    length, width = re.fullmatch(r"([\d.]+) m x ([\d.]+) m", size).groups()
    return Decimal(length) * Decimal(width)


def _plots() -> list[tuple[dict, dict]]:
    return [(section, plot) for section in _garden()["sections"] for plot in section["plots"]]


def _season_rent(
    *, section_rate: bool = True, concessions: bool = True, statuses: tuple[str, ...] = ("active",)
) -> Decimal:
    rent = _garden()["rent"]
    total = Decimal(0)
    for section, plot in _plots():
        if plot["status"] not in statuses:
            continue
        if plot["kind"] == "raised bed":
            rate = rent["raised_bed_per_m2"]
        else:
            rate = section.get("rent_per_m2", rent["per_m2"]) if section_rate else rent["per_m2"]
        amount = _area(plot["size"]) * Decimal(str(rate))
        if concessions and plot["concession"]:
            amount *= Decimal(str(rent["concession"]))
        total += amount
    return total


def _let_area(*, kinds: tuple[str, ...] = ("ground",), statuses: tuple[str, ...] = ("active",)) -> Decimal:
    return sum(
        (_area(p["size"]) for _, p in _plots() if p["kind"] in kinds and p["status"] in statuses), Decimal(0)
    )


# --- the tasks with no attachment ----------------------------------------------------------------------------

SENTENCE = "Seventeen hungry ferrets tumbled through the garden hedge, chasing bright yellow butterflies."
TREES = ["rowan", "Maple", "alder", "Elm", "hazel", "Birch", "ash", "Oak", "Linden", "cedar"]
OUNCE_G = Decimal("28.349523125")
BAKING_STEPS = [25, 2 * 60 + 15, 20, 9 * 60 + 30, 45]


def _long_words(*, at_least: bool = False) -> int:
    words = [re.sub(r"[^A-Za-z]", "", w) for w in SENTENCE.split()]
    return sum(1 for w in words if (len(w) >= 5 if at_least else len(w) > 5))


def _parcel_grams(pounds: int = 7, ounces: int = 6) -> Decimal:
    return (pounds * 16 + ounces) * OUNCE_G


def _last_tablet(*, every: int = 2, tablets: int = 15) -> date:
    return date(2026, 1, 28) + timedelta(days=every * (tablets - 1))


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(_long_words())


def l1_02() -> str:
    (visit,) = [r for r in _visits() if r["pet"] == "Otto" and r["date"] == "24/02/2026"]
    weight, unit = visit["weight"].split()
    assert unit == "kg"
    return weight


def l1_03() -> str:
    (reading,) = [r for r in _readings() if r["turbine"] == "WT-04" and r["ts"] == "2026-01-14T12:00:00Z"]
    return fmt(reading["power_kw"])


def l1_04() -> str:
    (fare,) = [f for f in _table("fares") if f["Ticket"] == "Commercial vehicle over 12 m"]
    return fmt(float(_money(fare["Return"])))


def l1_05() -> str:
    (rental,) = [r for r in _rentals() if r["rental_id"] == "GB-0412"]
    assert rental["item"] == "Boots - Ski"
    return rental["size"]


def l1_06() -> str:
    (day,) = [d for d in _museum_days() if d["Date"] == "2026-03-14"]
    return fmt(_count(day["Natural History"]))


def l1_07() -> str:
    return fmt(_reading_at("2026-05-05 12:00"))


def l1_08() -> str:
    (match,) = [m for m in _group("A")["matches"] if {m["home"], m["away"]} == {"A2", "A3"}]
    home, away = match["games"][1].split("-")
    return f"{home}-{away}" if match["home"] == "A2" else f"{away}-{home}"


def l1_09() -> str:
    (plot,) = [p for _, p in _plots() if p["id"] == "E3"]
    return fmt(float(_area(plot["size"])))


def l1_10() -> str:
    return fmt(int(_parcel_grams().quantize(Decimal(1))))


def l2_01() -> str:
    return _two_places(_cat_fees_february())


def l2_02() -> str:
    return f"{_mean_wind('WT-03'):.1f}"


def l2_03() -> str:
    return unique_top(_attendance_by_rehearsal(), lowest=True)


def l2_04() -> str:
    return fmt(_departures("Port Ardlow", date(2026, 4, 19)))


def l2_05() -> str:
    return fmt(float(sum((_money(r["deposit"]) for r in _rentals() if not _returned(r)), Decimal(0))))


def l2_06() -> str:
    return unique_top(_gallery_means())


def l2_07() -> str:
    return fmt(_use_between(datetime(2026, 5, 5), datetime(2026, 5, 6)))


def l2_08() -> str:
    return unique_top(_games_by_player("B"))


def l2_09() -> str:
    return fmt(float(_let_area()))


def l2_10() -> str:
    return _last_tablet().isoformat()


def l2_11() -> str:
    return (clock("21:40") + timedelta(minutes=sum(BAKING_STEPS))).strftime("%H:%M")


def l2_12() -> str:
    return sorted(TREES, key=str.casefold)[5]


def l3_01() -> str:
    return _surname(unique_top(_average_fee_by_vet()))


def l3_02() -> str:
    return ", ".join(_top_three(_energy()))


def l3_03() -> str:
    return ", ".join(_low_attenders())


def l3_04() -> str:
    return _earliest_arrival("09:05", date(2026, 4, 18))


def l3_05() -> str:
    return _two_places(_ski_charges())


def l3_06() -> str:
    return unique_top(_daily_use())


def l3_07() -> str:
    return _second(_match_points("A"))


def l3_08() -> str:
    return _two_places(_season_rent())


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold6-l1-01": l1_01,
    "hold6-l1-02": l1_02,
    "hold6-l1-03": l1_03,
    "hold6-l1-04": l1_04,
    "hold6-l1-05": l1_05,
    "hold6-l1-06": l1_06,
    "hold6-l1-07": l1_07,
    "hold6-l1-08": l1_08,
    "hold6-l1-09": l1_09,
    "hold6-l1-10": l1_10,
    "hold6-l2-01": l2_01,
    "hold6-l2-02": l2_02,
    "hold6-l2-03": l2_03,
    "hold6-l2-04": l2_04,
    "hold6-l2-05": l2_05,
    "hold6-l2-06": l2_06,
    "hold6-l2-07": l2_07,
    "hold6-l2-08": l2_08,
    "hold6-l2-09": l2_09,
    "hold6-l2-10": l2_10,
    "hold6-l2-11": l2_11,
    "hold6-l2-12": l2_12,
    "hold6-l3-01": l3_01,
    "hold6-l3-02": l3_02,
    "hold6-l3-03": l3_03,
    "hold6-l3-04": l3_04,
    "hold6-l3-05": l3_05,
    "hold6-l3-06": l3_06,
    "hold6-l3-07": l3_07,
    "hold6-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    return read_metadata(GAIA_HOLDOUT_6)


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert set(questions) == {"hold6-l1-01", "hold6-l1-10", "hold6-l2-10", "hold6-l2-11", "hold6-l2-12"}
    assert SENTENCE in questions["hold6-l1-01"]
    assert ", ".join(TREES) in questions["hold6-l2-12"]
    for needed, tid in (("7 pounds 6 ounces", "hold6-l1-10"), ("16 ounces", "hold6-l1-10"),
                        (str(OUNCE_G), "hold6-l1-10"), ("15 tablets", "hold6-l2-10"), ("2026-01-28", "hold6-l2-10"),
                        ("21:40", "hold6-l2-11"), ("mixing 25 minutes", "hold6-l2-11"),
                        ("first rise 2 hours 15 minutes", "hold6-l2-11"), ("shaping 20 minutes", "hold6-l2-11"),
                        ("9 hours 30 minutes", "hold6-l2-11"), ("baking 45 minutes", "hold6-l2-11")):
        assert needed in questions[tid], (needed, tid)


def test_each_attachment_serves_the_tasks_that_name_it() -> None:
    files = Counter(row["file_name"] for row in _metadata().values() if row["file_name"])
    assert files == {
        "vet_visits.csv": 3, "turbine_readings.jsonl": 3, "choir_attendance.md": 2, "ferry_timetable.html": 3,
        "ski_rentals.tsv": 3, "museum_visitors.txt": 2, "water_meter.log": 3, "tt_tournament.json": 3,
        "garden_plots.yaml": 3,
    }


def test_the_no_file_rules_matter() -> None:
    assert _long_words(at_least=True) != int(l1_01())
    # The grams are not near a rounding boundary, and 7 lb 6 oz is not 7.6 lb.
    assert abs(_parcel_grams() % 1 - Decimal("0.5")) > Decimal("0.05")
    assert round(Decimal("7.6") * 16 * OUNCE_G) != int(l1_10())
    assert _last_tablet(every=1).isoformat() != l2_10()
    assert date(2026, 1, 28).weekday() == 2
    # The bake runs past midnight, and sorting by code point (capitals first) picks another name.
    assert 21 * 60 + 40 + sum(BAKING_STEPS) > 24 * 60
    assert sorted(TREES)[5] != l2_12()


def test_the_vet_list_quirks_matter() -> None:
    rows = _visits()
    assert all(len(r) == 11 and None not in r for r in rows)
    assert any("," in r["owner"] for r in rows) and any("," in r["procedure"] for r in rows)
    assert any("," in r["fee_gbp"] for r in rows) and any(not r["fee_gbp"].strip() for r in rows)
    assert {r["status"] for r in rows} == {"Completed", "Cancelled", "No-show"}
    assert len({r["vet"].casefold() for r in rows}) == 3 and len({r["vet"] for r in rows}) > 3
    assert len({r["species"] for r in rows}) > len({r["species"].casefold() for r in rows})
    # Every date parses day-first, and some could not be read month-first.
    assert all(_visit_date(r) for r in rows) and any(int(r["date"][:2]) > 12 for r in rows)
    cats = _cat_fees_february()
    assert _cat_fees_february(fold_case=False) != cats
    assert _cat_fees_february(any_month=True) != cats
    assert _cat_fees_february(with_no_shows=True) != cats
    top = l3_01()
    assert _surname(unique_top(_average_fee_by_vet(with_no_shows=True))) != top
    assert _surname(unique_top(_average_fee_by_vet(fold_case=False))) != top
    # Otto was seen twice, so the date matters.
    assert len({r["weight"] for r in rows if r["pet"] == "Otto"}) == 2


def test_the_turbine_rules_matter() -> None:
    readings = _readings()
    assert len(readings) == 30 and len({(r["turbine"], r["ts"]) for r in readings}) == 30
    assert {r["status"] for r in readings} == {"running", "curtailed", "fault", "test"}
    assert any(r["wind_ms"] is None for r in readings) and any(r["power_kw"] is None for r in readings)
    assert f"{_mean_wind('WT-03', null_as_zero=True):.1f}" != l2_02()
    # The mean is not near a rounding boundary.
    assert abs(_mean_wind("WT-03") * 10 % 1 - 0.5) > 0.1
    top = _top_three(_energy())
    assert _top_three(_energy(inclusive=False)) != top
    assert _top_three(_energy(statuses=("running", "curtailed", "test"))) != top
    assert _top_three(_energy(statuses=("running",))) != top


def test_the_choir_rules_matter() -> None:
    dates, singers = _register()
    assert len(dates) == 8 and dates[0] == "07 Jan" and date(2026, 1, 7).weekday() == 2
    assert {s[d] for s in singers for d in dates} == {"P", "L", "A", "E", ""}
    assert unique_top(_attendance_by_rehearsal("P"), lowest=True) != l2_03()
    low = l3_03()
    assert ", ".join(_low_attenders(excused_as_absent=True)) != low
    assert ", ".join(_low_attenders(empty_as_absent=True)) != low
    assert ", ".join(_low_attenders(at_or_below=True)) != low
    # Sorting by first name would give another order.
    assert sorted(_low_attenders()) != _low_attenders()


def test_the_ferry_rules_matter() -> None:
    assert date(2026, 4, 18).weekday() == 5 and date(2026, 4, 19).weekday() == 6
    fares = _table("fares")
    assert any("," in f["Return"] for f in fares)
    sunday = int(l2_04())
    assert _departures("Port Ardlow", date(2026, 4, 19), honour_notes=False) != sunday
    assert _departures("Port Ardlow", date(2026, 4, 19), honour_days=False) != sunday
    # The note that excludes a date leaves the other Sundays alone.
    assert _departures("Port Ardlow", date(2026, 4, 26)) != sunday
    arrival = l3_04()
    day = date(2026, 4, 18)
    assert _earliest_arrival("09:05", day, check_in=0) != arrival
    assert _earliest_arrival("09:05", day, change=0) != arrival
    assert _earliest_arrival("09:05", day, honour_days=False) != arrival
    assert _earliest_arrival("09:05", day, honour_suspended=False) != arrival


def test_the_ski_hire_rules_matter() -> None:
    rentals = _rentals()
    assert len({r["rental_id"] for r in rentals}) == len(rentals)
    assert len({r["item"] for r in rentals}) > len({r["item"].casefold() for r in rentals})
    assert any("," in r["deposit"] for r in rentals) and any(not _returned(r) for r in rentals)
    out = int(l2_05())
    assert sum(_money(r["deposit"]) for r in rentals) != out
    charges = _ski_charges()
    assert _ski_charges(grace=0) != charges
    assert _ski_charges(calendar_days=True) != charges
    assert _ski_charges(fold_case=False) != charges


def test_the_museum_rules_matter() -> None:
    days = _museum_days()
    assert len(days) == 12
    # Each day's Total column agrees with its galleries, so the columns were cut in the right places.
    lines = {line[:10]: line for line in _text("museum_visitors.txt").splitlines() if re.match(r"\d{4}-", line)}
    for d in days:
        total = int(lines[d["Date"]].split()[-1].replace(",", ""))
        assert total == sum(_count(d[g]) or 0 for g in GALLERIES), d["Date"]
    best = l2_06()
    assert unique_top(_gallery_means(closed_as_zero=True)) != best
    assert unique_top(_gallery_means(over_fortnight=True)) != best


def test_the_water_meter_rules_matter() -> None:
    text = _text("water_meter.log")
    assert "READ_FAIL" in text and "SWAP" in text
    busiest = l3_06()
    assert unique_top(_daily_use(naive=True)) != busiest
    assert unique_top(_daily_use(swap_final=False)) != busiest
    # The day asked about in l2-07 has no swap, so the naive difference agrees there.
    assert _use_between(datetime(2026, 5, 5), datetime(2026, 5, 6), naive=True) == int(l2_07())


def test_the_tournament_rules_matter() -> None:
    for group in _event()["groups"]:
        assert len(group["matches"]) == 6
        for m in group["matches"]:
            if m["result"] == "played":
                won = _games_won(m)
                assert max(won.values()) == 3 and min(won.values()) < 3, m
    second = l3_07()
    assert _second(_match_points("A", skip_walkovers=True)) != second
    assert _match_points("A", walkover_loser_point=True) != _match_points("A")
    assert unique_top(_games_by_player("B", walkover_as_three_nil=True)) != l2_08()
    # The home player is Dominika Kral, so reading the score as written gives the reverse.
    (match,) = [m for m in _group("A")["matches"] if {m["home"], m["away"]} == {"A2", "A3"}]
    assert match["home"] == "A3" and match["games"][1] != l1_08()


def test_the_garden_rules_matter() -> None:
    plots = [p for _, p in _plots()]
    assert {p["status"] for p in plots} == {"active", "vacant", "lapsed", "offered"}
    rent = _season_rent()
    assert _season_rent(section_rate=False) != rent
    assert _season_rent(concessions=False) != rent
    assert _season_rent(statuses=("active", "offered")) != rent
    assert _season_rent(statuses=("active", "lapsed")) != rent
    area = _let_area()
    assert _let_area(kinds=("ground", "raised bed")) != area
    assert _let_area(statuses=("active", "offered", "lapsed")) != area
