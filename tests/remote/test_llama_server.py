"""`RemoteEngine` against a real llama.cpp `llama-server`, built from the same vendored llama.cpp as our wheel (by
scripts/build-llama-bench.sh, cached; `make test` builds it during setup)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrt.bench.servers import LlamaServer, llama_server_binary
from agentrt.events import EventBus
from agentrt.graph.launch import RunLaunch, launch_run
from agentrt.engine.remote.engine import RemoteEngine

from remote_test_agents import TWO_SHORT_ANSWERS_GRAPH

pytestmark = pytest.mark.slow

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


@pytest.fixture(scope="module")
def llama_server(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    binary = llama_server_binary()
    assert binary is not None, "llama-server could not be built (scripts/build-llama-bench.sh llama-server)"
    log = tmp_path_factory.mktemp("llama-server") / "llama-server.log"
    server = LlamaServer(binary, smollm2_path, log, slots=2, n_ctx=1024, threads=1)
    server.wait_ready()
    yield server
    server.stop()


async def test_remote_engine_against_llama_server(llama_server: LlamaServer) -> None:
    async with await RemoteEngine.start(urls=[llama_server.url], concurrency=2) as engine:
        assert engine.endpoints[0].kind == "llama.cpp"
        history = [{"role": "user", "content": "Name a colour."}]
        async with engine.sequence(owner="t") as seq:
            first = await seq.chat(history, max_tokens=8)
            assert first.text and first.prompt_tokens > 0 and first.completion_tokens > 0
            history += [{"role": "assistant", "content": first.text}, {"role": "user", "content": "Another one?"}]
            second = await seq.chat(history, max_tokens=8)
            assert second.cached_tokens >= first.prompt_tokens - 1  # the slot's prompt cache held the first turn
            pieces = [chunk.text async for chunk in seq.stream(history[:1], max_tokens=8)]
            assert "".join(pieces) == first.text  # greedy: streamed and whole answers agree
            person = await seq.chat([{"role": "user", "content": "Invent a person."}], max_tokens=60,
                                    json_schema=PERSON)
            if person.finish_reason == "stop":
                assert set(json.loads(person.text)) == {"name", "age"}
            counted = await seq.complete("One, two,", max_tokens=6, ignore_eos=True)
            assert counted.completion_tokens == 6
            yes_no = await seq.chat([{"role": "user", "content": "Is water wet?"}], max_tokens=4,
                                    grammar='root ::= "yes" | "no"')
            assert yes_no.text in ("yes", "no")




async def test_a_graph_runs_on_llama_server(llama_server: LlamaServer, tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(TWO_SHORT_ANSWERS_GRAPH)
    bus = EventBus(forward_to_logging=False)
    result = await launch_run(RunLaunch(graph=graph, run_dir=tmp_path / "run", remote=[llama_server.url]), bus)
    assert result.status == "succeeded"
    assert result.outputs["colour"].strip() and result.outputs["fruit"].strip()
