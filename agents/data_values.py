"""The values of the workspace's data files, field by field: what the answer checks and the value-test notes
compare a task's words and a code's tests with.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import yaml

from agents.file_shapes import file_shape
from agents.table_reader import html_tables, is_html, markdown_tables, read_table
from agents.tools.workspace import files_in

DATA_FILE_MAX_BYTES = 2_000_000  # larger attachments are not scanned


Scalar = str | int | float | bool


def data_files(workspace: Path | None) -> Iterator[Path]:
    """The workspace's files small enough to scan for values (none without a workspace)."""
    for path in files_in(workspace) if workspace is not None else []:
        if path.stat().st_size <= DATA_FILE_MAX_BYTES:
            yield path


def data_values(path: Path) -> Iterator[tuple[Scalar, str | None, bool, bool]]:
    """(value, field, in a list, in a table) for the cells of a table file (one that read_table reads: its format
    line names it, or CSV/TSV) or the scalar leaves of a JSON, JSON Lines or YAML file, in file order; nothing for
    other files and for files that cannot be read. Text stays text; a table's numbers come as read_table converts
    them ("1,951" -> 1951)."""
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        if suffix == ".json":
            data = json.loads(text)
        elif suffix in (".jsonl", ".ndjson"):
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif suffix in (".csv", ".tsv", ".tab") or "read_table(" in (file_shape(path, text) or ""):
            # Every table of a page or a markdown file (a studio's firings, then its price list).
            count = len(html_tables(text)) if is_html(path.name, text) else len(markdown_tables(text.splitlines()))
            for index in range(max(count, 1)):
                for row in read_table(path, table=index):
                    for column, cell in row.items():
                        if isinstance(cell, (str, int, float)):
                            yield cell, column, False, True
            return
        else:
            return
    except (OSError, ValueError, IndexError, csv.Error, yaml.YAMLError, RecursionError):
        return
    stack: list[tuple[object, str | None, bool]] = [(data, None, False)]
    while stack:
        item, key, in_list = stack.pop()
        if isinstance(item, (str, int, float)):  # bool is an int
            yield item, key, in_list, False
        elif isinstance(item, dict):
            stack.extend((child, str(name), False) for name, child in reversed(list(item.items())))
        elif isinstance(item, list):
            # A list of records keeps no key for them; a list of strings is the values of its key.
            stack.extend((child, key, not isinstance(child, (dict, list))) for child in reversed(item))
