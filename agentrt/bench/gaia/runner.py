"""Running a GAIA task set: every task a fresh, independent run on the one shared engine, at most
``concurrency`` at a time, each outcome appended to ``results.jsonl`` the moment it is known.

What a task *does* is a `TaskRunner` (normally `GraphTaskRunner`: one graph run per task); this module only
schedules, times, bounds and records. One task's exception, timeout or step limit is that task's result and
never stops the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentrt.bench.gaia.profile import PassProfile, Profiler, task_time
from agentrt.bench.gaia.results import KEPT_ON_RESUME, ResultsLog, TaskResult, TaskTimings
from agentrt.bench.gaia.scorer import question_scorer
from agentrt.bench.gaia.tasks import GaiaTask
from agentrt.engine.counting import TokenCountingEngine
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import ConfigError
from agentrt.events import EventBus
from agentrt.graph.rundir import RunDir

RUNS_DIR = "runs"


class TaskOutcome(BaseModel):
    """What a `TaskRunner` reports for a task that ran to its end (exceptions and timeouts are the runner's)."""

    model_answer: str | None
    status: Literal["completed", "step_limit"] = "completed"
    trace: list[dict[str, Any]] = Field(default_factory=list)


class TaskRunner(Protocol):
    """Runs one task in its own (fresh, empty) ``run_dir`` on ``engine``: this task's view of the shared
    engine, whose ``events`` bus is the task's own."""

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome: ...


# A guard against a stuck task, not a bound on its work (the agent's step limit and max_tokens bound that): a
# Level 3 task at four tasks at once takes over 300 s of honest work on a slow 2-core CPU, and a tighter default
# scored it as a timeout.
DEFAULT_TASK_TIMEOUT_S = 900.0


class BenchmarkSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    concurrency: int = Field(4, ge=1, description="tasks in flight at once")
    task_timeout_s: float = Field(
        DEFAULT_TASK_TIMEOUT_S, gt=0, description="a task still running after this is cancelled"
    )
    resume: bool = False
    order: Literal["hardest-first", "file"] = Field(
        "hardest-first", description="the order tasks start in: higher GAIA Level first, or as in the task file"
    )


def start_order(tasks: Sequence[GaiaTask], order: str) -> list[GaiaTask]:
    """The order tasks take their slots in. Hardest first is the longest-processing-time rule: the Level is what a
    GAIA task says of its own length, and starting the long ones first leaves short ones for the end of the pass,
    so the sequences stay busy until it ends instead of one long task decoding alone while the others sit idle.
    The sort is stable: within a Level, the task file's order."""
    if order == "file":
        return list(tasks)
    return sorted(tasks, key=lambda task: -task.level)


class BenchmarkRun(BaseModel):
    """One pass over the selected tasks: every task's latest result, and what this pass itself ran."""

    out_dir: Path
    concurrency: int
    results: list[TaskResult]  # one per selected task that has a result, in task order
    ran: list[str]  # task_ids this pass ran (the others were kept from an earlier, resumed pass)
    wall_s: float  # this pass, first task start to last task end
    max_in_flight: int  # the most tasks that were running at once (never above ``concurrency``)
    profile: PassProfile | None = None  # where the pass's time went

    def ran_results(self) -> list[TaskResult]:
        ran = set(self.ran)
        return [r for r in self.results if r.task_id in ran]


class _Progress:
    """Running counts of one pass, carried on every ``gaia.task`` event so readers need no state of their own."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.correct = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def fields(self) -> dict[str, int]:
        return {"done": self.done, "failed": self.failed, "correct": self.correct, "total": self.total}


async def run_tasks(
    tasks: Sequence[GaiaTask],
    *,
    engine: EngineProtocol,
    task_runner: TaskRunner,
    out_dir: Path,
    settings: BenchmarkSettings,
    events: EventBus,
) -> BenchmarkRun:
    """Run ``tasks`` (skipping those a resumed ``out_dir`` already finished) and return every task's result."""
    if settings.concurrency > engine.pool_size:
        raise ConfigError(
            f"--concurrency {settings.concurrency}: the engine has only {engine.pool_size} sequences; "
            "start it with at least as many sequences as tasks in flight"
        )
    check_out_dir(out_dir, resume=settings.resume)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = ResultsLog(out_dir)
    earlier = log.read() if settings.resume else {}
    kept: dict[str, TaskResult] = {}
    for task in tasks:
        result = earlier.get(task.task_id)
        if result is not None and result.status in KEPT_ON_RESUME:
            # Scored again against this task file's ground truth, in case it was corrected since.
            kept[task.task_id] = result.model_copy(
                update={"final_answer": task.final_answer, "correct": question_scorer(result.model_answer, task.final_answer)}
            )
    todo = [t for t in tasks if t.task_id not in kept]

    progress = _Progress(total=len(tasks))
    for task in tasks:
        if task.task_id in kept:
            progress.done += 1
            progress.correct += kept[task.task_id].correct
    events.emit(
        "gaia.started",
        out_dir=str(out_dir),
        to_run=len(todo),
        kept=len(tasks) - len(todo),
        concurrency=settings.concurrency,
        **progress.fields(),
    )

    slots = asyncio.Semaphore(settings.concurrency)
    fresh: dict[str, TaskResult] = {}
    profiler = Profiler(engine, engine.pool_size)
    profiler.start()
    started = time.time()

    async def one(task: GaiaTask) -> None:
        queued_at = time.time()
        async with slots:
            progress.in_flight += 1
            progress.max_in_flight = max(progress.max_in_flight, progress.in_flight)
            try:
                result = await _run_one(task, engine, task_runner, out_dir, settings, events, queued_at)
            finally:
                progress.in_flight -= 1
        await asyncio.to_thread(log.append, result)  # fsync off the event loop: the engine's tokens keep flowing
        fresh[task.task_id] = result
        progress.done += 1
        progress.failed += result.status in ("failed", "timeout")
        progress.correct += result.correct
        events.emit(
            "gaia.task",
            task_id=task.task_id,
            level=task.level,
            state=result.status,
            answer_correct=result.correct,
            elapsed_s=round(result.timings.latency_s, 3),
            error=result.error,
            **progress.fields(),
        )

    async with asyncio.TaskGroup() as group:
        # Slots are handed out first come, first served (asyncio's semaphore is FIFO), so creation order is start order.
        for task in start_order(todo, settings.order):
            group.create_task(one(task), name=f"gaia:{task.task_id}")
    wall_s = time.time() - started if todo else 0.0
    profile = await profiler.stop(task_time(list(fresh.values())))

    merged = {**kept, **fresh}
    run = BenchmarkRun(
        out_dir=out_dir,
        concurrency=settings.concurrency,
        results=[merged[t.task_id] for t in tasks if t.task_id in merged],
        ran=[t.task_id for t in todo],
        wall_s=wall_s,
        max_in_flight=progress.max_in_flight,
        profile=profile if todo else None,
    )
    events.emit("gaia.finished", out_dir=str(out_dir), wall_s=round(wall_s, 3), **progress.fields())
    return run


def check_out_dir(out_dir: Path, *, resume: bool) -> None:
    """Refuse to add a fresh pass to a folder that already holds results (that is what --resume is for)."""
    log = ResultsLog(out_dir)
    if not resume and log.path.exists() and log.path.stat().st_size > 0:
        raise ConfigError(f"{log.path}: already holds results; pass --resume to continue it, or another --out")


async def _run_one(
    task: GaiaTask,
    engine: EngineProtocol,
    task_runner: TaskRunner,
    out_dir: Path,
    settings: BenchmarkSettings,
    events: EventBus,
    queued_at: float,
) -> TaskResult:
    """Run one task to a `TaskResult`; every way it can end (answer, step limit, timeout, error) is a result."""
    run_dir = out_dir / RUNS_DIR / task.task_id
    counted = task_setup(run_dir, engine)
    began = time.time()
    events.emit("gaia.task", task_id=task.task_id, level=task.level, state="running")
    outcome: TaskOutcome | None = None
    error: BaseException | None = None
    status: str
    deadline = asyncio.timeout(settings.task_timeout_s)
    try:
        async with deadline:
            outcome = await task_runner(task, run_dir, counted)
        status = outcome.status
    except TimeoutError as exc:
        # Only our own deadline is a "timeout"; a TimeoutError from inside the task (a tool's) is a failure.
        status, error = ("timeout" if deadline.expired() else "failed"), exc
    except Exception as exc:  # a task's failure is its result; siblings keep running
        status, error = "failed", exc
    ended = time.time()
    model_answer = outcome.model_answer if outcome else None
    if status == "timeout":
        message = f"task {task.task_id}: no answer within {settings.task_timeout_s:g} s"
    elif error is not None:
        message = f"task {task.task_id}: {type(error).__name__}: {error}"
    else:
        message = None
    return TaskResult(
        task_id=task.task_id,
        level=task.level,
        status=status,  # type: ignore[arg-type]
        model_answer=model_answer,
        final_answer=task.final_answer,
        correct=question_scorer(model_answer, task.final_answer),
        error=message,
        error_type=_error_type(error),
        tokens=counted.counts.model_copy(),
        timings=TaskTimings(
            started_at=began, finished_at=ended, latency_s=ended - began, queued_s=began - queued_at,
            engine_s=counted.clock.engine_s, lease_s=counted.clock.lease_s, tool_s=counted.clock.tool_s,
        ),
        trace=outcome.trace if outcome else [],
        run_dir=str(run_dir),
    )


def task_setup(run_dir: Path, engine: EngineProtocol) -> TokenCountingEngine:
    """One task's start, wherever it runs (here, or on a Ray actor: `ray_runner.run_gaia_task`): an empty run
    directory (what an earlier attempt left, one that failed or timed out and is retried on --resume, is removed),
    and the task's view of the shared engine, with its own bus (its run's events, and its events.jsonl, hold
    this task's traffic only) and its own token counts."""
    RunDir(run_dir).fresh()
    return TokenCountingEngine(engine, events=EventBus(forward_to_logging=False))


def _error_type(error: BaseException | None) -> str | None:
    """The kind a failure is reported under: an error may name a more telling one (a failed node's own)."""
    if error is None:
        return None
    return getattr(error, "error_type", None) or type(error).__name__
