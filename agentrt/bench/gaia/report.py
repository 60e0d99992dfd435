"""The benchmark report: accuracy (overall and per Level), throughput, latency and misses of a run,
optionally next to the same tasks run one at a time, written as ``report.json`` and ``report.md``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agentrt.bench.gaia.profile import PassProfile, describe
from agentrt.bench.gaia.results import TASK_STATUSES, TaskResult
from agentrt.bench.gaia.runner import BenchmarkRun

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


class LevelScore(BaseModel):
    tasks: int
    correct: int
    accuracy: float


class PassSummary(BaseModel):
    """One pass over the tasks at one concurrency."""

    concurrency: int
    tasks: int  # tasks with a result (all selected tasks once a pass has finished)
    correct: int
    accuracy: float
    per_level: dict[int, LevelScore]
    statuses: dict[str, int]
    # Why each task that did not score ended so: "wrong answer" (it completed), "step_limit", "timeout" or
    # "failed: ErrorType" -> count. A step-limit task whose last answer scored is not a miss.
    misses: dict[str, int]
    ran: int  # tasks this pass ran itself (fewer than ``tasks`` after --resume)
    wall_s: float
    tasks_per_min: float | None  # None when the pass ran nothing (everything kept from before)
    tokens_per_s: float | None  # prompt tokens prefilled + completion tokens, over the pass's wall time
    completion_tokens_per_s: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    max_in_flight: int
    processed_tokens: int = 0  # prompt tokens prefilled + completion tokens: the pass's work
    profile: PassProfile | None = None  # where the time went


class Report(BaseModel):
    meta: dict[str, Any] = Field(default_factory=dict)  # model, tasks file, graph, engine settings
    run: PassSummary
    sequential: PassSummary | None = None
    speedup: float | None = None  # tasks/min of ``run`` over tasks/min of ``sequential``
    speedup_note: str | None = None  # why there is no speedup, when there is a sequential pass but none
    work_speedup: float | None = None  # processed tokens/s of ``run`` over ``sequential`` (same work or not)
    # What llama.cpp's own batched decoding gains at the run's concurrency over one sequence, for the same
    # model on the same machine: the most batching can give the agents. The goal is 0.9x of it.
    speedup_limit: float | None = None
    speedup_limit_source: str | None = None
    # The same gain measured at this workload's context length (the sequential pass's `decode_context`): on a CPU
    # each sequence's attention over its own long context does not batch, so it can be far below the
    # short-sequence limit, and it is what the decode half of this workload could gain at most.
    context_gain: float | None = None
    context_gain_source: str | None = None


def _rate(amount: float, seconds: float) -> float | None:
    return amount / seconds if seconds > 0 else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarize(run: BenchmarkRun) -> PassSummary:
    results = run.results
    correct = sum(r.correct for r in results)
    per_level: dict[int, LevelScore] = {}
    for level in sorted({r.level for r in results}):
        at_level = [r for r in results if r.level == level]
        hits = sum(r.correct for r in at_level)
        per_level[level] = LevelScore(tasks=len(at_level), correct=hits, accuracy=hits / len(at_level))
    statuses = Counter(r.status for r in results)
    misses = Counter(_miss_kind(r) for r in results if not r.correct)
    ran = run.ran_results()
    # Tokens the engine actually processed: prompts minus what its KV cache already held, plus generations.
    processed = sum(r.tokens.prompt - r.tokens.cached + r.tokens.completion for r in ran)
    generated = sum(r.tokens.completion for r in ran)
    latencies = [r.timings.latency_s for r in ran]
    tasks_per_s = _rate(len(ran), run.wall_s)
    return PassSummary(
        concurrency=run.concurrency,
        tasks=len(results),
        correct=correct,
        accuracy=correct / len(results) if results else 0.0,
        per_level=per_level,
        statuses={s: statuses.get(s, 0) for s in TASK_STATUSES},
        misses=dict(sorted(misses.items())),
        ran=len(ran),
        wall_s=run.wall_s,
        tasks_per_min=None if tasks_per_s is None else 60.0 * tasks_per_s,
        tokens_per_s=_rate(processed, run.wall_s),
        completion_tokens_per_s=_rate(generated, run.wall_s),
        latency_p50_s=_percentile(latencies, 50),
        latency_p95_s=_percentile(latencies, 95),
        max_in_flight=run.max_in_flight,
        processed_tokens=processed,
        profile=run.profile,
    )


def _miss_kind(result: TaskResult) -> str:
    if result.status == "completed":
        return "wrong answer"
    return f"{result.status}: {result.error_type}" if result.status == "failed" else result.status


# The share of llama.cpp's own batching gain the agents' concurrency should reach (issue 12).
SPEEDUP_GOAL_SHARE = 0.9
# Passes whose processed tokens differ by more than this did not do the same work: tasks/min then compares
# different amounts of generation, and the work-normalised speedup is the one to read.
SAME_WORK_TOLERANCE = 0.10


def build_report(
    run: BenchmarkRun,
    sequential: BenchmarkRun | None = None,
    meta: dict[str, Any] | None = None,
    *,
    speedup_limit: float | None = None,
    speedup_limit_source: str | None = None,
    context_gain: float | None = None,
    context_gain_source: str | None = None,
) -> Report:
    main = summarize(run)
    seq = summarize(sequential) if sequential is not None else None
    speedup, note, work_speedup = None, None, None
    if seq is not None:
        timeouts = main.statuses["timeout"] + seq.statuses["timeout"]
        if main.tokens_per_s and seq.tokens_per_s:
            work_speedup = main.tokens_per_s / seq.tokens_per_s
        if timeouts:
            # A timed-out task "finishes" at the deadline, so tasks/min would measure the timeout, not the work.
            note = f"no speedup: {timeouts} task(s) timed out, so the passes did not do the same work"
        elif main.tasks_per_min and seq.tasks_per_min:
            speedup = main.tasks_per_min / seq.tasks_per_min
            if seq.processed_tokens and abs(main.processed_tokens / seq.processed_tokens - 1) > SAME_WORK_TOLERANCE:
                note = (f"the passes processed {main.processed_tokens} and {seq.processed_tokens} tokens: not the "
                        f"same work (batched decoding rounds differently), so read the tokens/s speedup "
                        f"{work_speedup:.2f}x beside the tasks/min one")
    return Report(meta=meta or {}, run=main, sequential=seq, speedup=speedup, speedup_note=note,
                  work_speedup=work_speedup, speedup_limit=speedup_limit, speedup_limit_source=speedup_limit_source,
                  context_gain=context_gain, context_gain_source=context_gain_source)


def speedup_verdict(report: Report) -> str | None:
    """The speedup beside its limit and goal, in one line (None without a sequential pass)."""
    if report.sequential is None:
        return None
    text = (f"concurrency {report.run.concurrency} vs 1: {_num(report.speedup)}x tasks/min, "
            f"{_num(report.work_speedup)}x processed tokens/s")
    if report.speedup_limit is not None:
        goal = SPEEDUP_GOAL_SHARE * report.speedup_limit
        reached = report.speedup is not None and report.speedup >= goal
        text += (f"; limit {report.speedup_limit:.2f}x ({report.speedup_limit_source}), goal ≥ {goal:.2f}x: "
                 f"{'met' if reached else 'NOT met'}")
    else:
        text += f"; limit not measured ({report.speedup_limit_source or 'no llama-batched-bench'})"
    context = report.sequential.profile.decode_context if report.sequential.profile is not None else None
    if report.context_gain is not None and context is not None:
        text += (f"; at this workload's context ({context} tokens) llama.cpp gains {report.context_gain:.2f}x "
                 f"({report.context_gain_source}){_share_of(report.speedup, report.context_gain)}")
    elif report.context_gain_source is not None:
        text += f"; llama.cpp's gain at this workload's context: {report.context_gain_source}"
    bound = engine_bound(report)
    if bound is not None:
        gain = "llama.cpp's gain at this context" if report.context_gain is not None else "the limit"
        text += (f"; this workload's engine-bound ceiling {bound:.2f}x (the sequential pass's prompt-token steps do "
                 f"not batch, its decode-only steps at most by {gain}, everything else overlapped)"
                 f"{_share_of(report.speedup, bound)}")
    return text


def _share_of(speedup: float | None, most: float) -> str:
    return f": the speedup is {speedup / most:.0%} of it" if speedup is not None and most > 0 else ""


def engine_bound(report: Report) -> float | None:
    """The most concurrency could give this workload if only the engine's steps remained: the sequential pass's
    wall time over its steps with prompt tokens (compute-bound: batching gains nothing) plus its decode-only
    steps shrunk by llama.cpp's batching gain — at this workload's context when measured, else the limit."""
    seq = report.sequential
    gain = report.context_gain if report.context_gain is not None else report.speedup_limit
    if seq is None or seq.profile is None or seq.profile.engine is None or gain is None:
        return None
    engine = seq.profile.engine
    steps = engine.prefill_steps_s + engine.decode_steps_s / gain
    return engine.wall_s / steps if steps > 0 else None


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / REPORT_JSON, out_dir / REPORT_MD
    json_path.write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def render_markdown(report: Report) -> str:
    passes = [report.run] + ([report.sequential] if report.sequential else [])
    lines = ["# GAIA benchmark report", ""]
    for key, value in report.meta.items():
        lines.append(f"- **{key}**: {value}")
    if report.meta:
        lines.append("")
    lines += ["## Accuracy", "", "| pass | overall | " + " | ".join(f"Level {lv}" for lv in _levels(passes)) + " |"]
    lines.append("|---|---|" + "---|" * len(_levels(passes)))
    for summary in passes:
        cells = [f"{_pct(summary.accuracy)} ({summary.correct}/{summary.tasks})"]
        for level in _levels(passes):
            score = summary.per_level.get(level)
            cells.append("–" if score is None else f"{_pct(score.accuracy)} ({score.correct}/{score.tasks})")
        lines.append(f"| concurrency {summary.concurrency} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Throughput and latency",
        "",
        "| pass | tasks run | wall s | tasks/min | tokens/s | completion tokens/s | p50 latency s | p95 latency s "
        "| max in flight |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in passes:
        lines.append(
            f"| concurrency {s.concurrency} | {s.ran} | {_num(s.wall_s, 1)} | {_num(s.tasks_per_min)} | "
            f"{_num(s.tokens_per_s, 1)} | {_num(s.completion_tokens_per_s, 1)} | {_num(s.latency_p50_s)} | "
            f"{_num(s.latency_p95_s)} | {s.max_in_flight} |"
        )
    if report.sequential is not None:
        lines += ["", f"**Speedup**: {speedup_verdict(report)}"]
        if report.speedup_note:
            lines.append(f"({report.speedup_note})")
    for s in passes:
        if s.profile is not None:
            lines += ["", f"## Where the time goes (concurrency {s.concurrency})", ""]
            lines += [f"- {line.strip()}" for line in describe(s.profile)]
    lines += ["", "## Outcomes", "", "| pass | " + " | ".join(TASK_STATUSES) + " |", "|---|" + "---|" * len(TASK_STATUSES)]
    for s in passes:
        lines.append(f"| concurrency {s.concurrency} | " + " | ".join(str(s.statuses[k]) for k in TASK_STATUSES) + " |")
    for s in passes:
        if s.misses:
            lines += ["", f"Misses by kind (concurrency {s.concurrency}: tasks not answered right, by how they ended):", ""]
            lines += [f"- {kind}: {count}" for kind, count in s.misses.items()]
    return "\n".join(lines) + "\n"


def _levels(passes: Sequence[PassSummary]) -> list[int]:
    return sorted({level for s in passes for level in s.per_level})
