"""Run directories hold up: any text in an output, a failed save, an edited graph or changed inputs on resume, a
torn last line in events.jsonl, and map progress whose cost does not grow with the map."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from graph_test_agents import TextAgent, UpperAgent

from agentrt.errors import GraphRunError
from agentrt.events import EventBus
from agentrt.graph import Graph, RunDir, RunLaunch, launch_run
from agentrt.jsonl import read_jsonl
from agentrt.testing import FakeEngine
from tui.follow import read_events

LATIN1_NAME = "caf\udce9.txt"  # what os.listdir gives for the bytes b"caf\xe9.txt" on a UTF-8 system


async def _fake(spec: object = None, events: object = None) -> FakeEngine:
    return FakeEngine(1)


def _text_graph(text: str, *, as_list: bool = False) -> Graph:
    options = {"file_name": text.encode("utf-8", "surrogateescape").hex(), "as_list": as_list}
    return (
        Graph.builder()
        .agent("lister", TextAgent, options=options)
        .agent("up", UpperAgent)
        .node("files", agent="lister", input=" and more")
        .node("after", agent="up", input="{{ nodes.files.output | string | length }}")
        .output("files", "files")
        .build()
    )


async def test_a_lone_surrogate_in_an_output_is_saved_logged_and_resumed(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = await _text_graph(LATIN1_NAME, as_list=True).run(engine=FakeEngine(1), run_dir=run_dir)
    assert result.status == "succeeded"
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))
    assert state["status"] == "succeeded"
    assert state["nodes"]["files"]["output"] == [LATIN1_NAME, " and more"]  # the same text, read back
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_bytes().decode("utf-8").splitlines()]
    assert events[-1]["event"] == "run.finished" and events[-1]["outputs"]["files"] == [LATIN1_NAME, " and more"]
    assert any(e["event"] == "node.output" and LATIN1_NAME in e["output"] for e in events)

    # The run resumes from that state (nothing left to run): the text survives the round trip.
    again = await launch_run(RunLaunch(run_dir=run_dir, resume=True), EventBus(forward_to_logging=False),
                             engine_factory=_fake)
    assert again.status == "succeeded" and again.outputs["files"] == [LATIN1_NAME, " and more"]


async def test_a_failed_save_does_not_end_the_run_unrecorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_save = RunDir.save_state
    calls = 0

    def flaky_save(self: RunDir, state: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # the save after the first node: a full disk, say
            raise OSError(28, "No space left on device")
        real_save(self, state)  # type: ignore[arg-type]

    monkeypatch.setattr(RunDir, "save_state", flaky_save)
    run_dir = tmp_path / "run"
    result = await _text_graph("x").run(engine=FakeEngine(1), run_dir=run_dir)
    assert result.status == "succeeded" and calls > 2
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "succeeded"
    assert {n: r["state"] for n, r in state["nodes"].items()} == {"files": "succeeded", "after": "succeeded"}


async def test_a_crash_mid_save_leaves_the_previous_state_and_the_run_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    graph = _text_graph("x")
    first = await graph.run(engine=FakeEngine(1), run_dir=run_dir)
    assert first.status == "succeeded"
    # A kill during the next save: the temp file half written, state.json untouched.
    (run_dir / "state.json.tmp").write_text('{"version": 1, "run_id": "torn')
    again = await graph.run(engine=FakeEngine(1), run_dir=run_dir, resume=True)
    assert again.status == "succeeded" and again.outputs == first.outputs


async def test_resume_refuses_an_edited_graph_unless_forced_and_never_mixes_results(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    graph = (
        Graph.builder()
        .agent("up", UpperAgent)
        .node("a", agent="up", input="alpha")
        .node("b", agent="up", input="beta")
        .node("c", agent="up", input="{{ nodes.b.output }} then")
        .output("c", "c")
        .build()
    )
    first = await graph.run(engine=FakeEngine(1), run_dir=run_dir)
    assert first.outputs == {"c": "BETA THEN"}
    state = json.loads((run_dir / "state.json").read_text())
    assert len(state["graph_sha256"]) == 64 and len(state["inputs_sha256"]) == 64

    copy = run_dir / "graph.yaml"
    copy.write_text(copy.read_text().replace("input: beta", "input: gamma"))
    bus = EventBus(forward_to_logging=False)
    with pytest.raises(GraphRunError, match=r"the graph \(sha256 .*\) changed since the run started.*--force"):
        await launch_run(RunLaunch(run_dir=run_dir, resume=True), bus, engine_factory=_fake)

    seen: list[dict] = []
    bus.subscribe(seen.append)
    forced = await launch_run(RunLaunch(run_dir=run_dir, resume=True, force=True), bus, engine_factory=_fake)
    assert forced.outputs == {"c": "GAMMA THEN"}  # b changed, and c, which needs it, ran again
    ran = {e["node"] for e in seen if e["event"] == "node.state" and e["state"] == "running"}
    assert ran == {"b", "c"}  # a is unchanged: its result is kept
    # The forced resume records the graph it ran: resuming it again needs no force.
    again = await launch_run(RunLaunch(run_dir=run_dir, resume=True), bus, engine_factory=_fake)
    assert again.outputs == {"c": "GAMMA THEN"}


async def test_resume_refuses_changed_inputs_unless_forced(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    graph = (
        Graph.builder()
        .input("x").input("y")
        .agent("up", UpperAgent)
        .node("a", agent="up", input="{{ inputs.x }}")
        .node("b", agent="up", input="{{ inputs.y }}")
        .build()
    )
    await graph.run({"x": "one", "y": "two"}, engine=FakeEngine(1), run_dir=run_dir)
    with pytest.raises(GraphRunError, match="the inputs changed since the run started"):
        await graph.run({"x": "one", "y": "three"}, engine=FakeEngine(1), run_dir=run_dir, resume=True)
    bus = EventBus(forward_to_logging=False)
    seen: list[dict] = []
    bus.subscribe(seen.append)
    forced = await graph.run({"x": "one", "y": "three"}, engine=FakeEngine(1), run_dir=run_dir, resume=True,
                             force=True, events=bus)
    assert forced.nodes["a"].output == "ONE" and forced.nodes["b"].output == "THREE"
    ran = {e["node"] for e in seen if e["event"] == "node.state" and e["state"] == "running"}
    assert ran == {"b"}  # a reads only x, which did not change: its result is kept
    state = json.loads((run_dir / "state.json").read_text())
    assert state["inputs"] == {"x": "one", "y": "three"}


async def test_a_torn_last_line_of_events_jsonl_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run_dir = tmp_path / "run"
    graph = _text_graph("x")
    await graph.run(engine=FakeEngine(1), run_dir=run_dir)
    events = run_dir / "events.jsonl"
    with events.open("a", encoding="utf-8") as f:
        f.write('{"ts": 1, "event": "node.st')  # a kill mid-line
    await graph.run(engine=FakeEngine(1), run_dir=run_dir, resume=True)

    lines = events.read_text().splitlines()
    torn = lines.index('{"ts": 1, "event": "node.st')
    assert json.loads(lines[torn + 1])["event"] == "run.started"  # the resume starts on a fresh line
    with caplog.at_level(logging.WARNING, logger="agentrt.jsonl"):
        parsed = [value for _, value in read_jsonl(events)]
    assert len(parsed) == len(lines) - 1
    assert f"events.jsonl:{torn + 1}: skipped a line that is not JSON" in caplog.text
    bad = [e for e in read_events(events) if e["event"] == "dashboard.bad_line"]  # `agentrt watch` says so too
    assert len(bad) == 1 and f":{torn + 1}:" in bad[0]["error"]


async def _map_run(tmp_path: Path, name: str, items: int) -> int:
    writes = 0
    real_save = RunDir.save_state

    def counting_save(self: RunDir, state: object) -> None:
        nonlocal writes
        writes += 1
        real_save(self, state)  # type: ignore[arg-type]

    graph = (
        Graph.builder()
        .input("items", type="list")
        .agent("up", UpperAgent)
        .map_node("each", agent="up", over="inputs.items", max_concurrency=3)
        .build()
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunDir, "save_state", counting_save)
        result = await graph.run({"items": [f"i{n}" for n in range(items)]}, engine=FakeEngine(1),
                                 run_dir=tmp_path / name)
    assert result.nodes["each"].output == [f"I{n}" for n in range(items)]
    return writes


async def test_map_progress_costs_no_state_rewrite_per_item(tmp_path: Path) -> None:
    assert await _map_run(tmp_path, "small", 5) == await _map_run(tmp_path, "big", 200)


def test_map_progress_is_merged_back_when_the_state_is_read(tmp_path: Path) -> None:
    from agentrt.graph.result import ItemRecord, NodeRecord, RunState

    rundir = RunDir(tmp_path / "run").create()
    rundir.save_state(RunState(run_id="r", graph_file="g", graph_source="g", nodes={"m": NodeRecord(state="running")}))
    rundir.save_item("m", 3, ItemRecord(index=2, status="completed", output="two"))
    with rundir.progress_path.open("a") as f:
        f.write('{"node": "m", "total": 3, "item": {"ind')  # torn by a crash
    rundir.close()
    items = RunDir(tmp_path / "run").load_state().nodes["m"].items or []
    assert [(i.index, i.status, i.output) for i in items] == [(0, "pending", None), (1, "pending", None),
                                                               (2, "completed", "two")]


async def test_a_fault_of_the_runtime_still_ends_the_run_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agentrt.graph.scheduler as scheduler
    from graph_test_agents import PlannerAgent, SleepAgent

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in plan checking")

    monkeypatch.setattr(scheduler, "plan_problem", broken)
    graph = (
        Graph.builder()
        .settings(default_agent="up")
        .agent("planner", PlannerAgent)
        .agent("up", UpperAgent)
        .agent("sleepy", SleepAgent, options={"seconds": 30})
        .node("plan", agent="planner", input=json.dumps([{"id": "s1", "task": "x"}]))
        .node("slow", agent="sleepy")
        .build()
    )
    run_dir = tmp_path / "run"
    engine = FakeEngine(2)
    with pytest.raises(RuntimeError, match="a bug in plan checking"):
        await graph.run(engine=engine, run_dir=run_dir)
    assert engine.active == 0  # the sleeping node was stopped and left its lease
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "failed"
    assert state["nodes"]["slow"]["state"] == "cancelled"
    last = json.loads((run_dir / "events.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "run.finished" and last["status"] == "failed"
