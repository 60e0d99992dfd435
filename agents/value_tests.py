"""Tests in a code action that no value of the attached data passes: ``row["badge"] == "Activity"`` where
"Activity" is a value of the *type* column, ``row["status"] == "awarded"`` where the data says "Awarded",
``row["date"] == "2026-03-01"`` where dates are written 01/03/2026.

A small model's filter on the wrong column or value is the commonest wrong answer on held-out tasks: the code
runs, the filter keeps no row (or, after ``!=``, every row), and the model takes the 0 or the total as its answer,
or decides that the data holds none. Such a test is read off the code's syntax tree: a field looked up by a
literal name (``row["badge"]``, ``row.get("badge")``, through ``.lower()``, ``.strip()`` and the like) compared
with literal text (``==``, ``!=``, ``in`` a tuple of texts, a substring ``in`` it, ``.startswith``,
``.endswith``). The field's values come from the workspace's data files (every table format read_table reads,
JSON, JSON Lines, YAML), and only the files the run's code names count when it names any; the same string
methods are applied to the values, and when none passes the test, the note says what the data holds instead: the
value in another letter case, the column the value is really in, or the values the field does hold. A number
written as text is not checked against a field that holds numbers: a file's "1,250" is 1250 once read, and the
code may have read either.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from agents.data_values import data_files, data_values

# String methods that change how a value compares and take no argument: applied to the data's values too.
_STR_METHODS = {"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title", "capitalize"}
_NUMBER_LIKE = re.compile(r"[-+]?[\d,]*\.?\d+%?")
_SHOWN_VALUES = 8  # distinct values a note lists when the test's value is nowhere in the data
_SHOWN_CHARS = 40  # each cut to this length


@dataclass(frozen=True)
class ValueTest:
    """One test of a field against literal text in the code: ``methods`` applied to the field first, in order."""

    field: str
    value: str
    how: str  # "==" (also != and `in` a tuple), "contains", "startswith", "endswith"
    methods: tuple[str, ...] = ()

    def passes(self, cell: str) -> bool:
        for method in self.methods:
            cell = getattr(cell, method)()
        if self.how == "==":
            return cell == self.value
        if self.how == "contains":
            return self.value in cell
        return bool(getattr(cell, self.how)(self.value))

    def source(self) -> str:
        field = f"{self.field}" + "".join(f".{m}()" for m in self.methods)
        if self.how == "==":
            return f'{field} == "{self.value}"'
        if self.how == "contains":
            return f'"{self.value}" in {field}'
        return f'{field}.{self.how}("{self.value}")'


def value_tests(code: str) -> list[ValueTest]:
    """The tests of a looked-up field against literal text in ``code``, in source order; [] when it does not
    parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: list[ValueTest] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            found.extend(_compared(node.left, node.ops[0], node.comparators[0]))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and len(node.args) == 1):
            field = _field(node.func.value)
            for text in _texts(node.args[0]):
                if field is not None:
                    found.append(ValueTest(field[0], text, node.func.attr, field[1]))
    return list(dict.fromkeys(sorted(found, key=lambda t: code.find(t.value))))


def _compared(left: ast.expr, op: ast.cmpop, right: ast.expr) -> list[ValueTest]:
    if isinstance(op, (ast.Eq, ast.NotEq)):
        for side, other in ((left, right), (right, left)):
            field = _field(side)
            if field is not None and isinstance(other, ast.Constant) and isinstance(other.value, str):
                return [ValueTest(field[0], other.value, "==", field[1])]
    if isinstance(op, (ast.In, ast.NotIn)):
        field = _field(left)
        if field is not None and isinstance(right, (ast.Tuple, ast.List, ast.Set)):  # status in ("A", "B")
            return [ValueTest(field[0], text, "==", field[1]) for text in _texts(right)]
        field = _field(right)
        if field is not None and isinstance(left, ast.Constant) and isinstance(left.value, str):  # "x" in note
            return [ValueTest(field[0], left.value, "contains", field[1])]
    return []


def _field(node: ast.expr) -> tuple[str, tuple[str, ...]] | None:
    """(field name, string methods applied) of ``row["f"]``, ``row.get("f")``, ``str(row["f"]).lower()``..."""
    methods: list[str] = []
    while True:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS
                and not node.args):
            methods.insert(0, node.func.attr)
            node = node.func.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
            node = node.args[0]
        else:
            break
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value, tuple(methods)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.args[0].value, tuple(methods)
    return None


def _texts(node: ast.expr) -> list[str]:
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]


class DataFields:
    """The values of every field of the workspace's data files: file name -> field -> distinct text values in
    file order, and the fields that hold numbers."""

    def __init__(self, workspace: Path | None) -> None:
        self.files: dict[str, dict[str, list[str]]] = {}
        self.numeric: dict[str, set[str]] = {}
        for path in data_files(workspace):
            fields: dict[str, list[str]] = defaultdict(list)
            numeric: set[str] = set()
            for value, field, _, _ in data_values(path):
                if field is None:
                    continue
                if not isinstance(value, str):
                    numeric.add(field)
                elif value not in fields[field]:
                    fields[field].append(value)
            if fields:
                self.files[path.name], self.numeric[path.name] = dict(fields), numeric

    def failed_tests(self, code: str, earlier: list[str] | tuple[str, ...] = ()) -> list[str]:
        """One note for each test of ``code`` on a field of the data that none of the field's values passes. Only
        the files that ``code`` or an ``earlier`` block names count, when they name any."""
        written = "\n".join([*earlier, code])
        named = [name for name in self.files if name in written]
        files = {name: self.files[name] for name in named or self.files}
        notes = []
        for test in value_tests(code):
            note = self._note(test, files)
            if note is not None:
                notes.append(note)
        return notes

    def _note(self, test: ValueTest, files: dict[str, dict[str, list[str]]]) -> str | None:
        holders = [(name, fields) for name, fields in files.items() if test.field in fields]
        if (not holders or not test.value.strip()
                or any(_passed(test, fields[test.field]) for _, fields in holders)
                or any(test.field in self.numeric[name] for name, _ in holders)
                and _NUMBER_LIKE.fullmatch(test.value.strip())):
            return None
        name, fields = holders[0]
        values = fields[test.field]
        never = f"the test {test.source()} is never true in {name}"
        folded = replace(test, value=test.value.strip().casefold(), methods=(*test.methods, "strip", "casefold"))
        same = [v for v in values if _passed(folded, [v])]
        if same:
            return f"{never}: the data writes it {_listed(same[:_SHOWN_VALUES])} (letter case or spaces differ)."
        elsewhere = [other for other, cells in fields.items()
                     if other != test.field and any(c.strip().casefold() == folded.value for c in cells)]
        if elsewhere:
            return f'{never}: "{test.value}" is a value of the {" and ".join(elsewhere)} field, not of {test.field}.'
        more = ", ..." if len(values) > _SHOWN_VALUES else ""
        return f"{never}; the values of {test.field} are {_listed(values[:_SHOWN_VALUES])}{more}."


def _passed(test: ValueTest, cells: list[str]) -> bool:
    try:
        return any(test.passes(cell) for cell in cells)
    except (TypeError, ValueError):
        return True  # a test this cannot apply is not called failed


def _listed(values: list[str]) -> str:
    return ", ".join(f'"{v[:_SHOWN_CHARS]}"' for v in values)
