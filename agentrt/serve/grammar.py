"""Grammars from what a client sends: JSON schemas (`response_format`, tool parameters) and raw GBNF (`grammar`).

Schemas become GBNF with llama.cpp's own converter (llama-cpp-python's port of ``json_schema_to_grammar.py``).
A client's schema or grammar must not be able to stall the server: the converter spells bounded repetition out
(``maxLength: 10**9`` would build a gigabyte-long rule on the event loop) and llama.cpp compiles grammars on the
engine's thread, recursing once per nesting level. The checks and their limits are the engine's
(agentrt/engine/grammar.py), so an in-process caller is refused the same way; here they run first, and whatever
cannot become a grammar is an `ApiError` (400) naming the field (for a schema, the key inside it).
"""

from __future__ import annotations

import copy
from typing import Any

from agentrt.engine.grammar import SchemaPath, SchemaTooLargeError, check_schema_size
from agentrt.engine.grammar import check_gbnf as check_engine_gbnf
from agentrt.errors import GrammarError
from agentrt.serve.errors import ApiError


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
    """Refuse schemas whose grammar would be too large to build (the engine's `check_schema_size`), naming the key
    inside the schema as the field: ``tools[0].function.parameters.properties.code.maxLength``."""
    if not isinstance(schema, dict):
        raise invalid_schema(param, f"a JSON schema must be an object, not {type(schema).__name__}")
    try:
        check_schema_size(schema)
    except SchemaTooLargeError as exc:
        raise invalid_schema(param + _field_path(exc.path), exc.problem) from None


def check_gbnf(grammar: str, param: str) -> None:
    """Refuse GBNF the engine would refuse (`agentrt.engine.grammar.check_gbnf`: size, nesting, repetitions,
    syntax, rules that cannot finish ...) now, before the request waits for a sequence. The engine checks it
    again when the request is built (a cache hit) and once more against the model's vocabulary."""
    try:
        check_engine_gbnf(grammar)
    except GrammarError as exc:
        raise invalid_schema(param, str(exc)) from None


def _field_path(path: SchemaPath) -> str:
    """A path inside a schema as request fields are named: ``.properties.code``, ``.anyOf[1]``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
