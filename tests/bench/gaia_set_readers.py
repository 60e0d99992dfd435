"""What every GAIA set's answer recomputation needs: its files read plainly, answers written as the sets write
them, a winner that must be unique. The recomputations themselves stay in each set's test module."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path


def read_text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def read_csv(folder: Path, name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(folder, name)), delimiter=delimiter))


def fmt(value: float) -> str:
    """A number as the sets' answers write it: 12 for 12.0, 12.5 as it is."""
    return str(int(value)) if float(value).is_integer() else str(value)


def unique_top(scores: dict[str, float], *, lowest: bool = False) -> str:
    """The key with the highest (or lowest) score; a tie fails the test, since the set's answer would be ambiguous."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=not lowest)
    assert len(ranked) == 1 or ranked[0][1] != ranked[1][1], f"tie for the top: {ranked[:2]}"
    return ranked[0][0]


def clock(hh_mm: str) -> datetime:
    return datetime.strptime(hh_mm, "%H:%M")
