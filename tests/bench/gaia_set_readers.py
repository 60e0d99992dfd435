"""What every GAIA set's answer recomputation needs: its files read plainly, answers written as the sets write
them, a winner that must be unique. The recomputations themselves stay in each set's test module."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path


def read_text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def read_csv(folder: Path, name: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(folder, name)), delimiter=delimiter))


def read_metadata(folder: Path) -> dict[str, dict]:
    """The set's metadata.jsonl rows by task id."""
    rows = [json.loads(line) for line in read_text(folder, "metadata.jsonl").splitlines() if line.strip()]
    return {row["task_id"]: row for row in rows}


class HtmlTables(HTMLParser):
    """An HTML page's tables as rows of cell texts, keyed by each table's id (``table0``, ``table1`` ... without)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> dict[str, list[list[str]]]:
    parser = HtmlTables()
    parser.feed(text)
    return parser.tables


def fmt(value: float) -> str:
    """A number as the sets' answers write it: 12 for 12.0, 12.5 as it is."""
    return str(int(value)) if float(value).is_integer() else str(value)


def decimal_of(cell: str) -> Decimal:
    """A cell's number, thousands separators dropped; a blank cell is 0."""
    return Decimal(cell.replace(",", "").strip() or "0")


def money(value: Decimal) -> str:
    """An amount to the penny, halves up (12.345 -> 12.35), as the sets write money."""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rounded(value: float, places: int) -> str:
    """``value`` to ``places`` decimals, halves up, as the sets' questions ask."""
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def far_from_half(value: float, places: int) -> bool:
    """Whether rounding `value` to `places` decimals is safe: its next digits are not near a half."""
    return abs(value * 10**places % 1 - 0.5) > 0.05


def unique_top(scores: dict[str, float], *, lowest: bool = False) -> str:
    """The key with the highest (or lowest) score; a tie fails the test, since the set's answer would be ambiguous."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=not lowest)
    assert len(ranked) == 1 or ranked[0][1] != ranked[1][1], f"tie for the top: {ranked[:2]}"
    return ranked[0][0]


def clock(hh_mm: str) -> datetime:
    return datetime.strptime(hh_mm, "%H:%M")
