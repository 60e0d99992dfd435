"""The shipped gaia-mini set: every expected answer recomputed from its files, independently of metadata.jsonl.

`EXPECTED` is compared with metadata.jsonl, and the set's shape is checked, by tests/bench/test_gaia_sets.py.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path

GAIA_MINI = Path(__file__).resolve().parents[2] / "benchmarks" / "gaia-mini"


def _csv(name: str) -> list[dict[str, str]]:
    with (GAIA_MINI / name).open(newline="") as f:
        return list(csv.DictReader(f))


def _json(name: str) -> object:
    return json.loads((GAIA_MINI / name).read_text())


def _text(name: str) -> str:
    return (GAIA_MINI / name).read_text()


def _revenue(rows: list[dict[str, str]]) -> float:
    return sum(int(r["units"]) * float(r["unit_price"]) for r in rows)


def _log_lines() -> list[list[str]]:
    return [line.split() for line in _text("server_log.txt").splitlines() if line.strip()]


def _country_totals() -> Counter[str]:
    totals: Counter[str] = Counter()
    for city in _json("cities.json"):  # type: ignore[union-attr]
        totals[city["country"]] += city["population"]
    return totals


def _temps() -> list[int]:
    return [int(r["temp_c"]) for r in _csv("temps.csv")]


def _items() -> list[dict]:
    return _json("inventory.json")["items"]  # type: ignore[index]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# Each expected answer, computed independently of metadata.jsonl (compared with it in test_gaia_sets.py).
EXPECTED: dict[str, Callable[[], str]] = {
    "mini-l1-01": lambda: _fmt(17 * 23),
    "mini-l1-02": lambda: _fmt(1234 + 5678),
    "mini-l1-03": lambda: _fmt(48 * 0.25),
    "mini-l1-04": lambda: _fmt(2**10),
    "mini-l1-05": lambda: _fmt(240 * 15 / 100),
    "mini-l1-06": lambda: _fmt(1000 / 8),
    "mini-l1-07": lambda: _fmt(next(i["stock"] for i in _items() if i["name"] == "blue widget")),
    "mini-l1-08": lambda: _fmt(len(_text("poem.txt").splitlines())),
    "mini-l1-09": lambda: _fmt(sum(int(r["units"]) for r in _csv("sales.csv"))),
    "mini-l1-10": lambda: max(_json("cities.json"), key=lambda c: c["population"])["city"],  # type: ignore
    "mini-l1-11": lambda: _fmt(sum(1 for parts in _log_lines() if parts[2] == "ERROR")),
    "mini-l1-12": lambda: next(r["department"] for r in _csv("employees.csv") if r["name"] == "Dana Whitfield"),
    "mini-l1-13": lambda: ", ".join(sorted(["pear", "apple", "mango"])),
    "mini-l2-01": lambda: _fmt(_revenue([r for r in _csv("sales.csv") if r["region"] == "North"])),
    "mini-l2-02": lambda: _fmt(
        statistics.mean(int(r["salary"]) for r in _csv("employees.csv") if r["department"] == "Engineering")
    ),
    "mini-l2-03": lambda: _fmt(sum(i["stock"] * i["price"] for i in _items() if i["warehouse"] == "B")),
    "mini-l2-04": lambda: _fmt(re.findall(r"[a-z]+", _text("poem.txt").lower()).count("river")),
    "mini-l2-05": lambda: _fmt(max(_temps()) - min(_temps())),
    "mini-l2-06": lambda: _fmt(_country_totals()["Veldia"]),
    "mini-l2-07": lambda: Counter(p[3] for p in _log_lines() if p[2] == "ERROR").most_common(1)[0][0],
    "mini-l2-08": lambda: _fmt(sum(1 for r in _csv("employees.csv") if int(r["start_year"]) < 2018)),
    "mini-l2-09": lambda: max(
        Counter({p: sum(int(r["units"]) for r in _csv("sales.csv") if r["product"] == p)
                 for p in {r["product"] for r in _csv("sales.csv")}}).items(),
        key=lambda kv: kv[1],
    )[0],
    "mini-l2-10": lambda: _fmt(180 / 2.5),
    "mini-l2-11": lambda: ", ".join(sorted(i["name"] for i in _items() if i["stock"] < 10)),
    "mini-l2-12": lambda: _fmt(len(_text("poem.txt").split())),
    "mini-l2-13": lambda: _fmt(3 * 3600 + 15 * 60),
    "mini-l3-01": lambda: _fmt(
        round(100 * _revenue([r for r in _csv("sales.csv") if r["region"] == "South"]) / _revenue(_csv("sales.csv")), 1)
    ),
    "mini-l3-02": lambda: ", ".join(
        r["name"]
        for r in sorted(
            (r for r in _csv("employees.csv") if r["department"] == "Engineering"),
            key=lambda r: -int(r["salary"]),
        )[:2]
    ),
    "mini-l3-03": lambda: _fmt(sum(1 for t in _temps() if t > statistics.mean(_temps()))),
    "mini-l3-04": lambda: _fmt(sum((50 - i["stock"]) * i["price"] for i in _items() if i["stock"] < 50)),
    "mini-l3-05": lambda: _fmt(
        round(100 * sum(1 for p in _log_lines() if p[2] == "ERROR") / len(_log_lines()), 1)
    ),
    "mini-l3-06": lambda: _fmt(statistics.median(c["population"] for c in _json("cities.json"))),  # type: ignore
    "mini-l3-07": lambda: _fmt(round(2000 * 1.05**3, 2)),
    "mini-l3-08": lambda: _country_totals().most_common(1)[0][0],
}
