"""Reports from scripted runs: accuracy per Level, failure kinds, throughput fields, the sequential comparison."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from agentrt.bench.gaia.benchmark import GaiaBenchConfig, run_gaia_benchmark
from agentrt.bench.gaia.profile import EngineTime, PassProfile, TaskTime
from agentrt.bench.gaia.progress import ProgressDisplay, progress_line
from agentrt.bench.gaia.report import PassSummary, Report, engine_bound, speedup_verdict
from agentrt.bench.gaia.runner import TaskOutcome
from agentrt.bench.gaia.tasks import GaiaTask
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import ConfigError
from agentrt.events import EventBus
from agentrt.testing.fake_engine import FakeEngine

from tests.bench.gaia_helpers import EngineTaskRunner, task_rows, write_tasks


def _answer_some(owner: str, messages) -> str:  # type: ignore[no-untyped-def]
    # Right for even-numbered tasks, wrong for odd ones.
    number = int(re.search(r"\d+", messages[-1].content).group(0))
    return str(number) if number % 2 == 0 else "wrong"


async def test_compare_sequential_reports_both_passes_and_the_speedup(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(6))
    engines: list[FakeEngine] = []

    async def start(pool_size: int) -> EngineProtocol:
        engines.append(FakeEngine(pool_size=pool_size, reply=_answer_some, delay=0.05))
        return engines[-1]

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=3, compare_sequential=True)
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=EngineTaskRunner)
    assert len(engines) == 1 and engines[0].pool_size == 3  # one engine shared by both passes
    # ... whose KV cache is emptied between them, once the six tasks of the first pass have run.
    assert engines[0].cache_forgotten_after == [6]
    assert "each from an empty KV cache" in (tmp_path / "out" / "report.md").read_text()
    for summary in (report.run, report.sequential):
        assert summary is not None
        assert summary.tasks == 6 and summary.correct == 3 and summary.accuracy == 0.5
        # task_rows cycles Levels 1, 2, 3: t00 (L1), t02 (L3), t04 (L2) are the right ones.
        assert {lv: (s.tasks, s.correct) for lv, s in summary.per_level.items()} == {1: (2, 1), 2: (2, 1), 3: (2, 1)}
        # The three wrong ones completed: each a miss of its own kind, not a failure of the run.
        assert summary.statuses["completed"] == 6 and summary.misses == {"wrong answer": 3}
        assert summary.tasks_per_min and summary.tokens_per_s and summary.latency_p50_s is not None
        assert summary.latency_p95_s >= summary.latency_p50_s
    assert report.run.concurrency == 3 and report.sequential.concurrency == 1
    assert report.run.max_in_flight == 3 and report.sequential.max_in_flight == 1
    assert report.speedup == report.run.tasks_per_min / report.sequential.tasks_per_min
    out = tmp_path / "out"
    assert (out / "results.jsonl").exists() and (out / "sequential" / "results.jsonl").exists()
    saved = json.loads((out / "report.json").read_text())
    assert saved["run"]["accuracy"] == 0.5 and saved["speedup"] == report.speedup
    markdown = (out / "report.md").read_text()
    assert "50.0% (3/6)" in markdown and "Speedup" in markdown and "concurrency 1" in markdown
    logged = [json.loads(line)["event"] for line in (out / "events.jsonl").read_text().splitlines()]
    assert logged.count("gaia.started") == 2 and "seq.acquired" in logged


class MixedRunner:
    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        if task.task_id in ("t01", "t02"):
            raise ValueError("bad tool arguments")
        if task.task_id == "t03":
            return TaskOutcome(model_answer=None, status="step_limit")
        if task.task_id == "t04":
            return TaskOutcome(model_answer="not " + task.final_answer)
        return TaskOutcome(model_answer=task.final_answer)


async def test_misses_are_grouped_by_how_the_task_ended(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(6))

    async def start(pool_size: int) -> EngineProtocol:
        return FakeEngine(pool_size=pool_size)

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=2)
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=MixedRunner)
    assert report.run.misses == {"failed: ValueError": 2, "step_limit": 1, "wrong answer": 1}
    assert report.run.statuses == {"completed": 3, "failed": 2, "timeout": 0, "step_limit": 1}
    assert report.run.correct == 2 and report.sequential is None and report.speedup is None
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "failed: ValueError: 2" in markdown and "wrong answer: 1" in markdown


async def test_level_and_limit_select_tasks(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(9))

    async def start(pool_size: int) -> EngineProtocol:
        return FakeEngine(pool_size=pool_size, reply=_answer_some)

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=2, level=2, limit=2)
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=EngineTaskRunner)
    assert report.run.tasks == 2 and list(report.run.per_level) == [2]


def test_progress_line_and_plain_output() -> None:
    assert progress_line(3, 1, 2, 6).endswith("3/6 done, 1 failed, score 66.7% (2 correct)")
    stream = io.StringIO()  # not a terminal: plain lines, at most one per interval, plus start and end
    bus = EventBus(forward_to_logging=False)
    now = [0.0]
    detach = ProgressDisplay(stream, interval_s=10.0, clock=lambda: now[0]).attach(bus)
    bus.emit("gaia.started", done=0, failed=0, correct=0, total=3)
    bus.emit("gaia.task", task_id="a", state="running")
    bus.emit("gaia.task", task_id="a", state="completed", done=1, failed=0, correct=1, total=3)
    now[0] = 11.0
    bus.emit("gaia.task", task_id="b", state="failed", done=2, failed=1, correct=1, total=3)
    bus.emit("gaia.finished", done=3, failed=1, correct=2, total=3)
    detach()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert "0/3 done" in lines[0] and "2/3 done, 1 failed" in lines[1] and "3/3 done" in lines[2]


async def test_an_out_folder_with_results_is_refused_before_the_engine_starts(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(2))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.jsonl").write_text('{"task_id": "t00"}\n')
    started: list[int] = []

    async def start(pool_size: int) -> EngineProtocol:
        started.append(pool_size)
        return FakeEngine(pool_size=pool_size)

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=2)
    with pytest.raises(ConfigError, match="--resume"):
        await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=EngineTaskRunner)
    assert started == [] and not (tmp_path / "out" / "events.jsonl").exists()


class OneSlowTask:
    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        if task.task_id == "t01":
            import asyncio

            await asyncio.sleep(5)
        return TaskOutcome(model_answer=task.final_answer)


async def test_no_speedup_is_claimed_when_tasks_timed_out(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(3))

    async def start(pool_size: int) -> EngineProtocol:
        return FakeEngine(pool_size=pool_size)

    config = GaiaBenchConfig(
        tasks=tmp_path / "set", out=tmp_path / "out", concurrency=3, compare_sequential=True, task_timeout_s=0.2
    )
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=OneSlowTask)
    assert report.speedup is None and "2 task(s) timed out" in (report.speedup_note or "")
    assert "timed out" in (tmp_path / "out" / "report.md").read_text()


class ToolAfterAnswerRunner(EngineTaskRunner):
    """One chat turn, then a 'tool' that takes 0.1 s and announces itself like the Executor does."""

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        import asyncio

        outcome = await super().__call__(task, run_dir, engine)
        await asyncio.sleep(0.1)
        engine.events.emit("tool.called", node="answer", agent="solver", tool="calculator", arguments={}, ok=True)
        return outcome


async def test_the_report_says_where_the_time_went_and_judges_the_speedup_by_its_limit(tmp_path: Path) -> None:
    write_tasks(tmp_path / "set", task_rows(4))

    async def start(pool_size: int) -> EngineProtocol:
        return FakeEngine(pool_size=pool_size, reply=_answer_some, delay=0.05)

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=2, compare_sequential=True,
                             speedup_limit=1.5, speedup_limit_source="given")
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=ToolAfterAnswerRunner)
    tasks = report.sequential.profile.tasks  # type: ignore[union-attr]
    # Per task: ~0.05 s awaiting the engine, ~0.1 s in the tool, almost nothing else.
    assert 4 * 0.05 <= tasks.engine_s < 4 * 0.1
    assert 4 * 0.1 <= tasks.tool_s < 4 * 0.2
    assert tasks.other_s < 0.5 * tasks.latency_s
    assert report.run.profile is not None and report.run.profile.engine is None  # the fake engine has no steps
    assert report.run.profile.loop is not None and report.run.profile.loop.max_ms < 1000
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "Where the time goes (concurrency 2)" in markdown and "awaiting the engine" in markdown
    assert "limit 1.50x (given), goal ≥ 1.35x" in markdown


def test_decode_context_is_the_mean_context_over_the_generated_tokens() -> None:
    from agentrt.bench.gaia.profile import decode_context

    # 10 tokens generated at contexts 100..109 (mean 105), 20 at 1000..1019 (mean 1010): (1050 + 20200) / 30.
    finished = [{"prompt_tokens": 100, "completion_tokens": 10}, {"prompt_tokens": 1000, "completion_tokens": 20}]
    assert decode_context(finished) == 708
    assert decode_context([{"prompt_tokens": 50, "completion_tokens": 0}]) is None


async def test_llama_cpps_gain_is_also_measured_at_the_context_the_sequential_pass_generated_at(
    tmp_path: Path,
) -> None:
    write_tasks(tmp_path / "set", task_rows(4))
    asked: list[int] = []

    async def start(pool_size: int) -> EngineProtocol:
        return FakeEngine(pool_size=pool_size, reply=_answer_some, delay=0.02)

    def reference(context: int) -> tuple[float | None, str]:
        asked.append(context)
        return 1.25, "stub at that context"

    config = GaiaBenchConfig(tasks=tmp_path / "set", out=tmp_path / "out", concurrency=2, compare_sequential=True,
                             speedup_limit=1.5, speedup_limit_source="given")
    report = await run_gaia_benchmark(config, engine_factory=start, task_runner_factory=EngineTaskRunner,
                                      context_reference=reference)
    assert report.sequential is not None and report.sequential.profile is not None
    context = report.sequential.profile.decode_context
    assert context is not None and context > 0 and asked == [context]  # once, at the sequential pass's context
    assert report.context_gain == 1.25
    markdown = (tmp_path / "out" / "report.md").read_text()
    share = f"{report.speedup / 1.25:.0%}"  # type: ignore[operator]
    assert f"at this workload's context ({context} tokens) llama.cpp gains 1.25x (stub at that context): " \
           f"the speedup is {share} of it" in markdown
    assert f"context: {context} tokens per sequence on average" in markdown


def _summary_with_steps(prefill_s: float, decode_s: float, context: int) -> PassSummary:
    engine = EngineTime(
        wall_s=prefill_s + decode_s, steps=10, busy_share=1.0, decode_steps_s=decode_s, prefill_steps_s=prefill_s,
        llama_decode_s=prefill_s + decode_s, picking_s=0.0, sampler_s=0.0, batch_other_s=0.0, between_steps_s=0.0,
        idle_s=0.0, mean_sequences=1.0, occupancy=0.25, one_sequence_share=1.0, decode_tokens=10,
        prefill_tokens=10, threads={"2": 1.0},
    )
    tasks = TaskTime(latency_s=1.0, engine_s=1.0, lease_s=0.0, tool_s=0.0, other_s=0.0)
    return PassSummary(
        concurrency=1, tasks=1, correct=1, accuracy=1.0, per_level={}, statuses={}, misses={}, ran=1,
        wall_s=prefill_s + decode_s, tasks_per_min=1.0, tokens_per_s=None, completion_tokens_per_s=None,
        latency_p50_s=None, latency_p95_s=None, max_in_flight=1,
        profile=PassProfile(engine=engine, tasks=tasks, cpu=None, loop=None, decode_context=context),
    )


def test_the_ceiling_uses_llama_cpps_gain_at_the_workloads_context_when_it_was_measured() -> None:
    sequential = _summary_with_steps(prefill_s=10.0, decode_s=30.0, context=1200)
    run = sequential.model_copy(update={"concurrency": 4, "tasks_per_min": 1.2})
    short_only = Report(run=run, sequential=sequential, speedup=1.2, speedup_limit=2.0, speedup_limit_source="s")
    assert engine_bound(short_only) == pytest.approx(40 / (10 + 30 / 2.0))  # 1.6x
    at_context = short_only.model_copy(update={"context_gain": 1.5, "context_gain_source": "c"})
    assert engine_bound(at_context) == pytest.approx(40 / (10 + 30 / 1.5))  # 1.33x: the decode gains less there
    verdict = speedup_verdict(at_context)
    assert verdict is not None
    assert "limit 2.00x (s), goal ≥ 1.80x: NOT met" in verdict
    assert "at this workload's context (1200 tokens) llama.cpp gains 1.50x (c): the speedup is 80% of it" in verdict
    assert "ceiling 1.33x" in verdict and "at most by llama.cpp's gain at this context" in verdict
    assert "at most by llama.cpp's gain at this context, everything else overlapped): the speedup is 90% of it" \
        in verdict


def test_the_reference_generates_after_a_shared_long_prompt_when_given_a_context(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from agentrt.bench import reference

    commands: list[list[str]] = []

    def fake_run(cmd, **kwargs):  # type: ignore[no-untyped-def]
        commands.append(cmd)
        rows = [{"pl": 1, "speed_tg": 20.0}, {"pl": 4, "speed_tg": 30.0}]
        return subprocess.CompletedProcess(cmd, 0, stdout="".join(json.dumps(r) + "\n" for r in rows), stderr="")

    monkeypatch.setattr(reference.subprocess, "run", fake_run)
    assert reference.llama_batched_bench(Path("b"), Path("m"), [1, 4], 32, 2, prompt_tokens=900) == {1: 20.0, 4: 30.0}
    assert reference.llama_batched_bench(Path("b"), Path("m"), [1, 4], 128, 2) == {1: 20.0, 4: 30.0}
    long, short = commands
    assert long[long.index("-npp") + 1] == "900" and "-pps" in long  # prefilled once, copied to the others
    assert int(long[long.index("-c") + 1]) >= 4 * (900 + 32)
    assert short[short.index("-npp") + 1] == "28" and "-pps" not in short
