"""Graphs select the remote engine: ``engine: {remote: [URL]}`` in YAML, or ``--remote URL`` on the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrt.cli import main
from agentrt.events import EventBus
from agentrt.graph.launch import RunLaunch, launch_run
from servers import LlamaServer

pytestmark = pytest.mark.slow

GRAPH = """
name: remote-tiny
model: {{sequences: 2}}
{engine}
imports: [remote_test_agents]
agents:
  short: {{class: remote_test_agents.ShortAnswer, max_tokens: 6}}
nodes:
  one: {{agent: short, input: "Name a colour."}}
  two: {{agent: short, input: "Name a fruit."}}
outputs:
  colour: one
"""


async def test_graph_yaml_engine_remote_runs_on_the_server(server_a: LlamaServer, tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(GRAPH.format(engine=f"engine: {{remote: [{server_a.url}/v1]}}"))
    bus = EventBus(forward_to_logging=False)
    ready: list[dict] = []
    bus.subscribe(ready.append, kinds={"engine.ready", "request.finished"})
    result = await launch_run(RunLaunch(graph=graph, run_dir=tmp_path / "run"), bus)
    assert result.status == "succeeded" and result.outputs["colour"].strip()
    assert ready[0]["event"] == "engine.ready" and ready[0]["endpoints"][0]["url"] == server_a.url
    assert ready[0]["sequences"] == 2  # model.sequences is the per-endpoint limit
    assert {e["endpoint"] for e in ready[1:]} == {server_a.url}


def test_cli_remote_flag_overrides_the_graph(server_a: LlamaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(GRAPH.format(engine=""))  # no engine section: would load the model here without --remote
    run_dir = tmp_path / "run"
    code = main(["run", str(graph), "--remote", server_a.url, "--run-dir", str(run_dir)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "succeeded"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert {e["endpoint"] for e in events if e["event"] == "request.finished"} == {server_a.url}


def test_cli_rejects_a_bad_remote_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(GRAPH.format(engine=""))
    assert main(["run", str(graph), "--remote", "localhost:8080", "--run-dir", str(tmp_path / "r")]) == 2
    assert "--remote: url: Value error, 'localhost:8080' is not an http(s) URL" in capsys.readouterr().err
