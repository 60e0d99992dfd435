"""The checks every shipped GAIA-shaped set must pass (gaia-mini, gaia-dev, gaia-holdout, gaia-holdout-2 …
gaia-holdout-10).

Each set's answers are recomputed from its attachments by its own module (`EXPECTED` in test_gaia_data.py,
test_gaia_dev_data.py, test_gaia_holdout_data.py, test_gaia_holdout2_data.py, test_gaia_holdout3_data.py,
test_gaia_holdout4_data.py … test_gaia_holdout10_data.py), independently of metadata.jsonl; here they are compared
with metadata.jsonl, and each set's shape is checked: GAIA's fields, unique task ids that name their level, how
many tasks of each level, levels interleaved, attachments present, read in one `read_file` call, and nothing shared
between sets.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentrt.bench.gaia.scorer import question_scorer
from agentrt.bench.gaia.tasks import GaiaTask, load_tasks

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
GAIA_FIELDS = {"task_id", "Question", "Level", "Final answer", "file_name"}
NOT_ATTACHMENTS = {"metadata.jsonl", "README.md"}
READ_FILE_LIMIT = 4000  # characters the read_file tool returns; an answer must not hide past the cut


@dataclass(frozen=True)
class GaiaSet:
    folder: str
    id_prefix: str  # task ids are f"{id_prefix}-l{level}-NN"
    checks: str  # the module under tests/bench whose EXPECTED recomputes every answer
    min_tasks: int
    max_tasks: int | None
    min_per_level: dict[int, int]
    exact_levels: bool = False  # min_per_level is the exact count of each level
    suffixes: frozenset[str] = frozenset()  # attachment kinds the set must include
    attachments: frozenset[str] | None = None  # the exact attachment names, where the set pins them
    max_same_opening: int | None = None  # most questions that may start with the same three words (None: any)

    @property
    def path(self) -> Path:
        return BENCHMARKS / self.folder


# The formats each held-out set from gaia-holdout-5 on covers.
NINE_FORMATS = {".csv", ".html", ".json", ".jsonl", ".log", ".md", ".tsv", ".txt", ".yaml"}


def _holdout(
    number: int, *, attachments: set[str], suffixes: set[str] | None = None, max_same_opening: int | None = None
) -> GaiaSet:
    """A held-out set (gaia-holdout, gaia-holdout-2, ...): exactly 30 tasks, 10/12/8 by Level, its attachments named."""
    number_part = "" if number == 1 else str(number)
    return GaiaSet(
        folder="gaia-holdout" if number == 1 else f"gaia-holdout-{number}",
        id_prefix=f"hold{number_part}",
        checks=f"test_gaia_holdout{number_part}_data",
        min_tasks=30,
        max_tasks=30,
        min_per_level={1: 10, 2: 12, 3: 8},
        exact_levels=True,
        suffixes=frozenset(suffixes or ()),
        attachments=frozenset(attachments),
        max_same_opening=max_same_opening,
    )


SETS = [
    GaiaSet(
        folder="gaia-mini",
        id_prefix="mini",
        checks="test_gaia_data",
        min_tasks=30,
        max_tasks=None,
        min_per_level={1: 10, 2: 10, 3: 5},
        suffixes=frozenset({".csv", ".json", ".txt"}),
    ),
    GaiaSet(
        folder="gaia-dev",
        id_prefix="dev",
        checks="test_gaia_dev_data",
        min_tasks=20,
        max_tasks=30,
        min_per_level={1: 6, 2: 6, 3: 5},
        suffixes=frozenset({".csv", ".json", ".txt", ".log"}),
    ),
    _holdout(
        1,
        attachments={"bike_trips.csv", "huts.md", "loans.tsv", "meeting.txt", "orders.json", "recipes.json",
                     "settings.ini", "weather.csv"},
    ),
    _holdout(
        2,
        suffixes={".csv", ".json", ".log", ".txt", ".xml", ".yaml"},
        attachments={"bird_count.csv", "chess.txt", "greenhouse.log", "matches.csv", "pharmacy.yaml",
                     "podcast.json", "pool_report.txt", "timetable.xml"},
    ),
    _holdout(
        3,
        suffixes={".csv", ".html", ".json", ".jsonl", ".log", ".tsv", ".yaml"},
        attachments={"bakery_log.csv", "exam_marks.html", "gate_changes.jsonl", "issues.json", "manifest.yaml",
                     "meter.log", "stage_results.csv", "ward_rota.tsv"},
    ),
    _holdout(
        4,
        suffixes={".csv", ".ini", ".json", ".jsonl", ".md", ".tsv", ".txt", ".xml"},
        attachments={"box_office.json", "catalogue.xml", "harvest.csv", "hive_inspections.tsv", "lifts.ini",
                     "pick_events.jsonl", "regatta_report.txt", "volunteer_hours.md"},
    ),
    _holdout(
        5,
        suffixes=NINE_FORMATS,
        attachments={"bus_route.md", "catches.json", "crowdfunding.html", "dental_appointments.csv",
                     "garage_report.txt", "hotel_bookings.tsv", "marathon_splits.jsonl", "nursery_stock.yaml",
                     "playout.log"},
    ),
    _holdout(
        6,
        suffixes=NINE_FORMATS,
        attachments={"choir_attendance.md", "ferry_timetable.html", "garden_plots.yaml", "museum_visitors.txt",
                     "ski_rentals.tsv", "tt_tournament.json", "turbine_readings.jsonl", "vet_visits.csv",
                     "water_meter.log"},
    ),
    _holdout(
        7,
        suffixes=NINE_FORMATS,
        attachments={"enrolments.tsv", "fermenter_register.yaml", "kennel_bookings.html", "laundromat_machines.log",
                     "league_results.md", "lock_passages.txt", "locker_events.jsonl", "repair_jobs.json",
                     "weighbridge_tickets.csv"},
        max_same_opening=3,
    ),
    _holdout(
        8,
        suffixes=NINE_FORMATS,
        attachments={"aquarium_tanks.yaml", "escape_rooms.log", "florist_orders.csv", "kiln_firings.html",
                     "lifeboat_launches.md", "planetarium_report.txt", "scout_badges.tsv", "seed_library.json",
                     "tide_gauge.jsonl"},
        max_same_opening=3,
    ),
    _holdout(
        9,
        suffixes=NINE_FORMATS,
        attachments={"bouldering_comp.html", "car_wash.log", "driving_lessons.tsv", "ev_charging.jsonl",
                     "hackathon_scores.json", "makerspace_tools.yaml", "pigeon_race.txt", "shearing_tally.md",
                     "taxi_fares.csv"},
        max_same_opening=3,
    ),
    _holdout(
        10,
        suffixes=NINE_FORMATS,
        attachments={"archery_scores.json", "cheese_cave.yaml", "cider_pressing.md", "coffee_roasts.csv",
                     "piano_tuning.tsv", "rowing_ergs.txt", "stamp_auction.html", "toll_bridge.log",
                     "vending_telemetry.jsonl"},
        max_same_opening=3,
    ),
]


def _rows(gaia_set: GaiaSet) -> list[dict]:
    text = (gaia_set.path / "metadata.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _files(gaia_set: GaiaSet) -> set[str]:
    return {p.name for p in gaia_set.path.iterdir()} - NOT_ATTACHMENTS


def _expected(gaia_set: GaiaSet) -> dict[str, Callable[[], str]]:
    return importlib.import_module(f"tests.bench.{gaia_set.checks}").EXPECTED


def _all_tasks() -> list[tuple[GaiaSet, GaiaTask]]:
    return [(s, task) for s in SETS for task in load_tasks(s.path)]


by_set = pytest.mark.parametrize("gaia_set", SETS, ids=lambda s: s.folder)


# --- shape ----------------------------------------------------------------------------------------------------


@by_set
def test_rows_have_exactly_gaias_fields_and_an_answer(gaia_set: GaiaSet) -> None:
    rows = _rows(gaia_set)
    assert rows
    for row in rows:
        assert set(row) == GAIA_FIELDS, row.get("task_id")
        assert isinstance(row["task_id"], str) and row["task_id"].strip()
        assert isinstance(row["Question"], str) and row["Question"].strip()
        assert isinstance(row["Level"], int) and row["Level"] in (1, 2, 3)
        assert isinstance(row["Final answer"], str) and row["Final answer"].strip(), row["task_id"]
        assert row["Final answer"] == row["Final answer"].strip(), row["task_id"]
        assert isinstance(row["file_name"], str)
    assert len(load_tasks(gaia_set.path)) == len(rows)


@by_set
def test_task_ids_are_unique_and_name_their_level(gaia_set: GaiaSet) -> None:
    rows = _rows(gaia_set)
    assert len({row["task_id"] for row in rows}) == len(rows)
    for row in rows:
        assert re.fullmatch(rf"{re.escape(gaia_set.id_prefix)}-l{row['Level']}-\d\d", row["task_id"]), row["task_id"]


@by_set
def test_size_and_levels(gaia_set: GaiaSet) -> None:
    tasks = load_tasks(gaia_set.path)
    levels = Counter(t.level for t in tasks)
    assert len(tasks) >= gaia_set.min_tasks
    assert gaia_set.max_tasks is None or len(tasks) <= gaia_set.max_tasks
    if gaia_set.exact_levels:
        assert levels == gaia_set.min_per_level
    else:
        assert all(levels[level] >= least for level, least in gaia_set.min_per_level.items()), levels


@pytest.mark.parametrize("gaia_set", [s for s in SETS if s.max_same_opening is not None], ids=lambda s: s.folder)
def test_questions_do_not_all_open_the_same_way(gaia_set: GaiaSet) -> None:
    openings = Counter(" ".join(row["Question"].split()[:3]) for row in _rows(gaia_set))
    assert max(openings.values()) <= gaia_set.max_same_opening, openings.most_common(3)


@by_set
def test_levels_are_interleaved(gaia_set: GaiaSet) -> None:
    # So that --limit K takes a mix of levels.
    assert {t.level for t in load_tasks(gaia_set.path)[:3]} == {1, 2, 3}


@by_set
def test_attachments_are_there_and_of_the_kinds_the_set_needs(gaia_set: GaiaSet) -> None:
    tasks = load_tasks(gaia_set.path)
    attached = {t.attachment.name for t in tasks if t.attachment is not None}
    assert all(t.attachment.is_file() for t in tasks if t.attachment is not None)
    assert gaia_set.suffixes <= {Path(name).suffix for name in attached}
    if gaia_set.attachments is not None:
        assert attached == gaia_set.attachments
    # Every file next to metadata.jsonl (other than the README) is some task's attachment.
    assert _files(gaia_set) == attached
    # Some tasks need no file at all.
    assert any(t.attachment is None for t in tasks)


@by_set
def test_attachments_fit_in_one_read_file_call(gaia_set: GaiaSet) -> None:
    for name in _files(gaia_set):
        assert len((gaia_set.path / name).read_text(encoding="utf-8")) < READ_FILE_LIMIT, name


@by_set
def test_readme_names_the_module_that_recomputes_the_answers(gaia_set: GaiaSet) -> None:
    assert f"tests/bench/{gaia_set.checks}.py" in (gaia_set.path / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("pair", list(itertools.combinations(SETS, 2)), ids=lambda p: f"{p[0].folder}-{p[1].folder}")
def test_sets_share_no_files_questions_or_task_ids(pair: tuple[GaiaSet, GaiaSet]) -> None:
    one, other = pair
    assert not _files(one) & _files(other)
    assert not {t.question for t in load_tasks(one.path)} & {t.question for t in load_tasks(other.path)}
    assert not {t.task_id for t in load_tasks(one.path)} & {t.task_id for t in load_tasks(other.path)}


# --- answers --------------------------------------------------------------------------------------------------


@by_set
def test_every_task_has_an_independent_check(gaia_set: GaiaSet) -> None:
    expected = _expected(gaia_set)
    tasks = load_tasks(gaia_set.path)
    assert len(expected) == len(tasks)
    assert {t.task_id for t in tasks} == set(expected)


@pytest.mark.parametrize(
    ("gaia_set", "task"), _all_tasks(), ids=lambda x: x.folder if isinstance(x, GaiaSet) else x.task_id
)
def test_expected_answer_matches_its_attachment(gaia_set: GaiaSet, task: GaiaTask) -> None:
    computed = _expected(gaia_set)[task.task_id]()
    assert computed == task.final_answer
    assert question_scorer(computed, task.final_answer)
