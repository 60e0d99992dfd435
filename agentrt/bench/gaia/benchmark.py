"""`run_gaia_benchmark`: the whole ``agentrt bench gaia`` — load and select tasks, start the one shared
engine, run the tasks (and, when asked, the same tasks again one at a time, from an empty KV cache as the first
pass had), write the reports.

The engine and the per-task runner come from factories so tests can use the scripted fake engine and a
task runner of their own; the CLI uses the real llama.cpp engine and `GraphTaskRunner`.
"""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrt.bench.gaia.report import Report, build_report, write_report
from agentrt.bench.gaia.runner import (
    DEFAULT_TASK_TIMEOUT_S,
    BenchmarkRun,
    BenchmarkSettings,
    TaskRunner,
    check_out_dir,
    run_tasks,
)
from agentrt.bench.gaia.tasks import GaiaTask, load_tasks, select_tasks
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import ConfigError
from agentrt.eventlog import EventLog
from agentrt.events import EventBus

SEQUENTIAL_DIR = "sequential"
EVENTS_FILE = "events.jsonl"

# What the benchmark's own events.jsonl keeps: its task events and the engine's lifecycle and per-request
# records. Per-step and per-token engine events are left out (each task's run dir has its own graph events).
BENCH_LOGGED_EVENTS = frozenset(
    {
        "gaia.started", "gaia.task", "gaia.finished",
        "engine.loading", "engine.ready", "engine.threads", "engine.cache_forgotten", "engine.closed",
        "seq.acquired", "seq.released", "request.finished", "request.failed",
    }
)

EngineFactory = Callable[[int], Awaitable[EngineProtocol]]  # pool size → a started engine
TaskRunnerFactory = Callable[[], TaskRunner]
# Tokens of context → llama.cpp's own batching gain at the benchmark's concurrency there (None when it could not
# be measured) and where the figure came from.
ContextReference = Callable[[int], tuple[float | None, str]]


class GaiaBenchConfig(BaseModel):
    """``agentrt bench gaia`` as values."""

    model_config = ConfigDict(frozen=True)

    tasks: Path
    out: Path
    concurrency: int = Field(4, ge=1)
    limit: int | None = Field(None, ge=1)
    level: int | None = Field(None, ge=1, le=3)
    resume: bool = False
    order: Literal["hardest-first", "file"] = "hardest-first"  # the order tasks start in (see `start_order`)
    compare_sequential: bool = False
    task_timeout_s: float = Field(DEFAULT_TASK_TIMEOUT_S, gt=0)
    meta: dict[str, Any] = Field(default_factory=dict)  # model, graph, ...: copied into the report
    # What llama.cpp's own batching gains at this concurrency (the limit --compare-sequential is judged by).
    speedup_limit: float | None = Field(None, gt=0)
    speedup_limit_source: str | None = None


def selected_tasks(config: GaiaBenchConfig) -> list[GaiaTask]:
    chosen = select_tasks(load_tasks(config.tasks), level=config.level, limit=config.limit)
    if not chosen:
        raise ConfigError(f"GAIA tasks {str(config.tasks)!r}: no tasks at Level {config.level}")
    return chosen


async def run_gaia_benchmark(
    config: GaiaBenchConfig,
    *,
    engine_factory: EngineFactory,
    task_runner_factory: TaskRunnerFactory,
    events: EventBus | None = None,
    context_reference: ContextReference | None = None,
) -> Report:
    """Run the benchmark described by ``config``; returns the report (also written to ``config.out``).

    With a sequential pass and ``context_reference``, llama.cpp's batching gain is also measured at the context
    length the sequential pass generated at, once the engine has closed (the reference gets the machine)."""
    tasks = selected_tasks(config)
    check_out_dir(config.out, resume=config.resume)
    if config.compare_sequential:
        check_out_dir(config.out / SEQUENTIAL_DIR, resume=config.resume)
    task_runner = task_runner_factory()  # built before the engine starts: a bad graph fails fast
    bus = events if events is not None else EventBus(forward_to_logging=False)
    log = EventLog(config.out / EVENTS_FILE, BENCH_LOGGED_EVENTS)
    log.record(bus)
    try:
        engine = await engine_factory(config.concurrency)
        try:
            if engine.events is not bus:
                log.record(engine.events)
            settings = BenchmarkSettings(
                concurrency=config.concurrency, task_timeout_s=config.task_timeout_s, resume=config.resume,
                order=config.order,
            )
            main = await run_tasks(
                tasks, engine=engine, task_runner=task_runner, out_dir=config.out, settings=settings, events=bus
            )
            sequential: BenchmarkRun | None = None
            if config.compare_sequential:
                # The sequential pass must not reuse prompts the concurrent pass left in the KV cache (a task's
                # first turns, often identical): both passes start from an empty cache, as the first one did.
                await engine.forget_cache()
                sequential = await run_tasks(
                    tasks,
                    engine=engine,
                    task_runner=task_runner,
                    out_dir=config.out / SEQUENTIAL_DIR,
                    settings=settings.model_copy(update={"concurrency": 1}),
                    events=bus,
                )
        finally:
            await engine.close()
    finally:
        log.close()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "tasks file": str(config.tasks),
        "selected tasks": len(tasks),
        "level": config.level if config.level is not None else "all",
        "machine": f"{platform.machine()}, {platform.system()} ({_cpu_count()} CPUs)",
        "task timeout s": config.task_timeout_s,
        "start order": config.order,
        **({"passes": f"concurrency {config.concurrency}, then 1; each from an empty KV cache"}
           if config.compare_sequential else {}),
        **config.meta,
    }
    context_gain, context_gain_source = None, None
    context = sequential.profile.decode_context if sequential is not None and sequential.profile else None
    if context_reference is not None and context is not None:
        context_gain, context_gain_source = await asyncio.to_thread(context_reference, context)
    report = build_report(main, sequential, meta=meta, speedup_limit=config.speedup_limit,
                          speedup_limit_source=config.speedup_limit_source, context_gain=context_gain,
                          context_gain_source=context_gain_source)
    write_report(report, config.out)
    return report


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
