"""The gaia-dev set (the agents' development set, kept apart from gaia-mini): GAIA-shaped, and every expected
answer recomputed here from its attachment, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py;
this module holds the recomputations and the checks that only this set needs.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

GAIA_DEV = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-dev"


def _csv(name: str) -> list[dict[str, str]]:
    with (GAIA_DEV / name).open(newline="") as f:
        return list(csv.DictReader(f))


def _json(name: str, key: str) -> list[dict]:
    return json.loads((GAIA_DEV / name).read_text())[key]


def _story() -> str:
    return (GAIA_DEV / "story.txt").read_text()


def _log() -> list[list[str]]:
    return [line.split() for line in (GAIA_DEV / "access.log").read_text().splitlines() if line.strip()]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _mean_by(rows: list[dict[str, str]], key: str, value: str) -> dict[str, float]:
    return {k: statistics.mean(int(r[value]) for r in rows if r[key] == k) for k in {r[key] for r in rows}}


def _delivered() -> list[dict]:
    return [s for s in _json("shipments.json", "shipments") if s["status"] == "delivered"]


def _copies(rows: list[dict[str, str]]) -> int:
    return sum(int(r["copies"]) for r in rows)


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "dev-l1-01": lambda: _fmt(46 * 38),
    "dev-l1-02": lambda: _fmt(315 / 3.5),
    "dev-l1-03": lambda: next(r["year"] for r in _csv("library.csv") if r["title"] == "River of Glass"),
    "dev-l1-04": lambda: _fmt(len(re.findall(r"\blantern\b", _story(), re.IGNORECASE))),
    "dev-l1-05": lambda: _fmt(sum(1 for p in _log() if p[4] == "404")),
    "dev-l1-06": lambda: ", ".join(sorted(["walnut", "almond", "pecan", "cashew"])),
    "dev-l1-07": lambda: _fmt(len(_json("team.json", "members"))),
    "dev-l1-08": lambda: _fmt(360 * 15 / 100),
    "dev-l1-09": lambda: _fmt(7**4),
    "dev-l2-01": lambda: _fmt(sum(int(r["pages"]) for r in _csv("library.csv") if r["genre"] == "Fantasy")),
    "dev-l2-02": lambda: _fmt(_copies([r for r in _csv("library.csv") if r["author"] == "Lena Pratt"])),
    "dev-l2-03": lambda: _fmt(sum(s["cost"] for s in _delivered())),
    "dev-l2-04": lambda: _fmt(sum(1 for s in _json("shipments.json", "shipments") if s["weight_kg"] > 100)),
    "dev-l2-05": lambda: _fmt(sum(int(r["rain_mm"]) for r in _csv("rainfall.csv") if r["city"] == "Bergen")),
    "dev-l2-06": lambda: max(
        (r for r in _csv("grades.csv") if r["subject"] == "Physics"), key=lambda r: int(r["score"])
    )["student"],
    "dev-l2-07": lambda: _fmt(sum(int(p[5]) for p in _log() if p[4] == "200")),
    "dev-l2-08": lambda: _fmt(sum(1 for m in _json("team.json", "members") if "python" in m["skills"])),
    "dev-l2-09": lambda: _fmt(len(_story().split())),
    "dev-l3-01": lambda: _fmt(round(max(_mean_by(_csv("rainfall.csv"), "city", "rain_mm").values()), 1)),
    "dev-l3-02": lambda: _fmt(
        round(100 * _copies([r for r in _csv("library.csv") if int(r["year"]) < 1950]) / _copies(_csv("library.csv")), 1)
    ),
    "dev-l3-03": lambda: max(_mean_by(_csv("grades.csv"), "student", "score").items(), key=lambda kv: kv[1])[0],
    "dev-l3-04": lambda: _fmt(
        round(sum(s["cost"] for s in _delivered()) / sum(s["weight_kg"] for s in _delivered()), 2)
    ),
    "dev-l3-05": lambda: Counter(p[3] for p in _log()).most_common(1)[0][0],
    "dev-l3-06": lambda: _fmt(round(2500 * 1.04**6)),
    "dev-l3-07": lambda: ", ".join(
        sorted(m["name"] for m in _json("team.json", "members") if m["age"] > 30 and "sql" in m["skills"])
    ),
}


def test_rounded_answers_are_not_ties() -> None:
    # A value exactly halfway (156.25 to one decimal) rounds differently in Python and by hand: none here.
    best = max(_mean_by(_csv("rainfall.csv"), "city", "rain_mm").values())
    assert round(best * 10 % 1, 6) != 0.5
