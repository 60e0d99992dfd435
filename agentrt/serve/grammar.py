"""Grammars from what a client sends: JSON schemas (`response_format`, tool parameters) and raw GBNF (`grammar`).

Schemas become GBNF with llama.cpp's own converter (llama-cpp-python's port of ``json_schema_to_grammar.py``).
A client's schema or grammar must not be able to stall the server: the converter spells bounded repetition out
(``maxLength: 10**9`` would build a gigabyte-long rule on the event loop) and llama.cpp compiles grammars on the
engine's thread, recursing once per nesting level. So bounds, nesting and size are checked first, and whatever
cannot become a grammar is an `ApiError` (400) naming the field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from agentrt.serve.errors import ApiError

# Largest repetition count (minLength, maxItems, {m,n} in a pattern or a grammar) turned into a grammar.
MAX_REPEAT = 1000
MAX_NESTING = 200  # parentheses in a GBNF grammar
MAX_GRAMMAR_CHARS = 256 * 1024
_BOUND_KEYS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_QUANTIFIER = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


def invalid_schema(param: str, message: str) -> ApiError:
    return ApiError(400, f"{param}: {message}", param=param, code="invalid_schema")


class SchemaRules:
    """GBNF rules for several JSON schemas in one grammar (each under its own rule name)."""

    def __init__(self) -> None:
        from agentrt.engine.openmp import apply_openmp_defaults

        apply_openmp_defaults()  # this may be the first import of llama_cpp in the process
        from llama_cpp.llama_grammar import SchemaConverter

        self._converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
        self._extra: list[str] = []

    def add(self, schema: dict[str, Any], name: str, *, param: str, checked: bool = False) -> str:
        """Add the rules for ``schema`` (refs resolve within it); returns the name of its top rule. ``checked``:
        the caller has already run `check_schema` on it (or on the part a client sent)."""
        if not checked:
            check_schema(schema, param)
        try:
            resolved = self._converter.resolve_refs(copy.deepcopy(schema), f"{name}:")
            return str(self._converter.visit(resolved, name))
        except RecursionError:
            raise invalid_schema(param, "the schema is nested too deeply to become a grammar") from None
        except Exception as exc:  # the converter raises plain exceptions (and asserts) for what it cannot express
            detail = str(exc) or type(exc).__name__
            raise invalid_schema(param, f"the schema cannot be turned into a grammar: {detail}") from None

    def rule(self, line: str) -> None:
        """Add a hand-written rule (``name ::= ...``)."""
        self._extra.append(line)

    def text(self) -> str:
        return "\n".join([self._converter.format_grammar(), *self._extra]) + "\n"


def schema_grammar(schema: dict[str, Any], *, param: str) -> str:
    """The grammar of JSON documents that match ``schema``."""
    rules = SchemaRules()
    top = rules.add(schema, "document", param=param)
    rules.rule(f"root ::= {top}")
    return rules.text()


def check_schema(schema: Any, param: str) -> None:
    """Refuse schemas whose grammar would be too large to build: repetition bounds and pattern quantifiers."""
    if not isinstance(schema, dict):
        raise invalid_schema(param, f"a JSON schema must be an object, not {type(schema).__name__}")
    for path, node in _walk(schema, param):
        for key in _BOUND_KEYS:
            value = node.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_REPEAT:
                raise invalid_schema(
                    f"{path}.{key}", f"{value} is more than this server spells out in a grammar ({MAX_REPEAT})"
                )
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            _check_quantifiers(pattern, f"{path}.pattern")


def check_gbnf(grammar: str, param: str) -> None:
    """Refuse GBNF that llama.cpp would take long (or deep recursion) to compile: size, nesting, repetition."""
    if len(grammar) > MAX_GRAMMAR_CHARS:
        raise invalid_schema(param, f"the grammar is {len(grammar)} characters; the most is {MAX_GRAMMAR_CHARS}")
    if "root" not in grammar:
        raise invalid_schema(param, "the grammar has no `root` rule")
    depth = deepest = 0
    in_string = in_class = False
    escaped = False
    for ch in grammar:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_string:
            in_string = ch != '"'
        elif in_class:
            in_class = ch != "]"
        elif ch == '"':
            in_string = True
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise invalid_schema(param, f"the grammar nests parentheses {deepest} deep; the most is {MAX_NESTING}")
    _check_quantifiers(grammar, param)


def _check_quantifiers(text: str, param: str) -> None:
    for match in _QUANTIFIER.finditer(text):
        for number in match.groups():
            if number and int(number) > MAX_REPEAT:
                raise invalid_schema(
                    param, f"the repetition {match.group(0)} is more than this server spells out ({MAX_REPEAT})"
                )


def _walk(node: Any, path: str, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    if depth > MAX_NESTING:
        raise invalid_schema(path, "the schema is nested too deeply to become a grammar")
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}", depth + 1)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]", depth + 1)
