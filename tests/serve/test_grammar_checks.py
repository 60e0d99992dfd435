"""The server's grammar and schema checks are the engine's (agentrt/engine/grammar.py), run before a request waits
for a sequence; what they refuse is a 400 naming the request field, for a schema the key inside it. No model or
server: these run in milliseconds."""

from __future__ import annotations

from typing import Any

import pytest

from agentrt.engine.grammar import MAX_REPETITIONS, MAX_SCHEMA_REPETITIONS
from agentrt.serve.errors import ApiError
from agentrt.serve.grammar import check_gbnf, check_schema

PARAM = "tools[0].function.parameters"


def refusal(check: Any, value: Any, param: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        check(value, param)
    error = caught.value
    assert error.status == 400 and error.code == "invalid_schema"
    assert error.message.startswith(f"{error.param}: ")
    return error


@pytest.mark.parametrize(
    ("schema", "field", "message"),
    [
        ({"type": "object", "properties": {"code": {"type": "string", "maxLength": 10**9}}},
         ".properties.code.maxLength", f"1000000000 is more than the {MAX_SCHEMA_REPETITIONS} repetitions"),
        ({"type": "array", "items": {"type": "string"}, "minItems": MAX_SCHEMA_REPETITIONS + 1},
         ".minItems", f"{MAX_SCHEMA_REPETITIONS + 1} is more than"),
        ({"anyOf": [{"type": "string"}, {"type": "string", "pattern": "^[a-z]{3,5000}$"}]},
         ".anyOf[1].pattern", "the repetition {3,5000} is more than"),
    ],
)
def test_a_schema_too_large_for_a_grammar_names_the_key(schema: dict[str, Any], field: str, message: str) -> None:
    error = refusal(check_schema, schema, PARAM)
    assert error.param == PARAM + field
    assert message in error.message


def test_a_schema_nested_too_deeply_names_where() -> None:
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range(150):
        schema = {"type": "object", "properties": {"a": schema}}
    error = refusal(check_schema, schema, "response_format.schema")
    assert error.param.startswith("response_format.schema.properties.a.properties.a.")
    assert "nested more than 200 levels deep" in error.message


def test_a_schema_must_be_an_object() -> None:
    error = refusal(check_schema, [{"type": "string"}], "json_schema")
    assert error.param == "json_schema" and "must be an object, not list" in error.message


def test_usual_schemas_and_bounds_at_the_limit_pass() -> None:
    check_schema({"type": "object", "properties": {"name": {"type": "string", "maxLength": MAX_SCHEMA_REPETITIONS},
                                                   "tags": {"type": "array", "items": {"type": "string"}}},
                  "required": ["name"]}, PARAM)
    check_schema({"type": "string", "pattern": "^[a-z]{1,1000}$", "default": "{5000} in a value is no bound"},
                 PARAM)


@pytest.mark.parametrize(
    ("grammar", "message"),
    [
        ('root ::= "a" (', "grammar line 1, column 15: expecting ')'"),
        ('answer ::= "a"', "no 'root' rule"),
        ('root ::= "a"{0,5000}', f"{{0,5000}}: more than {MAX_REPETITIONS} repetitions"),
        ("root ::= " + "(" * 1200 + '"a"' + ")" * 1200, "groups nested deeper than 1000"),
        ("root ::= " + '"a"' * 100_000, "at most 262144 are accepted"),
        ("root ::= [z-a]", "matches no character"),  # found by the engine's analysis, now before the request waits
    ],
)
def test_a_grammar_the_engine_would_refuse_is_a_400_naming_the_field(grammar: str, message: str) -> None:
    error = refusal(check_gbnf, grammar, "grammar")
    assert error.param == "grammar"
    assert message in error.message


def test_good_grammars_pass() -> None:
    check_gbnf('root ::= "{5000}" [a-z]{0,2000}', "grammar")  # braces in a string are text, not a repetition
    check_gbnf("root ::= " + "(" * 300 + '"a"' + ")" * 300, "grammar")
