"""Grammars and JSON schemas are checked before they reach llama.cpp (issue 13), and JSON output after.

The real-engine checks run in a child process: before this check, ``root ::= [z-a]`` made llama.cpp abort the
process (SIGABRT), and a regression must fail this test, not kill pytest.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentrt.engine.grammar import check_gbnf, check_output, schema_to_gbnf
from agentrt.engine.leasing import build_request
from agentrt.engine.request import GenerationResult, Timings
from agentrt.errors import GrammarError, SchemaViolationError

REPO = Path(__file__).resolve().parents[2]

# Each of these crashed, hung or was silently ignored by llama.cpp, or only failed with a vague message.
BAD_GRAMMARS = [
    ("root ::= [z-a]", r"\[z-a\], which matches no character"),
    (r"root ::= [^\x01-\U0010FFFF]", "matches no character"),
    ('root ::= "a" [z-a]', "could never be completed"),
    ('root ::= "ok" | "b" ("c" | [b-a])', r"\[b-a\]"),
    ('root ::= "a" root', "rule 'root', which can never finish"),
    (r'root ::= "\x00"', "no model can generate"),
    ('root ::= "a"{3,2}', r"line 1, column 18: \{3,2\}: the maximum is below the minimum"),
    ('root ::= "a"{5000}', "more than 2000 repetitions"),
    ('root ::= "a"{0,5000}', r"\{0,5000\}: more than 2000 repetitions"),  # llama.cpp refuses a huge maximum too
    ('root ::= "a"{' + "9" * 5000 + "}", "line 1, column 14: the number 9{40}... is too large"),
    ("", "grammar is empty"),
    ("   # just a comment\n\n", "grammar is empty"),
    ('root ::= "a" answer', "uses rule 'answer', which is not defined"),
    ('answer ::= "a"', "no 'root' rule"),
    ('root ::= "a"\nroot ::= "b"', "line 2, column 1: rule 'root' is defined twice"),
    ('root ::= x "a"\nx ::= root | "b"', r"left-recursive \(root -> x -> root\)"),
    ('root ::= ("" | "a")*', "repetition of something that can be empty"),
    ('root ::= "abc', "unclosed string"),
    ("root ::= [a-", "unexpected end of input"),
    (r'root ::= "\q"', r"line 1, column 11: unknown escape \\q"),
    ("root = \"a\"", "expecting ::="),
    ("root ::= " + "(" * 1200 + '"a"' + ")" * 1200, "nested deeper than 1000"),
    ("root ::= " + '"a"' * 100_000, "at most 262144 are accepted"),
]


@pytest.mark.parametrize(("grammar", "message"), BAD_GRAMMARS, ids=[g[:30] for g, _ in BAD_GRAMMARS])
def test_grammars_llama_cpp_cannot_honour_are_errors(grammar: str, message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        check_gbnf(grammar)
    with pytest.raises(GrammarError, match=message):  # the same error where requests are built
        build_request(prompt="x", grammar=grammar)


def test_a_token_outside_the_vocabulary_is_an_error_when_the_vocabulary_is_known() -> None:
    check_gbnf("root ::= <[70000]>")  # unknown vocabulary: llama.cpp checks
    with pytest.raises(GrammarError, match="not a token of this model"):
        check_gbnf("root ::= <[70000]>", 49152)


GOOD_GRAMMARS = [
    'root ::= "yes" | "no"',
    'root ::= ""',
    "root ::= [a-z]+ ( \" \" [a-z]+ )* \"\\n\"?\n",
    'root ::= item ("," item){0,3}\nitem ::= [0-9]{1,3} # a comment\n',
    'root ::= "(" (\n  "a" |\n  "b"\n) ")"',
    "root   ::= object\nvalue  ::= object | array | string | number | (\"true\" | \"false\" | \"null\") ws\n"
    "object ::= \"{\" ws ( string \":\" ws value (\",\" ws string \":\" ws value)* )? \"}\" ws\n"
    "array  ::= \"[\" ws ( value (\",\" ws value)* )? \"]\" ws\n"
    "string ::= \"\\\"\" ( [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4}) )* \"\\\"\" ws\n"
    "number ::= (\"-\"? ([0-9] | [1-9] [0-9]{0,15})) (\".\" [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws\n"
    "ws ::= | \" \" | \"\\n\" [ \\t]{0,20}\n",  # llama.cpp's grammars/json.gbnf
    "root ::= <[12]> !<[13]> .",
]


@pytest.mark.parametrize("grammar", GOOD_GRAMMARS)
def test_good_grammars_pass(grammar: str) -> None:
    check_gbnf(grammar)


BAD_SCHEMAS = [
    ({"type": "string", "enum": []}, "`enum` is empty"),
    ({"type": "integer", "minimum": 5, "maximum": 3}, "minimum 5 > maximum 3"),
    ({"type": "number", "exclusiveMinimum": 2, "maximum": 2}, "lower bound is not below its upper bound"),
    ({"type": "integer", "minimum": 0.2, "maximum": 0.8}, "no integer lies between"),
    ({"type": "string", "minLength": 4, "maxLength": 2}, "minLength 4 > maxLength 2"),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 1}, "minItems 3 > maxItems 1"),
    ({"not": {}}, "`not: {}` matches nothing"),
    ({"type": "string", "not": {"const": "x"}}, "'not' cannot be enforced"),
    ({"type": "object", "patternProperties": {"^a": {}}}, "'patternProperties' cannot be enforced"),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a", "b"],
      "additionalProperties": False}, r"required \['b'\] but additionalProperties is false"),
    ({"type": "integer", "enum": ["one", "two"]}, "none of its values is of type integer"),
    ({"type": "object", "properties": {"a": {"anyOf": []}}}, "at /properties/a: `anyOf` is empty"),
    ({"type": "object", "properties": {"a": False}, "required": ["a"]}, "required property whose schema is `false`"),
    (False, "the schema is `false`"),
    ({"type": "strng"}, "JSON schema is invalid"),
    # Too large to become a grammar (the converter spells repetitions out): refused before it is converted.
    ({"type": "object", "properties": {"code": {"type": "string", "maxLength": 10**9}}},
     "at /properties/code/maxLength: 1000000000 is more than the 1000 repetitions a grammar may spell out"),
    ({"anyOf": [{"type": "string"}, {"type": "string", "pattern": "^a{2,5000}$"}]},
     r"at /anyOf/1/pattern: the repetition \{2,5000\} is more than the 1000 repetitions"),
    (functools.reduce(lambda inner, _: {"type": "array", "items": inner}, range(300), {"type": "integer"}),
     "at /items/items/.*: the schema is nested more than 200 levels deep"),
]


@pytest.mark.parametrize(("schema", "message"), BAD_SCHEMAS, ids=[str(s)[:40] for s, _ in BAD_SCHEMAS])
def test_schemas_no_output_can_satisfy_are_errors(schema: object, message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        schema_to_gbnf(schema)  # type: ignore[arg-type]
    if isinstance(schema, dict):  # (a request's json_schema must be an object)
        with pytest.raises(GrammarError, match=message):
            build_request(prompt="x", json_schema=schema)


def test_a_schema_too_deep_for_the_meta_schema_check_is_a_grammar_error() -> None:
    # Within the nesting limit, but jsonschema's recursive meta-schema check may overflow the stack on it (how
    # deep it gets depends on the caller's stack): a GrammarError for this request, never a RecursionError.
    schema = functools.reduce(
        lambda inner, _: {"type": "object", "properties": {"a": inner}, "required": ["a"]}, range(99),
        {"type": "integer"},
    )
    try:
        schema_to_gbnf(schema)
    except GrammarError:
        pass


def test_a_usual_schema_passes() -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer", "minimum": 0}, "unit": {"enum": ["apples", "pears"]},
                       "note": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]}},
        "required": ["answer", "unit"],
    }
    assert "root" in schema_to_gbnf(schema)


def _result(text: str, finish: str = "stop") -> GenerationResult:
    return GenerationResult(text=text, finish_reason=finish, seq_id=0, prompt_tokens=1, cached_tokens=0,
                            completion_tokens=1, timings=Timings())


def test_a_finished_output_that_violates_the_schema_fails_the_request() -> None:
    request = build_request(prompt="x", json_schema={"type": "integer", "minimum": 1, "maximum": 6, "multipleOf": 7})
    with pytest.raises(SchemaViolationError, match="does not conform to the JSON schema at /: 3 is not a multiple of 7") as caught:
        check_output(request, _result("3"))
    assert caught.value.text == "3"
    assert check_output(request, _result("3", "length")).text == "3"  # cut off: incomplete by design, returned
    ok = build_request(prompt="x", json_schema={"type": "integer", "multipleOf": 7})
    assert check_output(ok, _result("14")).text == "14"
    with pytest.raises(SchemaViolationError, match="not JSON"):
        check_output(ok, _result("14 apples"))


def test_with_the_real_engine_bad_grammars_fail_their_request_only() -> None:
    code = textwrap.dedent(
        """
        import asyncio
        from agentrt.engine import Engine
        from agentrt.errors import GrammarError, SchemaViolationError

        async def main():
            async with await Engine.start(model="smollm2", sequences=2, n_ctx=512) as engine:
                good = asyncio.ensure_future(engine.complete("Is the sky blue? Answer:", max_tokens=4,
                                                             grammar='root ::= " yes" | " no"'))
                for grammar in ["root ::= [z-a]", r"root ::= [^\\x01-\\U0010FFFF]", "", 'root ::= "a"{3,2}']:
                    try:
                        await engine.complete("Say:", max_tokens=4, grammar=grammar)
                        print("ACCEPTED", repr(grammar))
                    except GrammarError as exc:
                        print("GrammarError:", exc)
                print("GOOD", (await good).text)
                schema = {"type": "integer", "minimum": 1, "maximum": 6, "multipleOf": 7}
                try:
                    result = await engine.complete("A number:", max_tokens=12, json_schema=schema)
                    print("RETURNED", result.finish_reason, repr(result.text))
                except SchemaViolationError as exc:
                    print("SchemaViolationError:", exc)

        asyncio.run(main())
        print("PROCESS SURVIVED")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode != -signal.SIGABRT, "llama.cpp aborted the process: " + done.stderr[-1500:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "PROCESS SURVIVED" in done.stdout
    assert done.stdout.count("GrammarError:") == 4 and "ACCEPTED" not in done.stdout
    assert "GOOD  yes" in done.stdout or "GOOD  no" in done.stdout
    assert "SchemaViolationError:" in done.stdout or "RETURNED length" in done.stdout
