"""The gaia-holdout-5 set (written on 2026-12-03 by someone who did not read the agents' prompts; never used to tune
them): every expected answer recomputed here from its attachment or its question, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import HtmlTables, clock, fmt, read_csv, read_text, unique_top

GAIA_HOLDOUT_5 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-5"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_5, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_5, name, delimiter)


def _minutes_between(start: str, end: str) -> int:
    return int((clock(end) - clock(start)).total_seconds() // 60)


def _seconds(h_mm_ss: str) -> int:
    """'3:41' (m:ss) or '1:45:10' (h:mm:ss) as seconds."""
    total = 0
    for part in h_mm_ss.split(":"):
        total = total * 60 + int(part)
    return total


# dental_appointments.csv: a dental clinic's appointment list; patient names and treatments quoted with a comma in
# them, dentist names typed in varying letter case, fees of a thousand pounds or more quoted with a thousands
# separator, empty fee cells on cancelled appointments, quoted notes with commas.


def _appointments() -> list[dict[str, str]]:
    return _csv("dental_appointments.csv")


def _fee(row: dict[str, str]) -> int:
    return int(row["fee_gbp"].replace(",", "")) if row["fee_gbp"].strip() else 0


def _dentist(row: dict[str, str], *, fold_case: bool = True) -> str:
    return row["dentist"].casefold() if fold_case else row["dentist"]


def _no_show_rates(*, fold_case: bool = True, cancelled_in_denominator: bool = False) -> dict[str, float]:
    booked: dict[str, int] = defaultdict(int)
    no_shows: dict[str, int] = defaultdict(int)
    for r in _appointments():
        who = _dentist(r, fold_case=fold_case)
        if r["status"] == "Cancelled" and not cancelled_in_denominator:
            continue
        booked[who] += 1
        no_shows[who] += r["status"] == "No-show"
    return {who: no_shows[who] / booked[who] for who in booked}


def _surname(dentist: str) -> str:
    return dentist.split()[-1].capitalize()


def _brandt_march_fees(*, fold_case: bool = True, with_no_shows: bool = False, any_month: bool = False) -> int:
    name = "Dr Ilse Brandt"
    return sum(
        _fee(r)
        for r in _appointments()
        if (r["dentist"].casefold() == name.casefold() if fold_case else r["dentist"] == name)
        and (r["status"] == "Attended" or (with_no_shows and r["status"] == "No-show"))
        and (any_month or r["date"].startswith("2026-03-"))
    )


# catches.json: a fishing cooperative's trips for one month: vessels with nested trips, each with landed and
# discarded kilograms by species.


def _fleet() -> list[dict]:
    return json.loads(_text("catches.json"))["vessels"]


def _cod_landed_at(port: str, month: str, *, by: str = "landed", with_discards: bool = False) -> int:
    total = 0
    for vessel in _fleet():
        for trip in vessel["trips"]:
            if trip["port"] == port and trip[by].startswith(f"{month}-"):
                total += trip["landings"].get("cod", 0)
                if with_discards:
                    total += trip["discards"].get("cod", 0)
    return total


def _kg_per_sea_day(*, inclusive: bool = True, with_discards: bool = False) -> dict[str, float]:
    rates = {}
    for vessel in _fleet():
        kg = days = 0
        for trip in vessel["trips"]:
            kg += sum(trip["landings"].values()) + (sum(trip["discards"].values()) if with_discards else 0)
            span = (date.fromisoformat(trip["landed"]) - date.fromisoformat(trip["sailed"])).days
            days += span + 1 if inclusive else span
        rates[vessel["name"]] = kg / days
    return rates


# marathon_splits.jsonl: a marathon's split times, one runner per line: chip times from each runner's own start,
# the start delay after the gun, null where a mat missed the runner or the runner did not finish.


def _runners() -> list[dict]:
    return [json.loads(line) for line in _text("marathon_splits.jsonl").splitlines() if line.strip()]


def _finishers() -> list[dict]:
    return [r for r in _runners() if r["status"] == "finished"]


def _negative_splits(*, strictly: bool = True) -> int:
    count = 0
    for r in _finishers():
        first = _seconds(r["splits"]["half"])
        second = _seconds(r["splits"]["finish"]) - first
        count += second < first if strictly else second <= first
    return count


def _podium(category: str, *, gun: bool = True) -> list[str]:
    times = {
        r["name"]: _seconds(r["splits"]["finish"]) + (_seconds(r["start_delay"]) if gun else 0)
        for r in _finishers()
        if r["cat"] == category
    }
    ranked = sorted(times, key=times.__getitem__)
    assert times[ranked[2]] != times[ranked[3]], "tie for third"
    assert len(set(times[n] for n in ranked[:3])) == 3, "tie on the podium"
    return ranked[:3]


# hotel_bookings.tsv: a small hotel's bookings for April 2026 (with stays either side), with cancelled and
# no-show bookings among them.


def _bookings() -> list[dict[str, str]]:
    return _csv("hotel_bookings.tsv", delimiter="\t")


def _nights(b: dict[str, str]) -> int:
    return (date.fromisoformat(b["check_out"]) - date.fromisoformat(b["check_in"])).days


def _occupied(night: date, *, checkout_night: bool = False, all_statuses: bool = False) -> int:
    count = 0
    for b in _bookings():
        if b["status"] != "stayed" and not all_statuses:
            continue
        start, end = date.fromisoformat(b["check_in"]), date.fromisoformat(b["check_out"])
        count += (start <= night <= end) if checkout_night else (start <= night < end)
    return count


NIGHTS = [date(2026, 4, 10) + timedelta(days=i) for i in range(7)]


def _busiest_night(**rules: bool) -> str:
    return unique_top({night.isoformat(): _occupied(night, **rules) for night in NIGHTS})


def _suite_revenue(*, all_statuses: bool = False, april_nights_only: bool = False) -> int:
    total = 0
    for b in _bookings():
        if b["room_type"] != "Suite" or not b["check_in"].startswith("2026-04-"):
            continue
        if b["status"] != "stayed" and not all_statuses:
            continue
        nights = _nights(b)
        if april_nights_only:
            nights = min(date.fromisoformat(b["check_out"]), date(2026, 5, 1)).toordinal() - date.fromisoformat(
                b["check_in"]
            ).toordinal()
        total += nights * int(b["rate_gbp"])
    return total


# playout.log: a radio station's playout log for one morning, read line by line with a regular expression.

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (PLAY|CUT|TALK|AD|JINGLE|END)\s+(.*?)(?: \[(\d+:\d\d)\])?$")


def _playout() -> list[dict]:
    events = []
    for line in _text("playout.log").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = LOG_LINE.match(line)
        assert m, line
        stamp, kind, what, length = m.groups()
        events.append({"at": datetime.fromisoformat(stamp), "kind": kind, "what": what, "length": length})
    return events


def _artist(event: dict) -> str:
    return event["what"].split(" - ")[0]


def _plays_by_artist(*, before: str | None = "07:00:00") -> Counter:
    counts: Counter = Counter()
    for e in _playout():
        if e["kind"] == "PLAY" and (before is None or e["at"].strftime("%H:%M:%S") < before):
            counts[_artist(e)] += 1
    return counts


def _music_seconds(*, honour_cuts: bool = True) -> int:
    events = _playout()
    total = 0
    for e, following in zip(events, events[1:] + [None]):
        if e["kind"] != "PLAY":
            continue
        if honour_cuts and following is not None and following["kind"] == "CUT":
            assert following["what"] == e["what"]
            total += int((following["at"] - e["at"]).total_seconds())
        else:
            total += _seconds(e["length"])
    return total


# garage_report.txt: a multi-storey car park's daily ticket report, space-aligned, with spaces inside the plates
# and in one ticket type; --:-- where a vehicle had not left when the report was printed.


def _tickets() -> list[dict[str, str]]:
    lines = _text("garage_report.txt").splitlines()
    (header_at,) = [i for i, line in enumerate(lines) if line.startswith("Ticket ")]
    header = lines[header_at]
    names = ["Ticket", "Plate", "Entry", "Exit", "Level", "Ticket type"]
    starts = [header.index(n) for n in names]
    rows = []
    for line in lines[header_at + 2 :]:
        if line.startswith("-"):
            break
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return rows


def _left(t: dict[str, str]) -> bool:
    return t["Exit"] != "--:--"


def _long_stays(*, hours: int = 3, at_least: bool = False, printed_at: str | None = None) -> int:
    count = 0
    for t in _tickets():
        end = t["Exit"] if _left(t) else printed_at
        if end is None:
            continue
        stay = _minutes_between(t["Entry"], end)
        count += stay >= hours * 60 if at_least else stay > hours * 60
    return count


def _hourly_takings_pence(*, started_hours: bool = True, cap: int | None = 1400) -> int:
    total = 0
    for t in _tickets():
        if t["Ticket type"] != "Hourly" or not _left(t):
            continue
        minutes = _minutes_between(t["Entry"], t["Exit"])
        hours = math.ceil(minutes / 60) if started_hours else max(1, minutes // 60)
        fee = 250 + 180 * (hours - 1)
        total += fee if cap is None else min(fee, cap)
    return total


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


# nursery_stock.yaml: a plant nursery's stock take: sections, plants, and pot sizes, with a defaults block that a
# plant's own reorder_at overrides.


def _nursery() -> dict:
    return yaml.safe_load(_text("nursery_stock.yaml"))


def _reorder_lines(*, use_own: bool = True, at_or_below: bool = True) -> int:
    data = _nursery()
    default = data["defaults"]["reorder_at"]
    count = 0
    for section in data["sections"]:
        for plant in section["plants"]:
            level = plant.get("reorder_at", default) if use_own else default
            for size in plant["sizes"]:
                count += size["qty"] <= level if at_or_below else size["qty"] < level
    return count


# crowdfunding.html: a crowdfunding campaign's backer page: a tiers table and a pledges table (ordered by backer
# name, not by date), amounts with a pound sign and a thousands separator.


class _Tables(HtmlTables):
    """The page's tables, and the text of its goal paragraph (<p class="goal">)."""

    def __init__(self) -> None:
        super().__init__()
        self.goal_text = ""
        self._in_goal = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        if tag == "p" and dict(attrs).get("class") == "goal":
            self._in_goal = True

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if tag == "p":
            self._in_goal = False

    def handle_data(self, data: str) -> None:
        super().handle_data(data)
        if self._in_goal:
            self.goal_text += data


def _page() -> _Tables:
    parser = _Tables()
    parser.feed(_text("crowdfunding.html"))
    return parser


def _pounds_cell(text: str) -> int:
    return int(text.replace("£", "").replace(",", ""))


def _pledges() -> list[dict[str, str]]:
    header, *rows = _page().tables["pledges"]
    return [dict(zip(header, row)) for row in rows]


def _goal() -> int:
    (amount,) = re.findall(r"£([\d,]+)", _page().goal_text)
    return _pounds_cell(amount)


def _goal_reached_on(*, by_date: bool = True, collected_only: bool = True) -> str:
    pledges = [p for p in _pledges() if p["Payment"] == "Collected" or not collected_only]
    if by_date:
        pledges.sort(key=lambda p: p["Pledged on"])
    running = 0
    for p in pledges:
        running += _pounds_cell(p["Amount"])
        if running >= _goal():
            return p["Pledged on"]
    raise AssertionError("goal never reached")


# bus_route.md: a school bus route's week of stop times as a Markdown table; a dash where a stop was not served.


def _stop_times() -> list[dict[str, str]]:
    rows = [line for line in _text("bus_route.md").splitlines() if line.startswith("|")]
    header, _, *body = ([cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows)
    return [dict(zip(header, cells)) for cells in body]


def _served(r: dict[str, str]) -> bool:
    return r["Actual"] != "—"


def _lateness(r: dict[str, str]) -> int:
    return _minutes_between(r["Scheduled"], r["Actual"])


def _late_arrivals(*, over: int = 2, at_least: bool = False) -> int:
    return sum(
        1 for r in _stop_times() if _served(r) and (_lateness(r) >= over if at_least else _lateness(r) > over)
    )


def _mean_lateness(*, early_as_zero: bool = False, unserved_as_zero: bool = False) -> dict[str, float]:
    late: dict[str, list[int]] = defaultdict(list)
    for r in _stop_times():
        if not _served(r):
            if unserved_as_zero:
                late[r["Stop"]].append(0)
            continue
        minutes = _lateness(r)
        late[r["Stop"]].append(max(0, minutes) if early_as_zero else minutes)
    return {stop: sum(v) / len(v) for stop, v in late.items()}


# --- the tasks with no attachment ----------------------------------------------------------------------------

SENTENCE = "Only two foxes trotted along the cold shore before noon, looking for crabs."
WORD = "KITTIWAKE"
HOLD_M3, FOOT_M = 38, 0.3048


def _words_with(letter: str) -> int:
    words = [re.sub(r"[^A-Za-z]", "", w) for w in SENTENCE.split()]
    return sum(1 for w in words if letter in w.lower())


def _weekdays(first: date, last: date) -> int:
    return sum(1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)


def _shift(word: str, by: int) -> str:
    return "".join(chr((ord(c) - ord("A") + by) % 26 + ord("A")) for c in word)


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(_words_with("o"))


def l1_02() -> str:
    (row,) = [r for r in _appointments() if r["appt_id"] == "A-0307"]
    return fmt(_fee(row))


def l1_03() -> str:
    (vessel,) = [v for v in _fleet() if v["name"] == "Glasrock"]
    (trip,) = [t for t in vessel["trips"] if t["sailed"] == "2026-02-09"]
    return fmt(trip["landings"]["haddock"])


def l1_04() -> str:
    (runner,) = [r for r in _runners() if r["bib"] == 2217]
    return runner["splits"]["half"]


def l1_05() -> str:
    (booking,) = [b for b in _bookings() if b["booking"] == "HM-5521"]
    return fmt(_nights(booking))


def l1_06() -> str:
    (event,) = [e for e in _playout() if e["kind"] == "PLAY" and e["at"].strftime("%H:%M:%S") == "07:27:25"]
    return _artist(event)


def l1_07() -> str:
    (ticket,) = [t for t in _tickets() if t["Plate"] == "HC66 LOS"]
    return ticket["Exit"]


def l1_08() -> str:
    (plant,) = [p for s in _nursery()["sections"] for p in s["plants"] if p["name"] == "Lavandula 'Hidcote'"]
    (size,) = [s for s in plant["sizes"] if s["pot"] == "2L"]
    return fmt(size["qty"])


def l1_09() -> str:
    (pledge,) = [p for p in _pledges() if p["Backer"] == "Anouk Visser"]
    return pledge["Tier"]


def l1_10() -> str:
    return fmt(round(HOLD_M3 / FOOT_M**3))


def l2_01() -> str:
    return fmt(_brandt_march_fees())


def l2_02() -> str:
    return fmt(_cod_landed_at("Balnacraig", "2026-02"))


def l2_03() -> str:
    return fmt(_negative_splits())


def l2_04() -> str:
    return fmt(_suite_revenue())


def l2_05() -> str:
    return unique_top(dict(_plays_by_artist()))


def l2_06() -> str:
    return fmt(_long_stays())


def l2_07() -> str:
    return fmt(_reorder_lines())


def l2_08() -> str:
    return fmt(sum(_pounds_cell(p["Amount"]) for p in _pledges() if p["Payment"] == "Collected"))


def l2_09() -> str:
    return fmt(_late_arrivals())


def l2_10() -> str:
    return fmt(_weekdays(date(2026, 2, 18), date(2026, 3, 13)))


def l2_11() -> str:
    songs, breaks, jingles = 13 * (3 * 60 + 38), 4 * (2 * 60 + 15), 6 * 8
    return fmt(3600 - songs - breaks - jingles)


def l2_12() -> str:
    return _shift(WORD, -3)


def l3_01() -> str:
    return _surname(unique_top(_no_show_rates()))


def l3_02() -> str:
    return unique_top(_kg_per_sea_day())


def l3_03() -> str:
    return ", ".join(_podium("F40"))


def l3_04() -> str:
    return _busiest_night()


def l3_05() -> str:
    return fmt(_music_seconds())


def l3_06() -> str:
    return _pounds(_hourly_takings_pence())


def l3_07() -> str:
    return _goal_reached_on()


def l3_08() -> str:
    return unique_top(_mean_lateness())


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold5-l1-01": l1_01,
    "hold5-l1-02": l1_02,
    "hold5-l1-03": l1_03,
    "hold5-l1-04": l1_04,
    "hold5-l1-05": l1_05,
    "hold5-l1-06": l1_06,
    "hold5-l1-07": l1_07,
    "hold5-l1-08": l1_08,
    "hold5-l1-09": l1_09,
    "hold5-l1-10": l1_10,
    "hold5-l2-01": l2_01,
    "hold5-l2-02": l2_02,
    "hold5-l2-03": l2_03,
    "hold5-l2-04": l2_04,
    "hold5-l2-05": l2_05,
    "hold5-l2-06": l2_06,
    "hold5-l2-07": l2_07,
    "hold5-l2-08": l2_08,
    "hold5-l2-09": l2_09,
    "hold5-l2-10": l2_10,
    "hold5-l2-11": l2_11,
    "hold5-l2-12": l2_12,
    "hold5-l3-01": l3_01,
    "hold5-l3-02": l3_02,
    "hold5-l3-03": l3_03,
    "hold5-l3-04": l3_04,
    "hold5-l3-05": l3_05,
    "hold5-l3-06": l3_06,
    "hold5-l3-07": l3_07,
    "hold5-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    rows = [json.loads(line) for line in _text("metadata.jsonl").splitlines() if line.strip()]
    return {row["task_id"]: row for row in rows}


def test_questions_without_a_file_carry_their_data() -> None:
    questions = {tid: row["Question"] for tid, row in _metadata().items() if not row["file_name"]}
    assert set(questions) == {"hold5-l1-01", "hold5-l1-10", "hold5-l2-10", "hold5-l2-11", "hold5-l2-12"}
    assert SENTENCE in questions["hold5-l1-01"]
    assert WORD in questions["hold5-l2-12"]
    for needed, tid in (("38 cubic metres", "hold5-l1-10"), ("0.3048", "hold5-l1-10"),
                        ("2026-02-18", "hold5-l2-10"), ("2026-03-13", "hold5-l2-10"),
                        ("13 songs", "hold5-l2-11"), ("3 minutes 38 seconds", "hold5-l2-11"),
                        ("4 advert breaks of 2 minutes 15 seconds", "hold5-l2-11"), ("6 jingles of 8 seconds",
                                                                                     "hold5-l2-11")):
        assert needed in questions[tid], (needed, tid)


def test_each_attachment_serves_the_tasks_that_name_it() -> None:
    files = Counter(row["file_name"] for row in _metadata().values() if row["file_name"])
    assert files == {
        "dental_appointments.csv": 3, "catches.json": 3, "marathon_splits.jsonl": 3, "hotel_bookings.tsv": 3,
        "playout.log": 3, "garage_report.txt": 3, "nursery_stock.yaml": 2, "crowdfunding.html": 3,
        "bus_route.md": 2,
    }


def test_the_no_file_rules_matter() -> None:
    # Counting the letter rather than the words that hold it gives another number.
    assert SENTENCE.lower().count("o") != int(l1_01())
    assert not float(HOLD_M3 / FOOT_M**3).is_integer()
    assert abs(HOLD_M3 / FOOT_M**3 % 1 - 0.5) > 0.05
    # Both end dates are weekdays, so leaving either out changes the count.
    assert _weekdays(date(2026, 2, 19), date(2026, 3, 12)) != int(l2_10())
    assert date(2026, 2, 18).weekday() == 2 and date(2026, 3, 13).weekday() == 4
    assert _shift(WORD, 3) != l2_12()
    assert int(l2_11()) > 0


def test_the_dental_list_quirks_matter() -> None:
    rows = _appointments()
    assert all(len(r) == 9 and None not in r for r in rows)
    assert any("," in r["patient"] for r in rows) and any("," in r["treatment"] for r in rows)
    assert any("," in r["fee_gbp"] for r in rows)
    assert any(not r["fee_gbp"].strip() for r in rows)
    assert {r["status"] for r in rows} == {"Attended", "Cancelled", "No-show"}
    # Three dentists, each typed in more than one letter case.
    assert len({_dentist(r) for r in rows}) == 3 and len({r["dentist"] for r in rows}) > 3
    march = _brandt_march_fees()
    assert _brandt_march_fees(fold_case=False) != march
    assert _brandt_march_fees(with_no_shows=True) != march
    assert _brandt_march_fees(any_month=True) != march
    top = l3_01()
    assert _surname(unique_top(_no_show_rates(cancelled_in_denominator=True))) != top
    assert _surname(unique_top(_no_show_rates(fold_case=False))) != top


def test_the_catch_rules_matter() -> None:
    cod = int(l2_02())
    assert _cod_landed_at("Balnacraig", "2026-02", by="sailed") != cod
    assert _cod_landed_at("Balnacraig", "2026-02", with_discards=True) != cod
    assert sum(_cod_landed_at(port, "2026-02") for port in ("Balnacraig", "Skerrow")) != cod
    best = l3_02()
    assert unique_top(_kg_per_sea_day(inclusive=False)) != best
    assert unique_top(_kg_per_sea_day(with_discards=True)) != best
    for vessel in _fleet():
        for trip in vessel["trips"]:
            assert trip["sailed"] < trip["landed"]


def test_the_marathon_rules_matter() -> None:
    runners = _runners()
    assert len({r["bib"] for r in runners}) == len(runners)
    for r in runners:
        times = [_seconds(t) for t in r["splits"].values() if t is not None]
        assert times == sorted(times), r["bib"]
        assert (r["splits"]["finish"] is None) == (r["status"] == "DNF")
    assert _negative_splits(strictly=False) != int(l2_03())
    assert any(r["status"] == "DNF" and r["cat"] == "F40" for r in runners)
    assert _podium("F40", gun=False) != _podium("F40")


def test_the_hotel_rules_matter() -> None:
    bookings = _bookings()
    assert {b["status"] for b in bookings} == {"stayed", "cancelled", "no-show"}
    # No room holds two stayed bookings on one night.
    nights_taken: set[tuple[str, date]] = set()
    for b in bookings:
        if b["status"] != "stayed":
            continue
        start = date.fromisoformat(b["check_in"])
        for n in range(_nights(b)):
            key = (b["room"], start + timedelta(days=n))
            assert key not in nights_taken, key
            nights_taken.add(key)
    busiest = l3_04()
    assert _busiest_night(checkout_night=True) != busiest
    assert _busiest_night(all_statuses=True) != busiest
    assert _suite_revenue(all_statuses=True) != int(l2_04())
    assert _suite_revenue(april_nights_only=True) != int(l2_04())


def test_the_playout_log_is_consistent_and_its_rules_matter() -> None:
    events = _playout()
    # Each item starts when the one before it ended: after its full length, or at its CUT line.
    for e, following in zip(events, events[1:]):
        if e["kind"] == "CUT":
            continue
        gap = int((following["at"] - e["at"]).total_seconds())
        if following["kind"] == "CUT":
            assert gap < _seconds(e["length"])
        else:
            assert gap == _seconds(e["length"]), e
    assert sum(1 for e in events if e["kind"] == "CUT") >= 3
    assert _music_seconds(honour_cuts=False) != int(l3_05())
    assert unique_top(dict(_plays_by_artist(before=None))) != l2_05()


def test_the_car_park_rules_matter() -> None:
    tickets = _tickets()
    assert len(tickets) == 24 and len({t["Plate"] for t in tickets}) == 24
    assert {t["Ticket type"] for t in tickets} == {"Hourly", "Season", "Blue Badge"}
    assert all(" " in t["Plate"] for t in tickets)
    assert _long_stays(at_least=True) != int(l2_06())
    assert _long_stays(printed_at="23:30") != int(l2_06())
    pence = _hourly_takings_pence()
    assert _hourly_takings_pence(cap=None) != pence
    assert _hourly_takings_pence(started_hours=False) != pence
    # Some stays are whole hours, so "every started hour" must not round 2:00 up to three.
    assert any(_minutes_between(t["Entry"], t["Exit"]) % 60 == 0 for t in tickets if _left(t))


def test_the_nursery_rules_matter() -> None:
    count = int(l2_07())
    assert _reorder_lines(use_own=False) != count
    assert _reorder_lines(at_or_below=False) != count


def test_the_crowdfunding_rules_matter() -> None:
    pledges = _pledges()
    assert [p["Backer"] for p in pledges] == sorted(p["Backer"] for p in pledges)
    assert [p["Pledged on"] for p in pledges] != sorted(p["Pledged on"] for p in pledges)
    assert _goal() == 6000
    assert sum(_pounds_cell(p["Amount"]) for p in pledges) != int(l2_08())
    reached = l3_07()
    assert _goal_reached_on(by_date=False) != reached
    assert _goal_reached_on(collected_only=False) != reached


def test_the_bus_rules_matter() -> None:
    rows = _stop_times()
    assert len(rows) == 30 and sum(1 for r in rows if not _served(r)) == 1
    assert _late_arrivals(at_least=True) != int(l2_09())
    worst = l3_08()
    assert unique_top(_mean_lateness(early_as_zero=True)) != worst
    assert unique_top(_mean_lateness(unserved_as_zero=True)) != worst
