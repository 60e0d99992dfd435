"""Cancelling one node of a running graph through a `RunHandle` (scripted fake engine): the node ends
cancelled, its descendants skipped, its siblings finish, its sequence is released and the state file says so."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentrt.errors import GraphRunError
from agentrt.events import EventBus
from agentrt.graph import Graph, RunHandle, RunLaunch, launch_run
from agentrt.testing import FakeEngine
from graph_events import Recorder
from graph_test_agents import EchoAgent, PlannerAgent, SleepAgent, UpperAgent


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def state_of(rec: Recorder, node: str) -> str | None:
    states = rec.named("node.state", node=node)
    return states[-1]["state"] if states else None


def saved_states(run_dir: Path) -> dict[str, str]:
    state = json.loads((run_dir / "state.json").read_text())
    return {node: record["state"] for node, record in state["nodes"].items()}


def sleepy_graph() -> Graph:
    """``slow`` sleeps 30 s holding a sequence; ``after`` needs it; ``a``, ``b`` are siblings; ``join`` needs a, b."""
    return (
        Graph.builder("cancel-one")
        .agent("sleepy", SleepAgent, options={"seconds": 30})
        .agent("echo", EchoAgent)
        .node("slow", agent="sleepy")
        .node("after", agent="echo", input="after slow", needs=["slow"])
        .node("a", agent="echo", input="a")
        .node("b", agent="echo", input="b")
        .node("join", agent="echo", input="join", needs=["a", "b"])
        .output("joined", "join")
        .build()
    )


async def test_cancelling_a_running_node_skips_its_descendants_and_siblings_go_on(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(3, delay=0.2, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    run = asyncio.create_task(sleepy_graph().run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: rec.named("seq.acquired", owner="slow/sleepy"))

    outcome = await handle.cancel_node("slow")

    assert (outcome.node, outcome.was, outcome.cancelled) == ("slow", "running", True)
    assert state_of(rec, "slow") == "cancelled"  # applied by the time cancel_node returns
    assert rec.named("seq.released", owner="slow/sleepy")  # its agent left the lease
    assert state_of(rec, "after") == "skipped"
    result = await asyncio.wait_for(run, 10)
    states = {node: record.state for node, record in result.nodes.items()}
    assert states == {"slow": "cancelled", "after": "skipped", "a": "succeeded", "b": "succeeded", "join": "succeeded"}
    assert result.nodes["after"].error == "needs 'slow', which cancelled"
    assert result.status == "cancelled"  # incomplete by request, nothing failed
    assert result.outputs["joined"] == "ok"
    assert engine.active == 0
    assert saved_states(tmp_path / "run") == states
    finished = rec.named("run.finished")
    assert finished[-1]["status"] == "cancelled"
    assert handle.finished and not handle.nodes_started


async def test_cancelling_a_pending_node_means_it_never_starts(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(2, delay=0.3, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    graph = (
        Graph.builder()
        .agent("echo", EchoAgent)
        .node("first", agent="echo", input="first")
        .node("second", agent="echo", input="second", needs=["first"])
        .node("third", agent="echo", input="third", needs=["second"])
        .node("side", agent="echo", input="side", needs=["first"])
        .build()
    )
    run = asyncio.create_task(graph.run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: state_of(rec, "first") == "running")

    outcome = await handle.cancel_node("second")

    assert (outcome.was, outcome.cancelled) == ("pending", True)
    assert saved_states(tmp_path / "run")["second"] == "cancelled"  # written at once, not at the next node
    result = await asyncio.wait_for(run, 10)
    assert {n: r.state for n, r in result.nodes.items()} == {
        "first": "succeeded", "second": "cancelled", "third": "skipped", "side": "succeeded"
    }
    assert not rec.named("node.state", node="second", state="running")
    assert [owner for owner in engine.lease_order] == ["first/echo", "side/echo"]


async def test_cancelling_a_ready_node_waiting_for_a_slot(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(4, delay=0.3, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    graph = (
        Graph.builder()
        .settings(max_concurrency=1)
        .agent("echo", EchoAgent)
        .node("one", agent="echo", input="1", priority=2)
        .node("two", agent="echo", input="2", priority=1)
        .node("three", agent="echo", input="3")
        .build()
    )
    run = asyncio.create_task(graph.run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: state_of(rec, "one") == "running")
    assert state_of(rec, "two") == "ready"

    outcome = await handle.cancel_node("two")

    assert (outcome.was, outcome.cancelled) == ("ready", True)
    result = await asyncio.wait_for(run, 10)
    assert {n: r.state for n, r in result.nodes.items()} == {"one": "succeeded", "two": "cancelled", "three": "succeeded"}
    assert not rec.named("node.state", node="two", state="running")


async def test_cancelling_a_map_node_keeps_its_finished_items(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(4, delay=lambda owner: 0.05 if owner.startswith("docs[0]") else 30.0, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    graph = (
        Graph.builder()
        .input("files", type="list")
        .agent("echo", EchoAgent)
        .agent("up", UpperAgent)
        .map_node("docs", agent="echo", over="inputs.files")
        .node("other", agent="up", input="other")
        .build()
    )
    run = asyncio.create_task(
        graph.run({"files": ["x", "y", "z"]}, engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle)
    )
    await until(lambda: rec.named("map.item", node="docs", index=0, status="completed") and engine.active == 2)

    outcome = await handle.cancel_node("docs")

    assert outcome.cancelled
    result = await asyncio.wait_for(run, 10)
    docs = result.nodes["docs"]
    assert docs.state == "cancelled"
    assert [item.status for item in docs.items or []] == ["completed", "cancelled", "cancelled"]
    assert docs.items is not None and docs.items[0].output == "ok"
    assert result.nodes["other"].state == "succeeded"
    assert engine.active == 0


async def test_cancelling_an_expanded_node_cancels_its_open_steps(tmp_path: Path) -> None:
    steps = [
        {"id": "quick", "task": "q", "agent": "up"},
        {"id": "long", "task": "l"},
        {"id": "later", "task": "x", "needs": ["long"]},
    ]
    bus = EventBus(forward_to_logging=False)
    rec = Recorder(bus)
    handle = RunHandle()
    engine = FakeEngine(2, events=bus)
    graph = (
        Graph.builder()
        .settings(default_agent="sleepy")
        .agent("planner", PlannerAgent)
        .agent("sleepy", SleepAgent, options={"seconds": 30})
        .agent("up", UpperAgent)
        .node("plan", agent="planner", input=json.dumps(steps))
        .node("after", agent="up", input="after", needs=["plan"])
        .node("alone", agent="up", input="alone")
        .build()
    )
    run = asyncio.create_task(graph.run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: rec.named("seq.acquired", owner="plan.long/sleepy"))

    outcome = await handle.cancel_node("plan")

    assert (outcome.was, outcome.cancelled) == ("running", True)
    result = await asyncio.wait_for(run, 10)
    assert {n: r.state for n, r in result.nodes.items()} == {
        "plan": "cancelled", "after": "skipped", "alone": "succeeded",
        "plan.quick": "succeeded", "plan.long": "cancelled", "plan.later": "cancelled",  # every open step
    }
    assert engine.active == 0


async def test_finished_unknown_and_too_late_cancels_are_refused_clearly(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(2, delay=0.3, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    graph = (
        Graph.builder()
        .agent("echo", EchoAgent)
        .agent("up", UpperAgent)
        .node("fast", agent="up", input="x")
        .node("slow", agent="echo", input="y")
        .build()
    )
    with pytest.raises(GraphRunError, match="cannot cancel node 'fast': the run has not started its nodes yet"):
        await handle.cancel_node("fast")
    run = asyncio.create_task(graph.run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: state_of(rec, "fast") == "succeeded")

    outcome = await handle.cancel_node("fast")
    assert (outcome.was, outcome.cancelled) == ("succeeded", False)
    assert "already succeeded" in outcome.describe()
    with pytest.raises(GraphRunError, match=r"no such node \(nodes: fast, slow\)"):
        await handle.cancel_node("nope")

    result = await asyncio.wait_for(run, 10)
    assert result.status == "succeeded"
    with pytest.raises(GraphRunError, match="the run has ended"):
        await handle.cancel_node("slow")
    assert handle.cancel() is False


async def test_a_failure_besides_a_cancel_makes_the_run_failed(tmp_path: Path) -> None:
    bus = EventBus(forward_to_logging=False)
    engine = FakeEngine(2, events=bus)
    rec = Recorder(bus)
    handle = RunHandle()
    graph = (
        Graph.builder()
        .agent("sleepy", SleepAgent, options={"seconds": 30})
        .agent("up", UpperAgent)
        .node("slow", agent="sleepy")
        .node("bad", agent="up", input="boom")
        .build()
    )
    run = asyncio.create_task(graph.run(engine=engine, run_dir=tmp_path / "run", events=bus, handle=handle))
    await until(lambda: state_of(rec, "bad") == "failed" and state_of(rec, "slow") == "running")
    await handle.cancel_node("slow")
    result = await asyncio.wait_for(run, 10)
    assert result.status == "failed"
    assert {n: r.state for n, r in result.nodes.items()} == {"slow": "cancelled", "bad": "failed"}


async def test_handle_cancel_stops_the_whole_launch_and_saves_state(tmp_path: Path) -> None:
    engines: list[FakeEngine] = []

    async def factory(_spec: Any, events: EventBus) -> FakeEngine:
        engines.append(FakeEngine(2, events=events))
        return engines[-1]

    graph_file = tmp_path / "g.yaml"
    graph_file.write_text(
        "agents:\n  sleepy: {class: graph_test_agents.SleepAgent, options: {seconds: 30}}\n"
        "nodes:\n  s1: {agent: sleepy}\n  s2: {agent: sleepy}\nimports: [graph_test_agents]\n",
        encoding="utf-8",
    )
    bus = EventBus(forward_to_logging=False)
    handle = RunHandle()
    launch = RunLaunch(graph=graph_file, run_dir=tmp_path / "run")
    run = asyncio.create_task(launch_run(launch, bus, engine_factory=factory, handle=handle))
    await until(lambda: engines and engines[0].active == 2)

    assert handle.cancel() is True
    with pytest.raises(asyncio.CancelledError):
        await run
    assert engines[0].active == 0
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["status"] == "cancelled"
    assert saved_states(tmp_path / "run") == {"s1": "cancelled", "s2": "cancelled"}
    assert handle.finished
