"""The gaia-holdout-3 set (written on 2026-12-03, after the agents' prompts were settled; never used to tune them):
every expected answer recomputed here from its attachment, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import fmt, read_csv, read_text, unique_top

GAIA_HOLDOUT_3 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-3"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return read_text(GAIA_HOLDOUT_3, name)


def _csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return read_csv(GAIA_HOLDOUT_3, name, delimiter)


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# bakery_log.csv: a bakery's production log; product names in mixed case, one of them quoted with a comma in it,
# an empty `wasted` cell where waste was not recorded, quoted notes with commas.


def _bakes(*, fold_case: bool = True) -> list[tuple[str, str, int, int | None]]:
    """(date, product, baked, wasted or None) per row."""
    return [
        (
            r["date"],
            r["product"].casefold() if fold_case else r["product"],
            int(r["baked"]),
            int(r["wasted"]) if r["wasted"].strip() else None,
        )
        for r in _csv("bakery_log.csv")
    ]


def _waste_share(*, fold_case: bool = True, missing_as_zero: bool = False) -> dict[str, float]:
    baked: dict[str, int] = defaultdict(int)
    wasted: dict[str, int] = defaultdict(int)
    for _, product, n_baked, n_wasted in _bakes(fold_case=fold_case):
        if n_wasted is None and not missing_as_zero:
            continue
        baked[product] += n_baked
        wasted[product] += n_wasted or 0
    return {product: wasted[product] / baked[product] for product in baked}


# stage_results.csv: a cycling race, one row per rider per stage; DNF/DNS rows have no time.


def _seconds(hms: str) -> int:
    hours, minutes, seconds = (int(part) for part in hms.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _stage_times() -> dict[str, dict[int, int]]:
    """rider -> {stage: seconds} for the stages the rider finished."""
    times: dict[str, dict[int, int]] = {}
    for r in _csv("stage_results.csv"):
        rider = times.setdefault(r["rider"], {})  # every rider listed, finished or not
        if r["status"] == "finished":
            rider[int(r["stage"])] = _seconds(r["time"])
    return times


STAGES = (1, 2, 3, 4)
BONUS = (10, 6, 4)  # seconds off for the fastest, second and third time on a stage


def _bonuses() -> dict[str, int]:
    bonus: dict[str, int] = defaultdict(int)
    times = _stage_times()
    for stage in STAGES:
        ranked = sorted((t[stage], rider) for rider, t in times.items() if stage in t)
        assert len({seconds for seconds, _ in ranked[:4]}) == 4, f"tie in the top four of stage {stage}"
        for (_, rider), seconds_off in zip(ranked, BONUS):
            bonus[rider] += seconds_off
    return bonus


def _general_classification(*, with_bonus: bool = True, all_stages: bool = True) -> list[str]:
    times = _stage_times()
    bonus = _bonuses() if with_bonus else defaultdict(int)
    totals = {
        rider: sum(t.values()) - bonus[rider]
        for rider, t in times.items()
        if t and (not all_stages or set(t) == set(STAGES))
    }

    def key(rider: str) -> tuple[int, int]:
        return (totals[rider], times[rider].get(4, 10**9))

    ranked = sorted(totals, key=key)
    assert len({totals[r] for r in ranked[:4]}) == 4, "tie in the top four; the stage-4 tie-break would decide"
    return ranked


# issues.json: a software project's issue tracker export; issues with nested labels and comments.


def _issues() -> list[dict]:
    return json.loads(_text("issues.json"))["issues"]


def _mean_days_to_close(*, month: str | None = "2025-10") -> dict[str, float]:
    days: dict[str, list[int]] = defaultdict(list)
    for issue in _issues():
        if issue["state"] == "closed" and (month is None or issue["closed"].startswith(f"{month}-")):
            closed, created = date.fromisoformat(issue["closed"]), date.fromisoformat(issue["created"])
            days[issue["assignee"]].append((closed - created).days)
    return {who: statistics.mean(values) for who, values in days.items()}


# gate_changes.jsonl: one gate change per line, merged from two desks and so not in time order.


def _gate_changes() -> list[dict]:
    return [json.loads(line) for line in _text("gate_changes.jsonl").splitlines() if line.strip()]


def _back_at_original_gate(*, file_order: bool = False) -> list[str]:
    by_flight: dict[str, list[dict]] = defaultdict(list)
    for change in _gate_changes():
        by_flight[change["flight"]].append(change)
    back = []
    for flight, changes in by_flight.items():
        if not file_order:
            changes = sorted(changes, key=lambda c: datetime.fromisoformat(c["logged"]))
        if changes[0]["from_gate"] == changes[-1]["to_gate"]:
            back.append(flight)
    return sorted(back)


# ward_rota.tsv: a hospital ward's rota; E 07:00-15:00, L 13:00-21:00, N 21:00-07:30 the next morning.

SHIFTS = {"E": ((7, 0), (15, 0), 0), "L": ((13, 0), (21, 0), 0), "N": ((21, 0), (7, 30), 1)}


def _rota() -> list[dict[str, str]]:
    return _csv("ward_rota.tsv", delimiter="\t")


def _shift_span(day: str, shift: str) -> tuple[datetime, datetime]:
    (start_h, start_m), (end_h, end_m), days_later = SHIFTS[shift]
    d = datetime.fromisoformat(day)
    return d.replace(hour=start_h, minute=start_m), d.replace(hour=end_h, minute=end_m) + timedelta(days=days_later)


def _short_rest(*, night_ends_same_day: bool = False, min_hours: float = 11) -> list[str]:
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in _rota():
        start, end = _shift_span(r["date"], r["shift"])
        if night_ends_same_day and r["shift"] == "N":
            end -= timedelta(days=1)
        spans[r["staff"]].append((start, end))
    breached = []
    for staff, shifts in spans.items():
        shifts.sort()
        if any(nxt[0] - cur[1] < timedelta(hours=min_hours) for cur, nxt in zip(shifts, shifts[1:])):
            breached.append(staff)
    return sorted(breached)


# exam_marks.html: a school's mock exam marks as an HTML table; "abs" marks an absence.


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _marks() -> dict[str, dict[str, int | None]]:
    parser = _TableParser()
    parser.feed(_text("exam_marks.html"))
    header, *rows = parser.rows
    return {
        row[0]: {subject: None if mark == "abs" else int(mark) for subject, mark in zip(header[1:], row[1:])}
        for row in rows
    }


def _student_ranking(*, min_sat: int = 5, absent_as_zero: bool = False, by_maths: bool = True) -> list[str]:
    """Students who sat at least `min_sat` papers, by mean mark (highest first), then by the tie-break."""
    all_marks = _marks()
    means = {}
    for student, marks in all_marks.items():
        sat = [m for m in marks.values() if m is not None]
        if len(sat) >= min_sat:
            counted = [m or 0 for m in marks.values()] if absent_as_zero else sat
            means[student] = statistics.mean(counted)

    def key(student: str) -> tuple[float, int | str]:
        # Same mean: higher Maths mark first (or, for the trap, alphabetical order).
        return (-means[student], -(all_marks[student]["Maths"] or 0) if by_maths else student)

    return sorted(means, key=key)


def _student_means() -> dict[str, float]:
    return {s: statistics.mean(m for m in marks.values() if m is not None) for s, marks in _marks().items()}


# manifest.yaml: a container ship's cargo manifest; containers with nested cargo lists, some held by customs.


def _containers() -> list[dict]:
    return yaml.safe_load(_text("manifest.yaml"))["containers"]


def _cargo_kg(container: dict) -> int:
    return sum(item["kg"] for item in container["cargo"])


def _cargo_by_destination(*, with_held: bool = False, with_tare: bool = False) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for c in _containers():
        if with_held or c["status"] == "loaded":
            totals[c["destination"]] += _cargo_kg(c) + (c["tare_kg"] if with_tare else 0)
    return dict(totals)


# meter.log: syslog-style lines from an energy meter hub (November 2025); only some lines are readings.

_READING = re.compile(
    r"^(\w{3})\s+(\d{1,2}) (\d\d:\d\d:\d\d) meterhub (em\d+): cumulative import ([\d.]+) kWh, quality (\w+)"
)


def _readings(*, with_bad: bool = False) -> dict[str, list[tuple[datetime, float]]]:
    readings: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for line in _text("meter.log").splitlines():
        if m := _READING.match(line):
            month, day, clock, meter, value, quality = m.groups()
            assert month == "Nov"
            if with_bad or quality == "good":
                at = datetime.fromisoformat(f"2025-11-{int(day):02d}T{clock}")
                readings[meter].append((at, float(value)))
    return {meter: sorted(values) for meter, values in readings.items()}


def _consumption(meter: str, *, with_bad: bool = False) -> float:
    values = _readings(with_bad=with_bad)[meter]
    return values[-1][1] - values[0][1]


def _kwh_per_hour(*, window_hours: float | None = None) -> dict[str, float]:
    rates = {}
    for meter, values in _readings().items():
        hours = window_hours or (values[-1][0] - values[0][0]).total_seconds() / 3600
        rates[meter] = (values[-1][1] - values[0][1]) / hours
    return rates


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(2340 * 15 / 100)


def l1_02() -> str:
    (baked,) = [b for d, p, b, _ in _bakes() if (d, p) == ("2025-10-15", "croissant")]
    return fmt(baked)


def l1_03() -> str:
    return _hms(_stage_times()["Niko Abernath"][2])


def l1_04() -> str:
    return date(2028, 2, 29).strftime("%A")


def l1_05() -> str:
    return next(i["assignee"] for i in _issues() if i["number"] == 108)


def l1_06() -> str:
    (change,) = [c for c in _gate_changes() if c["flight"] == "NR907" and c["logged"].endswith("T07:42")]
    return change["to_gate"]


def l1_07() -> str:
    (staff,) = [r["staff"] for r in _rota() if r["date"] == "2025-11-05" and r["shift"] == "N"]
    return staff


def l1_08() -> str:
    return fmt(_marks()["Hester Quill"]["Chemistry"])


def l1_09() -> str:
    return fmt(next(c["tare_kg"] for c in _containers() if c["id"] == "OBXU 772498-1"))


def l1_10() -> str:
    return fmt((datetime(2026, 1, 1, 14, 5) - datetime(2026, 1, 1, 9, 47)).total_seconds() / 60)


def l2_01() -> str:
    return fmt(sum(b for _, p, b, _ in _bakes() if p == "rye, seeded"))


def l2_02() -> str:
    times = _stage_times()["Piet Hazeldine"]
    assert set(times) == set(STAGES)
    return _hms(sum(times.values()))


def l2_03() -> str:
    return fmt(sum(1 for i in _issues() if i["state"] == "open" and "bug" in i["labels"]))


def l2_04() -> str:
    per_flight: dict[str, int] = defaultdict(int)
    for change in _gate_changes():
        per_flight[change["flight"]] += 1
    return fmt(sum(1 for n in per_flight.values() if n > 1))


def l2_05() -> str:
    return fmt(
        sum(1 for r in _rota() if r["staff"] == "Amara Qell" and r["shift"] == "N" and r["date"].startswith("2025-11-"))
    )


def l2_06() -> str:
    return fmt(round(statistics.mean(m["Physics"] for m in _marks().values() if m["Physics"] is not None), 1))


def l2_07() -> str:
    return fmt(sum(c["tare_kg"] + _cargo_kg(c) for c in _containers() if c["type"] == "reefer"))


def l2_08() -> str:
    return fmt(round(_consumption("em207"), 1))


def l2_09() -> str:
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(31)]
    assert all(d.month == 3 for d in days)
    return fmt(sum(1 for d in days if d.weekday() < 5))


def l2_10() -> str:
    return fmt(sum(1 for t in _stage_times().values() if set(t) == set(STAGES)))


def l2_11() -> str:
    return fmt(sum(len(i["comments"]) for i in _issues() if i["milestone"] == "v2.4"))


def l2_12() -> str:
    return fmt(sum(1 for c in _gate_changes() if c["to_gate"].startswith("C")))


def l3_01() -> str:
    return ", ".join(_general_classification()[:3])


def l3_02() -> str:
    top = unique_top(_waste_share())
    # Answer with the name as written in most of its rows.
    spellings = Counter(r["product"] for r in _csv("bakery_log.csv") if r["product"].casefold() == top)
    return spellings.most_common(1)[0][0]


def l3_03() -> str:
    return ", ".join(_short_rest())


def l3_04() -> str:
    return unique_top(_mean_days_to_close(), lowest=True)


def l3_05() -> str:
    return ", ".join(_back_at_original_gate())


def l3_06() -> str:
    return ", ".join(_student_ranking()[:3])


def l3_07() -> str:
    return unique_top(_cargo_by_destination())


def l3_08() -> str:
    return unique_top(_kwh_per_hour())


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold3-l1-01": l1_01,
    "hold3-l1-02": l1_02,
    "hold3-l1-03": l1_03,
    "hold3-l1-04": l1_04,
    "hold3-l1-05": l1_05,
    "hold3-l1-06": l1_06,
    "hold3-l1-07": l1_07,
    "hold3-l1-08": l1_08,
    "hold3-l1-09": l1_09,
    "hold3-l1-10": l1_10,
    "hold3-l2-01": l2_01,
    "hold3-l2-02": l2_02,
    "hold3-l2-03": l2_03,
    "hold3-l2-04": l2_04,
    "hold3-l2-05": l2_05,
    "hold3-l2-06": l2_06,
    "hold3-l2-07": l2_07,
    "hold3-l2-08": l2_08,
    "hold3-l2-09": l2_09,
    "hold3-l2-10": l2_10,
    "hold3-l2-11": l2_11,
    "hold3-l2-12": l2_12,
    "hold3-l3-01": l3_01,
    "hold3-l3-02": l3_02,
    "hold3-l3-03": l3_03,
    "hold3-l3-04": l3_04,
    "hold3-l3-05": l3_05,
    "hold3-l3-06": l3_06,
    "hold3-l3-07": l3_07,
    "hold3-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def test_rounded_answers_are_not_near_a_halfway_point() -> None:
    physics = statistics.mean(m["Physics"] for m in _marks().values() if m["Physics"] is not None)
    for value, places in ((physics, 1), (_consumption("em207"), 1)):
        remainder = value * 10**places % 1
        assert abs(remainder - 0.5) > 1e-3, (value, places)


def test_the_bakery_log_quirks_matter() -> None:
    # The quoted name with a comma in it is one product; a case-sensitive count misses rows.
    rows = _csv("bakery_log.csv")
    assert any(r["product"] == "Rye, seeded" for r in rows) and all(len(r) == 5 for r in rows)
    assert sum(b for _, p, b, _ in _bakes(fold_case=False) if p == "Rye, seeded") != int(l2_01())
    # Case folding and leaving out the unrecorded days both decide the product with the highest waste share.
    assert unique_top(_waste_share(fold_case=False)).casefold() != l3_02().casefold()
    assert unique_top(_waste_share(missing_as_zero=True)).casefold() != l3_02().casefold()


def test_the_stage_race_rules_matter() -> None:
    assert _general_classification(with_bonus=False)[:3] != _general_classification()[:3]
    # A rider who left the race would lead on the time he has.
    assert _general_classification(all_stages=False)[0] not in _general_classification()


def test_the_issue_month_filter_matters() -> None:
    assert unique_top(_mean_days_to_close(month=None), lowest=True) != l3_04()
    assert sum(1 for i in _issues() if "bug" in i["labels"]) != int(l2_03())


def test_the_gate_changes_are_out_of_order_and_that_matters() -> None:
    logged = [c["logged"] for c in _gate_changes()]
    assert logged != sorted(logged)
    assert _back_at_original_gate(file_order=True) != _back_at_original_gate()


def test_the_rota_rest_rule_traps_are_there() -> None:
    # A late shift followed by an early one leaves 10 hours: a breach that a 10-hour rule would miss.
    assert _short_rest(min_hours=10) != _short_rest()
    # Treating the night shift as ending on the day it starts hides a breach.
    assert _short_rest(night_ends_same_day=True) != _short_rest()
    # Amara works nights in October too.
    assert sum(1 for r in _rota() if r["staff"] == "Amara Qell" and r["shift"] == "N") != int(l2_05())


def test_the_exam_ranking_rules_matter() -> None:
    means = _student_means()
    ranking = _student_ranking()
    # Two of the top three are level on their mean; the Maths tie-break goes against alphabetical order.
    assert means[ranking[1]] == means[ranking[2]] and ranking[1] > ranking[2]
    assert _student_ranking(by_maths=False)[:3] != ranking[:3]
    assert _student_ranking(min_sat=0)[:3] != ranking[:3]
    assert _student_ranking(absent_as_zero=True)[:3] != ranking[:3]
    assert len({means[s] for s in ranking[:4]}) == 3 and means[ranking[2]] != means[ranking[3]]


def test_the_manifest_conditions_matter() -> None:
    assert unique_top(_cargo_by_destination(with_held=True)) != l3_07()
    assert unique_top(_cargo_by_destination(with_tare=True)) != l3_07()


def test_the_meter_log_traps_are_there() -> None:
    assert round(_consumption("em207", with_bad=True), 1) != round(_consumption("em207"), 1)
    # Dividing by the whole 48 hours, or ranking by total consumption, names another meter.
    assert unique_top(_kwh_per_hour(window_hours=48)) != l3_08()
    assert unique_top({m: _consumption(m) for m in _readings()}) != l3_08()
