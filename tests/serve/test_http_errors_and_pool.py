"""Bad input gets an OpenAI-style error naming the field, and the pool's semantics reach HTTP: priority then FIFO
while waiting, a bounded queue (429 + Retry-After beyond it), a disconnect frees the sequence within one engine
step, a prompt that cannot fit is refused with the number of tokens it is over by. Nothing a client sends stops
the server or another client's request."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentrt.bench.servers import AgentrtServer
from serve_helpers import start_server

pytestmark = pytest.mark.slow

KEY = "sekrit"
AUTH = {"Authorization": f"Bearer {KEY}"}
N_CTX = 256
CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentrtServer]:
    """One sequence, at most two waiting, a small context and body limit, an API key."""
    process = start_server(
        tmp_path_factory.mktemp("tight"), "tight", "--model", "smollm2", "--sequences", "1", "--max-queue", "2",
        "--n-ctx", str(N_CTX), "--threads", "1", "--max-body-bytes", "65536", "--api-key", KEY,
    )
    yield process
    assert process.stop() == 0, process.log_tail()


def post(server: AgentrtServer, body: Any, path: str = CHAT, **kwargs: Any) -> httpx.Response:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    if isinstance(body, (bytes, str)):
        return httpx.post(server.url + path, content=body, headers=headers, timeout=600, **kwargs)
    return httpx.post(server.url + path, json=body, headers=headers, timeout=600, **kwargs)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def chat(content: str = "Hi", **fields: Any) -> dict[str, Any]:
    return {"model": "smollm2", "messages": [{"role": "user", "content": content}], "max_tokens": 4,
            "temperature": 0, **fields}


def events(server: AgentrtServer) -> list[dict[str, Any]]:
    path: Path = server.run_dir / "events.jsonl"  # type: ignore[attr-defined]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_bad_bodies_are_refused_naming_the_field(tight: AgentrtServer) -> None:
    assert error_of(post(tight, b'{"model": "smollm2", "messages": ['), 400)["code"] == "invalid_json"
    assert "line 1 column" in error_of(post(tight, b'{"model": }'), 400)["message"]
    assert error_of(post(tight, b"[1, 2]"), 400)["message"] == "the request body must be a JSON object, not list"
    wrong = error_of(post(tight, chat(max_tokens="5")), 400)
    assert wrong["param"] == "max_tokens" and "(got '5')" in wrong["message"]
    wrong = error_of(post(tight, {"model": "smollm2", "messages": [{"role": "user", "content": 5}]}), 400)
    assert wrong["param"] == "messages[0].content"
    wrong = error_of(post(tight, {"model": "smollm2", "messages": [{"role": "robot", "content": "x"}]}), 400)
    assert wrong["param"] == "messages[0].role"
    assert error_of(post(tight, {"messages": []}), 400)["param"] == "model"
    assert error_of(post(tight, chat(n=3)), 400)["param"] == "n"
    assert error_of(post(tight, chat(stop=["x" * 501])), 400)["param"] == "stop"
    unknown = error_of(post(tight, {**chat(), "model": "gpt-9"}), 404)
    assert unknown["code"] == "model_not_found" and unknown["param"] == "model" and "gpt-9" in unknown["message"]
    big = error_of(post(tight, chat("x" * 70_000)), 413)
    assert big["code"] == "request_too_large" and "65536" in big["message"]
    assert error_of(post(tight, chat(), headers={"X-Priority": "high"}), 400)["param"] == "X-Priority"
    assert error_of(httpx.post(tight.url + CHAT, json=chat(), timeout=60), 401)["code"] == "invalid_api_key"
    assert error_of(httpx.get(tight.url + "/v1/nothing", headers=AUTH), 404)["code"] == "not_found"
    # Completions: its own fields are named too.
    assert error_of(post(tight, {"model": "smollm2", "prompt": 7}, "/v1/completions"), 400)["param"] == "prompt"
    assert httpx.get(tight.url + "/health").json()["status"] == "ok"


def test_schemas_and_grammars_that_cannot_become_grammars(tight: AgentrtServer) -> None:
    missing_ref = {"type": "object", "properties": {"a": {"$ref": "#/$defs/nowhere"}}}
    body = chat(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": missing_ref}})
    error = error_of(post(tight, body), 400)
    assert error["param"] == "response_format.json_schema.schema" and error["code"] == "invalid_schema"
    huge = {"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"code": {"type": "string", "maxLength": 10**9}}}}}
    error = error_of(post(tight, chat(tools=[huge], tool_choice="required")), 400)
    assert error["param"] == "tools[0].function.parameters.properties.code.maxLength"
    # A GBNF grammar llama.cpp cannot compile is found by the engine: still a 400, before any stream starts.
    error = error_of(post(tight, chat(grammar='root ::= "a" (', stream=True)), 400)
    assert error["param"] == "grammar" and error["code"] == "invalid_schema"
    assert post(tight, chat()).status_code == 200  # and the server goes on


def test_a_prompt_that_cannot_fit_says_by_how_much(tight: AgentrtServer) -> None:
    error = error_of(post(tight, chat("tell me a story " * 60, max_tokens=None)), 400)
    assert error["code"] == "context_length_exceeded" and error["param"] == "messages"
    asked, prompt, completion, over = map(int, re.search(
        r"requested (\d+) tokens \((\d+) in the messages, (\d+) for the completion\): (\d+) tokens too many",
        error["message"]).groups())
    assert asked == prompt + completion and over == asked - N_CTX and prompt > N_CTX
    error = error_of(post(tight, chat("Hi", max_tokens=N_CTX)), 400)
    assert error["param"] == "max_tokens" and "tokens too many" in error["message"]
    error = error_of(post(tight, {"model": "smollm2", "prompt": "word " * 300, "max_tokens": 1},
                          "/v1/completions"), 400)
    assert error["param"] == "prompt" and "in the prompt" in error["message"]


async def test_queue_priority_429_and_disconnect(tight: AgentrtServer) -> None:
    async with httpx.AsyncClient(base_url=tight.url, headers=AUTH, timeout=600) as http:
        # A holds the only sequence (its stream has begun: the response starts with the first token).
        holder = httpx.AsyncClient(base_url=tight.url, headers=AUTH, timeout=600)
        stream_cm = holder.stream("POST", CHAT, json=chat("Write a long story.", max_tokens=200, ignore_eos=True,
                                                          stream=True))
        held = await stream_cm.__aenter__()
        assert held.status_code == 200
        lines = held.aiter_lines()
        assert (await anext(lines)).startswith("data: ")

        async def queue_depth() -> float:
            return (await asyncio.to_thread(tight.metrics))["agentrt_queue_depth"]

        async def until_queued(n: int) -> None:
            while await queue_depth() < n:
                await asyncio.sleep(0.1)

        low = asyncio.create_task(http.post(CHAT, json=chat("Name a colour.")))
        await until_queued(1)
        high = asyncio.create_task(http.post(CHAT, json=chat("Name a fruit."), headers={"X-Priority": "5"}))
        await until_queued(2)
        refused = await http.post(CHAT, json=chat())
        error = error_of(refused, 429)
        assert error["code"] == "queue_full" and int(refused.headers["retry-after"]) >= 1

        # A's client leaves: its request is cancelled and the sequence goes to the waiting high-priority one.
        await stream_cm.__aexit__(None, None, None)
        await holder.aclose()
        low_answer, high_answer = await low, await high
        assert low_answer.status_code == high_answer.status_code == 200

    log = events(tight)
    ids = {answer.json()["id"].split("-")[1]: name for answer, name in ((low_answer, "low"), (high_answer, "high"))}
    acquired = [ids[e["owner"].split("#")[1]] for e in log
                if e["event"] == "seq.acquired" and e["owner"].split("#")[1] in ids]
    assert acquired == ["high", "low"]  # priority first, although it came second

    left = [e for e in log if e["event"] == "serve.request" and e.get("disconnected")]
    assert len(left) == 1
    owner = left[0]["owner"]
    finished_at = next(i for i, e in enumerate(log) if e["event"] == "request.finished" and e["owner"] == owner)
    finished = log[finished_at]
    assert finished["finish_reason"] == "cancelled" and finished["completion_tokens"] < 200
    left_at = log.index(left[0])
    steps_after_leaving = [e for e in log[left_at:finished_at] if e["event"] == "engine.step"]
    assert len(steps_after_leaving) <= 1  # the step running when the client left, no more


async def test_a_failing_request_does_not_disturb_a_running_one(tight: AgentrtServer) -> None:
    async with httpx.AsyncClient(base_url=tight.url, headers=AUTH, timeout=600) as http:
        good = asyncio.create_task(http.post(CHAT, json=chat("Count to five.", max_tokens=12)))
        bad = [
            http.post(CHAT, content=b"{nope"),
            http.post(CHAT, json=chat(grammar="root ::= ((")),
            http.post(CHAT, json=chat(tools=[{"type": "function", "function": {"name": "f", "parameters": {
                "type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}}}}])),
        ]
        statuses = [r.status_code for r in await asyncio.gather(*bad)]
        answer = await good
    assert statuses == [400, 400, 400]
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"]
