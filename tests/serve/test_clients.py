"""Real clients against a real `agentrt serve`: the official `openai` SDK (sync, async, streaming, tools,
response_format, completions), LangChain's `ChatOpenAI` with a bound tool, and agentrt's own `RemoteEngine`
running a graph. The tool and JSON answers come from SmolLM2-135M, which cannot reason: what makes them valid is
the grammar the server derives from the schemas, which is what these tests check."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from openai import AsyncOpenAI, OpenAI

from agentrt.bench.servers import AgentrtServer

pytestmark = pytest.mark.slow

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
        },
    },
}
CLOCK = {"type": "function", "function": {"name": "get_time", "description": "The time now."}}
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 150}},
    "required": ["name", "age"],
}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]


def client(server: AgentrtServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=600)


def test_models_lists_the_served_model(server: AgentrtServer) -> None:
    models = client(server).models.list()
    assert [m.id for m in models.data] == ["smollm2"]
    assert client(server).models.retrieve("smollm2").owned_by == "agentrt"


def test_sync_chat_has_text_and_usage(server: AgentrtServer) -> None:
    answer = client(server).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0
    )
    choice = answer.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert answer.usage is not None and answer.usage.completion_tokens <= 8
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_stream_matches_the_whole_answer_and_ends_with_usage(server: AgentrtServer) -> None:
    messages = [{"role": "user", "content": "Count from one to five."}]
    whole = client(server).chat.completions.create(model="smollm2", messages=messages, max_tokens=12, temperature=0)
    chunks = list(client(server).chat.completions.create(
        model="smollm2", messages=messages, max_tokens=12, temperature=0, stream=True,
        stream_options={"include_usage": True},
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert not chunks[-1].choices and chunks[-1].usage is not None  # the usage chunk comes last
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]
    # The second request found the first's prompt in a KV cache.
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens > 0  # type: ignore[union-attr]


async def test_async_clients_run_at_once_and_greedy_is_deterministic(server: AgentrtServer) -> None:
    aclient = AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=600)
    questions = ["Name a colour.", "Name a fruit.", "Name an animal.", "Name a city."]

    async def ask(question: str) -> str:
        answer = await aclient.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": question}], max_tokens=6, temperature=0
        )
        return answer.choices[0].message.content or ""

    together = await asyncio.gather(*(ask(q) for q in questions))
    assert all(together)
    assert await ask(questions[0]) == together[0]
    await aclient.close()


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_tool_calls_parse_and_match_the_schema(server: AgentrtServer, choice: object) -> None:
    answer = client(server).chat.completions.create(
        model="smollm2", messages=ASK, tools=[WEATHER, CLOCK], tool_choice=choice, max_tokens=80, temperature=0,
    )
    choice0 = answer.choices[0]
    assert choice0.finish_reason == "tool_calls"
    calls = choice0.message.tool_calls
    assert calls and calls[0].id.startswith("call_") and calls[0].type == "function"
    for call in calls:
        tool = {"get_weather": WEATHER, "get_time": CLOCK}[call.function.name]
        arguments = json.loads(call.function.arguments)
        jsonschema.validate(arguments, tool["function"].get("parameters", {"type": "object"}))
    if isinstance(choice, dict):
        assert {c.function.name for c in calls} == {"get_weather"}


def test_streamed_tool_calls_and_a_follow_up_turn(server: AgentrtServer) -> None:
    chunks = list(client(server).chat.completions.create(
        model="smollm2", messages=ASK, tools=[WEATHER], tool_choice="required", max_tokens=80, temperature=0,
        stream=True, parallel_tool_calls=False,
    ))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(deltas) == 1 and deltas[0].index == 0 and deltas[0].function.name == "get_weather"
    arguments = json.loads(deltas[0].function.arguments)
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    # The conversation goes on with the call and its result; the model may now answer in words.
    history = [*ASK, {"role": "assistant", "content": None, "tool_calls": [
        {"id": deltas[0].id, "type": "function", "function": {"name": "get_weather", "arguments": deltas[0].function.arguments}}
    ]}, {"role": "tool", "tool_call_id": deltas[0].id, "content": "18 degrees, sunny"}]
    answer = client(server).chat.completions.create(
        model="smollm2", messages=history, tools=[WEATHER], max_tokens=60, temperature=0,
    )
    message = answer.choices[0].message
    assert message.content or message.tool_calls  # either is a well-formed answer (auto)


def test_response_format_json_schema_and_json_object(server: AgentrtServer) -> None:
    answer = client(server).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Invent a person."}], max_tokens=60, temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
    )
    jsonschema.validate(json.loads(answer.choices[0].message.content or ""), PERSON)
    answer = client(server).chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Describe a cat as JSON."}], max_tokens=60,
        temperature=0, response_format={"type": "json_object"},
    )
    if answer.choices[0].finish_reason == "stop":  # a complete object (the grammar cannot make it short)
        assert isinstance(json.loads(answer.choices[0].message.content or ""), dict)


def test_completions_endpoint_with_stop_and_seeded_sampling(server: AgentrtServer) -> None:
    c = client(server)
    answer = c.completions.create(model="smollm2", prompt="One, two, three,", max_tokens=10, temperature=0,
                                  stop=[","])
    assert "," not in answer.choices[0].text and answer.choices[0].finish_reason == "stop"
    seeded = [c.completions.create(model="smollm2", prompt="Once upon a time", max_tokens=8, temperature=0.9,
                                   top_p=0.9, seed=7).choices[0].text for _ in range(2)]
    assert seeded[0] == seeded[1]
    streamed = list(c.completions.create(model="smollm2", prompt="One, two, three,", max_tokens=4, temperature=0,
                                         stream=True))
    assert "".join(s.choices[0].text for s in streamed) == c.completions.create(
        model="smollm2", prompt="One, two, three,", max_tokens=4, temperature=0).choices[0].text


def test_langchain_chat_openai_with_a_bound_tool(server: AgentrtServer) -> None:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str, unit: str) -> str:
        """The current weather in a city, in celsius or fahrenheit."""
        return f"18 degrees {unit} in {city}"

    llm = ChatOpenAI(model="smollm2", base_url=server.base_url, api_key="unused", temperature=0, max_tokens=80,
                     max_retries=0)
    message = llm.bind_tools([get_weather], tool_choice="get_weather").invoke("What is the weather in Paris?")
    assert len(message.tool_calls) >= 1
    call = message.tool_calls[0]
    assert call["name"] == "get_weather" and set(call["args"]) == {"city", "unit"}
    assert all(isinstance(v, str) for v in call["args"].values())
    assert get_weather.invoke(call["args"])  # the arguments are what the tool takes
    plain = llm.invoke("Say hello.")
    assert isinstance(plain.content, str) and plain.content


GRAPH = """
name: over-http
model: {{sequences: 2}}
engine: {{remote: [{url}]}}
imports: [serve_test_agents]
agents:
  two: {{class: serve_test_agents.TwoTurns, max_tokens: 8}}
nodes:
  one: {{agent: two, input: "Name a colour."}}
  other: {{agent: two, input: "Name a fruit."}}
outputs:
  one: one
  other: other
"""


async def test_remote_engine_runs_a_graph_against_agentrt_serve(server: AgentrtServer, tmp_path: Path) -> None:
    from agentrt.events import EventBus
    from agentrt.graph.launch import RunLaunch, launch_run

    graph = tmp_path / "g.yaml"
    graph.write_text(GRAPH.format(url=server.base_url))
    bus = EventBus(forward_to_logging=False)
    seen: list[dict] = []
    bus.subscribe(seen.append, kinds={"engine.ready", "request.finished"})
    result = await launch_run(RunLaunch(graph=graph, run_dir=tmp_path / "run"), bus)
    assert result.status == "succeeded", result
    assert seen[0]["endpoints"][0]["kind"] == "llama.cpp"  # agentrt serve speaks llama.cpp's dialect
    for name in ("one", "other"):
        output = result.outputs[name]
        assert output["first"] and output["second"]
        # The second turn resent the first: the server found it in a KV cache instead of prefilling it again.
        assert output["second_cached"] >= output["first_prompt"] - 1
    assert len([e for e in seen if e["event"] == "request.finished"]) == 4
