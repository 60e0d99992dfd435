"""The two tool-call formats with a real model. The ``hermes`` format is what templates with a tools section use
(Qwen2.5's, kept in fixtures/): here SmolLM2 gets Qwen2.5's template (the same ChatML tokens), so the server's
template path is exercised with the real engine without a second model download."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import jsonschema
import pytest
import pytest_asyncio
from openai import OpenAI

from agentrt.bench.servers import AgentrtServer
from agentrt.engine import Engine
from agentrt.serve.tools import ToolPlan, uses_hermes
from agentrt.serve.wire import ChatCompletionRequest
from serve_helpers import start_server

pytestmark = pytest.mark.slow

QWEN_TEMPLATE = Path(__file__).parent / "fixtures" / "qwen2.5-chat-template.jinja"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a <city> & its region.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
HISTORY = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees"},
]


@pytest.fixture(scope="session")
def hermes_model(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hermes") / "smollm2-qwen-template.gguf"
    subprocess.run(
        [sys.executable, "-m", "gguf.scripts.gguf_new_metadata", str(smollm2_path), str(out),
         "--chat-template-file", str(QWEN_TEMPLATE), "--force"],
        check=True, capture_output=True,
    )
    return out


@pytest_asyncio.fixture(scope="module")
async def hermes_engine(hermes_model: Path) -> AsyncIterator[Engine]:
    async with await Engine.start(model=str(hermes_model), sequences=1, n_ctx=1024, threads=1) as engine:
        yield engine


def plan_for(engine: Engine, choice: object, messages: list[dict] | None = None) -> tuple[ToolPlan, ChatCompletionRequest]:
    body = ChatCompletionRequest.model_validate(
        {"model": "m", "messages": messages or HISTORY[:1], "tools": [WEATHER], "tool_choice": choice}
    )
    plan = ToolPlan(body.tools or [], body.tool_choice, True, hermes=uses_hermes(engine.chat_template))
    return plan, body


async def test_the_template_renders_tools_calls_and_results_as_trained(hermes_engine: Engine) -> None:
    plan, body = plan_for(hermes_engine, "auto", HISTORY)
    assert plan.hermes
    prompt = hermes_engine.render_chat(plan.messages(body.messages), tools=plan.template_tools())
    # The tool list as plain JSON (jinja's own tojson would write \u003ccity\u003e \u0026 for HTML).
    assert '"description": "Weather for a <city> & its region."' in prompt
    assert "<tools>\n{\"type\": \"function\"" in prompt
    # The earlier call with its arguments as an object, the result inside <tool_response>.
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in prompt
    assert "<tool_response>\n18 degrees\n</tool_response>" in prompt


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}, "auto"])
async def test_the_grammar_makes_the_answer_parse(hermes_engine: Engine, choice: object) -> None:
    plan, body = plan_for(hermes_engine, choice)
    prompt = hermes_engine.render_chat(plan.messages(body.messages), tools=plan.template_tools())
    async with hermes_engine.sequence(owner="t") as seq:
        result = await seq.complete(prompt, grammar=plan.grammar(), max_tokens=60)
    output = plan.parse(result.text)
    if choice != "auto":
        assert result.text.startswith("<tool_call>\n") and output.content is None
    if output.calls:
        for call in output.calls:
            assert call.name == "get_weather"
            jsonschema.validate(json.loads(call.arguments), WEATHER["function"]["parameters"])
    else:  # auto may answer in words: never something that starts like a call
        assert choice == "auto" and not result.text.startswith("<")


@pytest.fixture(scope="module")
def hermes_server(hermes_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentrtServer]:
    server = start_server(tmp_path_factory.mktemp("hermes-serve"), "hermes", "--model", str(hermes_model),
                          "--sequences", "2", "--n-ctx", "1024", "--threads", "1", "--name", "hermes")
    yield server
    assert server.stop() == 0, server.log_tail()


def test_hermes_server_streams_tool_calls(hermes_server: AgentrtServer) -> None:
    client = OpenAI(base_url=hermes_server.base_url, api_key="x", max_retries=0, timeout=600)
    assert client.models.retrieve("hermes").model_extra["meta"]["chat_template_tools"] is True
    chunks = list(client.chat.completions.create(
        model="hermes", messages=HISTORY[:1], tools=[WEATHER], tool_choice="required", max_tokens=60,
        temperature=0, stream=True,
    ))
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls and all(c.function.name == "get_weather" for c in calls)
    assert not any(c.choices[0].delta.content for c in chunks if c.choices)  # no raw <tool_call> text leaks
    jsonschema.validate(json.loads(calls[0].function.arguments), WEATHER["function"]["parameters"])
    answer = client.chat.completions.create(model="hermes", messages=HISTORY, tools=[WEATHER], max_tokens=30,
                                            temperature=0)
    message = answer.choices[0].message
    assert message.content or message.tool_calls
