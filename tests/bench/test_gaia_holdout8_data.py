"""The gaia-holdout-8 set (written on 2026-12-03 by someone who did not read the agents' prompts; never used to tune
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
from fractions import Fraction
from html import unescape
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import (
    fmt,
    html_tables,
    money,
    read_csv,
    read_metadata,
    read_text,
    rounded,
    unique_top,
)

GAIA_HOLDOUT_8 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-8"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_8, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_8, name, delimiter)


def _decimal(cell: str) -> Decimal:
    return Decimal(cell.replace(",", "").replace("£", "").strip() or "0")


# florist_orders.csv: a florist's order book for a week; a customer quoted with a comma in it and another typed in
# three letter cases, items in mixed case, a unit price and a quantity quoted with a thousands separator, blank
# delivery cells, dates as dd.mm.yyyy, cancelled and pending orders and a void row with empty cells.


def _orders() -> list[dict[str, str]]:
    return _csv("florist_orders.csv")


def _order_day(o: dict[str, str]) -> date:
    return datetime.strptime(o["date"], "%d.%m.%Y").date()


def _buttonholes(
    first: date = date(2026, 11, 10), last: date = date(2026, 11, 12), *, fold_case: bool = True,
    cancelled: bool = False,
) -> int:
    total = 0
    for o in _orders():
        if o["status"] == "Void" or (o["status"] == "Cancelled" and not cancelled):
            continue
        item = o["item"].casefold() if fold_case else o["item"]
        if item == ("buttonhole" if fold_case else "Buttonhole") and first <= _order_day(o) <= last:
            total += int(_decimal(o["qty"]))
    return total


def _order_value(o: dict[str, str]) -> Decimal:
    return _decimal(o["qty"]) * _decimal(o["unit_price_gbp"]) + _decimal(o["delivery_gbp"])


def _church_account(
    *, fold_case: bool = True, statuses: tuple[str, ...] = ("Delivered", "Collected"),
    discount_delivery: bool = False,
) -> str:
    total = Decimal(0)
    for o in _orders():
        name = o["customer"].casefold() if fold_case else o["customer"]
        if name != ("st. hilda's church" if fold_case else "St. Hilda's Church") or o["status"] not in statuses:
            continue
        flowers = _decimal(o["qty"]) * _decimal(o["unit_price_gbp"])
        delivery = _decimal(o["delivery_gbp"])
        total += (flowers + delivery) * Decimal("0.9") if discount_delivery else flowers * Decimal("0.9") + delivery
    return money(total)


# seed_library.json: a seed library's catalogue: families with nested accessions, each with germination tests
# (not always in date order) and withdrawals; a viability threshold at the top; retired accessions.


def _library() -> dict:
    return json.loads(_text("seed_library.json"))


def _accessions() -> list[dict]:
    return [a for family in _library()["families"] for a in family["accessions"]]


def _withdrawn(first: date = date(2026, 10, 1), last: date = date(2026, 10, 31)) -> int:
    return sum(
        w["seeds"] for a in _accessions() for w in a["withdrawn"] if first <= date.fromisoformat(w["date"]) <= last
    )


def _rate(test: dict) -> Fraction:
    return Fraction(100 * test["germinated"], test["sown"])


def _due(*, test: str = "latest", retired: bool = False, at_threshold: bool = False, min_seeds: int = 100,
         at_min: bool = False) -> list[str]:
    threshold = _library()["viability_threshold_pct"]
    due = []
    for a in _accessions():
        if a.get("retired") and not retired:
            continue
        tests = sorted(a["tests"], key=lambda t: date.fromisoformat(t["date"]))
        chosen = {"latest": tests[-1], "earliest": tests[0], "listed_last": a["tests"][-1]}[test]
        rate = _rate(chosen)
        low_rate = rate <= threshold if at_threshold else rate < threshold
        few = a["in_store"] <= min_seeds if at_min else a["in_store"] < min_seeds
        if low_rate or few:
            due.append(a["id"])
    return sorted(due)


# tide_gauge.jsonl: a harbour tide gauge's hourly readings, one JSON object per line: a header object, note lines
# without a height, heights in metres or feet, suspect and missing readings.

FOOT_M = 0.3048


def _tide_lines() -> list[dict]:
    return [json.loads(line) for line in _text("tide_gauge.jsonl").splitlines() if line.strip()]


def _readings(*, qc: tuple[str, ...] = ("ok",), convert: bool = True) -> list[tuple[datetime, float]]:
    out = []
    for r in _tide_lines():
        if "h" not in r or r["qc"] not in qc or r["h"] is None:
            continue
        at = datetime.strptime(r["t"], "%Y-%m-%dT%H:%MZ")
        metres = r["h"] * FOOT_M if r["u"] == "ft" and convert else r["h"]
        out.append((at, metres))
    return out


def _high_readings(day: date = date(2026, 9, 14), level: float = 4.50, *, strictly: bool = False, **rules) -> int:
    return sum(
        1 for at, h in _readings(**rules)
        if at.date() == day and (h > level + 1e-9 if strictly else h >= level - 1e-9)
    )


def _tidal_range(day: date = date(2026, 9, 15), **rules) -> float:
    heights = [h for at, h in _readings(**rules) if at.date() == day]
    return max(heights) - min(heights)


# scout_badges.tsv: a scout troop's badge awards; scout names typed in varying case, dates as mm/dd/yyyy, a stage
# column filled only for staged badges, pending awards.


def _awards() -> list[dict[str, str]]:
    return _csv("scout_badges.tsv", delimiter="\t")


def _award_day(a: dict[str, str]) -> date:
    return datetime.strptime(a["awarded"], "%m/%d/%Y").date()


def _activity_scouts(year: int | None = 2026, *, fold_case: bool = True, pending: bool = False) -> int:
    return len({
        a["scout"].casefold() if fold_case else a["scout"]
        for a in _awards()
        if a["type"] == "Activity" and (a["status"] == "Awarded" or pending)
        and (year is None or _award_day(a).year == year)
    })


BADGE_POINTS = {"Challenge": 5, "Activity": 2}


def _shield(
    first: date | None = date(2025, 9, 1), last: date | None = date(2026, 8, 31), *, fold_case: bool = True,
    pending: bool = False, per_scout: bool = True, staged_flat: int | None = None,
) -> dict[str, float]:
    points: dict[str, int] = defaultdict(int)
    scouts: dict[str, set[str]] = defaultdict(set)
    for a in _awards():
        scouts[a["patrol"]].add(a["scout"].casefold() if fold_case else a["scout"])
        if a["status"] != "Awarded" and not pending:
            continue
        if first is not None and not first <= _award_day(a) <= last:
            continue
        if a["type"] == "Staged":
            points[a["patrol"]] += int(a["stage"]) if staged_flat is None else staged_flat
        else:
            points[a["patrol"]] += BADGE_POINTS[a["type"]]
    return {p: points[p] / (len(members) if per_scout else 1) for p, members in scouts.items()}


# escape_rooms.log: an escape room venue's controller log for one day, read with a regular expression; games in
# three rooms interleaved, HINT lines that name no team, system lines, and games that time out or are aborted.

ESCAPE_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:room=(\w+) (\w+)(.*)|system .*)$")


def _games() -> list[dict]:
    playing: dict[str, dict] = {}
    games = []
    for line in _text("escape_rooms.log").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = ESCAPE_LINE.match(line)
        assert m, line
        stamp, room, kind, rest = m.groups()
        if room is None:
            continue
        at = datetime.fromisoformat(stamp)
        if kind == "GAME_START":
            assert room not in playing, line
            team = re.search(r'team="([^"]+)"', rest).group(1)
            playing[room] = {"room": room, "team": team, "start": at, "hints": 0}
        elif kind == "HINT":
            playing[room]["hints"] += 1
        else:
            game = playing.pop(room)
            game.update(end=kind, stop=at)
            games.append(game)
    assert not playing
    return games


def _seconds(game: dict) -> int:
    return int((game["stop"] - game["start"]).total_seconds())


def _quick_escapes(room: str = "Submarine", limit_s: int = 50 * 60, *, strictly: bool = False) -> int:
    within = (lambda s: s < limit_s) if strictly else (lambda s: s <= limit_s)
    return sum(1 for g in _games() if g["room"] == room and g["end"] == "ESCAPE" and within(_seconds(g)))


def _leaderboard(*, penalty_s: int = 180, free_hints: int = 1) -> dict[str, float]:
    return {
        g["team"]: _seconds(g) + penalty_s * max(0, g["hints"] - free_hints) for g in _games() if g["end"] == "ESCAPE"
    }


# kiln_firings.html: a pottery studio's kiln page: the pricing rules and Full members in a paragraph, a price table
# and a firings table with HTML entities (½, Siân O'Leary typed in three cases), types in mixed case, cancelled
# (one late) and booked firings.


def _kiln_page() -> str:
    return _text("kiln_firings.html")


def _firings() -> list[dict[str, str]]:
    header, *rows = html_tables(_kiln_page())["firings"]
    return [dict(zip(header, row)) for row in rows]


def _shelf_prices() -> dict[str, Decimal]:
    _, *rows = html_tables(_kiln_page())["prices"]
    return {kind.casefold(): _decimal(price) for kind, price in rows}


def _shelves(cell: str) -> Decimal:
    m = re.fullmatch(r"(\d*)(½?)", cell.strip())
    assert m and cell.strip(), cell
    return Decimal(m.group(1) or 0) + (Decimal("0.5") if m.group(2) else 0)


def _glaze_shelves(kiln: str = "Big Bertha", month: str = "2026-10", *, fold_case: bool = True,
                   statuses: tuple[str, ...] = ("Fired",)) -> Decimal:
    return sum(
        (_shelves(f["Shelves"]) for f in _firings()
         if f["Kiln"] == kiln and f["Date"].startswith(month) and f["Status"] in statuses
         and (f["Type"].casefold() == "glaze" if fold_case else f["Type"] == "Glaze")),
        Decimal(0),
    )


def _full_member_discount() -> Decimal:
    page = re.sub(r"\s+", " ", _kiln_page())
    return Decimal(re.search(r"Full members get (\d+)% off", page).group(1)) / 100


def _full_members() -> set[str]:
    page = re.sub(r"\s+", " ", unescape(_kiln_page()))
    names = re.search(r"Full members this season: (.+?)\. Everyone else", page).group(1)
    return {n.strip().casefold() for n in names.split(",")}


def _kiln_bill(member: str = "Siân O'Leary", month: str = "2026-11", *, fold_case: bool = True,
               late_charged: bool = True, booked: bool = False, discount: bool = True) -> str:
    prices = _shelf_prices()
    total = Decimal(0)
    for f in _firings():
        name_matches = f["Member"].casefold() == member.casefold() if fold_case else f["Member"] == member
        if not name_matches or not f["Date"].startswith(month):
            continue
        late = f["Status"] == "Cancelled" and "late cancellation" in f["Notes"].casefold()
        if f["Status"] == "Fired" or (late and late_charged) or (booked and f["Status"] == "Booked"):
            total += _shelves(f["Shelves"]) * prices[f["Type"].casefold()]
    if discount and member.casefold() in _full_members():
        total *= 1 - _full_member_discount()
    return money(total)


# lifeboat_launches.md: a lifeboat station's launch log as a Markdown table below a list of notes; dates as
# 02-Jul-2026, returns after midnight written as an earlier clock time, exercises, a duplicated row, launches just
# outside July and August.


def _launches() -> list[dict[str, str]]:
    rows = [line for line in _text("lifeboat_launches.md").splitlines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    return [dict(zip(header, cells)) for cells in body]


def _launch_day(launch: dict[str, str]) -> date:
    return datetime.strptime(launch["Date"], "%d-%b-%Y").date()


def _minutes_out(launch: dict[str, str], *, after_midnight: bool = True) -> int:
    out = datetime.strptime(launch["Launched"], "%H:%M")
    back = datetime.strptime(launch["Returned"], "%H:%M")
    if back < out and after_midnight:
        back += timedelta(days=1)
    return int((back - out).total_seconds() // 60)


def _services(*, exercises: bool = False, duplicate: bool = False) -> list[dict[str, str]]:
    return [
        launch for launch in _launches()
        if (exercises or launch["Tasking"] != "Exercise") and (duplicate or launch["Outcome"] != "DUPLICATE")
    ]


def _ilb_minutes(first: date = date(2026, 8, 1), last: date = date(2026, 8, 31), *, after_midnight: bool = True,
                 **rules: bool) -> int:
    return sum(
        _minutes_out(launch, after_midnight=after_midnight) for launch in _services(**rules)
        if launch["Boat"] == "ILB D-861" and first <= _launch_day(launch) <= last
    )


def _crew_hours(first: date = date(2026, 7, 1), last: date = date(2026, 8, 31), *, crew: bool = True,
                after_midnight: bool = True, **rules: bool) -> float:
    minutes = sum(
        (int(launch["Crew"]) if crew else 1) * _minutes_out(launch, after_midnight=after_midnight)
        for launch in _services(**rules) if first <= _launch_day(launch) <= last
    )
    return minutes / 60


# aquarium_tanks.yaml: a public aquarium's tank register: defaults a tank's own volume_l/temp_c/status override,
# statuses in mixed case, volumes quoted with a thousands separator, flow-style species lists, an empty tank.


def _aquarium() -> dict:
    return yaml.safe_load(_text("aquarium_tanks.yaml"))


def _tank_field(tank: dict, field: str):
    return tank.get(field, _aquarium()["defaults"][field])


def _animals_in(status: str = "quarantine", *, fold_case: bool = True) -> int:
    total = 0
    for tank in _aquarium()["tanks"]:
        own = str(_tank_field(tank, "status"))
        if (own.casefold() == status.casefold()) if fold_case else own == status:
            total += sum(s["count"] for s in tank["species"])
    return total


# planetarium_report.txt: a planetarium's weekly show report, space-aligned columns whose show titles contain
# spaces; seats per dome stated in the header, comps, cancelled performances with refunded sales.


def _report_lines() -> list[str]:
    return _text("planetarium_report.txt").splitlines()


def _performances() -> list[dict[str, str]]:
    lines = _report_lines()
    (header_at,) = [i for i, line in enumerate(lines) if line.startswith("Day ")]
    names = lines[header_at].split()
    # The dashes under the header mark each column's extent (Sold and Comps are right-aligned within theirs).
    spans = [m.span() for m in re.finditer(r"-+", lines[header_at + 1])]
    assert len(spans) == len(names) == 8
    spans[-1] = (spans[-1][0], None)
    rows = []
    for line in lines[header_at + 2:]:
        if line.startswith("-"):
            break
        rows.append(dict(zip(names, (line[a:b].strip() for a, b in spans))))
    return rows


def _dome_seats() -> dict[str, int]:
    seats_line = next(line for line in _report_lines() if line.startswith("Seats:"))
    return {dome: int(n) for dome, n in re.findall(r"(MAIN|STUDIO) dome (\d+)", seats_line)}


def _occupancy(*, comps: bool = True, cancelled: bool = False, seats: int | None = None) -> dict[str, float]:
    dome_seats = _dome_seats()
    by_show: dict[str, list[float]] = defaultdict(list)
    for p in _performances():
        if p["Status"] != "RAN" and not cancelled:
            continue
        people = int(p["Sold"]) + (int(p["Comps"]) if comps else 0)
        by_show[p["Show"]].append(people / (seats or dome_seats[p["Dome"]]))
    return {show: sum(v) / len(v) for show, v in by_show.items()}


def _sold(show: str = "Black Holes Live", *, comps: bool = False, cancelled: bool = False) -> int:
    return sum(
        int(p["Sold"]) + (int(p["Comps"]) if comps else 0) for p in _performances()
        if p["Show"] == show and (cancelled or p["Status"] == "RAN")
    )


# --- the tasks with no attachment ----------------------------------------------------------------------------

SENTENCE = "Eleven eager engineers tested every telescope before the evening lecture."
FEET, INCHES, CM_PER_INCH = 5, 7, 2.54
BANK_HOLIDAYS = (date(2026, 12, 25), date(2026, 12, 28))


def _letter_e(*, fold_case: bool = True) -> int:
    return sum(1 for c in SENTENCE if (c.casefold() if fold_case else c) == "e")


def _weekdays(*, holidays: bool = True) -> int:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(31)]
    return sum(1 for d in days if d.weekday() < 5 and not (holidays and d in BANK_HOLIDAYS))


def _screening_ends(*, interval: bool = True) -> str:
    ends = datetime(2026, 12, 5, 21, 50) + timedelta(hours=2, minutes=47) + timedelta(minutes=15 if interval else 0)
    return ends.strftime("%H:%M")


def _sevens_not_fives(*, exclude_fives: bool = True) -> int:
    return sum(1 for n in range(1, 501) if n % 7 == 0 and not (exclude_fives and n % 5 == 0))


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(_letter_e())


def l1_02() -> str:
    (order,) = [o for o in _orders() if o["order_no"] == "FL-2214"]
    return money(_order_value(order))


def l1_03() -> str:
    (acc,) = [a for a in _accessions() if a["id"] == "HV-0231"]
    (test,) = [t for t in acc["tests"] if t["date"] == "2026-09-14"]
    rate = _rate(test)
    assert rate.denominator == 1
    return fmt(int(rate))


def l1_04() -> str:
    (reading,) = [r for r in _tide_lines() if r.get("t") == "2026-09-14T06:00Z"]
    assert reading["u"] == "m" and reading["qc"] == "ok"
    return f"{reading['h']:.2f}"


def l1_05() -> str:
    (award,) = [a for a in _awards() if a["award_id"] == "SB-0419"]
    return _award_day(award).isoformat()


def l1_06() -> str:
    (game,) = [g for g in _games() if g["team"] == "Lantern Squad"]
    assert game["end"] == "ESCAPE"
    minutes, seconds = divmod(_seconds(game), 60)
    return f"{minutes:02d}:{seconds:02d}"


def l1_07() -> str:
    (firing,) = [f for f in _firings() if f["No."] == "KF-04"]
    return str(_shelves(firing["Shelves"]))


def l1_08() -> str:
    (launch,) = [la for la in _launches() if la["Launch"] == "2026/41"]
    return launch["Crew"]


def l1_09() -> str:
    (tank,) = [t for t in _aquarium()["tanks"] if t["id"] == "C3"]
    return fmt(int(str(_tank_field(tank, "volume_l")).replace(",", "")))


def l1_10() -> str:
    return rounded((FEET * 12 + INCHES) * CM_PER_INCH, 1)


def l2_01() -> str:
    return fmt(_buttonholes())


def l2_02() -> str:
    return fmt(_withdrawn())


def l2_03() -> str:
    return fmt(_high_readings())


def l2_04() -> str:
    return fmt(_activity_scouts())


def l2_05() -> str:
    return fmt(_quick_escapes())


def l2_06() -> str:
    return fmt(float(_glaze_shelves()))


def l2_07() -> str:
    return fmt(_ilb_minutes())


def l2_08() -> str:
    return fmt(_animals_in())


def l2_09() -> str:
    return fmt(_sold())


def l2_10() -> str:
    return fmt(_weekdays())


def l2_11() -> str:
    return _screening_ends()


def l2_12() -> str:
    return fmt(_sevens_not_fives())


def l3_01() -> str:
    return _church_account()


def l3_02() -> str:
    return ", ".join(_due())


def l3_03() -> str:
    return rounded(_tidal_range(), 2)


def l3_04() -> str:
    return unique_top(_shield())


def l3_05() -> str:
    return unique_top(_leaderboard(), lowest=True)


def l3_06() -> str:
    return _kiln_bill()


def l3_07() -> str:
    return rounded(_crew_hours(), 1)


def l3_08() -> str:
    return unique_top(_occupancy())


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold8-l1-01": l1_01,
    "hold8-l1-02": l1_02,
    "hold8-l1-03": l1_03,
    "hold8-l1-04": l1_04,
    "hold8-l1-05": l1_05,
    "hold8-l1-06": l1_06,
    "hold8-l1-07": l1_07,
    "hold8-l1-08": l1_08,
    "hold8-l1-09": l1_09,
    "hold8-l1-10": l1_10,
    "hold8-l2-01": l2_01,
    "hold8-l2-02": l2_02,
    "hold8-l2-03": l2_03,
    "hold8-l2-04": l2_04,
    "hold8-l2-05": l2_05,
    "hold8-l2-06": l2_06,
    "hold8-l2-07": l2_07,
    "hold8-l2-08": l2_08,
    "hold8-l2-09": l2_09,
    "hold8-l2-10": l2_10,
    "hold8-l2-11": l2_11,
    "hold8-l2-12": l2_12,
    "hold8-l3-01": l3_01,
    "hold8-l3-02": l3_02,
    "hold8-l3-03": l3_03,
    "hold8-l3-04": l3_04,
    "hold8-l3-05": l3_05,
    "hold8-l3-06": l3_06,
    "hold8-l3-07": l3_07,
    "hold8-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    return read_metadata(GAIA_HOLDOUT_8)


def test_levels_alternate_in_the_file() -> None:
    levels = [row["Level"] for row in _metadata().values()]
    assert levels[:24] == [1, 2, 3] * 8
    assert Counter(levels) == {1: 10, 2: 12, 3: 8}


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert set(questions) == {"hold8-l1-01", "hold8-l1-10", "hold8-l2-10", "hold8-l2-11", "hold8-l2-12"}
    assert SENTENCE in questions["hold8-l1-01"]
    for needed, tid in (("5 feet 7 inches", "hold8-l1-10"), ("2.54 cm", "hold8-l1-10"), ("12 inches", "hold8-l1-10"),
                        ("December 2026", "hold8-l2-10"), ("Friday 25 December", "hold8-l2-10"),
                        ("Monday 28 December", "hold8-l2-10"), ("21:50", "hold8-l2-11"),
                        ("2 hours 47 minutes", "hold8-l2-11"), ("15-minute interval", "hold8-l2-11"),
                        ("from 1 to 500", "hold8-l2-12"), ("divisible by 7 but not by 5", "hold8-l2-12")):
        assert needed in questions[tid], (needed, tid)


def test_each_attachment_serves_the_tasks_that_name_it() -> None:
    files = Counter(row["file_name"] for row in _metadata().values() if row["file_name"])
    assert files == {
        "florist_orders.csv": 3, "seed_library.json": 3, "tide_gauge.jsonl": 3, "scout_badges.tsv": 3,
        "escape_rooms.log": 3, "kiln_firings.html": 3, "lifeboat_launches.md": 3, "aquarium_tanks.yaml": 2,
        "planetarium_report.txt": 2,
    }


def test_the_no_file_rules_matter() -> None:
    assert _letter_e(fold_case=False) != int(l1_01())
    # The centimetres are not near a rounding boundary, and rounding to a whole number gives another answer.
    cm = (FEET * 12 + INCHES) * CM_PER_INCH
    assert abs(cm * 10 % 1 - 0.5) > 0.05 and fmt(round(cm)) != l1_10()
    assert [d.strftime("%A") for d in BANK_HOLIDAYS] == ["Friday", "Monday"]
    assert _weekdays(holidays=False) != int(l2_10())
    assert _screening_ends(interval=False) != l2_11()
    assert _sevens_not_fives(exclude_fives=False) != int(l2_12())


def test_the_florist_rules_matter() -> None:
    orders = _orders()
    assert all(len(o) == 9 and None not in o for o in orders)
    assert any("," in o["customer"] for o in orders) and any("," in o["note"] for o in orders)
    assert any("," in o["unit_price_gbp"] for o in orders) and any("," in o["qty"] for o in orders)
    assert {o["status"] for o in orders} == {"Delivered", "Collected", "Cancelled", "Pending", "Void"}
    assert len({o["customer"] for o in orders if o["customer"].casefold() == "st. hilda's church"}) == 3
    assert len({o["item"] for o in orders if o["item"].casefold() == "buttonhole"}) == 3
    (void,) = [o for o in orders if o["status"] == "Void"]
    assert not void["customer"] and not void["qty"]
    # Reading the thousands separator wrongly (1.25 for 1,250.00) gives another value.
    assert l1_02() != money(Decimal("1.25") + Decimal("25.00"))
    count = int(l2_01())
    assert _buttonholes(fold_case=False) != count and _buttonholes(cancelled=True) != count
    assert _buttonholes(first=date(2026, 11, 11)) != count and _buttonholes(last=date(2026, 11, 11)) != count
    assert _buttonholes(date(2026, 11, 9), date(2026, 11, 13)) != count
    account = l3_01()
    assert _church_account(fold_case=False) != account
    assert _church_account(discount_delivery=True) != account
    assert _church_account(statuses=("Delivered", "Collected", "Pending")) != account


def test_the_seed_library_rules_matter() -> None:
    accessions = _accessions()
    assert len({a["id"] for a in accessions}) == len(accessions)
    # Some accessions list their tests out of date order, so the last one listed is not always the latest.
    assert any([t["date"] for t in a["tests"]] != sorted(t["date"] for t in a["tests"]) for a in accessions)
    assert any(a.get("retired") for a in accessions)
    assert _withdrawn() != _withdrawn(date(2026, 9, 30), date(2026, 11, 1))
    # There is an October withdrawal in 2025 too, which the question's year leaves out.
    assert _withdrawn(date(2025, 10, 1), date(2025, 10, 31)) > 0
    due = _due()
    assert _due(test="earliest") != due and _due(test="listed_last") != due
    assert _due(retired=True) != due
    assert _due(at_threshold=True) != due and _due(at_min=True) != due


def test_the_tide_gauge_rules_matter() -> None:
    lines = _tide_lines()
    readings = [r for r in lines if "h" in r]
    assert len(readings) == 48 and {r["u"] for r in readings} == {"m", "ft"}
    assert {r["qc"] for r in readings} == {"ok", "suspect", "missing"}
    assert any("h" not in r and "t" in r for r in lines) and "t" not in lines[0]
    # A reading of exactly 4.50 m sits on the boundary.
    assert any(r["h"] == 4.5 and r["u"] == "m" and r["t"].startswith("2026-09-14") for r in readings)
    count = int(l2_03())
    assert _high_readings(strictly=True) != count
    assert _high_readings(convert=False) != count
    assert _high_readings(qc=("ok", "suspect")) != count
    tide_range = l3_03()
    assert rounded(_tidal_range(convert=False), 2) != tide_range
    assert rounded(_tidal_range(qc=("ok", "suspect")), 2) != tide_range
    # Not near a rounding boundary.
    assert abs(_tidal_range() * 100 % 1 - 0.5) > 0.05


def test_the_scout_rules_matter() -> None:
    awards = _awards()
    assert all(len(a) == 9 and None not in a for a in awards)
    assert {a["status"] for a in awards} == {"Awarded", "Pending"}
    assert all(bool(a["stage"]) == (a["type"] == "Staged") for a in awards)
    # The asked-for award's date reads differently as day/month.
    (award,) = [a for a in awards if a["award_id"] == "SB-0419"]
    assert datetime.strptime(award["awarded"], "%d/%m/%Y").date() != _award_day(award)
    scouts = int(l2_04())
    assert _activity_scouts(fold_case=False) != scouts
    assert _activity_scouts(year=None) != scouts
    assert _activity_scouts(pending=True) != scouts
    winner = l3_04()
    assert unique_top(_shield(fold_case=False)) != winner
    assert unique_top(_shield(pending=True)) != winner
    assert unique_top(_shield(per_scout=False)) != winner
    assert unique_top(_shield(None, None)) != winner
    assert unique_top(_shield(staged_flat=1)) != winner


def test_the_escape_room_rules_matter() -> None:
    games = _games()
    assert {g["end"] for g in games} == {"ESCAPE", "TIMEOUT", "ABORT"}
    assert len({g["team"] for g in games}) == len(games)
    assert all(_seconds(g) == 3600 for g in games if g["end"] == "TIMEOUT")
    # One Submarine game escaped in exactly 50:00.
    assert any(g["room"] == "Submarine" and g["end"] == "ESCAPE" and _seconds(g) == 3000 for g in games)
    count = int(l2_05())
    assert _quick_escapes(strictly=True) != count
    assert sum(1 for g in games if g["room"] == "Submarine" and _seconds(g) <= 3000) != count
    top = l3_05()
    assert unique_top(_leaderboard(penalty_s=0), lowest=True) != top
    assert unique_top(_leaderboard(free_hints=0), lowest=True) != top
    # An aborted game ended sooner than any escape, so ranking it would change the answer.
    aborted = min(_seconds(g) for g in games if g["end"] == "ABORT")
    assert aborted < min(_leaderboard().values())


def test_the_kiln_rules_matter() -> None:
    firings = _firings()
    assert any("½" in f["Shelves"] for f in firings) and any(f["Shelves"] == "½" for f in firings)
    assert len({f["Member"] for f in firings if f["Member"].casefold() == "siân o'leary"}) == 3
    assert {f["Type"] for f in firings} == {"Bisque", "Glaze", "glaze", "Raku"}
    assert _full_member_discount() == Decimal("0.20") and "siân o'leary" in _full_members()
    shelves = Decimal(l2_06())
    assert _glaze_shelves(fold_case=False) != shelves
    assert _glaze_shelves(statuses=("Fired", "Cancelled")) != shelves
    bill = l3_06()
    assert _kiln_bill(fold_case=False) != bill
    assert _kiln_bill(late_charged=False) != bill
    assert _kiln_bill(booked=True) != bill
    assert _kiln_bill(discount=False) != bill


def test_the_lifeboat_rules_matter() -> None:
    launches = _launches()
    assert sum(1 for la in launches if la["Outcome"] == "DUPLICATE") == 1
    assert any(_minutes_out(la, after_midnight=False) < 0 for la in launches)
    (dup,) = [la for la in launches if la["Outcome"] == "DUPLICATE"]
    assert [la["Launch"] for la in launches].count(dup["Launch"]) == 2
    minutes = int(l2_07())
    assert _ilb_minutes(exercises=True) != minutes and _ilb_minutes(duplicate=True) != minutes
    assert _ilb_minutes(after_midnight=False) != minutes
    assert _ilb_minutes(last=date(2026, 9, 1)) != minutes
    hours = l3_07()
    assert rounded(_crew_hours(crew=False), 1) != hours
    assert rounded(_crew_hours(exercises=True), 1) != hours
    assert rounded(_crew_hours(duplicate=True), 1) != hours
    assert rounded(_crew_hours(after_midnight=False), 1) != hours
    assert rounded(_crew_hours(date(2026, 6, 1), date(2026, 9, 30)), 1) != hours
    assert abs(_crew_hours() * 10 % 1 - 0.5) > 0.05


def test_the_aquarium_rules_matter() -> None:
    tanks = _aquarium()["tanks"]
    assert len({t["id"] for t in tanks}) == len(tanks)
    assert any(isinstance(t.get("volume_l"), str) and "," in t["volume_l"] for t in tanks)
    assert len({t["status"] for t in tanks if str(t.get("status", "")).casefold() == "quarantine"}) == 3
    (c3,) = [t for t in tanks if t["id"] == "C3"]
    assert "volume_l" not in c3
    assert _animals_in(fold_case=False) != int(l2_08())
    assert _animals_in("Quarantine", fold_case=False) != int(l2_08())


def test_the_planetarium_rules_matter() -> None:
    performances = _performances()
    assert len(performances) == 25 and {p["Status"] for p in performances} == {"RAN", "CANCELLED"}
    assert all(" " in p["Show"] for p in performances)
    assert _dome_seats() == {"MAIN": 120, "STUDIO": 40}
    # Cancelled performances carry (refunded) sales, so leaving them in changes the answers.
    sold = int(l2_09())
    assert _sold(cancelled=True) != sold and _sold(comps=True) != sold
    top = l3_08()
    assert unique_top(_occupancy(comps=False)) != top
    assert unique_top(_occupancy(cancelled=True)) != top
    assert unique_top(_occupancy(seats=120)) != top
