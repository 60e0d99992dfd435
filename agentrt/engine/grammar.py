"""Grammars and JSON schemas are checked before a request reaches llama.cpp, and JSON output after it ends.

Why: llama.cpp trusts its grammar. A grammar that admits no token (``root ::= [z-a]``) makes its sampler pick a
token the grammar then cannot accept, and llama.cpp aborts the whole process (SIGABRT in llama-grammar.cpp); a
repetition ``{3,2}`` makes its parser loop for ever; an empty grammar is silently ignored. Here a small GBNF
parser (the same syntax llama.cpp's parser accepts) and analyser find these before a sampler is built, and each
becomes a `GrammarError` for that request only, raised in the caller's task:

- syntax errors, with line and column; a missing ``root``; rules used but not defined; rules defined twice;
- an empty grammar; groups nested deeper than `MAX_NESTING`; a grammar longer than `MAX_GRAMMAR_CHARS`;
- repetitions with max < min, or a minimum or maximum above `MAX_REPETITIONS` (llama.cpp's own limit: it
  refuses more, and an older llama.cpp built one rule per repetition);
- dead ends: a character class that matches no character, a token id outside the vocabulary, a rule that can
  never finish (``root ::= "a" root``), and any alternative the model could enter but never complete. The
  analyser computes which rules can produce at least one finished string ("productive") and requires every
  element of every reachable alternative to be productive, so a partial output can always be completed;
- left recursion (llama.cpp refuses it), including a repetition of something that can be empty.

JSON schemas are first checked for size (`check_schema_size`): the grammar converter spells bounded repetition
out (``maxLength: n`` becomes n nested optional groups, ``minLength: n`` n copies), so ``maxLength: 10**9`` would
build a gigabyte of grammar in the caller's task; a bound above `MAX_SCHEMA_REPETITIONS` (in a ``pattern`` too)
or nesting deeper than `MAX_SCHEMA_NESTING` is a `SchemaTooLargeError` naming the key. The HTTP server runs the
same check on what clients send (agentrt/serve/grammar.py). Then they are checked for what makes them
unsatisfiable (an empty ``enum``, ``not: {}``, min > max, required properties that ``additionalProperties: false``
forbids, values of the wrong type) and for keywords the grammar converter cannot enforce at all (``not``,
``if``/``then``/``else``, ``patternProperties``, ...). Keywords it only partly enforces (``minimum``,
``multipleOf``, ``uniqueItems``, ...) are checked on the output: a finished (``stop``) output that does not
conform raises `SchemaViolationError` instead of being returned.

What is not caught: a grammar that needs characters no token of the model can produce. Byte-level and
byte-fallback vocabularies (every model agentrt ships) produce every character, so this does not arise there.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from agentrt.errors import GrammarError, SchemaViolationError

if TYPE_CHECKING:
    from agentrt.engine.request import GenerationRequest, GenerationResult

MAX_GRAMMAR_CHARS = 256 * 1024
MAX_NESTING = 1000  # groups; llama.cpp parses them recursively on the engine thread's stack
MAX_REPETITIONS = 2000  # llama.cpp's MAX_REPETITION_THRESHOLD
# Values inside one another in a JSON schema (objects, arrays and the scalars in them): the converter and the
# checks below recurse once or more per level.
MAX_SCHEMA_NESTING = 200
# The largest repetition count a JSON schema may ask for (minLength, maxItems, {m,n} in a pattern, ...): the
# converter spells {m,n} out as m copies and n - m nested optional groups, so a larger maximum could never pass
# the `MAX_NESTING` check anyway (and a huge minimum would be a huge grammar).
MAX_SCHEMA_REPETITIONS = MAX_NESTING
MAX_CODE_POINT = 0x10FFFF
ROOT = "root"


# --- the grammar's shape: flat rules, as llama.cpp builds them (groups and repetitions become rules) -----------


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


Element = Union[Literal, CharClass, AnyChar, Token, RuleRef]
Alternatives = tuple[tuple[Element, ...], ...]


@dataclass(frozen=True)
class Rule:
    alternatives: Alternatives
    line: int
    origin: str  # the rule written in the grammar (a group's or repetition's enclosing rule)
    kind: str = "rule"  # "rule", "group" or "repetition"

    def describe(self) -> str:
        where = f"rule {self.origin!r} (line {self.line})"
        return where if self.kind == "rule" else f"in {where}, a {self.kind}"


@dataclass(frozen=True)
class Grammar:
    rules: dict[str, Rule]  # written rules by name; synthesized ones under names no grammar can use ("root#3")


# --- parsing (mirrors llama.cpp's llama_grammar_parser, without recursion) ------------------------------------


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _is_word(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "-")


_MAX_DIGITS = 18  # a number in a grammar (a repetition count, a token id): far above every limit, within uint64
_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-"}
_HEX = {"x": 2, "u": 4, "U": 8}


@dataclass
class _Frame:
    """One group being parsed: its finished alternatives and the items of the current one."""

    alternatives: list[tuple[Element, ...]]
    items: list[Element]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.rules: dict[str, Rule] = {}
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line(self, at: int) -> int:
        return bisect.bisect_left(self.newlines, at) + 1

    def error(self, message: str, at: int | None = None) -> GrammarError:
        at = self.pos if at is None else at
        line = self.line(at)
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
        digits = self.text[start : self.pos].lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:  # int() raises ValueError past 4300 digits; llama.cpp's stoul fails sooner
            raise self.error(f"the number {_shorten(digits)} is too large", start)
        return int(digits)

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
        return Grammar(self.rules)

    def rule(self) -> None:
        start = self.pos
        name = self.name()
        line = self.line(start)
        self.space(False)
        if not self.text.startswith("::=", self.pos):
            raise self.error("expecting ::=")
        self.pos += 3
        self.space(True)
        alternatives = self.body(name, line)
        if self.peek() == "\r":
            self.pos += 2 if self.peek(1) == "\n" else 1
        elif self.peek() == "\n":
            self.pos += 1
        elif self.peek():
            raise self.error("expecting newline or end")
        if name in self.rules:
            raise self.error(f"rule {name!r} is defined twice (first on line {self.rules[name].line})", start)
        self.rules[name] = Rule(alternatives, line, name)
        self.space(True)

    def synthesize(self, origin: str, line: int, kind: str, alternatives: Alternatives) -> RuleRef:
        name = f"{origin}#{len(self.rules)}"  # '#' cannot appear in a rule name: no clash with written rules
        self.rules[name] = Rule(alternatives, line, origin, kind)
        return RuleRef(name)

    def body(self, origin: str, line: int) -> Alternatives:
        """A rule's alternatives, groups included, with an explicit stack (no recursion, any nesting)."""
        stack = [_Frame([], [])]
        while True:
            frame, nested = stack[-1], len(stack) > 1
            c = self.peek()
            if c == '"':
                frame.items.append(self.literal())
            elif c == "[":
                frame.items.append(self.char_class())
            elif c and c in "<!":
                frame.items.append(self.token())
            elif c and _is_word(c):
                frame.items.append(RuleRef(self.name()))
            elif c == ".":
                self.pos += 1
                frame.items.append(AnyChar())
            elif c == "(":
                if len(stack) > MAX_NESTING:
                    raise self.error(f"groups nested deeper than {MAX_NESTING}")
                self.pos += 1
                self.space(True)
                stack.append(_Frame([], []))
                continue
            elif c == ")" and nested:
                self.pos += 1
                stack.pop()
                frame.alternatives.append(tuple(frame.items))
                stack[-1].items.append(self.synthesize(origin, line, "group", tuple(frame.alternatives)))
                nested = len(stack) > 1
            elif c == "|":
                self.pos += 1
                self.space(True)
                frame.alternatives.append(tuple(frame.items))
                frame.items = []
                continue
            elif c and c in "*+?{":
                if not frame.items:
                    raise self.error(f"expecting an item before {c!r}")
                low, high = self.repetition(nested)
                frame.items[-1] = self.repeat(frame.items[-1], low, high, origin, line)
            elif nested and not c:
                raise self.error("expecting ')'")
            else:
                break
            self.space(nested)
        frame = stack[0]
        frame.alternatives.append(tuple(frame.items))
        return tuple(frame.alternatives)

    def repeat(self, item: Element, low: int, high: int | None, origin: str, line: int) -> RuleRef:
        """``item{low,high}`` as rules that finish, are empty and recurse exactly when llama.cpp's do: the
        optional part is ``tail ::= item tail |`` (unbounded) or ``tail ::= item |`` (bounded)."""
        items: list[Element] = [item] if low else []
        if high is None:
            tail = RuleRef(f"{origin}#{len(self.rules)}")
            self.rules[tail.name] = Rule(((item, tail), ()), line, origin, "repetition")
            items.append(tail)
        elif high > low:
            items.append(self.synthesize(origin, line, "repetition", ((item,), ())))
        return self.synthesize(origin, line, "repetition", (tuple(items),))

    def literal(self) -> Literal:
        self.pos += 1
        codes = []
        while self.peek() != '"':
            if not self.peek():
                raise self.error("unexpected end of input (an unclosed string?)")
            codes.append(self.char())
        self.pos += 1
        return Literal(tuple(codes))

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
            # llama.cpp refuses it when it compiles the grammar (an older one built a rule per repetition, a
            # stall on the engine thread for {0,1000000000}): refused here, with the place.
            raise self.error(f"{{{low},{high}}}: more than {MAX_REPETITIONS} repetitions")
        return low, high


# --- analysis -----------------------------------------------------------------------------------------------


class _Analysis:
    """Which rules can finish (produce a complete string) and which can finish empty: least fixpoints."""

    def __init__(self, grammar: Grammar, n_vocab: int | None) -> None:
        self.grammar = grammar
        self.n_vocab = n_vocab
        self.productive: set[str] = set()
        self.nullable: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, rule in grammar.rules.items():
                if name not in self.productive and any(all(map(self.can_finish, a)) for a in rule.alternatives):
                    self.productive.add(name)
                    changed = True
                if name not in self.nullable and any(all(map(self.can_be_empty, a)) for a in rule.alternatives):
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
        return True  # AnyChar

    def can_be_empty(self, element: Element) -> bool:
        if isinstance(element, Literal):
            return not element.codes
        if isinstance(element, RuleRef):
            return element.name in self.nullable
        return False

    def leading_refs(self, sequence: tuple[Element, ...]) -> set[str]:
        """Rules that can come first in ``sequence`` (for left recursion)."""
        found: set[str] = set()
        for element in sequence:
            if isinstance(element, RuleRef):
                found.add(element.name)
            if not self.can_be_empty(element):
                break
        return found


def _refs(rule: Rule) -> set[str]:
    return {e.name for alternative in rule.alternatives for e in alternative if isinstance(e, RuleRef)}


def _describe(element: Element, grammar: Grammar) -> str:
    if isinstance(element, Literal):
        shown = "".join(chr(c) if 1 <= c <= MAX_CODE_POINT else f"\\U{c:08X}" for c in element.codes)
        return f"the string {json.dumps(shown)}, which has a character no model can generate (NUL or > U+10FFFF)"
    if isinstance(element, CharClass):
        return f"{element.source}, which matches no character"
    if isinstance(element, Token):
        return f"{element.source}, which is not a token of this model"
    assert isinstance(element, RuleRef)
    return f"rule {element.name!r}, which can never finish"


def analyse(grammar: Grammar, *, n_vocab: int | None = None) -> None:
    """Raise `GrammarError` for a grammar llama.cpp would refuse, hang on, or abort the process with."""
    rules = grammar.rules
    if not rules:
        raise GrammarError("grammar is empty: it has no rules (an empty grammar would be ignored, not enforced)")
    if ROOT not in rules:
        raise GrammarError(f"grammar has no {ROOT!r} rule (generation starts there)")
    for rule in rules.values():
        for ref in sorted(r for r in _refs(rule) if r not in rules):
            raise GrammarError(f"grammar {rule.describe()} uses rule {ref!r}, which is not defined")
    analysis = _Analysis(grammar, n_vocab)
    reachable, todo = {ROOT}, [ROOT]
    while todo:
        for ref in _refs(rules[todo.pop()]) - reachable:
            reachable.add(ref)
            todo.append(ref)
    # Every element of every alternative that can be entered must be able to finish; a synthesized rule that
    # cannot is reported through the element inside it that cannot.
    for name in sorted(reachable, key=lambda n: (rules[n].line, n)):
        for alternative in rules[name].alternatives:
            for element in alternative:
                if isinstance(element, RuleRef) and rules[element.name].kind != "rule":
                    continue
                if not analysis.can_finish(element):
                    raise GrammarError(
                        f"grammar {rules[name].describe()}: {_describe(element, grammar)}; an output that reaches "
                        "it could never be completed (llama.cpp would abort the process)"
                    )
    _check_left_recursion(analysis, reachable)


def _check_left_recursion(analysis: _Analysis, reachable: set[str]) -> None:
    """A cycle among "can come first" edges is left recursion. Found with Tarjan's algorithm (iterative, linear)."""
    rules = analysis.grammar.rules
    first = {name: sorted(set().union(*(analysis.leading_refs(a) for a in rules[name].alternatives)))
             for name in sorted(reachable)}
    for component in _strongly_connected(first):
        start = component[0]
        if len(component) == 1 and start not in first[start]:
            continue
        cycle = _cycle_through(start, set(component), first)
        if all(rules[n].kind == "repetition" for n in cycle):
            raise GrammarError(f"grammar {rules[start].describe()}: a repetition of something that can be empty "
                               "(llama.cpp refuses it as left recursion)")
        shown = " -> ".join(n if rules[n].kind == "rule" else f"({rules[n].kind})" for n in cycle)
        raise GrammarError(f"grammar is left-recursive ({shown}); llama.cpp does not support that: put something "
                           "that consumes text before the recursive reference")


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_through(start: str, members: set[str], graph: dict[str, list[str]]) -> list[str]:
    """A shortest path start -> ... -> start inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt in members and nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start, start]


def parse_gbnf(text: str) -> Grammar:
    if len(text) > MAX_GRAMMAR_CHARS:
        raise GrammarError(f"grammar is {len(text)} characters; at most {MAX_GRAMMAR_CHARS} are accepted")
    return _Parser(text).parse()


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


SchemaPath = tuple[Union[str, int], ...]  # keys and list indices from a schema's root
_BOUND_KEYS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_QUANTIFIER = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


class SchemaTooLargeError(GrammarError):
    """A JSON schema whose grammar would be too large to build. ``path`` leads to the offending key (the HTTP
    server names it as the request field); ``problem`` says what is wrong there."""

    def __init__(self, problem: str, path: SchemaPath) -> None:
        where = "/" + "/".join(map(str, path))
        super().__init__(f"JSON schema at {where}: {problem}")
        self.problem = problem
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:  # pickled with both arguments (errors may cross processes)
        return type(self), (self.problem, self.path)


def check_schema_size(schema: Any) -> None:
    """Raise `SchemaTooLargeError` for a schema whose grammar would be too large to build: a repetition bound
    above `MAX_SCHEMA_REPETITIONS` (a ``pattern``'s ``{m,n}`` too), or nesting deeper than `MAX_SCHEMA_NESTING`.

    Every value is walked, not only subschemas: the converter resolves ``$ref`` through the whole document, and a
    ``$ref`` may point anywhere in it. Iterative, so no depth of input makes the walk itself overflow.
    """
    stack: list[tuple[SchemaPath, Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if len(path) > MAX_SCHEMA_NESTING:
            raise SchemaTooLargeError(f"the schema is nested more than {MAX_SCHEMA_NESTING} levels deep, too deep "
                                      "to become a grammar", path)
        if isinstance(node, dict):
            for key in _BOUND_KEYS:
                value = node.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SCHEMA_REPETITIONS:
                    raise SchemaTooLargeError(
                        f"{value} is more than the {MAX_SCHEMA_REPETITIONS} repetitions a grammar may spell out",
                        (*path, key),
                    )
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                for match in _QUANTIFIER.finditer(pattern):
                    if any(number and _exceeds(number, MAX_SCHEMA_REPETITIONS) for number in match.groups()):
                        raise SchemaTooLargeError(f"the repetition {_shorten(match.group(0))} is more than the "
                                                  f"{MAX_SCHEMA_REPETITIONS} repetitions a grammar may spell out",
                                                  (*path, "pattern"))
            # Reversed onto the stack, so values are visited in document order (the first problem is reported).
            stack.extend(((*path, key), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, index), value) for index, value in reversed(list(enumerate(node))))


def _exceeds(digits: str, limit: int) -> bool:
    digits = digits.lstrip("0") or "0"
    return len(digits) > len(str(limit)) or int(digits) > limit  # (int() refuses more than 4300 digits)


def check_schema(schema: Any) -> None:
    """Raise `GrammarError` for a schema too large to become a grammar (`check_schema_size`), one no output can
    satisfy, or one using keywords that cannot be enforced."""
    check_schema_size(schema)  # also bounds the recursion below: subschemas are nested no deeper than values
    _check_satisfiable(schema, "")


def _check_satisfiable(schema: Any, where: str) -> None:
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
                _check_satisfiable(sub, f"{where}/{key}/{name}")
    for key in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(key) or []) if isinstance(schema.get(key), list) else []:
            _check_satisfiable(sub, f"{where}/{key}/{index}")
    for key in _SUBSCHEMAS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            _check_satisfiable(sub, f"{where}/{key}")
        elif isinstance(sub, list):
            for index, item in enumerate(sub):
                _check_satisfiable(item, f"{where}/{key}/{index}")


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
    except RecursionError:
        # jsonschema validates against its meta-schema recursively, several frames per level: a schema within
        # `MAX_SCHEMA_NESTING` can still be too deep for it (how deep depends on the caller's stack).
        raise GrammarError("JSON schema is nested too deeply to be checked") from None
    from agentrt.engine.openmp import apply_openmp_defaults

    apply_openmp_defaults()  # this may be the first import of llama_cpp in the process
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
        text = json.dumps(schema)  # key order matters: the converter keeps it in the grammar
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
        # strict=False: the schema converter's string rule lets control characters through unescaped, so the
        # grammar admits them; what matters here is the schema.
        value = json.loads(result.text, strict=False)
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
