"""The gaia-holdout-10 set (written on 2026-12-03 by someone who did not read the agents' prompts, code or
transcripts; never used to tune them): every expected answer recomputed here from its attachment or its question,
independently of metadata.jsonl.

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

GAIA_HOLDOUT_10 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-10"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_10, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_10, name, delimiter)


# coffee_roasts.csv: a coffee roastery's batch log for a fortnight; dates as dd.mm.yyyy, roasters and an origin
# typed in three letter cases, green weights in kg or lb, sale values with a thousands separator, Scrapped batches
# (weighed after roasting, with no sale value) and a VOID row with empty cells.

KG_PER_LB = 0.45359237


def _batches() -> list[dict[str, str]]:
    return _csv("coffee_roasts.csv")


def _batch_day(batch: dict[str, str]) -> date:
    return datetime.strptime(batch["date"], "%d.%m.%Y").date()


def _green_kg(cell: str, *, convert: bool = True) -> float:
    value, unit = cell.split()
    assert unit in ("kg", "lb"), cell
    return float(value) * (KG_PER_LB if unit == "lb" and convert else 1)


def _origin_sales(origin: str = "Ethiopia", first: date = date(2026, 11, 4), last: date = date(2026, 11, 11), *,
                  fold_case: bool = True) -> Decimal:
    return sum(
        (decimal_of(b["sale_value_gbp"]) for b in _batches()
         if (b["origin"].casefold() == origin.casefold() if fold_case else b["origin"] == origin)
         and b["status"] == "Roasted" and first <= _batch_day(b) <= last),
        Decimal(0),
    )


def _roast_loss(*, fold_case: bool = True, convert: bool = True, scrapped: bool = False) -> dict[str, float]:
    green: dict[str, float] = defaultdict(float)
    roasted: dict[str, float] = defaultdict(float)
    for b in _batches():
        if not (b["status"] == "Roasted" or (scrapped and b["status"] == "Scrapped")):
            continue
        who = b["roaster"].casefold() if fold_case else b["roaster"]
        green[who] += _green_kg(b["green_weight"], convert=convert)
        roasted[who] += float(b["roasted_kg"])
    return {who: (green[who] - roasted[who]) / green[who] for who in green}


# archery_scores.json: an indoor archery tournament: the scoring rules in a sentence at the top, archers with their
# division (typed in three letter cases), status and ten ends of three arrows written as X, 10 ... 1 or M; a
# withdrawn archer who shot five ends and a disqualified one with the highest Recurve total.


def _archery() -> dict:
    return json.loads(_text("archery_scores.json"))


def _archers() -> list[dict]:
    return _archery()["archers"]


def _arrows(archer: dict) -> list[str]:
    return [arrow for end in archer["ends"] for arrow in end.split()]


def _arrow_points(arrow: str) -> int:
    return 10 if arrow == "X" else 0 if arrow == "M" else int(arrow)


def _total(archer: dict) -> int:
    return sum(_arrow_points(a) for a in _arrows(archer))


def _recurve(*, fold_case: bool = True, statuses: tuple[str, ...] = ("finished",)) -> list[dict]:
    return [a for a in _archers()
            if (a["division"].casefold() == "recurve" if fold_case else a["division"] == "Recurve")
            and a["status"] in statuses]


def _ranking(archers: list[dict], *, tens_first: bool = True) -> list[str]:
    def key(a: dict) -> tuple[int, int, int]:
        arrows = _arrows(a)
        tens = sum(1 for x in arrows if x in ("X", "10"))
        xs = arrows.count("X")
        return (_total(a), tens, xs) if tens_first else (_total(a), xs, tens)

    ranked = sorted(archers, key=key, reverse=True)
    assert key(ranked[0]) != key(ranked[1])
    return [a["name"] for a in ranked]


# vending_telemetry.jsonl: a vending operator's telemetry over two days, one JSON object per line: a header saying
# that prices are in pence, a note line, vend, vend_fail, refund (naming the vend it refunds), door_open and
# restock events, a product typed in three letter cases.


def _vending_lines() -> list[dict]:
    return [json.loads(line) for line in _text("vending_telemetry.jsonl").splitlines() if line.strip()]


def _events() -> list[dict]:
    return [e for e in _vending_lines() if "ev" in e]


def _cash_pence(day: str = "2026-11-20", *, fails: bool = False) -> int:
    kinds = ("vend", "vend_fail") if fails else ("vend",)
    return sum(e["price_p"] for e in _events() if e["ev"] in kinds and e["pay"] == "cash" and e["t"].startswith(day))


def _product_net(*, fold_case: bool = True, refunds: bool = True, fails: bool = False) -> dict[str, int]:
    kinds = ("vend", "vend_fail") if fails else ("vend",)
    vends = {e["id"]: e for e in _events() if e["ev"] in kinds}
    net: dict[str, int] = defaultdict(int)
    for e in vends.values():
        net[e["item"].casefold() if fold_case else e["item"]] += e["price_p"]
    if refunds:
        for e in _events():
            if e["ev"] == "refund":
                vend = vends[e["ref"]]
                net[vend["item"].casefold() if fold_case else vend["item"]] -= e["amount_p"]
    return dict(net)


# piano_tuning.tsv: a piano tuner's appointment book from late October to early December; dates as dd/mm/yy,
# travel in mi or km, fees with a thousands separator, a client and piano types typed in three letter cases,
# Done, Cancelled, No access and Rebooked jobs.

KM_PER_MILE = 1.609344


def _jobs() -> list[dict[str, str]]:
    return _csv("piano_tuning.tsv", delimiter="\t")


def _job_day(job: dict[str, str], *, month_first: bool = False) -> date:
    return datetime.strptime(job["date"], "%m/%d/%y" if month_first else "%d/%m/%y").date()


def _miles(cell: str, *, convert: bool = True) -> float:
    value, unit = cell.split()
    assert unit in ("mi", "km"), cell
    return float(value) / (KM_PER_MILE if unit == "km" and convert else 1)


def _november_miles(*, convert: bool = True, statuses: tuple[str, ...] = ("Done",)) -> float:
    return sum(
        _miles(j["travel"], convert=convert) for j in _jobs()
        if j["status"] in statuses and date(2026, 11, 1) <= _job_day(j) <= date(2026, 11, 30)
    )


def _client_fees(client: str = "Hollybrook Primary School", *, fold_case: bool = True,
                 statuses: tuple[str, ...] = ("Done",)) -> Decimal:
    return sum(
        (decimal_of(j["fee_gbp"]) for j in _jobs()
         if (j["client"].casefold() == client.casefold() if fold_case else j["client"] == client)
         and j["status"] in statuses),
        Decimal(0),
    )


# toll_bridge.log: a toll bridge's lane controller log for one morning, read with a regular expression: the tariff,
# a peak multiplier, a TAG discount, EXEMPT vehicles and VOID lines in the header comments; transactions in three
# lanes interleaved, VOID lines naming an earlier transaction, barrier and system lines, vehicles either side of
# the peak's edges.

TOLL_LINE = re.compile(
    r"^2026-11-24 (\d\d:\d\d:\d\d) (?:lane=(\d) (?:txn=(T\d+) class=(\w+) pay=(\w+)|VOID txn=(T\d+)|BARRIER \w+)"
    r"|system .*)$"
)


def _toll_header() -> str:
    return "\n".join(line for line in _text("toll_bridge.log").splitlines() if line.startswith("#"))


def _tariff() -> dict[str, Decimal]:
    line = next(line for line in _toll_header().splitlines() if "Tariff" in line)
    return {cls: Decimal(value) for cls, value in re.findall(r"(CAR|VAN|HGV|MOTO) (\d+\.\d\d)", line)}


def _crossings() -> tuple[list[dict[str, str]], set[str]]:
    vehicles, voided = [], set()
    for line in _text("toll_bridge.log").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = TOLL_LINE.match(line)
        assert m, line
        at, lane, txn, cls, pay, void = m.groups()
        if txn:
            vehicles.append({"at": at, "lane": lane, "txn": txn, "class": cls, "pay": pay})
        elif void:
            voided.add(void)
    assert voided <= {v["txn"] for v in vehicles}
    return vehicles, voided


def _fare(vehicle: dict[str, str], *, peak: bool = True, tag: bool = True) -> Decimal:
    if vehicle["pay"] == "EXEMPT":
        return Decimal(0)
    fare = _tariff()[vehicle["class"]]
    if peak and vehicle["class"] in ("CAR", "VAN") and "07:00:00" <= vehicle["at"] <= "09:29:59":
        fare *= Decimal("1.5")
    if tag and vehicle["pay"] == "TAG":
        fare *= Decimal("0.8")
    return fare


def _lane_takings(lane: str = "1", *, voids: bool = True, **rules: bool) -> Decimal:
    vehicles, voided = _crossings()
    return sum(
        (_fare(v, **rules) for v in vehicles if v["lane"] == lane and not (voids and v["txn"] in voided)),
        Decimal(0),
    )


def _cash_count(lane: str = "2", *, voids: bool = True) -> int:
    vehicles, voided = _crossings()
    return sum(1 for v in vehicles if v["lane"] == lane and v["pay"] == "CASH" and not (voids and v["txn"] in voided))


# stamp_auction.html: a stamp auction's results page: the result kinds and the tiered buyer's premium in
# paragraphs, a lots table (estimates as ranges with &ndash; and thousands separators, &ndash; for no hammer price,
# &ldquo; &rdquo; &rsquo; &amp; and &pound; entities) and a bidders table joined to it by paddle number (accented names
# written with entities, a dealer with &amp;, a bidder who bought nothing).


def _auction() -> dict[str, list[list[str]]]:
    return html_tables(_text("stamp_auction.html"))


def _table(name: str) -> list[dict[str, str]]:
    header, *rows = _auction()[name]
    return [dict(zip(header, row)) for row in rows]


def _lots() -> list[dict[str, str]]:
    return _table("lots")


def _sold() -> list[dict[str, str]]:
    return [lot for lot in _lots() if lot["Result"] == "Sold"]


def _pounds(cell: str) -> int:
    return int(cell.replace(",", ""))


def _top_estimate(lot: dict[str, str]) -> int:
    low, high = lot["Estimate"].split("–")
    return _pounds(high)


def _premium(hammer: Decimal, *, tiered: bool = True) -> Decimal:
    if not tiered:
        return hammer * Decimal("0.20")
    return min(hammer, Decimal(1000)) * Decimal("0.20") + max(hammer - 1000, Decimal(0)) * Decimal("0.15")


def _bidder_totals(*, premium: bool = True, tiered: bool = True, per_lot: bool = True) -> dict[str, Decimal]:
    names = {row["Paddle"]: row["Bidder"] for row in _table("bidders")}
    hammers: dict[str, list[Decimal]] = defaultdict(list)
    for lot in _sold():
        hammers[names[lot["Paddle"]]].append(Decimal(_pounds(lot["Hammer"])))
    totals = {}
    for who, lots in hammers.items():
        if not premium:
            totals[who] = sum(lots, Decimal(0))
        elif per_lot:
            totals[who] = sum((h + _premium(h, tiered=tiered) for h in lots), Decimal(0))
        else:  # a misreading: the tiers applied to the bidder's whole spend
            spend = sum(lots, Decimal(0))
            totals[who] = spend + _premium(spend, tiered=tiered)
    return totals


def _above_estimate(*, strictly: bool = True) -> int:
    return sum(1 for lot in _sold()
               if (_pounds(lot["Hammer"]) > _top_estimate(lot) if strictly
                   else _pounds(lot["Hammer"]) >= _top_estimate(lot)))


def _area_hammer(area: str = "Europe", *, sold_only: bool = True) -> int:
    return sum(_pounds(lot["Hammer"]) for lot in _lots()
               if lot["Area"] == area and (lot["Result"] == "Sold" if sold_only else lot["Hammer"] != "–"))


# cider_pressing.md: a community cider press's pressing book as a Markdown table below a list of notes (charges
# per litre by membership, a minimum charge per visit, what - and VOID mean), dates as day/month, a blank apples
# cell, a grower typed once in lower case, a visit written in twice and marked VOID.


def _press_lines() -> list[str]:
    return _text("cider_pressing.md").splitlines()


def _visits() -> list[dict[str, str]]:
    rows = [line for line in _press_lines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    return [dict(zip(header, cells)) for cells in body]


def _visit_day(visit: dict[str, str]) -> date:
    day, month = visit["Date"].split("/")
    return date(2026, int(month), int(day))


def _juice(visit: dict[str, str]) -> int:
    return 0 if visit["Juice (L)"] in ("", "-") else int(visit["Juice (L)"])


def _counts(visit: dict[str, str], void: bool) -> bool:
    return void or "VOID" not in visit["Note"]


def _press_rates() -> tuple[Decimal, Decimal, Decimal]:
    line = next(line for line in _press_lines() if line.startswith("- Charges"))
    m = re.search(r"members (\d+\.\d\d) pounds, non-members (\d+\.\d\d) pounds.*at least (\d+\.\d\d) pounds", line)
    member, non_member, minimum = (Decimal(v) for v in m.groups())
    return member, non_member, minimum


def _october_juice(*, void: bool = False) -> int:
    return sum(_juice(v) for v in _visits() if _visit_day(v).month == 10 and _counts(v, void))


def _grower_charges(grower: str = "Fenwick Holt", *, fold_case: bool = True, void: bool = False,
                    minimum: bool = True) -> str:
    member_rate, other_rate, least = _press_rates()
    total = Decimal(0)
    for v in _visits():
        matches = v["Grower"].casefold() == grower.casefold() if fold_case else v["Grower"] == grower
        if not matches or not _counts(v, void) or v["Juice (L)"] == "-":
            continue
        charge = _juice(v) * (member_rate if v["Member"] == "Y" else other_rate)
        total += max(charge, least) if minimum else charge
    return money(total)


# cheese_cave.yaml: a dairy's ripening room register: defaults that styles override (or not: an empty style),
# flow-style wheels with YAML dates, weights in kg or g, statuses in three letter cases, sold and discarded wheels,
# a wheel ready exactly on the asked-for day.


def _cave() -> dict:
    return yaml.safe_load(_text("cheese_cave.yaml"))


def _style_value(style: str, key: str, *, defaults: bool = True):
    cave = _cave()
    given = cave["styles"][style] or {}
    if key in given:
        return given[key]
    return cave["defaults"][key] if defaults else None


def _ready(wheel: dict) -> date:
    return wheel["made"] + timedelta(weeks=_style_value(wheel["style"], "ripening_weeks"))


def _wheel_kg(cell: str, *, convert: bool = True) -> Decimal:
    value, unit = cell.split()
    assert unit in ("kg", "g"), cell
    return Decimal(value) / (1000 if unit == "g" and convert else 1)


def _ripening(wheel: dict, fold_case: bool = True) -> bool:
    return wheel["status"].casefold() == "ripening" if fold_case else wheel["status"] == "ripening"


def _ready_value(by: date = date(2026, 12, 24), *, fold_case: bool = True, convert: bool = True,
                 statuses: bool = True) -> str:
    total = Decimal(0)
    for wheel in _cave()["wheels"]:
        if (statuses and not _ripening(wheel, fold_case)) or _ready(wheel) > by:
            continue
        price = Decimal(str(_style_value(wheel["style"], "price_gbp_per_kg")))
        total += _wheel_kg(wheel["weight"], convert=convert) * price
    return money(total)


# rowing_ergs.txt: a rowing club's 2000 m ergometer test, space-aligned columns under a dashed rule whose athletes'
# names hold spaces, an apostrophe, a hyphen and lower-case particles; times as m:ss.t, weights in kg, OK, DNF,
# DNS and RETEST rows (a RETEST time would win the Senior ranking).

LB_PER_KG = 2.20462


def _erg_rows() -> list[dict[str, str]]:
    lines = _text("rowing_ergs.txt").splitlines()
    (header_at,) = [i for i, line in enumerate(lines) if line.startswith("Athlete ")]
    names = ["Athlete", "Squad", "Wt kg", "Time", "Status"]
    spans = [m.span() for m in re.finditer(r"-+", lines[header_at + 1])]
    assert len(spans) == len(names)
    spans[-1] = (spans[-1][0], None)
    rows = []
    for line in lines[header_at + 2:]:
        if line.startswith("-"):
            break
        rows.append(dict(zip(names, (line[a:b].strip() for a, b in spans))))
    return rows


def _seconds(cell: str) -> Decimal:
    minutes, seconds = cell.split(":")
    return int(minutes) * 60 + Decimal(seconds)


def _m_ss(seconds: Decimal) -> str:
    tenths = int((seconds * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{tenths // 600}:{tenths % 600 // 10:02d}.{tenths % 10}"


def _squad_mean(squad: str = "Junior", *, statuses: tuple[str, ...] = ("OK",)) -> Decimal:
    times = [_seconds(r["Time"]) for r in _erg_rows() if r["Squad"] == squad and r["Status"] in statuses]
    return sum(times, Decimal(0)) / len(times)


def _adjusted(row: dict[str, str]) -> float:
    pounds = float(row["Wt kg"]) * LB_PER_KG
    return float(_seconds(row["Time"])) * (pounds / 270) ** 0.222


def _senior_adjusted(*, statuses: tuple[str, ...] = ("OK",)) -> dict[str, float]:
    return {r["Athlete"]: _adjusted(r) for r in _erg_rows() if r["Squad"] == "Senior" and r["Status"] in statuses}


# --- the tasks with no attachment ----------------------------------------------------------------------------

WORD = "QUARTERMASTER"
FIRST_DAY, LAST_DAY = date(2026, 3, 14), date(2026, 11, 2)


def _without_vowels(word: str = WORD) -> str:
    return "".join(ch for ch in word.lower() if ch not in "aeiou")


def _days(*, inclusive: bool = True) -> int:
    return (LAST_DAY - FIRST_DAY).days + (1 if inclusive else 0)


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return _without_vowels()


def l1_02() -> str:
    (batch,) = [b for b in _batches() if b["batch"] == "CR-2205"]
    assert batch["green_weight"].endswith(" lb")
    return rounded(_green_kg(batch["green_weight"]), 1)


def l1_03() -> str:
    (archer,) = [a for a in _archers() if a["name"] == "Priyanka Dewhurst"]
    return fmt(_arrows(archer).count("X"))


def l1_04() -> str:
    (door,) = [e for e in _events() if e["ev"] == "door_open" and e["m"] == "VM-01"]
    return datetime.fromisoformat(door["t"]).strftime("%H:%M:%S")


def l1_05() -> str:
    (job,) = [j for j in _jobs() if j["job"] == "PT-3312"]
    return _job_day(job).isoformat()


def l1_06() -> str:
    (vehicle,) = [v for v in _crossings()[0] if v["txn"] == "T0427"]
    return vehicle["class"]


def l1_07() -> str:
    (lot,) = [lot for lot in _lots() if lot["Lot"] == "16"]
    return fmt(_pounds(lot["Hammer"]))


def l1_08() -> str:
    (visit,) = [v for v in _visits() if v["Grower"] == "Marguerite Sallow" and v["Date"] == "27/9"]
    return fmt(_juice(visit))


def l1_09() -> str:
    (row,) = [r for r in _erg_rows() if r["Athlete"] == "Niamh O'Driscoll-Voss"]
    return str(_seconds(row["Time"]))


def l1_10() -> str:
    return fmt(_days())


def l2_01() -> str:
    return money(_origin_sales())


def l2_02() -> str:
    totals = [_total(a) for a in _recurve()]
    return rounded(sum(totals) / len(totals), 1)


def l2_03() -> str:
    return money(Decimal(_cash_pence()) / 100)


def l2_04() -> str:
    return rounded(_november_miles(), 1)


def l2_05() -> str:
    return fmt(_cash_count())


def l2_06() -> str:
    return fmt(_above_estimate())


def l2_07() -> str:
    return fmt(_october_juice())


def l2_08() -> str:
    return _m_ss(_squad_mean())


def l2_09() -> str:
    return money(_client_fees())


def l2_10() -> str:
    return fmt(_area_hammer())


def l2_11() -> str:
    return fmt(sum(1 for w in _cave()["wheels"] if w["style"] == "Hollins Tomme" and _ripening(w)))


def l2_12() -> str:
    (wheel,) = [w for w in _cave()["wheels"] if w["id"] == "HF-109"]
    return _ready(wheel).isoformat()


def l3_01() -> str:
    winner = unique_top(_roast_loss(), lowest=True)
    return " ".join(part.capitalize() for part in winner.split())


def l3_02() -> str:
    return _ranking(_recurve())[0]


def l3_03() -> str:
    return unique_top(_product_net())


def l3_04() -> str:
    return money(_lane_takings())


def l3_05() -> str:
    return unique_top(_bidder_totals())


def l3_06() -> str:
    return _grower_charges()


def l3_07() -> str:
    return _ready_value()


def l3_08() -> str:
    return unique_top(_senior_adjusted(), lowest=True)


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold10-l1-01": l1_01,
    "hold10-l1-02": l1_02,
    "hold10-l1-03": l1_03,
    "hold10-l1-04": l1_04,
    "hold10-l1-05": l1_05,
    "hold10-l1-06": l1_06,
    "hold10-l1-07": l1_07,
    "hold10-l1-08": l1_08,
    "hold10-l1-09": l1_09,
    "hold10-l1-10": l1_10,
    "hold10-l2-01": l2_01,
    "hold10-l2-02": l2_02,
    "hold10-l2-03": l2_03,
    "hold10-l2-04": l2_04,
    "hold10-l2-05": l2_05,
    "hold10-l2-06": l2_06,
    "hold10-l2-07": l2_07,
    "hold10-l2-08": l2_08,
    "hold10-l2-09": l2_09,
    "hold10-l2-10": l2_10,
    "hold10-l2-11": l2_11,
    "hold10-l2-12": l2_12,
    "hold10-l3-01": l3_01,
    "hold10-l3-02": l3_02,
    "hold10-l3-03": l3_03,
    "hold10-l3-04": l3_04,
    "hold10-l3-05": l3_05,
    "hold10-l3-06": l3_06,
    "hold10-l3-07": l3_07,
    "hold10-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    return read_metadata(GAIA_HOLDOUT_10)


def test_levels_alternate_in_the_file() -> None:
    levels = [row["Level"] for row in _metadata().values()]
    assert levels[:24] == [1, 2, 3] * 8
    assert Counter(levels) == {1: 10, 2: 12, 3: 8}


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert set(questions) == {"hold10-l1-01", "hold10-l1-10"}
    for needed, tid in (("QUARTERMASTER", "hold10-l1-01"), ("A, E, I, O, U", "hold10-l1-01"),
                        ("14 March 2026", "hold10-l1-10"), ("2 November 2026", "hold10-l1-10"),
                        ("both the first and the last day", "hold10-l1-10")):
        assert needed in questions[tid], (needed, tid)


def test_each_attachment_serves_the_tasks_that_name_it() -> None:
    files = Counter(row["file_name"] for row in _metadata().values() if row["file_name"])
    assert files == {
        "coffee_roasts.csv": 3, "archery_scores.json": 3, "vending_telemetry.jsonl": 3, "piano_tuning.tsv": 3,
        "toll_bridge.log": 3, "stamp_auction.html": 4, "cider_pressing.md": 3, "cheese_cave.yaml": 3,
        "rowing_ergs.txt": 3,
    }


def test_attachments_are_small_tables() -> None:
    counts = {
        "coffee_roasts.csv": len(_batches()), "archery_scores.json": len(_archers()),
        "vending_telemetry.jsonl": len(_vending_lines()), "piano_tuning.tsv": len(_jobs()),
        "toll_bridge.log": len(_text("toll_bridge.log").splitlines()), "stamp_auction.html": len(_lots()),
        "cider_pressing.md": len(_visits()), "cheese_cave.yaml": len(_cave()["wheels"]),
        "rowing_ergs.txt": len(_erg_rows()),
    }
    assert all(12 <= n <= 80 for n in counts.values()), counts


def test_the_no_file_rules_matter() -> None:
    assert l1_01() == "qrtrmstr" and _without_vowels("QUARTERMASTERY") != l1_01()
    assert fmt(_days(inclusive=False)) != l1_10()


def test_the_coffee_rules_matter() -> None:
    batches = _batches()
    assert {b["status"] for b in batches} == {"Roasted", "Scrapped", "VOID"}
    (void,) = [b for b in batches if b["status"] == "VOID"]
    assert not void["roaster"] and not void["green_weight"] and "," in void["note"]
    assert len({b["origin"] for b in batches if b["origin"].casefold() == "ethiopia"}) == 3
    assert len({b["roaster"] for b in batches if b["roaster"].casefold() == "ines calloway"}) == 3
    assert any("," in b["sale_value_gbp"] for b in batches)
    assert all(b["roasted_kg"] for b in batches if b["status"] == "Scrapped")
    # The asked-for batch is in pounds; read as kilograms it gives another answer.
    assert rounded(_green_kg("31.1 lb", convert=False), 1) != l1_02() and far_from_half(_green_kg("31.1 lb"), 1)
    sales = l2_01()
    assert money(_origin_sales(fold_case=False)) != sales
    assert money(_origin_sales(first=date(2026, 11, 1))) != sales
    winner = l3_01()
    assert unique_top(_roast_loss(convert=False), lowest=True).title() != winner
    assert unique_top(_roast_loss(scrapped=True), lowest=True).title() != winner


def test_the_archery_rules_matter() -> None:
    archers = _archers()
    assert len({a["name"] for a in archers}) == len(archers)
    assert {a["status"] for a in archers} == {"finished", "withdrawn", "disqualified"}
    assert all(len(a["ends"]) == 10 for a in archers if a["status"] != "withdrawn")
    assert all(len(end.split()) == 3 for a in archers for end in a["ends"])
    assert any("M" in _arrows(a) for a in _recurve())
    assert len({a["division"] for a in archers if a["division"].casefold() == "recurve"}) == 3
    # Five finished Recurve archers: the mean is exact at one decimal place.
    assert len(_recurve()) == 5
    mean = l2_02()
    others = [_total(a) for a in _recurve(fold_case=False)]
    assert rounded(sum(others) / len(others), 1) != mean
    every = [_total(a) for a in _recurve(statuses=("finished", "withdrawn", "disqualified"))]
    assert rounded(sum(every) / len(every), 1) != mean
    # The top two finished Recurve archers tie on total; the 10s decide, and the Xs alone would decide otherwise.
    winner = l3_02()
    top = _recurve()
    assert sorted((_total(a) for a in top), reverse=True)[0] == sorted((_total(a) for a in top), reverse=True)[1]
    assert _ranking(top, tens_first=False)[0] != winner
    assert _ranking(_recurve(statuses=("finished", "disqualified")))[0] != winner


def test_the_vending_rules_matter() -> None:
    lines = _vending_lines()
    assert lines[0]["type"] == "header" and "pence" in lines[0]["note"]
    assert any(line.get("type") == "note" for line in lines)
    events = _events()
    assert {e["ev"] for e in events} == {"vend", "vend_fail", "refund", "door_open", "restock"}
    assert len({e["id"] for e in events if "id" in e}) == sum(1 for e in events if "id" in e)
    assert len({e["item"] for e in events if "item" in e and e["item"].casefold() == "oat bar"}) == 3
    assert _cash_pence(fails=True) != _cash_pence()
    winner = l3_03()
    assert unique_top(_product_net(refunds=False)) != winner
    assert unique_top(_product_net(fold_case=False)).casefold() != winner
    assert unique_top(_product_net(fails=True)) != winner


def test_the_piano_rules_matter() -> None:
    jobs = _jobs()
    assert all(len(j) == 8 and None not in j for j in jobs)
    assert {j["status"] for j in jobs} == {"Done", "Cancelled", "No access", "Rebooked"}
    assert {j["travel"].split()[1] for j in jobs} == {"mi", "km"}
    (job,) = [j for j in jobs if j["job"] == "PT-3312"]
    assert _job_day(job, month_first=True).isoformat() != l1_05()
    miles = l2_04()
    assert far_from_half(_november_miles(), 1)
    assert rounded(_november_miles(convert=False), 1) != miles
    assert rounded(_november_miles(statuses=("Done", "Cancelled", "No access", "Rebooked")), 1) != miles
    fees = l2_09()
    assert len({j["client"] for j in jobs if j["client"].casefold() == "hollybrook primary school"}) == 3
    assert any("," in j["fee_gbp"] for j in jobs if j["client"].casefold() == "hollybrook primary school")
    assert money(_client_fees(fold_case=False)) != fees
    assert money(_client_fees(statuses=("Done", "Cancelled"))) != fees


def test_the_toll_rules_matter() -> None:
    vehicles, voided = _crossings()
    assert len({v["txn"] for v in vehicles}) == len(vehicles)
    assert _tariff() == {"CAR": Decimal("1.40"), "VAN": Decimal("2.80"), "HGV": Decimal("5.60"),
                         "MOTO": Decimal("0.70")}
    assert len(voided) == 2 and {v["lane"] for v in vehicles if v["txn"] in voided} == {"1", "2"}
    lane_one = [v for v in vehicles if v["lane"] == "1"]
    # Lane 1 has cars just before and exactly at the peak's edges, a tagged HGV, an exempt car and a motorbike.
    assert {v["at"] for v in lane_one} >= {"06:59:58", "09:29:08", "09:30:00"}
    assert {(v["class"], v["pay"]) for v in lane_one} >= {("HGV", "TAG"), ("CAR", "EXEMPT"), ("MOTO", "CARD")}
    takings = l3_04()
    assert money(_lane_takings(peak=False)) != takings
    assert money(_lane_takings(tag=False)) != takings
    assert money(_lane_takings(voids=False)) != takings
    assert fmt(_cash_count(voids=False)) != l2_05()


def test_the_auction_rules_matter() -> None:
    tables = _auction()
    assert set(tables) == {"lots", "bidders"}
    lots = _lots()
    assert {lot["Result"] for lot in lots} == {"Sold", "Passed", "Withdrawn"}
    assert all(lot["Hammer"] == "–" and not lot["Paddle"] for lot in lots if lot["Result"] != "Sold")
    bidders = _table("bidders")
    assert any(not b["Bidder"].isascii() for b in bidders) and any("&" in b["Bidder"] for b in bidders)
    assert "&eacute;" in _text("stamp_auction.html") and "&ndash;" in _text("stamp_auction.html")
    # One sold lot's hammer equals its top estimate exactly.
    assert _above_estimate(strictly=False) != int(l2_06())
    assert _area_hammer(sold_only=False) == _area_hammer()  # unsold lots show no hammer price
    assert sum(_pounds(lot["Hammer"]) for lot in lots if lot["Area"] == "Europe" and lot["Hammer"] != "–") == int(
        l2_10())
    assert any(lot["Area"] == "Europe" and lot["Result"] != "Sold" for lot in lots)
    winner = l3_05()
    assert unique_top(_bidder_totals(premium=False)) != winner
    assert unique_top(_bidder_totals(tiered=False)) != winner
    assert unique_top(_bidder_totals(per_lot=False)) != winner


def test_the_cider_rules_matter() -> None:
    visits = _visits()
    assert sum(1 for v in visits if "VOID" in v["Note"]) == 1
    assert any(v["Juice (L)"] == "-" for v in visits) and any(v["Apples (kg)"] == "" for v in visits)
    assert len({v["Grower"] for v in visits if v["Grower"].casefold() == "fenwick holt"}) == 2
    assert _press_rates() == (Decimal("0.35"), Decimal("0.55"), Decimal("6.00"))
    assert {v["Member"] for v in visits} == {"Y", "N"}
    for grower in {v["Grower"].casefold() for v in visits}:
        assert len({v["Member"] for v in visits if v["Grower"].casefold() == grower}) == 1
    assert fmt(_october_juice(void=True)) != l2_07()
    charges = l3_06()
    assert _grower_charges(fold_case=False) != charges
    assert _grower_charges(void=True) != charges
    assert _grower_charges(minimum=False) != charges


def test_the_cheese_rules_matter() -> None:
    cave = _cave()
    wheels = cave["wheels"]
    assert len({w["id"] for w in wheels}) == len(wheels)
    assert all(isinstance(w["made"], date) for w in wheels)
    assert cave["styles"]["Little Fold"] == {}
    assert {w["status"] for w in wheels} == {"ripening", "Ripening", "RIPENING", "sold", "discarded"}
    assert {w["weight"].split()[1] for w in wheels} == {"kg", "g"}
    # One ripening wheel is ready on the day itself, another the day after.
    ready = {_ready(w) for w in wheels if _ripening(w)}
    assert {date(2026, 12, 24), date(2026, 12, 25)} <= ready
    count = l2_11()
    assert fmt(sum(1 for w in wheels if w["style"] == "Hollins Tomme" and _ripening(w, fold_case=False))) != count
    assert fmt(sum(1 for w in wheels if w["style"] == "Hollins Tomme")) != count
    (wheel,) = [w for w in wheels if w["id"] == "HF-109"]
    assert _style_value(wheel["style"], "ripening_weeks", defaults=False) is None
    value = l3_07()
    assert _ready_value(fold_case=False) != value
    assert _ready_value(convert=False) != value
    assert _ready_value(statuses=False) != value
    assert _ready_value(by=date(2026, 12, 23)) != value


def test_the_erg_rules_matter() -> None:
    rows = _erg_rows()
    assert len({r["Athlete"] for r in rows}) == len(rows)
    assert {r["Status"] for r in rows} == {"OK", "DNF", "DNS", "RETEST"}
    assert all(not r["Time"] for r in rows if r["Status"] in ("DNF", "DNS"))
    assert any(" " in r["Athlete"].split(" ", 1)[1] for r in rows) and any("'" in r["Athlete"] for r in rows)
    # The Junior mean is exact to the tenth; with the RETEST time it would be another.
    mean = _squad_mean()
    assert mean * 10 == (mean * 10).to_integral_value()
    assert _m_ss(_squad_mean(statuses=("OK", "RETEST"))) != l2_08()
    winner = l3_08()
    assert unique_top(_senior_adjusted(statuses=("OK", "RETEST")), lowest=True) != winner
    raw = {r["Athlete"]: _seconds(r["Time"]) for r in rows if r["Squad"] == "Senior" and r["Status"] == "OK"}
    assert unique_top(raw, lowest=True) != winner
    adjusted = sorted(_senior_adjusted().values())
    assert adjusted[1] - adjusted[0] > 1  # a clear winner, whatever the rounding of the weights
