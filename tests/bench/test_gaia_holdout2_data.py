"""The gaia-holdout-2 set (written on 2026-12-02, after the agents' prompts were settled; never used to tune them):
every expected answer recomputed here from its attachment, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml

from tests.bench.gaia_set_readers import fmt, unique_top

GAIA_HOLDOUT_2 = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-holdout-2"


# --- readers -------------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return (GAIA_HOLDOUT_2 / name).read_text(encoding="utf-8")


def _csv(name: str) -> list[dict[str, str]]:
    with (GAIA_HOLDOUT_2 / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# matches.csv: a football league's results; postponed matches have empty goal cells.


def _matches(*, postponed_as_draws: bool = False) -> list[tuple[str, str, int, int]]:
    played = []
    for row in _csv("matches.csv"):
        if row["status"] == "played":
            played.append((row["home_team"], row["away_team"], int(row["home_goals"]), int(row["away_goals"])))
        elif postponed_as_draws:
            played.append((row["home_team"], row["away_team"], 0, 0))
    return played


def _league(matches: list[tuple[str, str, int, int]]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"points": 0, "scored": 0, "conceded": 0})
    for home, away, home_goals, away_goals in matches:
        for team, scored, conceded in ((home, home_goals, away_goals), (away, away_goals, home_goals)):
            table[team]["scored"] += scored
            table[team]["conceded"] += conceded
            table[team]["points"] += 3 if scored > conceded else 1 if scored == conceded else 0
    return table


def _ranked_teams(table: dict[str, dict[str, int]]) -> list[str]:
    def key(team: str) -> tuple[int, int, int]:
        row = table[team]
        return (row["points"], row["scored"] - row["conceded"], row["scored"])

    ranked = sorted(table, key=key, reverse=True)
    assert len({key(team) for team in ranked[:4]}) == 4, "the stated rules leave a tie in the top four"
    return ranked


# podcast.json: shows with nested episodes; durations as "minutes:seconds".


def _shows() -> list[dict]:
    return json.loads(_text("podcast.json"))["shows"]


def _episodes() -> list[tuple[str, dict]]:
    return [(show["show"], episode) for show in _shows() for episode in show["episodes"]]


def _minutes(duration: str) -> float:
    minutes, seconds = duration.split(":")
    return int(minutes) + int(seconds) / 60


def _mean_minutes_by_show(year: str | None) -> dict[str, float]:
    durations: dict[str, list[float]] = defaultdict(list)
    for show, episode in _episodes():
        if year is None or episode["published"].startswith(f"{year}-"):
            durations[show].append(_minutes(episode["duration"]))
    return {show: statistics.mean(values) for show, values in durations.items()}


def _night_ferry_minutes() -> float:
    return sum(_minutes(e["duration"]) for show, e in _episodes() if show == "Night Ferry Stories")


# timetable.xml: services with <stop station arr dep/> in calling order.


def _services(*, with_cancelled: bool = False) -> list[tuple[str, list[dict[str, str]]]]:
    root = ET.fromstring(_text("timetable.xml"))
    return [
        (service.get("id", ""), [dict(stop.attrib) for stop in service.iter("stop")])
        for service in root.iter("service")
        if with_cancelled or service.get("status") != "cancelled"
    ]


def _clock(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _journeys(origin: str, destination: str, *, with_cancelled: bool = False) -> list[tuple[str, str, str]]:
    """(service, departure from origin, arrival at destination) for every train calling at both, in that order."""
    found = []
    for service_id, stops in _services(with_cancelled=with_cancelled):
        names = [stop["station"] for stop in stops]
        if origin in names and destination in names and names.index(origin) < names.index(destination):
            found.append((service_id, stops[names.index(origin)]["dep"], stops[names.index(destination)]["arr"]))
    return found


def _earliest_arrival(*, not_before: str, with_cancelled: bool = False) -> str:
    arrivals = [
        arr
        for _, dep, arr in _journeys("Brackwater", "Hollin Quay", with_cancelled=with_cancelled)
        if _clock(dep) >= _clock(not_before)
    ]
    return min(arrivals, key=_clock)


# pharmacy.yaml: a stock list; YAML reads the expiry dates as dates.


def _stock() -> list[dict]:
    return yaml.safe_load(_text("pharmacy.yaml"))["items"]


def _low_stock(*, with_discontinued: bool = False) -> list[str]:
    return sorted(
        item["name"]
        for item in _stock()
        if (with_discontinued or not item.get("discontinued", False))
        and item["packs_in_stock"] <= item["reorder_level"]
    )


def _value_expiring_in_2025(*, with_discontinued: bool = False) -> float:
    return sum(
        item["packs_in_stock"] * item["price_per_pack"]
        for item in _stock()
        if (with_discontinued or not item.get("discontinued", False)) and item["expiry"] < date(2026, 1, 1)
    )


# chess.txt: "Board N: White (rating) - Black (rating)  result", under "Round N" headings.

_GAME = re.compile(r"^\s*Board (\d+): (.+?) \(\d+\) - (.+?) \(\d+\)\s+(1-0|0-1|1/2-1/2)\s*$")


def _games() -> list[tuple[int, int, str, str, str]]:
    """(round, board, white, black, result) for every game."""
    games, round_no = [], 0
    for line in _text("chess.txt").splitlines():
        if heading := re.fullmatch(r"Round (\d+)", line.strip()):
            round_no = int(heading.group(1))
        elif game := _GAME.match(line):
            games.append((round_no, int(game.group(1)), game.group(2), game.group(3), game.group(4)))
    return games


def _scores() -> tuple[Counter[str], Counter[str]]:
    """(points, wins) per player."""
    points: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    for _, _, white, black, result in _games():
        points[white] += {"1-0": 1.0, "0-1": 0.0}.get(result, 0.5)
        points[black] += {"1-0": 0.0, "0-1": 1.0}.get(result, 0.5)
        if result != "1/2-1/2":
            wins[white if result == "1-0" else black] += 1
    return points, wins


# pool_report.txt: a fixed-width report; '-' in the counts means the session did not run.


def _pool_sessions() -> list[dict[str, str]]:
    lines = _text("pool_report.txt").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("DAY "))
    header, rule = lines[header_at], lines[header_at + 1]
    # The dashes under the header mark each column's extent.
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
    names = [header[start:end].strip() for start, end in spans]
    rows = []
    for line in lines[header_at + 2 :]:
        if not re.match(r"^(MON|TUE|WED|THU|FRI|SAT|SUN) ", line):
            continue
        cells = [line[start:end].strip() for start, end in spans[:-1]] + [line[spans[-1][0] :].strip()]
        rows.append(dict(zip(names, cells)))
    return rows


def _attendance(session: dict[str, str]) -> int | None:
    counts = [session[k] for k in ("ADULTS", "JUNIORS", "SENIORS")]
    return None if "-" in counts else sum(int(c) for c in counts)


def _mean_attendance_by_type(*, closed_as_zero: bool = False) -> dict[str, float]:
    totals: dict[str, list[int]] = defaultdict(list)
    for session in _pool_sessions():
        attendance = _attendance(session)
        if attendance is not None or closed_as_zero:
            totals[session["SESSION"]].append(attendance or 0)
    return {name: statistics.mean(values) for name, values in totals.items()}


# greenhouse.log: "key=value" fields; comment lines start with '#'.


def _readings(*, with_faults: bool = False) -> list[dict[str, str]]:
    readings = []
    for line in _text("greenhouse.log").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            fields = dict(pair.split("=", 1) for pair in line.split())
            if with_faults or fields["status"] == "ok":
                readings.append(fields)
    return readings


def _zone_b_humidity(*, with_faults: bool = False) -> float:
    return statistics.mean(
        float(r["value"])
        for r in _readings(with_faults=with_faults)
        if r["zone"] == "B" and r["sensor"] == "humidity"
    )


def _temperature_ranges(day: str, *, with_faults: bool = False) -> dict[str, float]:
    by_zone: dict[str, list[float]] = defaultdict(list)
    for r in _readings(with_faults=with_faults):
        if r["sensor"] == "temp" and r["ts"].split("T")[0] == day:
            by_zone[r["zone"]].append(float(r["value"]))
    return {zone: max(values) - min(values) for zone, values in by_zone.items()}


# bird_count.csv: species names in mixed case; rows with verified = no are unconfirmed sightings.


def _birds(*, with_unverified: bool = False) -> list[dict[str, str]]:
    return [r for r in _csv("bird_count.csv") if with_unverified or r["verified"].strip().lower() == "yes"]


def _goldfinches(*, with_unverified: bool = False, fold_case: bool = True) -> int:
    return sum(
        int(r["count"])
        for r in _birds(with_unverified=with_unverified)
        if (r["species"].casefold() if fold_case else r["species"]) == ("goldfinch" if fold_case else "Goldfinch")
    )


def _species_per_site(*, with_unverified: bool = False, fold_case: bool = True) -> dict[str, int]:
    species: dict[str, set[str]] = defaultdict(set)
    for r in _birds(with_unverified=with_unverified):
        species[r["site"]].add(r["species"].casefold() if fold_case else r["species"])
    return {site: len(names) for site, names in species.items()}


# --- one independent check per task ---------------------------------------------------------------------------


def l1_01() -> str:
    return fmt(2000 * 3 / 8)


def l1_02() -> str:
    row = next(r for r in _csv("matches.csv") if r["match_id"] == "M07")
    return fmt(int(row["home_goals"]) + int(row["away_goals"]))


def l1_03() -> str:
    show = next(s for s in _shows() if s["show"] == "Soil and Signal")
    (guest,) = next(e for e in show["episodes"] if e["number"] == 4)["guests"]
    return guest


def l1_04() -> str:
    stops = dict(_services(with_cancelled=True))["CL104"]
    return next(stop["dep"] for stop in stops if stop["station"] == "Fenmarsh")


def l1_05() -> str:
    return fmt(next(i["packs_in_stock"] for i in _stock() if i["name"] == "Loratadine 10 mg tablets"))


def l1_06() -> str:
    return next(white for round_no, board, white, _, _ in _games() if (round_no, board) == (4, 3))


def l1_07() -> str:
    return fmt(len(re.findall(r"[aeiou]", "encyclopaedia")))


def l1_08() -> str:
    return next(s["ADULTS"] for s in _pool_sessions() if (s["DAY"], s["SESSION"]) == ("WED", "Aquafit"))


def l1_09() -> str:
    return fmt(sum(1 for r in _readings(with_faults=True) if r["status"] == "fault"))


def l1_10() -> str:
    return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][date(2025, 3, 14).weekday()]


def l2_01() -> str:
    return fmt(_league(_matches())["Harbour Rovers"]["scored"])


def l2_02() -> str:
    return fmt(sum(1 for _, e in _episodes() if e["published"][:7] == "2025-03"))


def l2_03() -> str:
    return fmt(sum(1 for _, stops in _services() if any(s["station"] == "Saltings Halt" for s in stops)))


def l2_04() -> str:
    return ", ".join(_low_stock())


def l2_05() -> str:
    return fmt(sum(1 for *_, result in _games() if result == "1/2-1/2"))


def l2_06() -> str:
    return fmt(sum(int(s["JUNIORS"]) for s in _pool_sessions() if s["JUNIORS"] != "-"))


def l2_07() -> str:
    return fmt(round(_zone_b_humidity(), 1))


def l2_08() -> str:
    return fmt(_goldfinches())


def l2_09() -> str:
    return fmt((date(2025, 4, 3) - date(2025, 1, 17)).days)


def l2_10() -> str:
    return fmt(round(_night_ferry_minutes(), 1))


def l2_11() -> str:
    return fmt(sum(1 for _, _, home_goals, away_goals in _matches() if home_goals == away_goals))


def l2_12() -> str:
    points, _ = _scores()
    return fmt(points["Milan Varga"])


def l3_01() -> str:
    return ", ".join(_ranked_teams(_league(_matches()))[:3])


def l3_02() -> str:
    return _earliest_arrival(not_before="08:10")


def l3_03() -> str:
    return fmt(round(_value_expiring_in_2025(), 2))


def l3_04() -> str:
    return unique_top(_temperature_ranges("2025-04-12"))


def _chess_ranking() -> list[str]:
    points, wins = _scores()
    ranked = sorted(points, key=lambda p: (points[p], wins[p]), reverse=True)
    assert len({(points[p], wins[p]) for p in ranked[:4]}) == 4, "the stated rules leave a tie in the top four"
    return ranked


def l3_05() -> str:
    return ", ".join(_chess_ranking()[:3])


def l3_06() -> str:
    return unique_top(_mean_minutes_by_show("2025"))


def l3_07() -> str:
    return unique_top(_species_per_site())


def l3_08() -> str:
    return unique_top(_mean_attendance_by_type())


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "hold2-l1-01": l1_01,
    "hold2-l1-02": l1_02,
    "hold2-l1-03": l1_03,
    "hold2-l1-04": l1_04,
    "hold2-l1-05": l1_05,
    "hold2-l1-06": l1_06,
    "hold2-l1-07": l1_07,
    "hold2-l1-08": l1_08,
    "hold2-l1-09": l1_09,
    "hold2-l1-10": l1_10,
    "hold2-l2-01": l2_01,
    "hold2-l2-02": l2_02,
    "hold2-l2-03": l2_03,
    "hold2-l2-04": l2_04,
    "hold2-l2-05": l2_05,
    "hold2-l2-06": l2_06,
    "hold2-l2-07": l2_07,
    "hold2-l2-08": l2_08,
    "hold2-l2-09": l2_09,
    "hold2-l2-10": l2_10,
    "hold2-l2-11": l2_11,
    "hold2-l2-12": l2_12,
    "hold2-l3-01": l3_01,
    "hold2-l3-02": l3_02,
    "hold2-l3-03": l3_03,
    "hold2-l3-04": l3_04,
    "hold2-l3-05": l3_05,
    "hold2-l3-06": l3_06,
    "hold2-l3-07": l3_07,
    "hold2-l3-08": l3_08,
}


# --- checks only this set needs -------------------------------------------------------------------------------


def test_rounded_answers_are_not_near_a_halfway_point() -> None:
    # A value at (or within float noise of) a halfway point rounds differently by hand and in Python: none here.
    for value, places in ((_zone_b_humidity(), 1), (_night_ferry_minutes(), 1), (_value_expiring_in_2025(), 2)):
        remainder = value * 10**places % 1
        assert abs(remainder - 0.5) > 1e-3, (value, places)


def test_the_league_tie_break_and_the_postponed_matches_matter() -> None:
    table = _league(_matches())
    first, second, third, fourth = _ranked_teams(table)[:4]
    # 2nd and 3rd are level on points; goal difference decides, against alphabetical order.
    assert table[first]["points"] > table[second]["points"] == table[third]["points"] > table[fourth]["points"]
    assert second > third
    # Scoring the postponed matches as 0-0 draws would change the top three.
    assert _ranked_teams(_league(_matches(postponed_as_draws=True)))[:3] != [first, second, third]


def test_the_timetable_traps_are_there() -> None:
    # The cancelled service would arrive earlier; so would a train that leaves Brackwater before 08:10.
    assert _clock(_earliest_arrival(not_before="08:10", with_cancelled=True)) < _clock(l3_02())
    assert _clock(_earliest_arrival(not_before="00:00")) < _clock(l3_02())
    # The earliest arrival is not on the first train out after 08:10 that reaches Hollin Quay: an express overtakes.
    later = [j for j in _journeys("Brackwater", "Hollin Quay") if _clock(j[1]) >= _clock("08:10")]
    journeys = sorted(later, key=lambda j: _clock(j[1]))
    assert journeys[0][2] != l3_02()
    # One train ends short of Hollin Quay, and the eastbound trains call at Hollin Quay before Brackwater.
    assert any(stops[-1]["station"] == "Saltings Halt" for _, stops in _services())
    assert any(stops[0]["station"] == "Hollin Quay" for _, stops in _services())
    # The cancelled service calls at Saltings Halt, so counting it changes l2-03.
    with_cancelled = sum(
        1 for _, stops in _services(with_cancelled=True) if any(s["station"] == "Saltings Halt" for s in stops)
    )
    assert with_cancelled != int(l2_03())


def test_the_stock_list_conditions_matter() -> None:
    assert _low_stock(with_discontinued=True) != _low_stock()
    assert round(_value_expiring_in_2025(with_discontinued=True), 2) != round(_value_expiring_in_2025(), 2)
    # "At or below": some items sit exactly at their reorder level.
    assert any(i["packs_in_stock"] == i["reorder_level"] for i in _stock() if i["name"] in _low_stock())


def test_the_sensor_faults_and_the_day_matter() -> None:
    assert round(_zone_b_humidity(with_faults=True), 1) != round(_zone_b_humidity(), 1)
    assert unique_top(_temperature_ranges("2025-04-12", with_faults=True)) != l3_04()
    assert unique_top(_temperature_ranges("2025-04-11")) != l3_04()


def test_the_chess_tie_break_matters() -> None:
    points, _ = _scores()
    first, second, third, fourth = _chess_ranking()[:4]
    # Three players are level on points behind the winner; wins decide, against alphabetical order.
    assert points[first] > points[second] == points[third] == points[fourth]
    assert sorted([second, third, fourth]) != [second, third, fourth]


def test_the_podcast_year_filter_matters() -> None:
    assert unique_top(_mean_minutes_by_show(None)) != l3_06()


def test_the_bird_count_case_and_verification_matter() -> None:
    assert _goldfinches(fold_case=False) != _goldfinches()
    assert _goldfinches(with_unverified=True) != _goldfinches()
    assert unique_top(_species_per_site(fold_case=False)) != l3_07()
    assert max(_species_per_site(with_unverified=True).items(), key=lambda kv: kv[1])[0] != l3_07()


def test_the_pool_sessions_that_did_not_run_matter() -> None:
    assert unique_top(_mean_attendance_by_type(closed_as_zero=True)) != l3_08()
