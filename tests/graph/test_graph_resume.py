"""Resume: a run killed with SIGKILL mid-way loses no finished node and runs none of them again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from agentrt.graph import Graph, RunLaunch, launch_run
from agentrt.events import EventBus
from agentrt.testing import FakeEngine

HERE = Path(__file__).parent
REPO = HERE.parent.parent

RUN_SCRIPT = """
import signal
import sys
# Ctrl-C as in a terminal, whatever the test process handed down (a child inherits an ignored SIGINT, and
# some library in the test session may have set that: the run then finished instead of being interrupted).
signal.signal(signal.SIGINT, signal.default_int_handler)
from agentrt.cli import main
sys.exit(main(["run", sys.argv[1], "--run-dir", sys.argv[2], "--engine-factory", "graph_test_agents:fake_engine_factory"]))
"""


def _env(delay: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(REPO), env.get("PYTHONPATH", "")])
    env["AGENTRT_TEST_DELAY"] = delay
    return env


def _log_counts(run_dir: Path) -> Counter[str]:
    log = run_dir / "workspace" / "log.txt"
    return Counter(line.split(" ", 1)[0] for line in log.read_text().splitlines()) if log.exists() else Counter()


def test_resume_after_sigkill_redoes_nothing_finished(tmp_path: Path, fixtures: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, str(fixtures / "slow_append.yaml"), str(run_dir)],
        env=_env("0.4"), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    state_path = run_dir / "state.json"
    deadline = time.monotonic() + 60
    finished: dict[str, dict] = {}
    try:
        while time.monotonic() < deadline:
            if state_path.exists():
                nodes = json.loads(state_path.read_text())["nodes"]
                finished = {n: r for n, r in nodes.items() if r["state"] == "succeeded"}
                items_done = sum(i["status"] == "completed" for i in nodes["items"].get("items") or [])
                if len(finished) >= 2 and items_done >= 1:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    # What the state file held at the moment of the kill is what must not run again.
    saved = json.loads(state_path.read_text())
    assert saved["status"] == "running"
    done_before = {n for n, r in saved["nodes"].items() if r["state"] == "succeeded"}
    items_before = {f"items[{i['index']}]/append" for i in saved["nodes"]["items"]["items"] or [] if i["status"] == "completed"}
    assert len(done_before) >= 2 and "g" not in done_before and items_before
    counts_before = _log_counts(run_dir)

    resumed = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "resume", str(run_dir), "--engine-factory", "graph_test_agents:fake_engine_factory"],
        env=_env("0"), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["outputs"] == {"last": "done:g"}
    assert "(resumed)" in resumed.stderr

    counts = _log_counts(run_dir)
    for node in done_before:
        assert counts[f"{node}/append"] == counts_before[f"{node}/append"] == 1, node
    for owner in items_before:
        assert counts[owner] == 1, owner
    every = {f"{n}/append" for n in "abcdefg"} | {f"items[{i}]/append" for i in range(4)}
    assert set(counts) == every
    final = json.loads((run_dir / "state.json").read_text())
    assert final["status"] == "succeeded"
    assert [i["output"] for i in final["nodes"]["items"]["items"]] == ["done:items"] * 4
    started = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["resumed"] for e in started if e["event"] == "run.started"] == [False, True]


async def test_resume_reinserts_a_stored_plan_without_asking_the_planner_again(tmp_path: Path) -> None:
    from graph_test_agents import PlannerAgent, UpperAgent

    steps = json.dumps([{"id": "ok", "task": "fine"}, {"id": "bad", "task": "boom"}])
    graph = (
        Graph.builder()
        .settings(default_agent="up")
        .agent("planner", PlannerAgent)
        .agent("up", UpperAgent)
        .node("plan", agent="planner", input=steps)
        .build()
    )
    run_dir = tmp_path / "run"
    first = await graph.run(engine=FakeEngine(1), run_dir=run_dir)
    assert first.nodes["plan.bad"].state == "failed"

    # Make the step succeed this time by editing what the stored plan says (the planner is not asked again).
    state = json.loads((run_dir / "state.json").read_text())
    state["nodes"]["plan"]["plan"][1]["task"] = "now fine"
    (run_dir / "state.json").write_text(json.dumps(state))

    bus = EventBus(forward_to_logging=False)
    seen: list[dict] = []
    bus.subscribe(seen.append)
    second = await launch_run(
        RunLaunch(run_dir=run_dir, resume=True), bus, engine_factory=lambda spec, events: _fake(),
    )
    assert second.status == "succeeded"
    assert second.nodes["plan"].output == {"ok": "FINE", "bad": "NOW FINE"}
    ran = [e["node"] for e in seen if e["event"] == "node.state" and e["state"] == "running"]
    assert ran == ["plan", "plan.bad"]  # plan re-inserted its stored steps; plan.ok was kept


async def _fake() -> FakeEngine:
    return FakeEngine(1)


def test_ctrl_c_cancels_cleanly_and_the_run_resumes(tmp_path: Path, fixtures: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, str(fixtures / "slow_append.yaml"), str(run_dir)],
        env=_env("0.5"), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    state_path = run_dir / "state.json"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if state_path.exists() and any(
                r["state"] == "succeeded" for r in json.loads(state_path.read_text())["nodes"].values()
            ):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    state = json.loads(state_path.read_text())
    assert state["status"] == "cancelled"
    states = {r["state"] for r in state["nodes"].values()}
    assert "running" not in states and "cancelled" in states and "succeeded" in states
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    acquired = sum(e["event"] == "seq.acquired" for e in events)
    released = sum(e["event"] == "seq.released" for e in events)
    assert acquired == released  # every leased sequence was given back

    resumed = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "resume", str(run_dir), "--engine-factory", "graph_test_agents:fake_engine_factory"],
        env=_env("0"), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run_dir / "state.json").read_text())["status"] == "succeeded"
