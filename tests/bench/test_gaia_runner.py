"""The GAIA runner's scheduling logic on the scripted fake engine: bound, isolation, resume, records."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from agentrt.bench.gaia.results import ResultsLog
from agentrt.bench.gaia.runner import BenchmarkSettings, TaskOutcome, run_tasks
from agentrt.bench.gaia.tasks import GaiaTask, load_tasks
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import ConfigError, EngineError
from agentrt.events import EventBus
from agentrt.testing.fake_engine import FakeEngine

from tests.bench.gaia_helpers import EngineTaskRunner, task_rows, write_tasks


def _echo_number(owner: str, messages) -> str:  # type: ignore[no-untyped-def]
    # "What is 7?" → "7": every task answered correctly, so scores are predictable.
    return re.search(r"\d+", messages[-1].content).group(0)


async def test_concurrency_bounds_tasks_in_flight(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(12)))
    engine = FakeEngine(pool_size=8, reply=_echo_number, delay=0.05)
    run = await run_tasks(
        tasks, engine=engine, task_runner=EngineTaskRunner(), out_dir=tmp_path / "out",
        settings=BenchmarkSettings(concurrency=3), events=EventBus(forward_to_logging=False),
    )
    # The pool has 8 sequences, so only the runner's bound of 3 can explain never seeing more than 3 leases.
    assert engine.max_active == 3
    assert run.max_in_flight == 3
    assert [r.status for r in run.results] == ["completed"] * 12
    assert all(r.correct for r in run.results)


async def test_concurrency_above_pool_size_is_refused(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(2)))
    with pytest.raises(ConfigError, match="--concurrency 4"):
        await run_tasks(
            tasks, engine=FakeEngine(pool_size=2), task_runner=EngineTaskRunner(), out_dir=tmp_path / "out",
            settings=BenchmarkSettings(concurrency=4), events=EventBus(forward_to_logging=False),
        )


class TroubledRunner:
    """t01 raises, t02 hangs past the timeout, t03 hits its step limit, t04 raises a TimeoutError of its own."""

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        if task.task_id == "t01":
            raise EngineError("sequence 3 decode failed")
        if task.task_id == "t02":
            await asyncio.sleep(30)
        if task.task_id == "t03":
            return TaskOutcome(model_answer="3", status="step_limit", trace=[{"status": "step_limit"}])
        if task.task_id == "t04":
            raise TimeoutError("tool python: no result within 10 s")
        (run_dir / "note.txt").write_text(task.task_id)
        return TaskOutcome(model_answer=task.final_answer)


async def test_one_failure_never_stops_the_others(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(8)))
    run = await run_tasks(
        tasks, engine=FakeEngine(pool_size=4), task_runner=TroubledRunner(), out_dir=tmp_path / "out",
        settings=BenchmarkSettings(concurrency=4, task_timeout_s=0.5), events=EventBus(forward_to_logging=False),
    )
    by_id = {r.task_id: r for r in run.results}
    assert by_id["t01"].status == "failed"
    assert by_id["t01"].error_type == "EngineError" and "sequence 3 decode failed" in by_id["t01"].error
    assert by_id["t02"].status == "timeout" and by_id["t02"].model_answer is None
    assert by_id["t03"].status == "step_limit" and by_id["t03"].correct  # a step-limited answer still scores
    assert by_id["t04"].status == "failed" and by_id["t04"].error_type == "TimeoutError"
    for tid in ("t00", "t05", "t06", "t07"):
        assert by_id[tid].status == "completed" and by_id[tid].correct
        assert (tmp_path / "out" / "runs" / tid / "note.txt").read_text() == tid
    # Every task has exactly one line in results.jsonl, whatever its outcome.
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["task_id"] for line in lines) == [f"t{i:02d}" for i in range(8)]


class FlakyRunner:
    """Fails the tasks in ``failing`` (until they are removed from it); records every call."""

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.calls: list[str] = []

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        self.calls.append(task.task_id)
        if task.task_id in self.failing:
            raise RuntimeError("engine went away")
        if task.task_id == "t03":
            return TaskOutcome(model_answer="nope", status="step_limit")
        return TaskOutcome(model_answer=task.final_answer)


async def test_resume_skips_finished_tasks_and_retries_failed_ones(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(6)))
    out = tmp_path / "out"
    bus = EventBus(forward_to_logging=False)
    first = FlakyRunner(failing={"t01", "t04"})
    await run_tasks(tasks, engine=FakeEngine(), task_runner=first, out_dir=out,
                    settings=BenchmarkSettings(concurrency=2), events=bus)
    assert sorted(first.calls) == ["t00", "t01", "t02", "t03", "t04", "t05"]

    # Without --resume an existing results file is never appended to by accident.
    with pytest.raises(ConfigError, match="--resume"):
        await run_tasks(tasks, engine=FakeEngine(), task_runner=first, out_dir=out,
                        settings=BenchmarkSettings(concurrency=2), events=bus)

    second = FlakyRunner(failing=set())
    run = await run_tasks(tasks, engine=FakeEngine(), task_runner=second, out_dir=out,
                          settings=BenchmarkSettings(concurrency=2, resume=True), events=bus)
    assert sorted(second.calls) == ["t01", "t04"]  # completed and step_limit tasks are kept
    assert sorted(run.ran) == ["t01", "t04"]
    assert [r.task_id for r in run.results] == [t.task_id for t in tasks]
    assert {r.task_id: r.status for r in run.results} == {
        "t00": "completed", "t01": "completed", "t02": "completed",
        "t03": "step_limit", "t04": "completed", "t05": "completed",
    }
    # The log keeps the history (8 lines); reading it gives the latest result per task.
    assert len((out / "results.jsonl").read_text().splitlines()) == 8
    assert ResultsLog(out).read()["t01"].status == "completed"

    third = FlakyRunner(failing=set())
    again = await run_tasks(tasks, engine=FakeEngine(), task_runner=third, out_dir=out,
                            settings=BenchmarkSettings(concurrency=2, resume=True), events=bus)
    assert third.calls == [] and again.ran == [] and again.wall_s == 0.0


async def test_resume_survives_a_torn_last_line(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(3)))
    out = tmp_path / "out"
    bus = EventBus(forward_to_logging=False)
    await run_tasks(tasks, engine=FakeEngine(), task_runner=FlakyRunner(failing=set()), out_dir=out,
                    settings=BenchmarkSettings(concurrency=1), events=bus)
    log = out / "results.jsonl"
    lines = log.read_text().splitlines()
    torn_id = json.loads(lines[-1])["task_id"]
    log.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])  # a crash mid-write
    runner = FlakyRunner(failing=set())
    run = await run_tasks(tasks, engine=FakeEngine(), task_runner=runner, out_dir=out,
                          settings=BenchmarkSettings(concurrency=1, resume=True), events=bus)
    assert runner.calls == [torn_id]
    assert {r.task_id for r in run.results} == {"t00", "t01", "t02"}
    assert set(ResultsLog(out).read()) == {"t00", "t01", "t02"}


async def test_results_record_tokens_timings_trace_and_events(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(4)))
    bus = EventBus(forward_to_logging=False)
    seen: list[dict] = []
    bus.subscribe(seen.append)
    run = await run_tasks(
        tasks, engine=FakeEngine(pool_size=2, reply=_echo_number), task_runner=EngineTaskRunner(),
        out_dir=tmp_path / "out", settings=BenchmarkSettings(concurrency=2), events=bus,
    )
    first = run.results[0]
    assert first.model_answer == "0"  # read after "FINAL ANSWER:" by the test runner's own formatting
    assert first.tokens.requests == 1 and first.tokens.completion == 1 and first.tokens.prompt > 0
    assert first.timings.finished_at >= first.timings.started_at and first.timings.latency_s >= 0
    assert first.trace == [{"reply": "0"}]
    assert first.run_dir and Path(first.run_dir).is_dir()
    names = [e["event"] for e in seen]
    assert names[0] == "gaia.started" and names[-1] == "gaia.finished"
    finished = [e for e in seen if e["event"] == "gaia.task" and e["state"] != "running"]
    assert len(finished) == 4 and finished[-1]["done"] == 4 and finished[-1]["correct"] == 4
    assert seen[-1]["total"] == 4 and seen[-1]["failed"] == 0


async def test_each_task_gets_its_own_event_bus(tmp_path: Path) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(3)))
    buses: list[EventBus] = []

    class BusRecorder:
        async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
            buses.append(engine.events)
            return TaskOutcome(model_answer=task.final_answer)

    shared = FakeEngine()
    await run_tasks(tasks, engine=shared, task_runner=BusRecorder(), out_dir=tmp_path / "out",
                    settings=BenchmarkSettings(concurrency=3), events=EventBus(forward_to_logging=False))
    assert len({id(b) for b in buses}) == 3 and all(b is not shared.events for b in buses)


async def test_resumed_results_are_rescored_against_the_current_ground_truth(tmp_path: Path) -> None:
    rows = task_rows(2)
    out = tmp_path / "out"
    bus = EventBus(forward_to_logging=False)
    tasks = load_tasks(write_tasks(tmp_path / "set", rows))
    first = await run_tasks(tasks, engine=FakeEngine(), task_runner=FlakyRunner(failing=set()), out_dir=out,
                            settings=BenchmarkSettings(concurrency=1), events=bus)
    assert all(r.correct for r in first.results)
    rows[1]["Final answer"] = "1,000"  # the ground truth was corrected after the first pass
    tasks = load_tasks(write_tasks(tmp_path / "set", rows))
    again = await run_tasks(tasks, engine=FakeEngine(), task_runner=FlakyRunner(failing=set()), out_dir=out,
                            settings=BenchmarkSettings(concurrency=1, resume=True), events=bus)
    assert again.ran == []
    assert [(r.final_answer, r.correct) for r in again.results] == [("0", True), ("1,000", False)]


@pytest.mark.parametrize(("order", "expected"), [
    ("hardest-first", ["t02", "t05", "t01", "t04", "t00", "t03"]),
    ("file", ["t00", "t01", "t02", "t03", "t04", "t05"]),
])
async def test_tasks_start_hardest_first_and_are_reported_in_file_order(
    tmp_path: Path, order: str, expected: list[str]
) -> None:
    tasks = load_tasks(write_tasks(tmp_path / "set", task_rows(6)))  # Levels 1, 2, 3, 1, 2, 3
    runner = EngineTaskRunner()
    run = await run_tasks(
        tasks, engine=FakeEngine(pool_size=1, reply=_echo_number), task_runner=runner, out_dir=tmp_path / "out",
        settings=BenchmarkSettings(concurrency=1, order=order), events=EventBus(forward_to_logging=False),
    )
    assert runner.calls == expected  # one slot: the start order is the order the runner was called in
    assert [r.task_id for r in run.results] == [f"t{i:02d}" for i in range(6)]
