"""The gaia-holdout-4 set (written on 2026-12-03 by someone who did not read the agents' prompts; never used to tune
them): every expected answer recomputed here from its attachment or its question, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import configparser
import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from tests.bench.gaia_set_readers import clock, fmt, read_csv, read_text, unique_top

GAIA_HOLDOUT_4 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-4"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_4, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_4, name, delimiter)


def _hours_between(start: str, end: str) -> float:
    return (clock(end) - clock(start)).total_seconds() / 3600


# harvest.csv: a vineyard's harvest log; two block names quoted with a comma in them, variety names in mixed case,
# empty `brix` cells where the sugar reading was not taken, quoted notes with commas.


def _harvest() -> list[dict[str, str]]:
    return _csv("harvest.csv")


def _block_brix(*, weighted: bool = True, unmeasured_in_weight: bool = False) -> dict[str, float]:
    """Each block's mean Brix over the rows that have a reading (weighted by kg unless told otherwise)."""
    sums: dict[str, float] = defaultdict(float)
    weights: dict[str, float] = defaultdict(float)
    for r in _harvest():
        kg = int(r["kg"])
        if not r["brix"].strip():
            if unmeasured_in_weight:
                weights[r["block"]] += kg
            continue
        sums[r["block"]] += (kg if weighted else 1) * float(r["brix"])
        weights[r["block"]] += kg if weighted else 1
    return {block: sums[block] / weights[block] for block in sums}


# box_office.json: a theatre's season; productions with nested performances and per-tier sales (sold and
# complimentary tickets); cancelled performances were refunded.


def _box_office() -> dict:
    return json.loads(_text("box_office.json"))


def _production(title: str) -> dict:
    (production,) = [p for p in _box_office()["productions"] if p["title"] == title]
    return production


def _mean_occupancy(*, with_comps: bool = True, with_cancelled: bool = False) -> dict[str, float]:
    data = _box_office()
    seats = sum(data["capacity"].values())
    occupancy = {}
    for production in data["productions"]:
        shares = [
            sum(tier["sold"] + (tier["comps"] if with_comps else 0) for tier in perf["sales"].values()) / seats
            for perf in production["performances"]
            if with_cancelled or perf["status"] == "played"
        ]
        occupancy[production["title"]] = statistics.mean(shares)
    return occupancy


# pick_events.jsonl: a warehouse's pick events for one morning, merged from three scanners (not in time order).


def _picks() -> list[dict]:
    return [json.loads(line) for line in _text("pick_events.jsonl").splitlines() if line.strip()]


def _fully_picked_orders(*, file_order: bool = False, ignore_cancelled: bool = False) -> list[str]:
    """Orders whose every line is `picked`, in the order of their last pick (earliest first)."""
    lines: dict[str, list[dict]] = defaultdict(list)
    for event in _picks():
        lines[event["order"]].append(event)
    last_pick = {}
    for order, events in lines.items():
        counted = [e for e in events if not (ignore_cancelled and e["status"] == "cancelled")]
        if all(e["status"] == "picked" for e in counted):
            last = counted[-1] if file_order else max(counted, key=lambda e: datetime.fromisoformat(e["ts"]))
            last_pick[order] = datetime.fromisoformat(last["ts"])
    assert len(set(last_pick.values())) == len(last_pick), "two orders finished at the same second"
    return sorted(last_pick, key=last_pick.__getitem__)


# hive_inspections.tsv: an apiary's inspection records, grouped by inspector and so not in date order.


def _inspections() -> list[dict[str, str]]:
    return _csv("hive_inspections.tsv", delimiter="\t")


def _mite_alarm_hives(*, file_order: bool = False, threshold: int = 9, at_least: bool = False) -> list[str]:
    """Hives with a count above `threshold` (or at least it) in two consecutive inspections of that hive."""
    counts: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for r in _inspections():
        counts[r["hive"]].append((date.fromisoformat(r["date"]), int(r["mites_per_300"])))
    flagged = []
    for hive, seq in counts.items():
        if not file_order:
            seq = sorted(seq)
        high = [(n >= threshold) if at_least else (n > threshold) for _, n in seq]
        if any(a and b for a, b in zip(high, high[1:])):
            flagged.append(hive)
    return sorted(flagged)


# lifts.ini: a ski area's lift configuration; a lift section takes any key it does not set from [defaults].


def _lifts(*, use_defaults: bool = True) -> dict[str, dict[str, str]]:
    config = configparser.ConfigParser()
    config.read_string(_text("lifts.ini"))
    defaults = dict(config["defaults"]) if use_defaults else {}
    return {
        section.removeprefix("lift."): {**defaults, **dict(config[section])}
        for section in config.sections()
        if section.startswith("lift.")
    }


def _open_lifts(*, use_defaults: bool = True) -> dict[str, dict[str, str]]:
    return {name: lift for name, lift in _lifts(use_defaults=use_defaults).items() if lift.get("status") == "open"}


def _daily_capacity(lift: dict[str, str]) -> float:
    return int(lift["capacity_per_hour"]) * _hours_between(lift["opens"], lift["closes"])


# regatta_report.txt: a sailing club's results sheet, a space-aligned report whose boat names, helms and sail
# numbers hold spaces, so columns are cut at the header's positions.


def _regatta() -> dict[str, dict[str, str | list[str]]]:
    lines = _text("regatta_report.txt").splitlines()
    (header_at,) = [i for i, line in enumerate(lines) if line.startswith("Sail No")]
    header = lines[header_at]
    boat_at, helm_at, r1_at = header.index("Boat"), header.index("Helm"), header.index("R1")
    # Each race column is right-aligned and ends where its header label ends.
    race_ends = [m.end() for m in re.finditer(r"R\d", header)]
    boats = {}
    for line in lines[header_at + 2 :]:
        if line.startswith("-"):
            break
        places = []
        start = r1_at - 3
        for end in race_ends:
            places.append(line[start:end].strip())
            start = end
        boats[line[boat_at:helm_at].strip()] = {
            "sail": line[:boat_at].strip(),
            "helm": line[helm_at : r1_at - 3].strip(),
            "places": places,
        }
    return boats


def _race_points(place: str, entries: int, *, non_finish: int | None = None) -> int:
    return int(place) if place.isdigit() else (entries + 1 if non_finish is None else non_finish)


def _series(*, discard: bool = True, last_race_tiebreak: bool = True, non_finish: int | None = None) -> list[str]:
    boats = _regatta()
    points = {b: [_race_points(p, len(boats), non_finish=non_finish) for p in v["places"]] for b, v in boats.items()}
    totals = {b: sum(p) - (max(p) if discard else 0) for b, p in points.items()}

    def key(boat: str) -> tuple[int, int | str]:
        return (totals[boat], points[boat][-1] if last_race_tiebreak else boat)

    return sorted(totals, key=key)


# volunteer_hours.md: a food bank's volunteer sign-in sheet as a Markdown table.


def _signins() -> list[dict[str, str]]:
    rows = [line for line in _text("volunteer_hours.md").splitlines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip("|").split("|")] for row in rows)
    return [dict(zip(header, cells)) for cells in body]


def _badge_holders(
    *, month: str | None = "2025-10", min_hours: float = 12, strictly_more: bool = False, by_rows: bool = False
) -> list[str]:
    hours: dict[str, float] = defaultdict(float)
    days: dict[str, list[str]] = defaultdict(list)
    for r in _signins():
        if month is None or r["Date"].startswith(f"{month}-"):
            hours[r["Volunteer"]] += _hours_between(r["Start"], r["End"])
            days[r["Volunteer"]].append(r["Date"])
    return sorted(
        who
        for who in hours
        if (hours[who] > min_hours if strictly_more else hours[who] >= min_hours)
        and len(days[who] if by_rows else set(days[who])) >= 3
    )


# catalogue.xml: a town museum's collection export; objects with acquisition details and nested loan records.


def _objects() -> list[ET.Element]:
    return ET.fromstring(_text("catalogue.xml")).findall("object")


def _purchases_between(first: int, last: int) -> int:
    total = 0
    for obj in _objects():
        acquired = obj.find("acquired")
        if acquired.get("method") == "purchase" and first <= int(acquired.get("year")) <= last:
            total += int(acquired.get("price_gbp"))
    return total


def _on_loan_by_dept(day: date, *, inclusive: bool = True, any_date: bool = False) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for obj in _objects():
        for loan in obj.iter("loan"):
            start, end = date.fromisoformat(loan.get("from")), date.fromisoformat(loan.get("until"))
            active = start <= day <= end if inclusive else start < day < end
            if any_date or active:
                counts[obj.get("dept")] += 1
                if not any_date:
                    break  # an object counts once
    return dict(counts)


LOAN_DAY = date(2026, 1, 15)


# --- the tasks with no attachment ----------------------------------------------------------------------------

SENTENCE = "Seven sleepy otters drifted past the weir before the evening ferry left."
PHRASE = "quiet harbours keep old lanterns burning"


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(SENTENCE.lower().count("e"))


def l1_02() -> str:
    (kg,) = [int(r["kg"]) for r in _harvest() if r["date"] == "2025-09-18" and r["block"] == "Old Vines"]
    return fmt(kg)


def l1_03() -> str:
    (perf,) = [
        p for p in _production("Salt and Thunder")["performances"] if p["date"] == "2025-10-11" and p["time"] == "14:30"
    ]
    return fmt(perf["sales"]["circle"]["sold"])


def l1_04() -> str:
    (qty,) = [
        e["qty"] for e in _picks() if e["order"] == "SO-8814" and e["sku"] == "TL-3320" and e["status"] == "picked"
    ]
    return fmt(qty)


def l1_05() -> str:
    (count,) = [r["mites_per_300"] for r in _inspections() if r["hive"] == "Clover" and r["date"] == "2025-06-21"]
    return count


def l1_06() -> str:
    return _lifts()["Corrie"]["vertical_m"]


def l1_07() -> str:
    (helm,) = [b["helm"] for b in _regatta().values() if b["sail"] == "IRL 2290"]
    return helm


def l1_08() -> str:
    (role,) = [r["Role"] for r in _signins() if r["Volunteer"] == "Ines Okafor" and r["Date"] == "2025-10-09"]
    return role


def l1_09() -> str:
    (obj,) = [o for o in _objects() if o.findtext("title") == "Brass ship's binnacle"]
    return obj.find("acquired").get("year")


def l1_10() -> str:
    return f"{13.5 / 1.609344:.2f}"


def l2_01() -> str:
    return fmt(
        sum(
            int(r["kg"])
            for r in _harvest()
            if r["block"] == "Hillside, north" and r["variety"].casefold() == "riesling"
        )
    )


def l2_02() -> str:
    revenue = sum(
        tier["price"] * tier["sold"]
        for perf in _production("The Glass Orchard")["performances"]
        if perf["status"] == "played"
        for tier in perf["sales"].values()
    )
    return fmt(revenue)


def l2_03() -> str:
    return fmt(len({e["order"] for e in _picks() if e["status"] == "short"}))


def l2_04() -> str:
    first, last = date(2025, 6, 1), date(2025, 7, 31)
    return fmt(
        sum(1 for r in _inspections() if r["queen_seen"] == "no" and first <= date.fromisoformat(r["date"]) <= last)
    )


def l2_05() -> str:
    return fmt(sum(int(lift["capacity_per_hour"]) for lift in _open_lifts().values()))


def l2_06() -> str:
    boats = _regatta()
    return fmt(sum(_race_points(p, len(boats)) for p in boats["Puffin Muffin"]["places"]))


def l2_07() -> str:
    hours = sum(
        _hours_between(r["Start"], r["End"])
        for r in _signins()
        if r["Volunteer"] == "Wren Hadley" and r["Date"].startswith("2025-10-")
    )
    return fmt(hours)


def l2_08() -> str:
    return fmt(_purchases_between(1980, 1999))


def l2_09() -> str:
    return (date(2026, 3, 17) + timedelta(days=200 - 1)).isoformat()


def l2_10() -> str:
    pages, first_band = 1340, 500
    cents = first_band * 12 + (pages - first_band) * 8 + 450  # in cents, to stay exact
    return f"{cents // 100}.{cents % 100:02d}"


def l2_11() -> str:
    return "".join(word[0].upper() for word in reversed(PHRASE.split()))


def l2_12() -> str:
    return fmt(
        sum(
            tier["comps"]
            for production in _box_office()["productions"]
            for perf in production["performances"]
            if perf["status"] == "played" and perf["date"].startswith("2025-10-")
            for tier in perf["sales"].values()
        )
    )


def l3_01() -> str:
    return unique_top(_block_brix())


def l3_02() -> str:
    return unique_top(_mean_occupancy())


def l3_03() -> str:
    return ", ".join(_fully_picked_orders())


def l3_04() -> str:
    return ", ".join(_mite_alarm_hives())


def l3_05() -> str:
    return fmt(sum(_daily_capacity(lift) for lift in _open_lifts().values()))


def l3_06() -> str:
    return ", ".join(_series()[:3])


def l3_07() -> str:
    return ", ".join(_badge_holders())


def l3_08() -> str:
    return unique_top(_on_loan_by_dept(LOAN_DAY))


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold4-l1-01": l1_01,
    "hold4-l1-02": l1_02,
    "hold4-l1-03": l1_03,
    "hold4-l1-04": l1_04,
    "hold4-l1-05": l1_05,
    "hold4-l1-06": l1_06,
    "hold4-l1-07": l1_07,
    "hold4-l1-08": l1_08,
    "hold4-l1-09": l1_09,
    "hold4-l1-10": l1_10,
    "hold4-l2-01": l2_01,
    "hold4-l2-02": l2_02,
    "hold4-l2-03": l2_03,
    "hold4-l2-04": l2_04,
    "hold4-l2-05": l2_05,
    "hold4-l2-06": l2_06,
    "hold4-l2-07": l2_07,
    "hold4-l2-08": l2_08,
    "hold4-l2-09": l2_09,
    "hold4-l2-10": l2_10,
    "hold4-l2-11": l2_11,
    "hold4-l2-12": l2_12,
    "hold4-l3-01": l3_01,
    "hold4-l3-02": l3_02,
    "hold4-l3-03": l3_03,
    "hold4-l3-04": l3_04,
    "hold4-l3-05": l3_05,
    "hold4-l3-06": l3_06,
    "hold4-l3-07": l3_07,
    "hold4-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    rows = [json.loads(line) for line in _text("metadata.jsonl").splitlines() if line.strip()]
    return {row["task_id"]: row for row in rows}


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert len(questions) == 5
    assert SENTENCE in questions["hold4-l1-01"]
    assert PHRASE in questions["hold4-l2-11"]
    for needed, tid in (("13.5", "hold4-l1-10"), ("1.609344", "hold4-l1-10"), ("2026-03-17", "hold4-l2-09"),
                        ("200 days", "hold4-l2-09"), ("1,340", "hold4-l2-10"), ("4.50", "hold4-l2-10")):
        assert needed in questions[tid], (needed, tid)


def test_rounded_answers_are_not_near_a_halfway_point() -> None:
    miles = 13.5 / 1.609344
    assert abs(miles * 100 % 1 - 0.5) > 1e-2, miles


def test_the_harvest_log_quirks_matter() -> None:
    rows = _harvest()
    # The quoted block names with a comma stay whole; every row has all seven columns.
    assert {r["block"] for r in rows} >= {"Hillside, north", "Hillside, south"}
    assert all(len(r) == 7 and None not in r for r in rows)
    # A case-sensitive variety match misses rows.
    exact = sum(int(r["kg"]) for r in rows if r["block"] == "Hillside, north" and r["variety"] == "Riesling")
    assert exact != int(l2_01())
    # Weighting by kg, and leaving unmeasured rows out entirely, both decide the block.
    assert unique_top(_block_brix(weighted=False)) != l3_01()
    assert unique_top(_block_brix(unmeasured_in_weight=True)) != l3_01()
    assert "," not in l3_01()  # a name the list-splitting scorer reads as one item


def test_the_box_office_rules_matter() -> None:
    assert unique_top(_mean_occupancy(with_comps=False)) != l3_02()
    assert unique_top(_mean_occupancy(with_cancelled=True)) != l3_02()
    glass = _production("The Glass Orchard")["performances"]
    with_cancelled = sum(t["price"] * t["sold"] for p in glass for t in p["sales"].values())
    assert with_cancelled != int(l2_02())
    all_played_comps = sum(
        t["comps"] for pr in _box_office()["productions"] for p in pr["performances"] if p["status"] == "played"
        for t in p["sales"].values()
    )
    assert all_played_comps != int(l2_12())


def test_the_pick_events_are_out_of_order_and_that_matters() -> None:
    stamps = [e["ts"] for e in _picks()]
    assert stamps != sorted(stamps)
    assert _fully_picked_orders(file_order=True) != _fully_picked_orders()
    assert _fully_picked_orders(ignore_cancelled=True) != _fully_picked_orders()
    # Counting short lines rather than orders gives another number.
    assert sum(1 for e in _picks() if e["status"] == "short") != int(l2_03())


def test_the_hive_rules_matter() -> None:
    dates = [r["date"] for r in _inspections()]
    assert dates != sorted(dates)
    assert _mite_alarm_hives(file_order=True) != _mite_alarm_hives()
    assert _mite_alarm_hives(at_least=True) != _mite_alarm_hives()
    assert sum(1 for r in _inspections() if r["queen_seen"] == "no") != int(l2_04())
    assert {r["queen_seen"] for r in _inspections()} == {"yes", "no", "not checked"}


def test_the_lift_defaults_matter() -> None:
    assert _open_lifts(use_defaults=False) == {}  # no lift sets status = open itself
    assert sum(int(lift["capacity_per_hour"]) for lift in _lifts().values()) != int(l2_05())
    # Lifts that keep the default opening or closing time would be lost or mistimed without [defaults].
    assert any("opens" not in lift or "closes" not in lift for lift in _lifts(use_defaults=False).values())
    assert float(l3_05()).is_integer()


def test_the_regatta_sheet_is_consistent_and_its_rules_matter() -> None:
    boats = _regatta()
    assert len(boats) == 9 and len({b["sail"] for b in boats.values()}) == 9
    for race in range(6):
        places = sorted(int(b["places"][race]) for b in boats.values() if b["places"][race].isdigit())
        assert places == list(range(1, len(places) + 1)), race
        assert all(b["places"][race] in {"DNF", "DNS", "DNC"} or b["places"][race].isdigit() for b in boats.values())
    top = _series()
    assert _series(discard=False)[:3] != top[:3]
    assert _series(last_race_tiebreak=False)[:3] != top[:3]
    # The tie between second and third is real, and third is clear of fourth.
    points = {b: [_race_points(p, 9) for p in v["places"]] for b, v in boats.items()}
    totals = {b: sum(p) - max(p) for b, p in points.items()}
    assert totals[top[1]] == totals[top[2]] and totals[top[2]] < totals[top[3]] and totals[top[0]] < totals[top[1]]


def test_the_volunteer_badge_rules_matter() -> None:
    badge = _badge_holders()
    assert _badge_holders(month=None) != badge
    assert _badge_holders(strictly_more=True) != badge
    assert _badge_holders(by_rows=True) != badge
    wren_all = sum(_hours_between(r["Start"], r["End"]) for r in _signins() if r["Volunteer"] == "Wren Hadley")
    assert fmt(wren_all) != l2_07()


def test_the_catalogue_rules_matter() -> None:
    assert _purchases_between(1981, 1998) != int(l2_08())
    assert unique_top(_on_loan_by_dept(LOAN_DAY, any_date=True)) != l3_08()
    exclusive = _on_loan_by_dept(LOAN_DAY, inclusive=False)
    assert max(exclusive.values()) < _on_loan_by_dept(LOAN_DAY)[l3_08()]
    assert exclusive.get(l3_08(), 0) < max(exclusive.values())
