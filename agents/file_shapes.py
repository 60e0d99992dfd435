"""One line that says what a workspace file is, how big it is in records, and how Python reads it.

A code model reads every attachment as comma-separated or as one flat JSON list, whatever it holds: on held-out
tasks a markdown table went through ``csv.DictReader``, a tab-separated file was split on commas, and one
section of an INI file was read where the task asked about all of them, and a text report or log went through
``csv.DictReader`` too (every row one field holding a whole line). The first lines of a file do not show its
format when the table starts further down or the sections follow each other. This line is computed from the
file alone (never from the task): its format, its records and the standard reader that fits it. Prose gets no
line: a line that said "read it as lines" had words counted as lines.
"""

from __future__ import annotations

import configparser
import json
import re
from html.parser import HTMLParser
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import yaml

YAML_MAX_CHARS = 200_000  # PyYAML parses in pure Python: seconds for a megabyte
MAX_NAMES = 10  # keys, columns or sections listed before "..."
ALIGNED_ROWS_CHECKED = 200  # lines under a candidate header of a space-aligned table that are looked at
_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_DELIMITED_SUFFIXES = {".csv", ".tsv", ".tab", ".psv", ".txt", ".dat"}
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_INI_SECTION = re.compile(r"^\s*\[[^\]\n]+\]\s*$")
_KEY_VALUE = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)=")
_ALIGNED_CELL = re.compile(r"\S+(?: \S+)*")  # a cell of a space-aligned table: words with single spaces inside
_CELL_GAP = re.compile(r"\s{2,}")  # what separates those cells
_TEXT_SUFFIXES = {".txt", ".log", ".dat", ".text", ".out", ".rpt", ""}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# A log line starts with its time: "2025-11-20T06:05", "2025-11-20 06:05:00", "[2025-11-20 ...", "Nov 10 00:00:04"
# (syslog), "10/11/2025 06:05", "06:05:12".
_LOG_STAMP = re.compile(
    r"^\s*\[?(?:\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2}|\d{1,2}/\d{1,2}/\d{2,4}[ T,]+\d{1,2}:\d{2}|"
    r"\d{1,2}:\d{2}(?::\d{2})?\b)"
)


def file_shape(path: Path, text: str) -> str | None:
    """The file's format line ("tab-separated: 40 rows ..."), or None for prose and formats it cannot tell."""
    suffix = path.suffix.lower()
    lines = text.splitlines()
    for describe in (_json, _jsonl, _yaml, _xml, _html_tables, _markdown_tables, _ini, _delimited, _key_values,
                     _aligned_table, _log_lines):
        shape = describe(suffix, text, lines)
        if shape:
            return shape
    return None


def record_keys(path: Path, text: str) -> list[str]:
    """The column names of a delimited file, or every key of a JSON, JSON Lines or YAML file at any depth (first
    seen first); [] for other files. A KeyError hint lists them: a small model guesses "weight" where it is "kg"."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".tab"):
            header = text.splitlines()[0] if text.strip() else ""
            delimiter = "\t" if "\t" in header else ","
            return [cell.strip().strip('"') for cell in header.split(delimiter) if cell.strip()]
        if suffix == ".json":
            data: Any = json.loads(text)
        elif suffix in (".jsonl", ".ndjson"):
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif suffix in (".yaml", ".yml") and len(text) <= YAML_MAX_CHARS:
            data = yaml.safe_load(text)
        else:
            return []
    except (ValueError, RecursionError, yaml.YAMLError):
        return []
    keys: dict[str, None] = {}
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.update((str(key), None) for key in item)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return list(keys)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (", ..." if len(names) > MAX_NAMES else "")


def _value_shape(value: Any, depth: int = 0) -> str:
    """"a list of 12 objects with keys ..." / "an object with keys a (a list of 3 values), b" for parsed data."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            keys = list(dict.fromkeys(key for item in value for key in item))
            return f"a list of {len(value)} objects with keys {_names([str(k) for k in keys])}"
        return f"a list of {len(value)} values"
    if isinstance(value, dict):
        if depth >= 1:
            return f"an object with {len(value)} key{'s' if len(value) != 1 else ''}"
        parts = []
        for key, item in list(value.items())[:MAX_NAMES]:
            nested = isinstance(item, (list, dict))
            parts.append(f"{key} ({_value_shape(item, depth + 1)})" if nested else str(key))
        more = ", ..." if len(value) > MAX_NAMES else ""
        return f"an object with key{'s' if len(value) != 1 else ''} {', '.join(parts)}{more}"
    return f"a single {type(value).__name__}"


def _json(suffix: str, text: str, lines: list[str]) -> str | None:
    if suffix != ".json" and not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return f"JSON: {_value_shape(value)}; read it with json.load(open(path))"


def _jsonl(suffix: str, text: str, lines: list[str]) -> str | None:
    records = [line for line in lines if line.strip()]
    if suffix not in (".jsonl", ".ndjson") or not records:
        return None
    try:
        parsed = [json.loads(line) for line in records]
    except (ValueError, RecursionError):
        return None
    records_shape = _value_shape(parsed).removeprefix("a list of ")
    return f"JSON Lines: {records_shape}, one per line; read each line with json.loads"


def _yaml(suffix: str, text: str, lines: list[str]) -> str | None:
    if suffix not in (".yaml", ".yml") or len(text) > YAML_MAX_CHARS:
        return None
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return None
    return f"YAML: {_value_shape(value)}; read it with yaml.safe_load(open(path))"


def _xml(suffix: str, text: str, lines: list[str]) -> str | None:
    if suffix != ".xml" and not text.lstrip().startswith("<?xml"):
        return None
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError:
        return None
    children: dict[str, int] = {}
    for child in root:
        children[child.tag] = children.get(child.tag, 0) + 1
    inside = ", ".join(f"{count} <{tag}>" for tag, count in list(children.items())[:MAX_NAMES])
    return f"XML: root <{root.tag}> holding {inside or 'no elements'}; read it with xml.etree.ElementTree.parse(path)"


class _HtmlTables(HTMLParser):
    """The tables of an HTML page: per table, its header cells (``<th>``, else the first row's) and its row count."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], int]] = []  # (header cells, rows under the header)
        self._rows: list[tuple[bool, list[str]]] = []  # (a header row, its cells) of the open table
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
                heads = [cells for is_head, cells in self._rows if is_head]
                header = heads[0] if heads else self._rows[0][1]
                body = len(self._rows) - (len(heads) if heads else 1)
                self.tables.append((header, body))

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(suffix: str, text: str, lines: list[str]) -> str | None:
    """An HTML page's tables: a code model reads an .html attachment with csv.DictReader otherwise."""
    start = text.lstrip()[:200].lower()
    if suffix not in _HTML_SUFFIXES and not start.startswith(("<!doctype html", "<html")):
        return None
    parser = _HtmlTables()
    try:
        parser.feed(text)
        parser.close()
    except (ValueError, AssertionError):
        return None
    if not parser.tables:
        return None
    described = "; ".join(f"{rows} rows (columns: {_names(header)})" for header, rows in parser.tables[:3])
    if len(parser.tables) == 1:
        return f"HTML with a table of {described}. Not CSV: read it with pandas.read_html(path)[0]"
    return (
        f"HTML with {len(parser.tables)} tables: {described}. Not CSV: pandas.read_html(path) returns a list with "
        "one DataFrame per table"
    )


def _markdown_tables(suffix: str, text: str, lines: list[str]) -> str | None:
    tables: list[tuple[int, int, list[str]]] = []  # (first line number, data rows, header cells)
    for index in range(1, len(lines)):
        if _TABLE_RULE.match(lines[index]) and _TABLE_ROW.match(lines[index - 1]):
            rows = 0
            while index + 1 + rows < len(lines) and _TABLE_ROW.match(lines[index + 1 + rows]):
                rows += 1
            header = [cell.strip() for cell in lines[index - 1].strip().strip("|").split("|")]
            tables.append((index, rows, header))
    if not tables:
        return None
    described = "; ".join(
        f"from line {start} ({rows} rows; columns: {_names(header)})" for start, rows, header in tables[:3]
    )
    count = "a markdown table" if len(tables) == 1 else f"{len(tables)} markdown tables"
    return (
        f"{count} {described}. Not CSV: split each row on '|' and strip the cells; skip the header's |---| line"
    )


def _ini(suffix: str, text: str, lines: list[str]) -> str | None:
    if suffix not in (".ini", ".cfg", ".conf") and not any(_INI_SECTION.match(line) for line in lines[:50]):
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    sections = parser.sections()
    if not sections:
        return None
    return (
        f"INI: {len(sections)} sections ({_names(sections)}); read every section with "
        "configparser.ConfigParser() and .read(path), then loop over .sections()"
    )


def _delimited(suffix: str, text: str, lines: list[str]) -> str | None:
    rows = [line for line in lines if line.strip()]
    if len(rows) < 2:
        return None
    for delimiter, name in _DELIMITERS.items():
        if delimiter not in rows[0] or (suffix not in _DELIMITED_SUFFIXES and delimiter != "\t"):
            continue
        counts = [line.count(delimiter) for line in rows[:50]]
        fewest = 2 if suffix in (".txt", ".dat") else 1  # a text file needs three columns to count as a table
        if counts[0] < fewest or sum(count == counts[0] for count in counts) < 0.9 * len(counts):
            continue  # prose with the odd comma, not a table
        header = [cell.strip() for cell in rows[0].split(delimiter)]
        if delimiter == ",":
            reader = "csv.DictReader(open(path)) or pandas.read_csv(path)"
        else:
            reader = f"csv.DictReader(open(path), delimiter={delimiter!r}) or pandas.read_csv(path, sep={delimiter!r})"
        if delimiter == ",":  # the header line above already shows the columns
            return f"CSV: {len(rows) - 1} rows after the header; read it with {reader}"
        return (
            f"{name}-separated: {len(rows) - 1} rows after the header (columns: {_names(header)}); "
            f"read it with {reader}"
        )
    return None


def _key_values(suffix: str, text: str, lines: list[str]) -> str | None:
    """Lines of ``key=value`` pairs (a sensor or application log)."""
    if suffix not in _TEXT_SUFFIXES:
        return None
    rows = [line for line in lines if line.strip()]
    paired = [line for line in rows if len(_KEY_VALUE.findall(line)) >= 2]
    if len(paired) < 2 or len(paired) < 0.6 * len(rows):
        return None
    keys = list(dict.fromkeys(key for line in paired for key in _KEY_VALUE.findall(line)))
    return (
        f"key=value lines: {len(paired)} of {len(rows)} lines hold pairs (keys: {_names(keys)}). Not CSV: parse "
        "each line with dict(re.findall(r'(\\w+)=(\\S+)', line)) and check for missing keys"
    )


def _aligned_table(suffix: str, text: str, lines: list[str]) -> str | None:
    """A report whose table is aligned with spaces (fixed-width columns), found by its header line: three or more
    cells two spaces apart, with at least two lines below it that split into as many cells."""
    if suffix not in _TEXT_SUFFIXES:
        return None
    for index, line in enumerate(lines[:60]):
        header = [cell for cell in _CELL_GAP.split(line.strip()) if cell]
        if len(header) < 3 or not all(_ALIGNED_CELL.fullmatch(cell) for cell in header):
            continue
        if any(re.fullmatch(r"[-\d.,:/]+", cell) for cell in header):
            continue  # a row of values, not a header
        below = 0
        for row in lines[index + 1 : index + 1 + ALIGNED_ROWS_CHECKED]:  # enough to tell; bounded for big files
            if not row.strip() or set(row.strip()) <= set("-=_ "):
                continue
            if len(_CELL_GAP.split(row.strip())) >= len(header) - 1:
                below += 1
        if below >= 2:
            return (
                f"a table aligned with spaces from line {index + 1} (columns: {_names(header)}; {below} rows "
                f"{'or more ' if below == ALIGNED_ROWS_CHECKED else ''}below it). Not CSV: read the lines and split "
                "each row with re.split(r'\\s{2,}', line.strip()) (a cell can hold one space), skipping the lines that "
                "are not rows"
            )
    return None


def _log_lines(suffix: str, text: str, lines: list[str]) -> str | None:
    """A log whose lines start with a time and go on in free text (syslog, an application's own lines)."""
    if suffix not in _TEXT_SUFFIXES:
        return None
    rows = [line for line in lines if line.strip()]
    stamped = [line for line in rows if _LOG_STAMP.match(line)]
    if len(stamped) < 3 or len(stamped) < 0.6 * len(rows):
        return None
    return (
        f"log lines: {len(stamped)} of {len(rows)} lines start with a date or time, the rest of each line is free text. "
        "Not CSV: loop over open(path).read().splitlines(), keep the lines you need and take their values out with "
        "re.search (skip the lines it does not match)"
    )
