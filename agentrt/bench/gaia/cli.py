"""``agentrt bench gaia TASKS``: run a GAIA-format task set through a graph, many tasks at once, and score it."""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agentrt.cli_args import positive_int
from agentrt.bench.gaia.benchmark import GaiaBenchConfig, run_gaia_benchmark
from agentrt.bench.gaia.graph_task import GraphTaskRunner
from agentrt.bench.gaia.progress import ProgressDisplay
from agentrt.bench.gaia.profile import describe
from agentrt.bench.gaia.ray_runner import RayGaiaTaskRunner
from agentrt.bench.gaia.report import REPORT_MD, Report, speedup_verdict
from agentrt.bench.gaia.runner import DEFAULT_TASK_TIMEOUT_S
from agentrt.engine.config import machine_settings_of, make_config
from agentrt.engine.machine_options import add_machine_options, machine_overrides, refuse_machine_options
from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.settings import EngineSettings, remote_config
from agentrt.engine.start import start_engine
from agentrt.errors import ConfigError
from agentrt.events import EventBus
from agentrt.scaleout.pool import RayActorPool
from agentrt.scaleout.settings import ActorSettings

DEFAULT_GRAPH = Path("graphs") / "gaia.yaml"
# Where graphs/gaia.yaml lives in a source checkout, for runs started outside the repository root.
_REPO_GRAPH = Path(__file__).resolve().parents[3] / DEFAULT_GRAPH


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    parser = bench_subparsers.add_parser(
        "gaia",
        help="run a GAIA-format task set (JSONL, or a folder with metadata.jsonl) and score it",
        description=__doc__,
    )
    parser.add_argument("tasks", type=Path, metavar="TASKS", help="GAIA metadata.jsonl, or the folder holding it")
    parser.add_argument("--graph", type=Path, default=None, help=f"graph run per task (default {DEFAULT_GRAPH})")
    parser.add_argument("--concurrency", type=positive_int, default=4, help="tasks in flight at once (default 4)")
    parser.add_argument("--limit", type=positive_int, default=None, help="run only the first K selected tasks")
    parser.add_argument("--level", type=int, choices=(1, 2, 3), default=None, help="run only this GAIA Level")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default bench-results/gaia-<time>)")
    parser.add_argument(
        "--order", choices=("hardest-first", "file"), default="hardest-first",
        help="the order tasks start in: Level 3 first (the long ones; keeps every sequence busy to the end of the "
        "pass, default), or as in the task file",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue --out: keep completed and step_limit tasks, run the rest (failed and timed-out included)",
    )
    parser.add_argument(
        "--compare-sequential",
        action="store_true",
        help="then run the same tasks at concurrency 1 (in OUT/sequential) and report the speedup",
    )
    parser.add_argument(
        "--batching-gain", type=float, default=None, metavar="X",
        help="with --compare-sequential: what llama.cpp's own batched decoding gains at --concurrency sequences "
        "over one on this machine and model (the limit the speedup is judged by; default: measured in this run "
        "with llama-batched-bench when scripts/build-llama-bench.sh has built it)",
    )
    parser.add_argument("--model", default=None, help="model name or GGUF path (default: the graph's model)")
    parser.add_argument("--n-ctx", type=positive_int, default=None, help="context per sequence (default: the graph's)")
    add_machine_options(parser)
    parser.add_argument(
        "--remote", action="append", default=[], metavar="URL",
        help="run the model on this OpenAI-compatible server instead of here; repeat for several "
        "(--concurrency is spread over them; see docs/scale-out.md)",
    )
    parser.add_argument(
        "--ray", nargs="?", const="", default=None, metavar="ADDRESS",
        help="run the tasks on Ray actors, one engine each (pip install 'agentrt[ray]'); ADDRESS joins a cluster "
        "(auto, HOST:PORT), none joins this machine's or starts a local one (see docs/scale-out.md)",
    )
    parser.add_argument("--ray-actors", type=positive_int, default=None,
                        help="Ray actors to start (default: one per GPU, else 2)")
    parser.add_argument(
        "--task-timeout",
        type=float,
        default=DEFAULT_TASK_TIMEOUT_S,
        help=f"seconds before a task is cancelled as 'timeout' (default {DEFAULT_TASK_TIMEOUT_S:.0f})",
    )
    parser.set_defaults(func=run_command)



def resolve_graph(graph: Path | None) -> Path:
    if graph is not None:
        if not graph.is_file():
            raise ConfigError(f"--graph {str(graph)!r}: no such file")
        return graph
    for candidate in (DEFAULT_GRAPH, _REPO_GRAPH):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"--graph: the default {DEFAULT_GRAPH} was not found here; pass --graph PATH")


async def run_command(args: argparse.Namespace) -> int:
    if args.task_timeout <= 0:
        raise ConfigError(f"--task-timeout {args.task_timeout}: must be more than 0 seconds")
    if args.resume and args.out is None:
        raise ConfigError("--resume: name the results folder to continue with --out DIR")
    out = args.out or Path("bench-results") / time.strftime("gaia-%Y%m%d-%H%M%S")
    graph_path = resolve_graph(args.graph)
    runner: Any = GraphTaskRunner(graph_path)
    graph_model = runner.graph.spec.model
    model = args.model or graph_model.model
    n_ctx = args.n_ctx or graph_model.n_ctx
    # The graph's machine settings where it has them, the command line's over them (unset: environment, auto).
    machine = machine_settings_of(graph_model)
    machine |= machine_overrides(args)

    remote = list(args.remote) or list(runner.graph.spec.engine.remote)

    if args.ray is not None:
        if remote:
            raise ConfigError("--ray: each actor runs its own engine; it cannot be combined with --remote")
        refuse_machine_options(args, "--ray")
        runner = RayGaiaTaskRunner(graph_path)
        actor_settings = ActorSettings(actors=args.ray_actors, model=model, n_ctx=n_ctx)

    async def start_pool_engine(pool_size: int) -> EngineProtocol:
        if args.ray is not None:
            pool = await RayActorPool.start(actor_settings, address=args.ray or None, total_sequences=pool_size)
            runner.attach(pool)
            return pool  # type: ignore[return-value]  (engine-shaped: pool_size, events, close)
        settings: EngineSettings
        if remote:
            # Enough slots on each server that the task pool fits: ceil(pool / servers) each.
            settings = remote_config(remote, concurrency=-(-pool_size // len(remote)),
                                     where="--remote" if args.remote else "engine.remote")
        else:
            settings = make_config(model=model, sequences=pool_size, n_ctx=n_ctx, **machine)
        return await start_engine(settings, events=EventBus(forward_to_logging=False))

    # llama.cpp's own batching gain for this model, machine and attention setting (short sequences, or at a context).
    reference_gain = functools.partial(measure_batching_gain, model, args.concurrency, machine.get("threads"),
                                       flash_attn=machine.get("flash_attn", "auto"))
    limit, limit_source = args.batching_gain, "given with --batching-gain" if args.batching_gain else None
    if args.compare_sequential and limit is None:
        if remote or args.ray is not None:
            limit_source = "remote or Ray engines: pass --batching-gain"
        else:
            limit, limit_source = reference_gain()
    config = GaiaBenchConfig(
        tasks=args.tasks,
        out=out,
        concurrency=args.concurrency,
        limit=args.limit,
        level=args.level,
        resume=args.resume,
        order=args.order,
        compare_sequential=args.compare_sequential,
        task_timeout_s=args.task_timeout,
        speedup_limit=limit,
        speedup_limit_source=limit_source,
        meta={"graph": str(graph_path), "model": model, "n_ctx per sequence": n_ctx}
        | ({f"{k} (given)": v for k, v in machine.items()} if not remote and args.ray is None else {})
        | ({"remote endpoints": ", ".join(str(getattr(e, "url", e)) for e in remote)} if remote else {})
        | ({"ray": f"{args.ray_actors or 'default'} actors, cluster {args.ray or 'local'}"} if args.ray is not None else {}),
    )
    bus = EventBus(forward_to_logging=False)
    detach = ProgressDisplay(sys.stderr).attach(bus)
    try:
        report = await run_gaia_benchmark(
            config, engine_factory=start_pool_engine, task_runner_factory=lambda: runner, events=bus,
            context_reference=None if remote or args.ray is not None else reference_gain,
        )
    finally:
        detach()
    print(summary_text(report, out))
    return 0


def measure_batching_gain(
    model: str, concurrency: int, threads: Any, context: int | None = None, *, flash_attn: str = "auto"
) -> tuple[float | None, str]:
    """llama-batched-bench's S_TG at ``concurrency`` sequences over one, for this model on this machine: for
    short sequences, or each generating after ``context`` tokens (the workload's own context length)."""
    from agentrt.bench.reference import SHORT_PROMPT_TOKENS, find_reference, llama_batched_bench
    from agentrt.engine.cpu_cores import usable_cores
    from agentrt.models import resolve_model

    # --batching-gain stands in for the short-sequence figure only: at the workload's context nothing replaces it.
    or_given = " or pass --batching-gain" if context is None else ""
    binary = find_reference(build=False)
    if binary is None:
        return None, f"not measured: build llama-batched-bench (scripts/build-llama-bench.sh){or_given}"
    count = threads if isinstance(threads, int) else usable_cores().threads
    at = f" after {context} tokens of context" if context is not None else ""
    print(f"measuring llama.cpp's own batching gain at {concurrency} sequences{at} ({binary.name} -t {count})...",
          file=sys.stderr)
    # The engine's attention setting; `measured` is the engine's to resolve (this layer loads no llama.cpp), so
    # llama.cpp then runs with its own choice, and the figure says so.
    reference_fa = "auto" if flash_attn == "measured" else flash_attn
    fa_note = ", -fa auto (the engine measured its own flash attention setting)" if flash_attn == "measured" else ""
    # At a long context a short decode is enough: its speed is set by the context.
    tokens, prompt_tokens = (128, SHORT_PROMPT_TOKENS) if context is None else (32, context)
    try:
        figures = llama_batched_bench(binary, resolve_model(model), [1, concurrency], tokens, count,
                                      prompt_tokens=prompt_tokens, extra=("-fa", reference_fa))
    except (OSError, subprocess.CalledProcessError, KeyError) as exc:
        return None, f"not measured: llama-batched-bench failed ({exc}){or_given}"
    gain = figures[concurrency] / figures[1]
    return gain, (f"llama-batched-bench in this run: S_TG {figures[1]:.1f} -> {figures[concurrency]:.1f} tokens/s, "
                  f"-t {count}{fa_note}")


def summary_text(report: Report, out: Path) -> str:
    run = report.run
    lines = [
        f"accuracy {100 * run.accuracy:.1f}% ({run.correct}/{run.tasks}) at concurrency {run.concurrency}; "
        + ", ".join(f"Level {lv} {100 * s.accuracy:.1f}%" for lv, s in run.per_level.items()),
        f"tasks/min {_fmt(run.tasks_per_min)}, tokens/s {_fmt(run.tokens_per_s)}, "
        f"p50 {_fmt(run.latency_p50_s)} s, p95 {_fmt(run.latency_p95_s)} s",
    ]
    if report.sequential is not None:
        seq = report.sequential
        lines.append(f"sequential: accuracy {100 * seq.accuracy:.1f}%, tasks/min {_fmt(seq.tasks_per_min)}")
        lines.append(str(speedup_verdict(report)))
        if report.speedup_note:
            lines.append(f"({report.speedup_note})")
    for summary in [run] + ([report.sequential] if report.sequential else []):
        if summary.profile is not None:
            lines.append(f"where the time went at concurrency {summary.concurrency}:")
            lines += [f"  {line}" for line in describe(summary.profile)]
    lines.append(f"report: {out / REPORT_MD}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
