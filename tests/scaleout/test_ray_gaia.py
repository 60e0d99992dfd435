"""``bench gaia --ray`` on a local Ray cluster (2 CPUs): two actors, each with its own SmolLM2 engine.

One actor is killed while it runs a task: that task runs again on the other actor, every task ends with a
result in the driver's results.jsonl and run directory, and the report is written as on one machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import ray  # the `ray` extra; `make test` installs it, so a missing Ray fails here instead of skipping

from agentrt.bench.gaia.benchmark import GaiaBenchConfig, run_gaia_benchmark
from agentrt.events import Event, EventBus
from agentrt.bench.gaia.ray_runner import RayGaiaTaskRunner
from agentrt.scaleout.graph_run import run_graph_on_ray
from agentrt.scaleout.pool import RayActorPool
from agentrt.scaleout.settings import ActorSettings

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
GRAPH = """
name: gaia-tiny
model: {sequences: 1, n_ctx: 512}
inputs: [question]
imports: [ray_test_agents]
agents:
  short: {class: ray_test_agents.ShortAnswer, max_tokens: 8}
nodes:
  answer: {agent: short, input: "{{ inputs.question }}"}
outputs:
  answer: answer
"""
QUESTIONS = ["Name a colour.", "Name a fruit.", "Name an animal.", "Name a city.", "Name a tree."]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """One local cluster for the module (the pools join it instead of starting their own)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(HERE)}})
    yield
    ray.shutdown()


async def test_tasks_fan_out_to_actors_and_a_killed_actor_loses_nothing(ray_cluster: None, tmp_path: Path) -> None:
    graph = tmp_path / "gaia-tiny.yaml"
    graph.write_text(GRAPH)
    tasks = tmp_path / "metadata.jsonl"
    tasks.write_text("".join(
        json.dumps({"task_id": f"t{i}", "Question": q, "Level": 1, "Final answer": "x"}) + "\n"
        for i, q in enumerate(QUESTIONS)
    ))
    bus = EventBus(forward_to_logging=False)
    seen: list[Event] = []
    pools: list[RayActorPool] = []
    killed: list[str] = []

    def kill_a_busy_actor(event: Event) -> None:
        # When the first task is done, kill an actor that is running another one (once).
        if event.get("state") != "completed" or killed or not pools:
            return
        busy = [a for a in pools[0].alive if a.in_flight > 0]
        if busy:
            killed.append(busy[0].name)
            ray.kill(busy[0].handle)

    bus.subscribe(kill_a_busy_actor, kinds={"gaia.task"})
    bus.subscribe(seen.append, kinds={"ray.actor_started", "ray.actor_lost", "ray.call_moved"})
    runner = RayGaiaTaskRunner(graph)

    async def start_pool(pool_size: int) -> RayActorPool:
        pool = await RayActorPool.start(
            ActorSettings(actors=2, n_ctx=512, threads=1, cpus_per_actor=1), total_sequences=pool_size,
            events=bus,
        )
        pools.append(pool)
        runner.attach(pool)
        return pool

    out = tmp_path / "out"
    config = GaiaBenchConfig(tasks=tasks, out=out, concurrency=2, task_timeout_s=120)
    report = await run_gaia_benchmark(config, engine_factory=start_pool, task_runner_factory=lambda: runner,
                                      events=bus)
    assert ray.is_initialized()  # the pool joined the cluster it found and leaves it running
    assert not [a for a in pools[0].actors if a.alive]  # but its own actors are gone

    started = [e for e in seen if e["event"] == "ray.actor_started"]
    assert len(started) == 2 and all(e["sequences"] == 1 for e in started)
    assert killed, "no actor was busy when the first task finished"
    lost = [e for e in seen if e["event"] == "ray.actor_lost"]
    moved = [e for e in seen if e["event"] == "ray.call_moved"]
    assert [e["actor"] for e in lost] == killed and moved and moved[0]["from_actor"] == killed[0]

    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in lines) == [f"t{i}" for i in range(len(QUESTIONS))]  # each once
    assert all(r["status"] == "completed" and r["model_answer"] for r in lines)
    assert all(r["tokens"]["completion"] > 0 and r["tokens"]["requests"] == 1 for r in lines)
    for r in lines:  # each run directory came back from its actor
        state = json.loads((out / "runs" / r["task_id"] / "state.json").read_text())
        assert state["status"] == "succeeded"
    assert report.run.tasks == len(QUESTIONS) and (out / "report.md").is_file()


async def test_agentrt_run_ray_runs_the_graph_on_an_actor(ray_cluster: None, tmp_path: Path) -> None:
    graph = tmp_path / "one.yaml"
    graph.write_text(GRAPH)
    run_dir = tmp_path / "run"
    result = await run_graph_on_ray(graph, {"question": "Name a colour."}, address=None, run_dir=run_dir)
    assert result.status == "succeeded" and result.outputs["answer"].startswith("FINAL ANSWER:")
    assert result.run_dir == run_dir  # the driver's copy of the actor's run directory
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "succeeded" and state["inputs"] == {"question": "Name a colour."}
    names = {json.loads(line)["event"] for line in (run_dir / "events.jsonl").read_text().splitlines()}
    assert {"run.started", "node.state", "request.finished", "run.finished"} <= names
