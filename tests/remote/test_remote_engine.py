"""`RemoteEngine` against real llama-cpp-python servers on loopback, serving the default GGUF (SmolLM2-135M).

Two servers are shared by the session (conftest.py); the failover test starts and kills a third.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentrt.engine.protocol import EngineProtocol, SequenceHandle
from agentrt.errors import ContextOverflowError
from agentrt.events import Event, EventBus
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.engine.remote.engine import RemoteEngine
from agentrt.engine.remote.errors import UnsupportedByServerError
from servers import LlamaServer, start_servers

pytestmark = pytest.mark.slow

QUESTION = [{"role": "system", "content": "You answer briefly."}, {"role": "user", "content": "Name a colour."}]


class Events:
    def __init__(self, bus: EventBus, kinds: set[str] | None = None) -> None:
        self.items: list[Event] = []
        bus.subscribe(self.items.append, kinds=kinds)

    def named(self, name: str) -> list[Event]:
        return [e for e in self.items if e["event"] == name]


async def _engine(urls: list[str | EndpointConfig], events: EventBus, **settings: object) -> RemoteEngine:
    config = RemoteEngineConfig.from_urls(urls, **settings)  # type: ignore[arg-type]
    return await RemoteEngine.start(config, events=events)


async def test_chat_stream_and_events_on_one_server(server_a: LlamaServer) -> None:
    bus = EventBus(forward_to_logging=False)
    seen = Events(bus, kinds={"seq.acquired", "seq.released", "request.started", "request.text", "request.finished"})
    engine = await _engine([server_a.url], bus, concurrency=2)
    assert isinstance(engine, EngineProtocol) and engine.pool_size == 2
    async with engine.sequence(owner="node/agent") as seq:
        assert isinstance(seq, SequenceHandle)
        result = await seq.chat(QUESTION, max_tokens=12)
        streamed = seq.stream(QUESTION, max_tokens=12)
        chunks = [chunk async for chunk in streamed]
    stats = engine.stats()
    await engine.close()

    assert result.text.strip() and result.finish_reason in ("stop", "length") and result.seq_id == seq.id
    assert result.prompt_tokens > 10 and 0 < result.completion_tokens <= 12  # from the server's usage
    assert streamed.result is not None and "".join(c.text for c in chunks) == streamed.result.text
    assert streamed.result.text == result.text  # greedy: the same answer either way
    assert [c.index for c in chunks] == list(range(len(chunks)))
    finished = seen.named("request.finished")
    assert len(finished) == 2 and {e["endpoint"] for e in finished} == {server_a.url}
    assert {e["owner"] for e in seen.named("seq.acquired")} == {"node/agent"} and seen.named("seq.released")
    # Each request's text as `request.text` too (what a run directory logs): streamed or not, all of it.
    for request, answer in zip(sorted({e["request"] for e in finished}), (result, streamed.result), strict=True):
        assert "".join(e["text"] for e in seen.named("request.text") if e["request"] == request) == answer.text
    assert stats.requests == 2 and stats.endpoints[0].kind == "llama-cpp-python" and stats.endpoints[0].in_flight == 0


async def test_constrained_output_and_clear_errors(server_a: LlamaServer) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = await _engine([server_a.url], bus, concurrency=1)
    schema = {"type": "object", "properties": {"colour": {"type": "string", "maxLength": 12}}, "required": ["colour"]}
    async with engine.sequence(owner="t/json") as seq:
        as_json = await seq.chat(QUESTION, max_tokens=40, json_schema=schema)
        yes_no = await seq.complete("Is the sky blue? Answer:", max_tokens=4, grammar='root ::= " yes" | " no"')
        raw_json = await seq.complete("A JSON object:", max_tokens=40, json_schema=schema)
        with pytest.raises(ContextOverflowError, match=server_a.url):
            await seq.complete("word " * 2500, max_tokens=8)
    await engine.close()
    assert isinstance(as_json.json()["colour"], str)
    assert yes_no.text in (" yes", " no")
    assert isinstance(raw_json.json()["colour"], str)

    # Declared as a vLLM server, the same endpoint refuses GBNF before anything is sent.
    engine = await _engine([EndpointConfig(url=server_a.url, kind="vllm")], bus)
    with pytest.raises(UnsupportedByServerError, match=rf"{server_a.url} .*takes no GBNF grammar"):
        await engine.chat(QUESTION, grammar='root ::= "x"')
    assert engine.stats().endpoints[0].requests == 0
    await engine.close()


async def test_least_loaded_routing_keeps_each_sequence_on_its_endpoint(
    server_a: LlamaServer, server_b: LlamaServer
) -> None:
    bus = EventBus(forward_to_logging=False)
    seen = Events(bus, kinds={"request.finished", "request.started"})
    engine = await _engine([server_a.url, server_b.url], bus, concurrency=1)
    in_flight_max = {server_a.url: 0, server_b.url: 0}

    def track(_event: Event) -> None:
        for e in engine.endpoints:
            in_flight_max[e.url] = max(in_flight_max[e.url], e.in_flight)

    bus.subscribe(track, kinds={"request.started"})

    async def agent(name: str) -> None:
        async with engine.sequence(owner=f"{name}/agent") as seq:
            conversation = list(QUESTION)
            for _ in range(2):  # two turns, the whole conversation each time
                reply = await seq.chat(conversation, max_tokens=6)
                conversation += [{"role": "assistant", "content": reply.text}, {"role": "user", "content": "Another."}]

    await asyncio.gather(*(agent(f"n{i}") for i in range(2)))
    await engine.close()
    by_seq: dict[int, set[str]] = {}
    for e in seen.named("request.finished"):
        by_seq.setdefault(e["seq"], set()).add(e["endpoint"])
    assert len(by_seq) == 2 and all(len(endpoints) == 1 for endpoints in by_seq.values())  # affinity
    used = sorted(next(iter(endpoints)) for endpoints in by_seq.values())
    assert used == sorted([server_a.url, server_b.url])  # least-loaded: one each
    assert max(in_flight_max.values()) == 1  # never above an endpoint's limit


async def test_a_server_killed_mid_run_fails_only_its_requests_which_retry_elsewhere(
    smollm2_path: Path, tmp_path: Path, server_a: LlamaServer
) -> None:
    (victim,) = start_servers(smollm2_path, tmp_path, ["victim"])
    bus = EventBus(forward_to_logging=False)
    seen = Events(bus, kinds={"request.retry", "endpoint.state", "request.finished"})
    try:
        engine = await _engine([victim.url, server_a.url], bus, concurrency=2, backoff_s=0.05)
        reference = await engine.chat(QUESTION, max_tokens=24)  # greedy: what every attempt must produce
        chunks: list[str] = []
        killed = asyncio.Event()

        async def streamed_on_victim() -> str:
            async with engine.sequence(owner="stream/agent") as seq:
                assert seq.endpoint is not None and seq.endpoint.url == victim.url  # least-loaded picks it first
                stream = seq.stream(QUESTION, max_tokens=24)
                async for chunk in stream:
                    chunks.append(chunk.text)
                    if len(chunks) == 3:
                        victim.kill()  # SIGKILL mid-stream: the connection drops under this request
                        killed.set()
                assert stream.result is not None
                return stream.result.text

        async def plain_chat(i: int) -> str:
            await killed.wait()  # starts after the kill: routed to the server still up
            return (await engine.chat([*QUESTION[:1], {"role": "user", "content": f"Name colour {i}."}],
                                      owner=f"chat{i}/agent", max_tokens=8)).text

        texts = await asyncio.gather(streamed_on_victim(), *(plain_chat(i) for i in range(2)))
        stats = engine.stats()
        await engine.close()
    finally:
        victim.stop()

    assert texts[0] == "".join(chunks) == reference.text  # replayed on the other server, nothing doubled
    assert all(t.strip() for t in texts[1:])
    retries = seen.named("request.retry")
    assert retries and {r["endpoint"] for r in retries} == {victim.url}
    assert "unreachable or connection lost" in retries[0]["error"]
    assert [(e["url"], e["state"]) for e in seen.named("endpoint.state")][:1] == [(victim.url, "down")]
    after_kill = [e for e in seen.named("request.finished")][1:]
    assert after_kill and {e["endpoint"] for e in after_kill} == {server_a.url}
    assert {e.url: e.state for e in stats.endpoints}[victim.url] == "down"
