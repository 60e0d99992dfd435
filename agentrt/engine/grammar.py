"""Grammars and JSON schemas are checked before a request reaches llama.cpp, and JSON output after it ends.

Why: llama.cpp trusts its grammar. A grammar that admits no token (``root ::= [z-a]``) makes its sampler pick a
token the grammar then cannot accept, and llama.cpp aborts the whole process (SIGABRT in llama-grammar.cpp); a
repetition ``{3,2}`` makes its parser loop for ever; an empty grammar is silently ignored. Here a small GBNF
parser (the same syntax llama.cpp's parser accepts) and analyser find these before a sampler is built, and each
becomes a `GrammarError` for that request only, raised in the caller's task:

- syntax errors, with line and column; a missing ``root``; rules used but not defined; rules defined twice;
- an empty grammar; a grammar nested deeper than `MAX_NESTING` or longer than `MAX_GRAMMAR_CHARS`;
- repetitions with max < min or more than `MAX_REPETITIONS` (llama.cpp's own limit);
- dead ends: a character class that matches no character, a token id outside the vocabulary, a rule that can
  never finish (``root ::= "a" root``), and any alternative the model could enter but never complete. The
  analyser computes which rules can produce at least one finished string ("productive") and requires every
  element of every reachable alternative to be productive, so a partial output can always be completed;
- left recursion (llama.cpp refuses it), including a repetition of something that can be empty.

JSON schemas are checked for what makes them unsatisfiable (an empty ``enum``, ``not: {}``, min > max, required
properties that ``additionalProperties: false`` forbids, values of the wrong type) and for keywords the grammar
converter cannot enforce at all (``not``, ``if``/``then``/``else``, ``patternProperties``, ...). Keywords it
only partly enforces (``minimum``, ``multipleOf``, ``uniqueItems``, ...) are checked on the output: a finished
(``stop``) output that does not conform raises `SchemaViolationError` instead of being returned.

What is not caught: a grammar that needs characters no token of the model can produce. Byte-level and
byte-fallback vocabularies (every model agentrt ships) produce every character, so this does not arise there.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from agentrt.errors import GrammarError, SchemaViolationError

if TYPE_CHECKING:
    from agentrt.engine.request import GenerationRequest, GenerationResult

MAX_GRAMMAR_CHARS = 256 * 1024
MAX_NESTING = 100
MAX_REPETITIONS = 2000  # llama.cpp's MAX_REPETITION_THRESHOLD
MAX_CODE_POINT = 0x10FFFF
ROOT = "root"


# --- the grammar's shape ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    codes: tuple[int, ...]  # code points (an escape may name one beyond U+10FFFF, which nothing can produce)


@dataclass(frozen=True)
class CharClass:
    ranges: tuple[tuple[int, int], ...]
    negated: bool
    source: str

    def matches_nothing(self) -> bool:
        # llama.cpp never matches U+0000 (its UTF-8 decoder stops there), so the alphabet is 1..U+10FFFF.
        spans = sorted((max(lo, 1), min(hi, MAX_CODE_POINT)) for lo, hi in self.ranges if lo <= hi)
        spans = [(lo, hi) for lo, hi in spans if lo <= hi]
        if not self.negated:
            return not spans
        covered_to = 0
        for lo, hi in spans:
            if lo > covered_to + 1:
                return False
            covered_to = max(covered_to, hi)
        return covered_to >= MAX_CODE_POINT


@dataclass(frozen=True)
class AnyChar:
    pass


@dataclass(frozen=True)
class Token:
    source: str
    token_id: int | None  # for <[id]>; None for <text> (checked by llama.cpp against its vocabulary)
    negated: bool


@dataclass(frozen=True)
class RuleRef:
    name: str


@dataclass(frozen=True)
class Group:
    alternatives: tuple[tuple[Element, ...], ...]


@dataclass(frozen=True)
class Repeat:
    item: Element
    min: int
    max: int | None


Element = Union[Literal, CharClass, AnyChar, Token, RuleRef, Group, Repeat]
Alternatives = tuple[tuple[Element, ...], ...]


@dataclass(frozen=True)
class Grammar:
    rules: dict[str, Alternatives]
    lines: dict[str, int]  # where each rule is defined


# --- parsing (mirrors llama.cpp's llama_grammar_parser) -------------------------------------------------------


def _is_word(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "-")


_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-"}
_HEX = {"x": 2, "u": 4, "U": 8}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        self.rules: dict[str, Alternatives] = {}
        self.lines: dict[str, int] = {}

    def error(self, message: str, at: int | None = None) -> GrammarError:
        at = self.pos if at is None else at
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return GrammarError(f"grammar line {line}, column {column}: {message}")

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def space(self, newline_ok: bool) -> None:
        while (c := self.peek()) and (c in " \t#" or (newline_ok and c in "\r\n")):
            if c == "#":
                while (c := self.peek()) and c not in "\r\n":
                    self.pos += 1
            else:
                self.pos += 1

    def name(self) -> str:
        start = self.pos
        while _is_word(self.peek()):
            self.pos += 1
        if self.pos == start:
            raise self.error("expecting a rule name")
        return self.text[start : self.pos]

    def integer(self) -> int:
        start = self.pos
        while self.peek().isascii() and self.peek().isdigit():
            self.pos += 1
        if self.pos == start:
            raise self.error("expecting an integer")
        return int(self.text[start : self.pos])

    def char(self) -> int:
        c = self.peek()
        if not c:
            raise self.error("unexpected end of input")
        if c != "\\":
            self.pos += 1
            return ord(c)
        kind = self.peek(1)
        if kind in _HEX:
            digits = self.text[self.pos + 2 : self.pos + 2 + _HEX[kind]]
            if len(digits) != _HEX[kind] or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.error(f"expecting {_HEX[kind]} hex digits after \\{kind}")
            self.pos += 2 + _HEX[kind]
            return int(digits, 16)
        if kind in _ESCAPES:
            self.pos += 2
            return ord(_ESCAPES[kind])
        raise self.error(f"unknown escape \\{kind}")

    def parse(self) -> Grammar:
        self.space(True)
        while self.pos < len(self.text):
            self.rule()
        return Grammar(self.rules, self.lines)

    def rule(self) -> None:
        start = self.pos
        name = self.name()
        self.space(False)
        if not self.text.startswith("::=", self.pos):
            raise self.error("expecting ::=")
        self.pos += 3
        self.space(True)
        alternatives = self.alternates(nested=False)
        if self.peek() == "\r":
            self.pos += 2 if self.peek(1) == "\n" else 1
        elif self.peek() == "\n":
            self.pos += 1
        elif self.peek():
            raise self.error("expecting newline or end")
        if name in self.rules:
            raise self.error(f"rule {name!r} is defined twice (first on line {self.lines[name]})", start)
        self.rules[name] = alternatives
        self.lines[name] = self.text.count("\n", 0, start) + 1
        self.space(True)

    def alternates(self, nested: bool) -> Alternatives:
        sequences = [self.sequence(nested)]
        while self.peek() == "|":
            self.pos += 1
            self.space(True)
            sequences.append(self.sequence(nested))
        return tuple(sequences)

    def sequence(self, nested: bool) -> tuple[Element, ...]:
        items: list[Element] = []
        while c := self.peek():
            if c == '"':
                self.pos += 1
                codes = []
                while self.peek() != '"':
                    if not self.peek():
                        raise self.error("unexpected end of input (an unclosed string?)")
                    codes.append(self.char())
                self.pos += 1
                items.append(Literal(tuple(codes)))
            elif c == "[":
                items.append(self.char_class())
            elif c in "<!":
                items.append(self.token())
            elif _is_word(c):
                items.append(RuleRef(self.name()))
            elif c == "(":
                self.pos += 1
                self.depth += 1
                if self.depth > MAX_NESTING:
                    raise self.error(f"groups nested deeper than {MAX_NESTING}")
                self.space(True)
                group = Group(self.alternates(nested=True))
                if self.peek() != ")":
                    raise self.error("expecting ')'")
                self.pos += 1
                self.depth -= 1
                items.append(group)
            elif c == ".":
                self.pos += 1
                items.append(AnyChar())
            elif c in "*+?{":
                if not items:
                    raise self.error(f"expecting an item before {c!r}")
                if _repeat_depth(items[-1]) >= MAX_NESTING:
                    raise self.error(f"repetitions nested deeper than {MAX_NESTING}")
                low, high = self.repetition(nested)
                items[-1] = Repeat(items[-1], low, high)
            else:
                break
            self.space(nested)
        return tuple(items)

    def char_class(self) -> CharClass:
        start = self.pos
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges = []
        while self.peek() != "]":
            if not self.peek():
                raise self.error("unexpected end of input (an unclosed [...]?)")
            low = self.char()
            high = low
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.char()
            elif self.peek() == "-" and not self.peek(1):
                raise self.error("unexpected end of input")
            ranges.append((low, high))
        self.pos += 1
        return CharClass(tuple(ranges), negated, self.text[start : self.pos])

    def token(self) -> Token:
        start = self.pos
        negated = self.peek() == "!"
        if negated:
            self.pos += 1
        if self.peek() != "<":
            raise self.error("expecting '<'")
        self.pos += 1
        token_id = None
        if self.peek() == "[":
            self.pos += 1
            token_id = self.integer()
            if not self.text.startswith("]>", self.pos):
                raise self.error("expecting ']>'")
            self.pos += 2
        else:
            end = self.text.find(">", self.pos)
            if end < 0:
                raise self.error("expecting '>'")
            self.pos = end + 1
        return Token(self.text[start : self.pos], token_id, negated)

    def repetition(self, nested: bool) -> tuple[int, int | None]:
        c = self.peek()
        self.pos += 1
        if c == "*":
            return 0, None
        if c == "+":
            return 1, None
        if c == "?":
            return 0, 1
        self.space(nested)
        low = self.integer()
        self.space(nested)
        high: int | None = low
        if self.peek() == ",":
            self.pos += 1
            self.space(nested)
            high = self.integer() if self.peek().isascii() and self.peek().isdigit() else None
            self.space(nested)
        elif self.peek() != "}":
            raise self.error("expecting ',' or '}'")
        if self.peek() != "}":
            raise self.error("expecting '}'")
        self.pos += 1
        if low > MAX_REPETITIONS:
            raise self.error(f"{{{low},...}}: more than {MAX_REPETITIONS} repetitions")
        if high is not None and high < low:
            raise self.error(f"{{{low},{high}}}: the maximum is below the minimum (llama.cpp would never finish "
                             "building it)")
        if high is not None and high > MAX_REPETITIONS:
            high = None  # what llama.cpp does with a huge maximum
        return low, high


def _repeat_depth(element: Element) -> int:
    depth = 0
    while isinstance(element, Repeat):
        element, depth = element.item, depth + 1
    return depth


# --- analysis -----------------------------------------------------------------------------------------------


def _children(element: Element) -> list[tuple[Element, ...]]:
    if isinstance(element, Group):
        return list(element.alternatives)
    if isinstance(element, Repeat):
        return [(element.item,)]
    return []


def _refs(alternatives: Alternatives) -> set[str]:
    found: set[str] = set()
    stack = [element for alternative in alternatives for element in alternative]
    while stack:
        element = stack.pop()
        if isinstance(element, RuleRef):
            found.add(element.name)
        for alternative in _children(element):
            stack.extend(alternative)
    return found


class _Analysis:
    def __init__(self, grammar: Grammar, n_vocab: int | None) -> None:
        self.grammar = grammar
        self.n_vocab = n_vocab
        self.productive: set[str] = set()
        self.nullable: set[str] = set()
        changed = True
        while changed:  # fixpoints: which rules can finish, and which can finish empty
            changed = False
            for name, alternatives in grammar.rules.items():
                if name not in self.productive and any(all(map(self.can_finish, a)) for a in alternatives):
                    self.productive.add(name)
                    changed = True
                if name not in self.nullable and any(all(map(self.can_be_empty, a)) for a in alternatives):
                    self.nullable.add(name)
                    changed = True

    def can_finish(self, element: Element) -> bool:
        if isinstance(element, Literal):
            return all(1 <= code <= MAX_CODE_POINT for code in element.codes)
        if isinstance(element, CharClass):
            return not element.matches_nothing()
        if isinstance(element, Token):
            return element.negated or element.token_id is None or self.n_vocab is None or element.token_id < self.n_vocab
        if isinstance(element, RuleRef):
            return element.name in self.productive
        if isinstance(element, Group):
            return any(all(map(self.can_finish, a)) for a in element.alternatives)
        if isinstance(element, Repeat):
            return element.min == 0 or self.can_finish(element.item)
        return True  # AnyChar

    def can_be_empty(self, element: Element) -> bool:
        if isinstance(element, Literal):
            return not element.codes
        if isinstance(element, RuleRef):
            return element.name in self.nullable
        if isinstance(element, Group):
            return any(all(map(self.can_be_empty, a)) for a in element.alternatives)
        if isinstance(element, Repeat):
            return element.min == 0 or self.can_be_empty(element.item)
        return False

    def leading_refs(self, sequence: tuple[Element, ...]) -> set[str]:
        """Rules that can come first in ``sequence`` (for left recursion)."""
        found: set[str] = set()
        for element in sequence:
            if isinstance(element, RuleRef):
                found.add(element.name)
            for alternative in _children(element):
                found |= self.leading_refs(alternative)
            if not self.can_be_empty(element):
                break
        return found


def _describe(element: Element) -> str:
    if isinstance(element, Literal):
        shown = "".join(chr(c) if 1 <= c <= MAX_CODE_POINT else f"\\U{c:08X}" for c in element.codes)
        return f"the string {json.dumps(shown)}, which has a character no model can generate (NUL or > U+10FFFF)"
    if isinstance(element, CharClass):
        return f"{element.source}, which matches no character"
    if isinstance(element, Token):
        return f"{element.source}, which is not a token of this model"
    if isinstance(element, RuleRef):
        return f"rule {element.name!r}, which can never finish"
    return "a group none of whose alternatives can finish"


def _check_dead_ends(analysis: _Analysis, rule: str, line: int, sequence: tuple[Element, ...]) -> None:
    for element in sequence:
        if not analysis.can_finish(element):
            raise GrammarError(
                f"grammar rule {rule!r} (line {line}): {_describe(element)}; an output that reaches it could never "
                "be completed (llama.cpp would abort the process)"
            )
        if isinstance(element, Repeat) and element.max is None and analysis.can_be_empty(element.item):
            raise GrammarError(f"grammar rule {rule!r} (line {line}): a repetition of something that can be empty "
                               "(llama.cpp refuses it as left recursion)")
        for alternative in _children(element):
            _check_dead_ends(analysis, rule, line, alternative)


def analyse(grammar: Grammar, *, n_vocab: int | None = None) -> None:
    """Raise `GrammarError` for a grammar llama.cpp would refuse, hang on, or abort the process with."""
    if not grammar.rules:
        raise GrammarError("grammar is empty: it has no rules (an empty grammar would be ignored, not enforced)")
    if ROOT not in grammar.rules:
        raise GrammarError(f"grammar has no {ROOT!r} rule (generation starts there)")
    for name, alternatives in grammar.rules.items():
        for ref in sorted(_refs(alternatives) - grammar.rules.keys()):
            raise GrammarError(f"grammar rule {name!r} (line {grammar.lines[name]}) uses rule {ref!r}, "
                               "which is not defined")
    analysis = _Analysis(grammar, n_vocab)
    reachable, todo = {ROOT}, [ROOT]
    while todo:
        for ref in _refs(grammar.rules[todo.pop()]) - reachable:
            reachable.add(ref)
            todo.append(ref)
    for name in sorted(reachable, key=lambda n: grammar.lines[n]):
        for alternative in grammar.rules[name]:
            _check_dead_ends(analysis, name, grammar.lines[name], alternative)
    _check_left_recursion(analysis, reachable)


def _check_left_recursion(analysis: _Analysis, reachable: set[str]) -> None:
    rules = analysis.grammar.rules
    first = {name: set().union(*(analysis.leading_refs(a) for a in rules[name])) for name in reachable}
    for start in sorted(reachable):
        path, seen, stack = {start: [start]}, {start}, [start]
        while stack:
            current = stack.pop()
            for nxt in sorted(first[current]):
                if nxt == start:
                    cycle = " -> ".join([*path[current], start])
                    raise GrammarError(f"grammar is left-recursive ({cycle}); llama.cpp does not support that: "
                                       "put something that consumes text before the recursive reference")
                if nxt not in seen:
                    seen.add(nxt)
                    path[nxt] = [*path[current], nxt]
                    stack.append(nxt)


def parse_gbnf(text: str) -> Grammar:
    if len(text) > MAX_GRAMMAR_CHARS:
        raise GrammarError(f"grammar is {len(text)} characters; at most {MAX_GRAMMAR_CHARS} are accepted")
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise GrammarError("grammar is nested too deeply") from None


@functools.lru_cache(maxsize=256)
def check_gbnf(text: str, n_vocab: int | None = None) -> None:
    """Parse and analyse GBNF text; `GrammarError` says what is wrong and where. Cached by text."""
    analyse(parse_gbnf(text), n_vocab=n_vocab)


# --- JSON schemas -------------------------------------------------------------------------------------------

# Keywords the GBNF converter ignores and whose violation is likely: refused up front rather than generated
# and then failed.
UNSUPPORTED_KEYWORDS = frozenset({
    "not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies", "contains",
    "minContains", "maxContains", "propertyNames", "patternProperties", "unevaluatedProperties",
    "unevaluatedItems", "$dynamicRef", "$recursiveRef",
})
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("additionalProperties", "items")
_JSON_TYPES: dict[str, Any] = {
    "string": str, "object": dict, "array": list, "boolean": bool, "null": type(None),
    "integer": int, "number": (int, float),
}


def _type_matches(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES.get(name, object))


def _unsatisfiable(where: str, why: str) -> GrammarError:
    return GrammarError(f"JSON schema at {where or '/'}: {why}; no output can satisfy it")


def check_schema(schema: Any, where: str = "", depth: int = 0) -> None:
    """Raise `GrammarError` for a schema no output can satisfy, or one using keywords that cannot be enforced."""
    if depth > MAX_NESTING:
        raise GrammarError(f"JSON schema at {where}: nested deeper than {MAX_NESTING}")
    if schema is False:
        raise _unsatisfiable(where, "the schema is `false`")
    if schema is True:
        return
    if not isinstance(schema, dict):
        raise GrammarError(f"JSON schema at {where or '/'}: expected an object or a boolean, got {type(schema).__name__}")
    unsupported = sorted(UNSUPPORTED_KEYWORDS & schema.keys())
    if unsupported:
        if "not" in unsupported and schema["not"] in ({}, True):
            raise _unsatisfiable(where, "`not: {}` matches nothing")
        raise GrammarError(f"JSON schema at {where or '/'}: {', '.join(map(repr, unsupported))} cannot be enforced "
                           "by the grammar, so the output could violate it; express the constraint differently")
    _check_bounds(schema, where)
    types = schema.get("type")
    type_names = [types] if isinstance(types, str) else types if isinstance(types, list) else None
    if type_names == []:
        raise _unsatisfiable(where, "`type` is an empty list")
    for key in ("enum", "anyOf", "oneOf"):
        if key in schema and isinstance(schema[key], list) and not schema[key]:
            raise _unsatisfiable(where, f"`{key}` is empty")
    candidates = schema["enum"] if isinstance(schema.get("enum"), list) else None
    if "const" in schema:
        candidates = [schema["const"]]
    if candidates is not None and type_names and not any(
        _type_matches(value, name) for value in candidates for name in type_names
    ):
        raise _unsatisfiable(where, f"none of its values is of type {' or '.join(type_names)}")
    if schema.get("additionalProperties") is False and isinstance(schema.get("required"), list):
        missing = [name for name in schema["required"] if name not in schema.get("properties", {})]
        if missing:
            raise _unsatisfiable(where, f"required {missing} but additionalProperties is false")
    for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
        if schema.get("properties", {}).get(name, True) is False:
            raise _unsatisfiable(f"{where}/properties/{name}", "a required property whose schema is `false`")
    for key in _SUBSCHEMA_MAPS:
        for name, sub in (schema.get(key) or {}).items() if isinstance(schema.get(key), dict) else []:
            if sub is not False:  # an optional property may be `false` (it must then be absent)
                check_schema(sub, f"{where}/{key}/{name}", depth + 1)
    for key in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(key) or []) if isinstance(schema.get(key), list) else []:
            check_schema(sub, f"{where}/{key}/{index}", depth + 1)
    for key in _SUBSCHEMAS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            check_schema(sub, f"{where}/{key}", depth + 1)
        elif isinstance(sub, list):
            for index, item in enumerate(sub):
                check_schema(item, f"{where}/{key}/{index}", depth + 1)


def _number(schema: dict[str, Any], key: str) -> float | None:
    value = schema.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_bounds(schema: dict[str, Any], where: str) -> None:
    for low_key, high_key in (("minLength", "maxLength"), ("minItems", "maxItems"),
                              ("minProperties", "maxProperties"), ("minimum", "maximum")):
        low, high = _number(schema, low_key), _number(schema, high_key)
        if low is not None and high is not None and low > high:
            raise _unsatisfiable(where, f"{low_key} {schema[low_key]} > {high_key} {schema[high_key]}")
    lows = [v for v in (_number(schema, "minimum"), _number(schema, "exclusiveMinimum")) if v is not None]
    highs = [v for v in (_number(schema, "maximum"), _number(schema, "exclusiveMaximum")) if v is not None]
    exclusive = "exclusiveMinimum" in schema or "exclusiveMaximum" in schema
    if lows and highs and (max(lows) > min(highs) or (exclusive and max(lows) >= min(highs))):
        raise _unsatisfiable(where, "its lower bound is not below its upper bound")
    if schema.get("type") == "integer" and lows and highs and math.ceil(max(lows)) > math.floor(min(highs)):
        raise _unsatisfiable(where, "no integer lies between its bounds")
    if schema.get("items") is False and (_number(schema, "minItems") or 0) > len(schema.get("prefixItems", [])):
        raise _unsatisfiable(where, "minItems > 0 but items is `false`")


@functools.lru_cache(maxsize=128)
def _schema_gbnf(schema_json: str) -> str:
    schema = json.loads(schema_json)
    check_schema(schema)
    try:
        import jsonschema

        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise GrammarError(f"JSON schema is invalid at /{'/'.join(map(str, exc.path))}: {exc.message}") from None
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        gbnf = json_schema_to_gbnf(schema_json)
    except Exception as exc:  # the converter raises plain exceptions for schemas it cannot express
        raise GrammarError(f"JSON schema cannot be turned into a grammar: {exc}") from exc
    try:
        check_gbnf(gbnf)
    except GrammarError as exc:
        raise GrammarError(f"JSON schema gives a grammar that cannot be honoured: {exc}") from None
    return gbnf


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """A JSON schema → checked GBNF (llama-cpp-python's converter, the one llama.cpp ships, ported)."""
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise GrammarError(f"JSON schema is not JSON: {exc}") from None
    return _schema_gbnf(text)


def request_gbnf(request: GenerationRequest, *, n_vocab: int | None = None) -> str | None:
    """The request's grammar as checked GBNF (its own, or the one made from its JSON schema); None if neither."""
    if request.json_schema is not None:
        return schema_to_gbnf(request.json_schema)
    if request.grammar is not None:
        check_gbnf(request.grammar, n_vocab)
        return request.grammar
    return None


def check_output(request: GenerationRequest, result: GenerationResult) -> GenerationResult:
    """A finished output of a schema-constrained request must conform to the schema, or the request fails.

    An output cut off at ``max_tokens`` (finish reason ``length``) is incomplete by design and is returned as is.
    """
    if request.json_schema is None or result.finish_reason != "stop":
        return result
    import jsonschema

    try:
        value = json.loads(result.text)
    except json.JSONDecodeError as exc:
        raise SchemaViolationError(f"output is not JSON (char {exc.pos}) although a JSON schema constrained it: "
                                   f"{result.text[:200]!r}", text=result.text) from None
    error = jsonschema.exceptions.best_match(
        jsonschema.validators.validator_for(request.json_schema)(request.json_schema).iter_errors(value)
    )
    if error is not None:
        place = "/" + "/".join(map(str, error.absolute_path))
        raise SchemaViolationError(
            f"output does not conform to the JSON schema at {place}: {error.message} (the grammar cannot enforce "
            f"every keyword); output: {result.text[:200]!r}",
            text=result.text,
        )
    return result
