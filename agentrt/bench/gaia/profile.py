"""Where a GAIA pass's time goes, so that a slow run explains itself.

Four views of one pass, measured while it runs:
  - the engine's owner thread: busy share, steps with and without prompt tokens, inside ``llama_decode``, token
    picking (llama.cpp sampler chains — grammar passes — among it), between steps, idle; mean batch occupancy
    and the share of steps that served one sequence only (``engine.step`` events and `Engine.stats`);
  - the tasks: their summed latency split into awaiting the engine, leasing a sequence, tools, and the rest
    (the agents' and the runtime's own Python: prompts, parsing, scheduling) (`TaskClock` per task);
  - the CPU: cores used by the owner thread, the event loop's thread, the other threads (llama.cpp's compute
    workers, thread pools) and child processes (tools), from ``/proc/self/task`` and ``getrusage``;
  - the event loop: how late a timer that should fire every `LAG_TICK_S` fires (stalls: some callback held it).
Beside them, the context the pass's generated tokens attended to (``request.finished`` events): what llama.cpp's
own batching gain is measured at, since on a CPU that gain shrinks as contexts grow.
"""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from agentrt.events import Event

LAG_TICK_S = 0.05  # the event-loop lag probe's period: fine enough for 10 ms stalls, cheap (20 wake-ups/s)


class EngineTime(BaseModel):
    wall_s: float
    steps: int
    busy_share: float  # share of the wall time the owner thread spent in steps
    decode_steps_s: float  # steps with only decode tokens
    prefill_steps_s: float  # steps with prompt tokens (decoders riding along included)
    llama_decode_s: float  # of all steps: inside llama_decode
    picking_s: float  # of all steps: picking and delivering tokens
    sampler_s: float  # of which llama.cpp sampler chains (grammar passes)
    batch_other_s: float  # of all steps: building the batch, bookkeeping
    between_steps_s: float | None  # the owner thread neither in a step nor idle: intake, delivery, events
    idle_s: float | None  # no request to run
    mean_sequences: float  # sequences served per step
    occupancy: float  # mean_sequences / pool size
    one_sequence_share: float  # share of steps that served a single sequence
    decode_tokens: int
    prefill_tokens: int
    threads: dict[str, float]  # share of step time at each compute thread count


class TaskTime(BaseModel):
    latency_s: float  # summed over the tasks the pass ran
    engine_s: float
    lease_s: float
    tool_s: float
    other_s: float  # the agents' and the runtime's own work


class CpuTime(BaseModel):
    wall_s: float
    cores: int  # usable cores
    owner_thread: float  # cores (CPU seconds per wall second)
    event_loop: float
    other_threads: float
    children: float  # tool subprocesses (waited for)

    @property
    def total(self) -> float:
        return self.owner_thread + self.event_loop + self.other_threads + self.children


class LoopLag(BaseModel):
    p50_ms: float
    p99_ms: float
    max_ms: float
    late_share: float  # summed lateness over the wall time


class PassProfile(BaseModel):
    engine: EngineTime | None  # None for engines that report no steps (remote servers, Ray actors)
    tasks: TaskTime
    cpu: CpuTime | None
    loop: LoopLag | None
    decode_context: int | None = None  # mean context length over the generated tokens (`decode_context`)


def decode_context(finished: list[Event]) -> int | None:
    """The mean number of tokens in context when a token was generated, over every generated token of the
    requests: a request of P prompt and C completion tokens generates at contexts P .. P+C-1 (mean P + C/2)."""
    generated = sum(e["completion_tokens"] for e in finished)
    if not generated:
        return None
    weighted = sum(e["completion_tokens"] * (e["prompt_tokens"] + e["completion_tokens"] / 2) for e in finished)
    return round(weighted / generated)


def _thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for entry in Path("/proc/self/task").iterdir():
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # the thread ended
        fields = text.rsplit(")", 1)[1].split()
        out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Profiler:
    """Watches one pass: `start` before its first task, `stop` after its last."""

    def __init__(self, engine: Any, pool_size: int) -> None:
        self._engine = engine
        self._pool_size = pool_size
        self._steps: list[Event] = []
        self._finished: list[Event] = []  # request.finished
        self._lags: list[float] = []
        self._unsubscribe: Any = None
        self._lag_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._started = time.perf_counter()
        events = getattr(self._engine, "events", None)
        if events is not None:
            self._unsubscribe = events.subscribe(self._collect, kinds={"engine.step", "request.finished"})
        self._stats0 = self._engine_stats()
        self._threads0 = _thread_cpu() if Path("/proc/self/task").is_dir() else None
        self._children0 = _children_cpu()
        self._lag_task = asyncio.get_running_loop().create_task(self._watch_lag(), name="gaia-profile-lag")

    def _collect(self, event: Event) -> None:
        (self._steps if event["event"] == "engine.step" else self._finished).append(event)

    async def _watch_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            planned = loop.time() + LAG_TICK_S
            await asyncio.sleep(LAG_TICK_S)
            self._lags.append(max(0.0, loop.time() - planned))

    def _engine_stats(self) -> Any:
        stats = getattr(self._engine, "stats", None)
        try:
            value = stats() if stats is not None else None
        except Exception:
            return None
        return value if hasattr(value, "idle_s") else None

    async def stop(self, tasks_time: TaskTime) -> PassProfile:
        wall = time.perf_counter() - self._started
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._lag_task is not None:
            self._lag_task.cancel()
            try:
                await self._lag_task
            except asyncio.CancelledError:
                pass
        return PassProfile(
            engine=self._engine_time(wall), tasks=tasks_time, cpu=self._cpu(wall), loop=self._loop_lag(wall),
            decode_context=decode_context(self._finished),
        )

    def _engine_time(self, wall: float) -> EngineTime | None:
        steps = self._steps
        if not steps:
            return None
        step_s = sum(s["step_ms"] for s in steps) / 1e3
        decode_s = sum(s["decode_ms"] for s in steps) / 1e3
        picking_s = sum(s["sample_ms"] for s in steps) / 1e3
        prefill_steps_s = sum(s["step_ms"] for s in steps if s["n_prefill"]) / 1e3
        seqs = [s["n_decode"] + s["n_seqs_prefill"] for s in steps]
        threads: Counter[str] = Counter()
        for s in steps:
            threads[str(s.get("threads", "?"))] += s["step_ms"]
        idle = between = None
        stats1 = self._engine_stats()
        if self._stats0 is not None and stats1 is not None:
            idle = stats1.idle_s - self._stats0.idle_s
            between = max(0.0, wall - step_s - idle)
        return EngineTime(
            wall_s=wall, steps=len(steps), busy_share=min(1.0, step_s / wall) if wall else 0.0,
            decode_steps_s=step_s - prefill_steps_s, prefill_steps_s=prefill_steps_s, llama_decode_s=decode_s,
            picking_s=picking_s, sampler_s=sum(s.get("sampler_ms", 0.0) for s in steps) / 1e3,
            batch_other_s=max(0.0, step_s - decode_s - picking_s), between_steps_s=between, idle_s=idle,
            mean_sequences=float(np.mean(seqs)), occupancy=float(np.mean(seqs)) / max(1, self._pool_size),
            one_sequence_share=sum(1 for n in seqs if n == 1) / len(seqs),
            decode_tokens=sum(s["n_decode"] for s in steps), prefill_tokens=sum(s["n_prefill"] for s in steps),
            threads={k: v / max(1e-9, step_s * 1e3) for k, v in sorted(threads.items())},
        )

    def _cpu(self, wall: float) -> CpuTime | None:
        if self._threads0 is None or wall <= 0:
            return None
        after = _thread_cpu()
        delta = {tid: cpu - self._threads0.get(tid, 0.0) for tid, cpu in after.items()}
        owner_id = getattr(self._engine, "owner_thread_id", None)
        loop_id = threading.get_native_id()  # this runs on the event loop's thread
        owner = delta.pop(owner_id, 0.0) if owner_id is not None else 0.0
        loop = delta.pop(loop_id, 0.0)
        from agentrt.engine.cpu_cores import usable_cores

        return CpuTime(
            wall_s=wall, cores=usable_cores().threads, owner_thread=owner / wall, event_loop=loop / wall,
            other_threads=sum(delta.values()) / wall, children=(_children_cpu() - self._children0) / wall,
        )

    def _loop_lag(self, wall: float) -> LoopLag | None:
        if not self._lags:
            return None
        lags = np.array(self._lags) * 1e3
        return LoopLag(
            p50_ms=float(np.percentile(lags, 50)), p99_ms=float(np.percentile(lags, 99)), max_ms=float(lags.max()),
            late_share=float(lags.sum() / 1e3 / wall) if wall else 0.0,
        )


def task_time(results: list[Any]) -> TaskTime:
    latency = sum(r.timings.latency_s for r in results)
    engine = sum(r.timings.engine_s for r in results)
    lease = sum(r.timings.lease_s for r in results)
    tool = sum(r.timings.tool_s for r in results)
    return TaskTime(latency_s=latency, engine_s=engine, lease_s=lease, tool_s=tool,
                    other_s=max(0.0, latency - engine - lease - tool))


def describe(profile: PassProfile) -> list[str]:
    """The profile as a few lines of text (for the terminal and report.md)."""
    lines = []
    e = profile.engine
    if e is not None:
        parts = [f"busy {e.busy_share:.0%} of {e.wall_s:.1f} s"]
        if e.idle_s is not None and e.between_steps_s is not None:
            parts.append(f"idle {e.idle_s / e.wall_s:.0%}, between steps {e.between_steps_s / e.wall_s:.0%}")
        lines.append("engine owner thread: " + "; ".join(parts))
        step = max(1e-9, e.decode_steps_s + e.prefill_steps_s)
        lines.append(
            f"  steps: decode-only {e.decode_steps_s / step:.0%}, with prompt tokens {e.prefill_steps_s / step:.0%}; "
            f"inside llama_decode {e.llama_decode_s / step:.0%}, token picking {e.picking_s / step:.0%} "
            f"(llama.cpp samplers/grammar {e.sampler_s / step:.0%}), batch building {e.batch_other_s / step:.0%}"
        )
        lines.append(
            f"  batches: {e.mean_sequences:.2f} sequences per step ({e.occupancy:.0%} of the pool), "
            f"{e.one_sequence_share:.0%} of steps with one sequence; {e.decode_tokens} decode + "
            f"{e.prefill_tokens} prompt tokens in {e.steps} steps; compute threads (share of step time): "
            + ", ".join(f"{k}: {v:.0%}" for k, v in e.threads.items())
        )
    if profile.decode_context is not None:
        lines.append(f"context: {profile.decode_context} tokens per sequence on average when a token was generated")
    t = profile.tasks
    if t.latency_s > 0:
        lines.append(
            f"tasks (summed latency {t.latency_s:.1f} s): awaiting the engine {t.engine_s / t.latency_s:.0%}, "
            f"leasing a sequence {t.lease_s / t.latency_s:.0%}, tools {t.tool_s / t.latency_s:.0%}, "
            f"agents and runtime {t.other_s / t.latency_s:.0%}"
        )
    c = profile.cpu
    if c is not None:
        lines.append(
            f"CPU ({c.cores} cores): {c.total:.2f} cores busy — owner thread {c.owner_thread:.2f}, compute workers "
            f"and other threads {c.other_threads:.2f}, event loop {c.event_loop:.2f}, tool processes {c.children:.2f}"
        )
    lag = profile.loop
    if lag is not None:
        lines.append(
            f"event loop: timers late by p50 {lag.p50_ms:.1f} ms, p99 {lag.p99_ms:.1f} ms, max {lag.max_ms:.0f} ms "
            f"({lag.late_share:.1%} of the time)"
        )
    return lines
