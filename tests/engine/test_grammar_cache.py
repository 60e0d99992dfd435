"""Each grammar is compiled once per engine; every request gets its own fresh copy of it."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentrt.engine import Engine
from agentrt.errors import GrammarError

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}


async def test_requests_with_one_schema_share_one_compiled_grammar(engine: Engine) -> None:
    prompts = ["The largest city of Italy, as JSON:", "The capital of Spain, as JSON:", "A city in Peru, as JSON:"]
    results = await asyncio.gather(*(engine.complete(p, max_tokens=40, json_schema=SCHEMA) for p in prompts))
    again = await engine.complete(prompts[0], max_tokens=40, json_schema=SCHEMA)
    for result in [*results, again]:
        value = json.loads(result.text)  # each copy starts at the grammar's root, whatever the others accepted
        assert set(value) == {"city", "population"} and isinstance(value["population"], int)
    assert again.text == results[0].text
    other = await engine.complete("Yes or no?", max_tokens=4, grammar='root ::= "yes" | "no"')
    assert other.text in ("yes", "no")
    cached = await engine._call(lambda loop: len(loop.grammars._pristine))
    assert cached >= 2


async def test_a_grammar_that_does_not_compile_fails_every_time(engine: Engine) -> None:
    for _ in range(2):
        with pytest.raises(GrammarError):
            await engine.complete("x", max_tokens=4, grammar="root ::= (")
