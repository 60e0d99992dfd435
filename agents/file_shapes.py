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
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import yaml

from agents.table_reader import ALIGNED_ROWS_CHECKED, aligned_header, html_tables, is_html, markdown_tables

YAML_MAX_CHARS = 200_000  # PyYAML parses in pure Python: seconds for a megabyte
MAX_NAMES = 10  # keys, columns or sections listed before "..."
_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_DELIMITED_SUFFIXES = {".csv", ".tsv", ".tab", ".psv", ".txt", ".dat"}
_INI_SECTION = re.compile(r"^\s*\[[^\]\n]+\]\s*$")
_KEY_VALUE = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)=")
_TEXT_SUFFIXES = {".txt", ".log", ".dat", ".text", ".out", ".rpt", ""}
# The tables a code model cannot parse on its own get the one reader that parses them all (agents.table_reader).
_READ_TABLE = "Not CSV: read it with rows = read_table(path), a list of dicts (one per row, numbers converted)"
_READ_ONE_TABLE = ("Not CSV: read the table you need with rows = read_table(path, table=k), a list of dicts (one per "
                   "row, numbers converted)")
MAX_TABLES = 4  # tables described in a format line
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
            return shape.replace("read_table(path", f"read_table({path.name!r}")  # a call to copy as it is
    return None


def key_paths(path: Path, text: str) -> dict[str, str]:
    """Each key of a JSON, JSON Lines or YAML file (at any depth, first seen first) and the Python expression that
    reaches its first place (``data['productions'][i]['performances'][j]['status']``); each column of a delimited
    file as ``row['date']``, and of a table that only read_table reads (markdown, HTML, aligned with spaces) as
    ``read_table('f.md')[i]['date']``; {} for other files. A KeyError hint shows them: a small model guesses
    "weight" where it is "kg", indexes "status" one level too high, or reads an HTML table with csv.DictReader."""
    suffix = path.suffix.lower()
    headers = _read_table_headers(path, text)
    if len(headers) == 1:
        return {name: f"read_table({path.name!r})[i][{name!r}]" for name in headers[0]}
    if headers:  # several tables: each column at its table (the first table that has it)
        found: dict[str, str] = {}
        for index, header in enumerate(headers):
            for name in header:
                found.setdefault(name, f"read_table({path.name!r}, table={index})[i][{name!r}]")
        return found
    try:
        if suffix in (".csv", ".tsv", ".tab"):
            header = text.splitlines()[0] if text.strip() else ""
            delimiter = "\t" if "\t" in header else ","
            names = [cell.strip().strip('"') for cell in header.split(delimiter) if cell.strip()]
            return {name: f"row[{name!r}]" for name in names}
        if suffix == ".json":
            data: Any = json.loads(text)
            root = "data"
        elif suffix in (".jsonl", ".ndjson"):
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
            root = "rows"
        elif suffix in (".yaml", ".yml") and len(text) <= YAML_MAX_CHARS:
            data = yaml.safe_load(text)
            root = "data"
        else:
            return {}
    except (ValueError, RecursionError, yaml.YAMLError):
        return {}
    paths: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, root, 0)]  # (value, expression that reaches it, lists passed)
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                paths.setdefault(str(key), f"{where}[{key!r}]")
            stack.extend((value, f"{where}[{key!r}]", depth) for key, value in reversed(list(item.items())))
        elif isinstance(item, list):
            index = "ijkmn"[min(depth, 4)]  # one loop variable per list on the way down
            stack.extend((value, f"{where}[{index}]", depth + 1) for value in reversed(item))
    return paths


def _read_table_headers(path: Path, text: str) -> list[list[str]]:
    """The columns of each table of a markdown, HTML or space-aligned file; [] for every other file."""
    suffix = path.suffix.lower()
    if is_html(path.name, text):
        return [header for header, _ in html_tables(text)]
    lines = text.splitlines()
    if suffix in (".md", ".markdown") or suffix in _TEXT_SUFFIXES:
        found = markdown_tables(lines)
        if found:
            return [header for _, header, _ in found]
        aligned = aligned_header(lines) if suffix in _TEXT_SUFFIXES else None
        if aligned is not None and not _delimited(suffix, text, lines):
            return [aligned[1]]
    return []


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


def _html_tables(suffix: str, text: str, lines: list[str]) -> str | None:
    """An HTML page's tables: a code model reads an .html attachment with csv.DictReader otherwise."""
    if not is_html(suffix, text):
        return None
    tables = html_tables(text)
    if not tables:
        return None
    if len(tables) == 1:
        header, rows = tables[0]
        return f"HTML with a table of {len(rows)} rows (columns: {_names(header)}). {_READ_TABLE}"
    listed = _tables_listed([("", header, rows) for header, rows in tables])
    return f"HTML with {len(tables)} tables: {listed}. {_READ_ONE_TABLE}"


def _markdown_tables(suffix: str, text: str, lines: list[str]) -> str | None:
    tables = markdown_tables(lines)
    if not tables:
        return None
    if len(tables) == 1:
        start, header, rows = tables[0]
        return f"a markdown table from line {start} ({len(rows)} rows; columns: {_names(header)}). {_READ_TABLE}"
    listed = _tables_listed([(f" from line {start}", header, rows) for start, header, rows in tables])
    return f"{len(tables)} markdown tables: {listed}. {_READ_ONE_TABLE}"


def _tables_listed(tables: list[tuple[str, list[str], list[list[str]]]]) -> str:
    return "; ".join(f"table={index}{where}: {len(rows)} rows (columns: {_names(header)})"
                     for index, (where, header, rows) in enumerate(tables[:MAX_TABLES]))


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
        # read_table first: the worked example of the prompt reads its CSV with it, and the model copies the example
        reader = "rows = read_table(path), a list of dicts (one per row, numbers converted)"
        if delimiter != ",":
            reader += f"; not csv.DictReader(open(path)), which splits on commas (it needs delimiter={delimiter!r})"
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
    """A report whose table is aligned with spaces (fixed-width columns), found by its header line."""
    if suffix not in _TEXT_SUFFIXES:
        return None
    found = aligned_header(lines)
    if found is None:
        return None
    index, header, below = found
    more = "or more " if below == ALIGNED_ROWS_CHECKED else ""
    return (
        f"a table aligned with spaces from line {index + 1} (columns: {_names(header)}; {below} rows {more}below "
        f"it). {_READ_TABLE}"
    )


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
