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


def file_shape(path: Path, text: str) -> str | None:
    """The file's format line ("tab-separated: 40 rows ..."), or None for prose and formats it cannot tell."""
    suffix = path.suffix.lower()
    lines = text.splitlines()
    for describe in (_json, _jsonl, _yaml, _xml, _markdown_tables, _ini, _delimited, _key_values, _aligned_table):
        shape = describe(suffix, text, lines)
        if shape:
            return shape
    return None


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

