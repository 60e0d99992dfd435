"""YAML loading that remembers where every value came from, and refuses what could hang or exhaust memory.

`load_yaml_with_lines` returns the plain data (dicts, lists, scalars, as ``yaml.safe_load`` would) and a
`SourceMap` from field paths (``("nodes", "plan", "agent")``) to 1-based line numbers.

A graph file may come from anywhere, so it is read as untrusted input (limits in `agentrt.graph.limits`):

- at most ``MAX_FILE_BYTES``, UTF-8 only: UTF-16/32, invalid UTF-8 and binary data are refused with the line
  and column of the first bad byte; so are control characters, raw or written as escapes (``"\\x00"``);
- aliases are counted while the document is composed, before any object is built: a reference to an anchor
  adds the anchored value's whole expanded size, so an alias bomb is refused at the alias that crosses
  ``MAX_VALUES``, and a value that contains itself (``&a [*a]``) at once;
- nesting deeper than ``MAX_DEPTH`` (aliases included) is an error, not a RecursionError;
- a key written twice in one mapping is an error (YAML would keep the last one silently: a node or an agent
  would disappear). Keys that ``<<: *anchor`` merges in may still be overridden, as YAML intends;
- values are JSON-like: timestamps stay text, ``!!binary`` and tagged collections are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from agentrt.errors import GraphSpecError
from agentrt.graph.limits import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES

FieldPath = tuple[str | int, ...]

# Characters YAML does not allow in a document (its "printable" set, inverted), refused in escaped values too:
# they have no business in a prompt, and a lone surrogate cannot even be written back out as UTF-8.
NON_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
_TAG = "tag:yaml.org,2002:"
_PLAIN_COLLECTION_TAGS = frozenset({_TAG + "map", _TAG + "seq"})


class SourceMap:
    """Where fields of one graph definition came from: a file (or a label like ``<builder>``) and lines."""

    def __init__(self, source: str, lines: dict[FieldPath, int] | None = None) -> None:
        self.source = source
        self._lines: dict[FieldPath, int] = lines or {}

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self._lines:
                return self._lines[key]
            if not key:
                return None
            key = key[:-1]

    def where(self, path: Sequence[str | int]) -> str:
        """``file:line: field.path`` (the line is left out where none is known)."""
        line = self.line(path)
        place = self.source if line is None else f"{self.source}:{line}"
        field = ".".join(str(p) for p in path)
        return f"{place}: {field}" if field else place

    def error(self, path: Sequence[str | int], message: str) -> str:
        return f"{self.where(path)}: {message}"


# --- bytes -> text -----------------------------------------------------------------------------------------


def read_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    """Read, decode and parse a graph file, within the loader's limits."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise GraphSpecError(f"{path}: cannot read the graph file: {exc.strerror or exc}") from exc
    return load_yaml_with_lines(decode_graph_bytes(raw, str(path)), str(path))


def decode_graph_bytes(raw: bytes, source: str) -> str:
    """A graph file's bytes as text: UTF-8 (a leading byte order mark is allowed), or a `GraphSpecError` that
    names the first byte that is not."""
    if len(raw) > MAX_FILE_BYTES:
        raise GraphSpecError(f"{source}: the file is larger than {_size(MAX_FILE_BYTES)}, the limit for a graph file")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise GraphSpecError(f"{source}:1: the file is {encoding} (it starts with a {encoding} byte order mark); "
                                 "graph files are UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _line_and_column(raw, nul)
        raise GraphSpecError(f"{source}:{line}:{column}: a NUL byte: this is binary data or UTF-16, not a UTF-8 "
                             "graph file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(raw, exc.start)
        raise GraphSpecError(f"{source}:{line}:{column}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}); graph files "
                             "are UTF-8 text") from None


def _line_and_column(data: bytes | str, offset: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line_start = data.rfind(newline, 0, offset) + 1  # type: ignore[arg-type]
    return data.count(newline, 0, offset) + 1, offset - line_start + 1  # type: ignore[arg-type]


def _size(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


def _character(char: str) -> str:
    return f"U+{ord(char):04X}"


# --- text -> data ------------------------------------------------------------------------------------------


def load_yaml_with_lines(text: str, source: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data plus the line of every mapping key and sequence item."""
    if len(text) > MAX_FILE_BYTES:
        raise GraphSpecError(f"{source}: the text is longer than {MAX_FILE_BYTES} characters, the limit for a graph")
    bad = NON_PRINTABLE.search(text)
    if bad is not None:
        line, column = _line_and_column(text, bad.start())
        raise GraphSpecError(f"{source}:{line}:{column}: control character {_character(bad.group())} is not "
                             "allowed in a graph file")
    loader = _BoundedLoader(text, source)
    lines: dict[FieldPath, int] = {}
    try:
        root = loader.get_single_node()
        if root is None:
            raise GraphSpecError(f"{source}: the file is empty")
        data = loader.build(root, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise GraphSpecError(f"{source}{line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise GraphSpecError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:  # the limits below should make this unreachable; never a traceback all the same
        raise GraphSpecError(f"{source}: the document is nested too deeply") from None
    finally:
        loader.dispose()
    return data, SourceMap(source, lines)


class _BoundedLoader(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """PyYAML's composer, counting as it goes: depth, aliases and the expanded size of everything so far; events
    come from libyaml's parser when PyYAML was built with it (pure Python otherwise), scalars from PyYAML's safe
    constructor.

    Every composed node's expanded size and height (deepest path below it, aliases expanded) are recorded when it
    is finished, so an alias costs what it expands to without expanding anything. A node still being composed
    has no size yet: an alias to it is a cycle.
    """

    def __init__(self, text: str, source: str) -> None:
        self._parser = _event_parser(text)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._source = source
        self._depth = 0  # nodes open above the current one
        self._aliases = 0
        self._values = 0  # values so far, aliases expanded
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)

    def refuse(self, mark: Any, message: str) -> GraphSpecError:
        return GraphSpecError(f"{self._source}:{mark.line + 1}: {message}")

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is left to PyYAML's own error
                self._count_alias(event, target)
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        if self._depth >= MAX_DEPTH:
            raise self.refuse(mark, f"nested more than {MAX_DEPTH} levels deep (the limit for a graph file)")
        self._add_values(1, mark)
        before = self._values
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else (
            node.value if isinstance(node, SequenceNode) else ())
        height = 1 + max((self._sizes[id(child)][1] for child in children), default=0)
        self._sizes[id(node)] = (1 + self._values - before, height)
        return node

    def _count_alias(self, event: Any, target: Node) -> None:
        known = self._sizes.get(id(target))
        if known is None:
            raise self.refuse(event.start_mark, f"alias *{event.anchor} is inside the value it refers to "
                              "(a recursive structure)")
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise self.refuse(event.start_mark, f"more than {MAX_ALIASES} aliases (the limit for a graph file)")
        size, height = known
        if self._depth + height > MAX_DEPTH:
            raise self.refuse(event.start_mark, f"alias *{event.anchor} nests the data more than {MAX_DEPTH} "
                              "levels deep (the limit for a graph file)")
        self._add_values(size, event.start_mark, alias=event.anchor)

    def _add_values(self, count: int, mark: Any, alias: str | None = None) -> None:
        self._values += count
        if self._values > MAX_VALUES:
            how = f"alias *{alias} expands to {count} values: " if alias else ""
            raise self.refuse(mark, f"{how}the document holds more than {MAX_VALUES} values once aliases are "
                              "expanded (the limit for a graph file)")

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        node = super().compose_mapping_node(anchor)
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.refuse(key_node.start_mark, "mapping keys must be names or numbers, not lists or mappings")
            if key_node.tag == _TAG + "merge":
                continue
            key = self.scalar(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise self.refuse(key_node.start_mark, f"duplicate key {key!r} (first at line {first_line[key]}): "
                                  "YAML would keep only the last one")
            first_line[key] = line
        return node

    # --- events ------------------------------------------------------------------------------------------

    def check_event(self, *choices: Any) -> bool:
        return self._parser.check_event(*choices)

    def peek_event(self) -> Any:
        return self._parser.peek_event()

    def get_event(self) -> Any:
        return self._parser.get_event()

    def dispose(self) -> None:
        self._parser.dispose()

    # --- values ------------------------------------------------------------------------------------------

    def scalar(self, node: ScalarNode) -> Any:
        """A scalar's plain value, or a `GraphSpecError` at its line."""
        tag = node.tag
        if tag in (_TAG + "timestamp", _TAG + "value"):
            return node.value  # a date stays the text it was written as (JSON has no dates); so does a bare `=`
        if tag == _TAG + "binary":
            raise self.refuse(node.start_mark, "binary values (!!binary) are not supported in graph files")
        try:
            value = self.construct_object(node, deep=True)
        except yaml.MarkedYAMLError:
            raise
        except Exception as exc:  # e.g. `!!int abc`, a 5,000-digit integer: PyYAML lets ValueError through
            raise self.refuse(node.start_mark, f"invalid {tag.rpartition(':')[2]} value: {exc}") from None
        if isinstance(value, str) and (bad := NON_PRINTABLE.search(value)) is not None:
            raise self.refuse(node.start_mark, f"control character {_character(bad.group())} (written as an "
                              "escape) is not allowed in a graph file")
        return value

    def build(self, node: Node, path: FieldPath, lines: dict[FieldPath, int]) -> Any:
        """The plain data of ``node``; records the line of every key and item under ``path``."""
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if node.tag not in _PLAIN_COLLECTION_TAGS:
            raise self.refuse(node.start_mark, f"tag {node.tag!r} is not supported in graph files")
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), lines) for i, item in enumerate(node.value)]
        self.flatten_mapping(node)  # resolves `<<: *anchor` merge keys (merged keys first: the node's own win)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child, lines)
        return out


def _event_parser(text: str) -> Any:
    if getattr(yaml, "__with_libyaml__", False):
        return yaml.cyaml.CParser(text)
    return _PythonParser(text)


class _PythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)

    def dispose(self) -> None:
        self.states = []
        self.state = None
