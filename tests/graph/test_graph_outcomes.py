"""Honest outcomes: a node whose agent ran out of steps or was rejected is recorded as such (record, state.json,
events, the run result, the CLI's summary and exit code), and a run with one is `incomplete`, not `succeeded`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graph_events import Recorder
from graph_test_agents import OutcomeAgent, PlannerAgent

from agentrt.events import EventBus
from agentrt.graph import Graph, RunStatus
from agentrt.graph.contract import AgentOutcome
from agentrt.testing import FakeEngine

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _graph(outcomes: dict[str, str]) -> Graph:
    return (
        Graph.builder()
        .input("topics", type="list", default=["a", "b", "stuck c"])
        .agent("worker", OutcomeAgent, options={"outcomes": outcomes})
        .node("first", agent="worker", input="first task")
        .map_node("each", agent="worker", over="inputs.topics", needs=["first"])
        .node("last", agent="worker", input="{{ nodes.each.output | join(',') }}")
        .output("answer", "last")
        .build()
    )


async def test_a_run_whose_agents_all_answered_succeeds(tmp_path: Path) -> None:
    result = await _graph({}).run(engine=FakeEngine(2), run_dir=tmp_path / "run")
    assert result.status == RunStatus.SUCCEEDED and result.unanswered == {}
    assert {r.outcome for r in result.nodes.values()} == {AgentOutcome.ANSWERED}


async def test_a_step_limit_in_one_map_item_makes_the_run_incomplete(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    rec = Recorder(bus)
    run_dir = tmp_path / "run"
    result = await _graph({"stuck": "step_limit"}).run(engine=FakeEngine(2), run_dir=run_dir, events=bus)

    assert result.status == RunStatus.INCOMPLETE == "incomplete"
    assert result.outputs["answer"] == "A,B,STUCK C"  # it ran to the end: outputs are there, not a clean answer
    each = result.nodes["each"]
    assert [i.outcome for i in each.items or []] == ["answered", "answered", "step_limit"]
    assert each.state == "succeeded" and each.outcome == AgentOutcome.STEP_LIMIT
    assert result.nodes["first"].outcome == result.nodes["last"].outcome == AgentOutcome.ANSWERED
    assert result.unanswered == {"each": AgentOutcome.STEP_LIMIT}

    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "incomplete"
    assert state["nodes"]["each"]["outcome"] == "step_limit"
    assert [i["outcome"] for i in state["nodes"]["each"]["items"]] == ["answered", "answered", "step_limit"]

    (item,) = [e for e in rec.named("map.item", node="each", status="completed") if e["index"] == 2]
    assert item["outcome"] == "step_limit"
    (done,) = rec.named("node.state", node="each", state="succeeded")
    assert done["outcome"] == "step_limit"
    (finished,) = rec.named("run.finished")
    assert finished["status"] == "incomplete" and finished["unanswered"] == {"each": "step_limit"}
    logged = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["unanswered"] for e in logged if e["event"] == "run.finished"] == [{"each": "step_limit"}]


async def test_rejected_and_failed(tmp_path: Path) -> None:
    rejected = await _graph({"first": "rejected"}).run(engine=FakeEngine(2), run_dir=tmp_path / "r1")
    assert rejected.status == "incomplete" and rejected.unanswered == {"first": AgentOutcome.REJECTED}
    # A failed node makes the run failed, whatever the other nodes' outcomes.
    graph = (
        Graph.builder()
        .agent("worker", OutcomeAgent, options={"outcomes": {"x": "step_limit"}})
        .agent("broken", "graph_test_agents.UpperAgent")
        .node("limited", agent="worker", input="x")
        .node("boom", agent="broken", input="boom")
        .build()
    )
    failed = await graph.run(engine=FakeEngine(2), run_dir=tmp_path / "r2")
    assert failed.status == "failed" and failed.unanswered == {"limited": AgentOutcome.STEP_LIMIT}


async def test_an_expanded_node_rolls_up_its_steps_outcomes(tmp_path: Path) -> None:
    steps = [{"id": "s1", "task": "fine"}, {"id": "s2", "task": "stuck here", "needs": ["s1"]}]
    graph = (
        Graph.builder()
        .settings(default_agent="worker")
        .agent("planner", PlannerAgent)
        .agent("worker", OutcomeAgent, options={"outcomes": {"stuck": "step_limit"}})
        .node("plan", agent="planner", input=json.dumps(steps))
        .build()
    )
    result = await graph.run(engine=FakeEngine(1), run_dir=tmp_path / "run")
    assert result.status == "incomplete"
    assert result.nodes["plan.s1"].outcome == "answered" and result.nodes["plan.s2"].outcome == "step_limit"
    assert result.nodes["plan"].outcome == "step_limit"  # the planner answered; one of its steps did not
    assert result.unanswered == {"plan": "step_limit", "plan.s2": "step_limit"}


def test_agentrt_run_prints_outcomes_and_exits_3_when_incomplete(tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(
        "imports: [graph_test_agents]\n"
        "agents:\n"
        "  worker: {class: graph_test_agents.OutcomeAgent, options: {outcomes: {stuck: step_limit}}}\n"
        "nodes:\n"
        "  ok: {agent: worker, input: fine}\n"
        "  limited: {agent: worker, input: stuck, needs: [ok]}\n"
        "outputs: {answer: limited}\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "run", str(graph), "--run-dir", str(tmp_path / "run"),
         "--engine-factory", "graph_test_agents:fake_engine_factory"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 3, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "incomplete" and summary["outputs"] == {"answer": "STUCK"}
    assert summary["nodes"] == {
        "ok": {"state": "succeeded", "outcome": "answered"},
        "limited": {"state": "succeeded", "outcome": "step_limit"},
    }
    assert "limited: succeeded without an answer: step_limit" in done.stderr
