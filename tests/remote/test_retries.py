"""Retry policy against a scripted loopback HTTP server: each request gets the next scripted answer.

The real-server tests cover generation; this covers what a real server rarely does on cue (429, 503, 400).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from agentrt.errors import ContextOverflowError
from agentrt.events import EventBus
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.engine.remote.engine import RemoteEngine
from agentrt.engine.remote.errors import EndpointError

MODELS = {"object": "list", "data": [{"id": "scripted", "owned_by": "me"}]}
ANSWER = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1},
}


class ScriptedServer:
    """Answers GET /v1/models itself; every POST takes the next (status, body, headers) of the script."""

    def __init__(self, script: list[tuple[int, dict, dict[str, str]]]) -> None:
        self.script = list(script)
        self.posts: list[dict] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        method = head.split(" ", 1)[0]
        length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n") if line.lower().startswith("content-length:")), 0)
        body = json.loads(await reader.readexactly(length)) if length else {}
        if method == "GET":
            status, answer, headers = 200, MODELS, {}
        else:
            self.posts.append(body)
            status, answer, headers = self.script.pop(0)
        payload = json.dumps(answer).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n{extra}"
            f"Connection: close\r\n\r\n".encode() + payload
        )
        await writer.drain()
        writer.close()


async def _engine(url: str, events: EventBus, retries: int) -> RemoteEngine:
    config = RemoteEngineConfig(endpoints=[EndpointConfig(url=url)], retries=retries, backoff_s=0.01, concurrency=1)
    return await RemoteEngine.start(config, events=events)


async def test_429_and_5xx_are_retried_with_backoff() -> None:
    events = EventBus(forward_to_logging=False)
    retries: list[dict] = []
    events.subscribe(retries.append, kinds={"request.retry"})
    script = [(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}), (503, {"detail": "busy"}, {}),
              (200, ANSWER, {})]
    async with ScriptedServer(script) as server:
        engine = await _engine(server.url, events, retries=3)
        result = await engine.chat([{"role": "user", "content": "x"}], max_tokens=4)
        await engine.close()
    assert result.text == "ok" and result.prompt_tokens == 9 and result.completion_tokens == 1
    assert len(server.posts) == 3 and server.posts[0]["model"] == "scripted"
    assert [r["attempt"] for r in retries] == [1, 2]
    assert "HTTP 429: slow down" in retries[0]["error"] and "HTTP 503: busy" in retries[1]["error"]
    assert engine.stats().retries == 2 and engine.stats().endpoints[0].state == "up"


async def test_retries_run_out_and_client_errors_are_not_retried() -> None:
    events = EventBus(forward_to_logging=False)
    failed: list[dict] = []
    events.subscribe(failed.append, kinds={"request.failed"})
    script = [(500, {"error": {"message": "boom"}}, {}), (500, {"error": {"message": "boom again"}}, {}),
              (400, {"error": {"message": "bad field"}}, {}),
              (400, {"error": {"message": "Requested tokens (3000) exceed context window of 2048"}}, {})]
    async with ScriptedServer(script) as server:
        engine = await _engine(server.url, events, retries=1)
        with pytest.raises(EndpointError, match=r"HTTP 500: boom again") as info:
            await engine.chat([{"role": "user", "content": "x"}])
        assert info.value.status == 500
        with pytest.raises(EndpointError, match=r"/v1/chat/completions: HTTP 400: bad field"):
            await engine.chat([{"role": "user", "content": "x"}])
        with pytest.raises(ContextOverflowError, match="exceed context window"):
            await engine.chat([{"role": "user", "content": "x"}])
        await engine.close()
    assert len(server.posts) == 4  # 2 attempts, then one each: a 400 is the request's fault, not the server's
    assert [f["attempts"] for f in failed] == [2, 1, 1]
    assert engine.stats().endpoints[0].state == "up"  # answering with errors is not being down


async def test_start_fails_when_no_endpoint_answers() -> None:
    async with ScriptedServer([]) as server:
        dead_url = server.url  # closed when the block ends: nothing listens there any more
    with pytest.raises(EndpointError, match=rf"no endpoint answered: {dead_url}/v1/models: server unreachable"):
        await RemoteEngine.start(urls=[dead_url], connect_timeout_s=1.0)

