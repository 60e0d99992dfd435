"""A graph runs on a remote server from a client where llama_cpp cannot be imported: the remote engine, the
graph runtime and the command line need no native build (the server here is llama-cpp-python's, in its own
process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remote_test_agents import TWO_SHORT_ANSWERS_GRAPH
from servers import LlamaServer
from without_llama_cpp import run_cli

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


def test_remote_graph_run_needs_no_llama_cpp(server_a: LlamaServer, tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(TWO_SHORT_ANSWERS_GRAPH)
    run_dir = tmp_path / "run"
    done = run_cli("run", str(graph), "--remote", server_a.url, "--run-dir", str(run_dir), extra_path=HERE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refused" not in done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    finished = [e for e in events if e["event"] == "request.finished"]
    assert len(finished) == 2 and {e["endpoint"] for e in finished} == {server_a.url}
