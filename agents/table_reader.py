"""``read_table(path)``: the rows of a table file as a list of dicts, whatever the table's format.

A small code model reads every attachment with ``csv.DictReader``. Told that a file is a markdown table, an HTML
page or a report aligned with spaces, it still has to write the parser, and on held-out tasks the 1.5B model did
not manage it in six steps (it split dicts on '|', indexed a title line as a header). With one function that
reads them all, the code it writes for a CSV file works for every table. Whole numbers, decimals and amounts
with a fraction sign ("1½") come back as numbers (what ``int(row["qty"])`` wanted anyway); every other cell stays
text. A file with several tables (a page's price list above its bookings) must be told which one: returning the
first in silence handed the model the price list when it wanted the bookings.

This module runs in two places: the agents import it (the format line in the workspace preview finds tables with
it), and its source is put into the python tool's sandbox as it is, so model code can call ``read_table``. It
therefore imports nothing but the standard library, and has no ``from __future__`` line.
"""

import csv
import io
import json
import re
import unicodedata
from html.parser import HTMLParser

TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")  # a markdown table's row: | a | b |
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")  # its |---|---| line
ALIGNED_CELL = re.compile(r"\S+(?: \S+)*")  # a cell of a space-aligned table: words with single spaces inside
CELL_GAP = re.compile(r"\s{2,}")  # what separates those cells
ALIGNED_ROWS_CHECKED = 200  # lines under a candidate header of a space-aligned table that are looked at
_WHOLE = re.compile(r"-?(?:0|[1-9]\d*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)?\.\d+")
_GROUPED = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")  # 1,951 or 12,400.50: thousands, not two cells
_FRACTION = re.compile(r"(-?)(\d*) ?([\u00bc-\u00be\u2150-\u215e])")  # 1½, 2 ¾, ⅓ (HTML's &frac12; too)
COLUMNS_NAMED = 8  # columns named per table when a file's tables are listed


class HtmlTables(HTMLParser):
    """The tables of an HTML page, each a list of rows (cell texts) and which rows are header rows (``<th>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[tuple[bool, list[str]]]] = []  # per table: (a header row, its cells)
        self._rows: list[tuple[bool, list[str]]] = []
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self._rows = []
        elif self._depth == 1 and tag == "tr":
            self._rows.append((False, []))
        elif self._depth == 1 and tag in ("td", "th") and self._rows:
            self._cell = []
            if tag == "th":
                self._rows[-1] = (True, self._rows[-1][1])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._depth:
            self._depth -= 1
            if self._depth == 0 and self._rows:
                self.tables.append(self._rows)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def is_html(name: str, text: str) -> bool:
    """Whether a file is an HTML page: by its name, or by its start when it is named otherwise."""
    return name.lower().endswith(HTML_SUFFIXES) or text.lstrip()[:200].lower().startswith(("<!doctype html", "<html"))


def html_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """(header cells, body rows) of each table of an HTML page; [] when it has none or does not parse."""
    parser = HtmlTables()
    try:
        parser.feed(text)
        parser.close()
    except (ValueError, AssertionError):
        return []
    found = []
    for rows in parser.tables:
        heads = [cells for is_head, cells in rows if is_head]
        header = heads[0] if heads else rows[0][1]
        found.append((header, [cells for is_head, cells in rows if not is_head][0 if heads else 1 :]))
    return found


def markdown_tables(lines: list[str]) -> list[tuple[int, list[str], list[list[str]]]]:
    """(line number of the header, header cells, rows) of each markdown table among ``lines``."""
    found = []
    for index in range(1, len(lines)):
        if TABLE_RULE.match(lines[index]) and TABLE_ROW.match(lines[index - 1]):
            rows = []
            for line in lines[index + 1 :]:
                if not TABLE_ROW.match(line):
                    break
                rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            header = [cell.strip() for cell in lines[index - 1].strip().strip("|").split("|")]
            found.append((index, header, rows))
    return found


def aligned_header(lines: list[str]) -> tuple[int, list[str], int] | None:
    """(index, cells, rows) of the header line of a table aligned with spaces, or None.

    A header is a line of three or more cells two spaces apart, none of them a bare number, with at least two
    rows right under it (rule lines of dashes and single short lines aside) that split into about as many cells. A
    title in three parts followed by a line of details is not one: a blank line ends its "rows" after one. Of
    several headers, the one with the most rows wins."""
    best: tuple[int, list[str], int] | None = None
    for index, line in enumerate(lines[:60]):
        header = [cell for cell in CELL_GAP.split(line.strip()) if cell]
        if len(header) < 3 or not all(ALIGNED_CELL.fullmatch(cell) for cell in header):
            continue
        if any(re.fullmatch(r"[-\d.,:/]+", cell) for cell in header):
            continue  # a row of values, not a header
        below = misfits = 0
        for row in lines[index + 1 : index + 1 + ALIGNED_ROWS_CHECKED]:  # enough to tell; bounded for big files
            if set(row.strip()) <= set("-=_ ") and row.strip():
                continue  # a rule under the header or between rows
            if not row.strip():
                break  # the rows end at a blank line
            cells = len(CELL_GAP.split(row.strip()))
            if not len(header) / 2 <= cells <= len(header) + 1:
                # one short line among rows ("2026-03-02  Mon  MUSEUM CLOSED") is a row that says why it is
                # empty; two in a row are a note or a line of another shape, where the rows end
                misfits += 1
                if misfits == 2:
                    break
                continue
            below += 1
            misfits = 0
        if below >= 2 and (best is None or below > best[2]):
            best = (index, header, below)
    return best


def _aligned_rows(lines: list[str], index: int) -> list[list[str]]:
    """The rows under the header at ``index``: each cell goes to the header column it lies under (an empty cell
    leaves its column empty); lines that fill fewer than half the columns (notes, totals) are not rows."""
    spans = [(m.start(), m.end()) for m in ALIGNED_CELL.finditer(lines[index])]
    rows = []
    for line in lines[index + 1 :]:
        if not line.strip() or set(line.strip()) <= set("-=_ "):
            continue
        cells = [""] * len(spans)
        for match in ALIGNED_CELL.finditer(line):
            middle = (match.start() + match.end()) / 2
            # The column whose header overlaps the cell most; a cell wider than its header still overlaps it.
            overlap = [min(end, match.end()) - max(start, match.start()) for start, end in spans]
            column = max(range(len(spans)), key=lambda i: (overlap[i], -abs((spans[i][0] + spans[i][1]) / 2 - middle)))
            cells[column] = (cells[column] + " " + match.group()).strip()
        if sum(bool(cell) for cell in cells) * 2 >= len(spans):
            rows.append(cells)
    return rows


def _value(cell):
    """A whole number or a decimal (thousands grouped with commas or not) as a number; any other cell as
    stripped text."""
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    if _WHOLE.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _GROUPED.fullmatch(text):
        return _value(text.replace(",", ""))
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        sign, whole, part = fraction.groups()
        value = int(whole or 0) + unicodedata.numeric(part)
        return -value if sign else value
    return text


def _records(header: list[str], rows: list[list[str]]) -> list[dict]:
    return [{name: _value(cell) for name, cell in zip(header, row)} for row in rows]


def read_table(path, table=None):
    """The rows of a table file as a list of dicts (column -> value; numbers converted): CSV, TSV, a markdown
    table, an HTML table, a table aligned with spaces in a text report, JSON Lines or a JSON list of records.
    ``table``: which table of a file that holds several (0 = the first); without it such a file raises ValueError
    naming each table."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    name = str(path).lower()
    lines = text.splitlines()
    if name.endswith((".jsonl", ".ndjson")):
        return [{key: _value(value) for key, value in json.loads(line).items()} for line in lines if line.strip()]
    if name.endswith(".json"):
        data = json.loads(text)
        if isinstance(data, dict):
            lists = [(key, value) for key, value in data.items()
                     if isinstance(value, list) and value and isinstance(value[0], dict)]
            if not lists:
                raise ValueError(f"{path} is a JSON object, not a table: read it with json.load(open({str(path)!r}))")
            _, data = lists[_chosen(path, table, [f"the list {key!r}, {len(rows)} records" for key, rows in lists])]
        return data
    if is_html(name, text):
        tables = html_tables(text)
        if not tables:
            raise ValueError(f"{path} has no <table>")
        header, rows = tables[_chosen(path, table, [_described(header, rows) for header, rows in tables])]
        return _records(header, rows)
    found = markdown_tables(lines)
    if found:
        _, header, rows = found[_chosen(path, table, [_described(header, rows) for _, header, rows in found])]
        return _records(header, rows)
    filled = [line for line in lines if line.strip()]
    first = filled[0] if filled else ""
    delimiter = max(("\t", ";", "|", ","), key=first.count)  # the most frequent on the header line; ties: the first
    # the same count on the next line too: a separator, not the odd ";" or "|" of a title line
    count = first.count(delimiter)
    separated = delimiter != "," and count and len(filled) > 1 and filled[1].count(delimiter) == count
    comma_table = first.count(",") >= 1 and not CELL_GAP.search(first)
    if name.endswith((".csv", ".tsv", ".tab", ".psv")) or separated or comma_table:
        delimiter = delimiter if count else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        return [{(key or "").strip(): _value(value) for key, value in row.items()} for row in reader]
    aligned = aligned_header(lines)
    if aligned is not None:
        index, header, _ = aligned
        return _records(header, _aligned_rows(lines, index))
    raise ValueError(f"{path}: no table found; read its lines with open({str(path)!r}).read().splitlines()")


def _described(header, rows):
    named = ", ".join(header[:COLUMNS_NAMED]) + (", ..." if len(header) > COLUMNS_NAMED else "")
    return f"{len(rows)} rows, columns {named}"


def _chosen(path, table, described):
    """The index of the table asked for; a file with several tables and none asked for raises ValueError that
    lists them, so the code says which one it means (the first in silence is a guess)."""
    count = len(described)
    if table is None:
        if count == 1:
            return 0
        listing = "; ".join(f"table={index}: {text}" for index, text in enumerate(described))
        raise ValueError(f"{path} holds {count} tables; say which one with read_table({str(path)!r}, table=k) "
                         f"({listing})")
    if not isinstance(table, int) or not -count <= table < count:
        raise ValueError(f"{path} holds {count} table(s), table=0 to table={count - 1}; table={table!r} is none of them")
    return table
