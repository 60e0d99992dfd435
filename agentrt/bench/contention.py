"""`agentrt bench contention`: the same decode on a quiet CPU, beside a busy core, and with that load coming and going.

Every decode step is a chain of barriers: when a compute thread loses its core, every other thread waits for it.
This benchmark measures what that costs and what helps, all in one run on one machine:

Rows (ways to run llama.cpp's compute threads):
  - agentrt ``auto``: the thread count follows the free cores (`agentrt.engine.threads`);
  - agentrt at each fixed count 1..cores (with agentrt's short OpenMP spin, `agentrt.engine.openmp`), and at
    every core and ``auto`` with OpenMP waiting passively (``OMP_WAIT_POLICY=passive``: sleep at once) or
    spinning as long as libgomp does by default (``GOMP_SPINCOUNT=300000``);
  - with the GGML_OPENMP=OFF build (``--threadpool``, built once by scripts/build-llama-bench.sh): agentrt at
    every core on ggml's own pool, polling (ggml's default 50) and not (0), and ``auto`` on that pool;
  - llama.cpp's own llama-batched-bench at ``-t`` = cores (and on the threadpool build with ``--poll 0``).
Columns (the load, made by a process this benchmark starts: a Python busy loop per ``--load-cores``):
  quiet; busy (the load runs throughout); toggling (the load is stopped and continued every ``--toggle-s``
  seconds during one longer decode, starting quiet).

Each cell is its own process (so OpenMP's environment and the library variant take effect and nothing carries
over), measured after the model is loaded and warmed up: generated tokens/s over the decode-only steps, like
llama-batched-bench's S_TG. The goals (issue 12) are printed beside the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any, Literal

from pydantic import BaseModel

from agentrt.cli_args import positive_int
from agentrt.engine.cpu_cores import usable_cores
from agentrt.engine.openmp import LIBGOMP_DEFAULT_SPIN, SPIN_ENV, llama_cpp_environment
from agentrt.models import resolve_model

PHASES = ("quiet", "busy", "toggling")
# Goals of issue 12 for `auto` against the best fixed count, per phase.
GOALS = {"quiet": 0.95, "busy": 0.9, "toggling": 0.9}
# A short OpenMP spin (iterations) between "spin until the next barrier" (GOMP's default 300k) and passive.
BURNER = "while True: pass"
READY, GO, RESULT = "READY", "GO", "RESULT "


@dataclass(frozen=True)
class Variant:
    name: str
    kind: Literal["agentrt", "llama.cpp"]
    threads: int | str
    library: Literal["openmp", "threadpool"] = "openmp"
    env: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()  # llama-batched-bench arguments
    fixed_default: bool = False  # a plain fixed count on the default build: what "best fixed" is taken from


class Cell(BaseModel):
    variant: str
    phase: str
    repeat: int
    tokens_per_s: float
    threads_share: dict[str, float] = {}  # decode tokens at each thread count (agentrt only)
    probes: int | None = None
    changes: int | None = None


def variants(cores: int, groups: set[str], threadpool: Path | None, reference: Path | None) -> list[Variant]:
    out: list[Variant] = []
    if "auto" in groups:
        out.append(Variant("agentrt auto", "agentrt", "auto"))
    if "fixed" in groups:
        out += [Variant(f"agentrt {t} thread{'s' * (t > 1)}", "agentrt", t, fixed_default=True)
                for t in range(1, cores + 1)]
    if "omp" in groups and cores > 1:
        out.append(Variant(f"agentrt {cores} threads, OMP_WAIT_POLICY=passive", "agentrt", cores,
                           env={"OMP_WAIT_POLICY": "passive"}))
        out.append(Variant(f"agentrt {cores} threads, GOMP_SPINCOUNT={LIBGOMP_DEFAULT_SPIN} (libgomp's)", "agentrt",
                           cores, env={SPIN_ENV: LIBGOMP_DEFAULT_SPIN}))
        out.append(Variant("agentrt auto, OMP_WAIT_POLICY=passive", "agentrt", "auto",
                           env={"OMP_WAIT_POLICY": "passive"}))
        out.append(Variant(f"agentrt auto, GOMP_SPINCOUNT={LIBGOMP_DEFAULT_SPIN} (libgomp's)", "agentrt", "auto",
                           env={SPIN_ENV: LIBGOMP_DEFAULT_SPIN}))
    if "threadpool" in groups and threadpool is not None:
        for poll in (50, 0):
            out.append(Variant(f"agentrt {cores} threads, ggml pool poll {poll}", "agentrt", cores, "threadpool",
                               env={"AGENTRT_THREADPOOL_POLL": str(poll)}))
        out.append(Variant("agentrt auto, ggml pool poll 0", "agentrt", "auto", "threadpool",
                           env={"AGENTRT_THREADPOOL_POLL": "0"}))
    if "llama" in groups and reference is not None:
        out.append(Variant(f"llama-batched-bench -t {cores}", "llama.cpp", cores))
    if "llama" in groups and "threadpool" in groups and threadpool is not None:
        out.append(Variant(f"llama-batched-bench -t {cores}, ggml pool --poll 0", "llama.cpp", cores, "threadpool",
                           extra=("--poll", "0")))
    return out


# --- the background load ------------------------------------------------------------------------------------


class BackgroundLoad:
    """Busy-loop processes, stopped (SIGSTOP) and continued (SIGCONT) on demand; killed on `close`."""

    def __init__(self, cores: int) -> None:
        self._procs = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(cores)]
        self.on = True
        self.set(False)

    def set(self, on: bool) -> None:
        if on != self.on:
            for proc in self._procs:
                proc.send_signal(signal.SIGCONT if on else signal.SIGSTOP)
                _wait_for_state(proc.pid, stopped=not on)
            self.on = on

    def close(self) -> None:
        for proc in self._procs:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait()


def _wait_for_state(pid: int, *, stopped: bool, timeout_s: float = 2.0) -> None:
    """Wait until the kernel shows the process stopped (state T) or running again: a SIGSTOP sent while a new
    process was still starting was seen to be lost, which left the "quiet" phase with a busy core."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return  # no /proc (not Linux) or the process is gone: nothing to check
        if (state == "T") == stopped:
            return
        if stopped:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(0.02)
    raise RuntimeError(f"background load process {pid} did not {'stop' if stopped else 'continue'}")


class Toggler:
    """Switches the load off and on every ``period`` seconds from `start` until `stop` (starting quiet)."""

    def __init__(self, load: BackgroundLoad, period: float) -> None:
        self._load, self._period = load, period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="contention-toggler", daemon=True)

    def start(self) -> None:
        self._load.set(False)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._load.set(not self._load.on)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._load.set(False)


# --- running one cell ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    model: str
    sequences: int
    tokens: int
    toggle_tokens: int
    toggle_s: float

    def tokens_for(self, phase: str) -> int:
        return self.toggle_tokens if phase == "toggling" else self.tokens


def _start_load(load: BackgroundLoad, phase: str, period: float) -> Toggler | None:
    if phase == "toggling":
        toggler = Toggler(load, period)
        toggler.start()
        return toggler
    load.set(phase == "busy")
    return None


def _stop_load(load: BackgroundLoad, toggler: Toggler | None) -> None:
    if toggler is not None:
        toggler.stop()
    load.set(False)


def _library_env(variant: Variant, threadpool: Path | None) -> dict[str, str]:
    env = {**os.environ, **variant.env}
    package_root = str(Path(__file__).resolve().parents[2])  # the worker imports this same agentrt
    env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
    if variant.library == "threadpool":
        assert threadpool is not None
        env["LLAMA_CPP_LIB_PATH"] = str(threadpool.parent)
    return env


def run_agentrt(variant: Variant, phase: str, work: Workload, load: BackgroundLoad, threadpool: Path | None,
                repeat: int) -> Cell:
    spec = {"model": work.model, "sequences": work.sequences, "tokens": work.tokens_for(phase),
            "threads": variant.threads}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentrt.bench.contention", "--worker", json.dumps(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_library_env(variant, threadpool),
    )
    assert proc.stdin is not None and proc.stdout is not None
    toggler = None
    try:
        if proc.stdout.readline().strip() != READY:
            raise RuntimeError(f"{variant.name}: the worker did not start:\n{proc.communicate()[1][-3000:]}")
        toggler = _start_load(load, phase, work.toggle_s)
        proc.stdin.write(GO + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    finally:
        _stop_load(load, toggler)
    _, stderr = proc.communicate()
    if not line.startswith(RESULT):
        raise RuntimeError(f"{variant.name} ({phase}): the worker failed:\n{stderr[-3000:]}")
    result = json.loads(line[len(RESULT):])
    return Cell(variant=variant.name, phase=phase, repeat=repeat, **result)


def run_llama(variant: Variant, phase: str, work: Workload, load: BackgroundLoad, binary: Path, repeat: int) -> Cell:
    from agentrt.bench.reference import llama_batched_bench

    env = {**llama_cpp_environment(), **variant.env}  # the binary finds its own build's libraries (RPATH)
    toggler = _start_load(load, phase, work.toggle_s)
    try:
        figures = llama_batched_bench(binary, resolve_model(work.model), [work.sequences], work.tokens_for(phase),
                                      int(variant.threads), extra=variant.extra, env=env)
    finally:
        _stop_load(load, toggler)
    return Cell(variant=variant.name, phase=phase, repeat=repeat, tokens_per_s=figures[work.sequences])


# --- the worker: one engine, one decode ----------------------------------------------------------------------


async def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    from agentrt.bench.throughput import PROMPTS, StepRecorder
    from agentrt.engine import Engine, EngineConfig
    from agentrt.events import EventBus

    n, tokens = spec["sequences"], spec["tokens"]
    prompts = (PROMPTS * (n // len(PROMPTS) + 1))[:n]
    config = EngineConfig(model=spec["model"], sequences=n, n_ctx=64 + tokens, threads=spec["threads"],
                          n_batch=max(512, n))
    events = EventBus(forward_to_logging=False)
    async with await Engine.start(config, events=events) as engine:
        # Warm-up with the measured batch shape: first-touch page faults, and `auto` has seen a few of these steps
        # (an engine serves for a long time; its first seconds are not what this compares).
        await asyncio.gather(*(engine.complete(p, max_tokens=16, ignore_eos=True) for p in prompts))
        print(READY, flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        recorder = StepRecorder()
        unsubscribe = events.subscribe(recorder, kinds={"engine.step"})

        async def one(prompt: str) -> None:
            async with engine.sequence(owner="contention") as seq:
                await seq.reset()
                await seq.complete(prompt, max_tokens=tokens, ignore_eos=True)

        await asyncio.gather(*(one(p) for p in prompts))
        unsubscribe()
        stats = engine.stats().threads
    tg_tokens, tg_wall, _, _ = recorder.decode_only()
    shares: Counter[str] = Counter()
    for step in recorder.steps:
        shares[str(step["threads"])] += step["n_decode"] + step["n_prefill"]
    total = sum(shares.values()) or 1
    return {
        "tokens_per_s": tg_tokens / tg_wall if tg_wall else 0.0,
        "threads_share": {k: v / total for k, v in sorted(shares.items(), key=lambda kv: int(kv[0]))},
        "probes": stats.probes if stats else None,
        "changes": stats.changes if stats else None,
    }


def worker_main(spec_json: str) -> int:
    result = asyncio.run(_worker(json.loads(spec_json)))
    print(RESULT + json.dumps(result), flush=True)
    return 0


# --- the report ---------------------------------------------------------------------------------------------


def summarise(cells: list[Cell]) -> dict[tuple[str, str], float]:
    """Median tokens/s per (variant, phase) over the repeats."""
    grouped: dict[tuple[str, str], list[float]] = {}
    for cell in cells:
        grouped.setdefault((cell.variant, cell.phase), []).append(cell.tokens_per_s)
    return {key: median(values) for key, values in grouped.items()}


def report(cells: list[Cell], rows: list[Variant], phases: list[str], work: Workload, cores: int,
           load_cores: int) -> str:
    table = summarise(cells)
    lines = [
        f"agentrt bench contention — {work.model}, {work.sequences} sequences x {work.tokens} tokens "
        f"(toggling: {work.toggle_tokens} tokens, load off/on every {work.toggle_s:g} s), {cores} usable cores, "
        f"load: {load_cores} busy process{'es' * (load_cores > 1)}",
        f"{'variant':<52}" + "".join(f"{p:>10}" for p in phases) + "   threads used (tokens; busy/toggling)",
    ]
    for variant in rows:
        cells_of = [c for c in cells if c.variant == variant.name]
        share = next((c.threads_share for c in cells_of if c.phase in ("busy", "toggling") and c.threads_share), {})
        shares = ", ".join(f"{k}: {v:.0%}" for k, v in share.items()) if variant.threads == "auto" else ""
        values = "".join(
            f"{table[(variant.name, p)]:10.1f}" if (variant.name, p) in table else f"{'-':>10}" for p in phases
        )
        lines.append(f"{variant.name:<52}{values}   {shares}")
    lines.append("(generated tokens/s over the decode-only steps, median of the repeats)")
    lines.append("")
    fixed = [v.name for v in rows if v.fixed_default]
    auto = next((v.name for v in rows if v.threads == "auto" and v.library == "openmp" and not v.env), None)
    llama = next((v.name for v in rows if v.kind == "llama.cpp" and v.library == "openmp"), None)
    for phase in phases:
        parts = []
        best = max(((table[(f, phase)], f) for f in fixed if (f, phase) in table), default=None)
        if auto and best and (auto, phase) in table:
            ratio = table[(auto, phase)] / best[0]
            verdict = "meets" if ratio >= GOALS[phase] else "MISSES"
            parts.append(f"auto / best fixed ({best[1].removeprefix('agentrt ')}) {ratio:.2f}x "
                         f"(goal ≥ {GOALS[phase]:.2f}: {verdict})")
        if auto and llama and (auto, phase) in table and (llama, phase) in table:
            parts.append(f"agentrt auto / {llama} {table[(auto, phase)] / table[(llama, phase)]:.2f}x")
        overall = max(((v, k[0]) for k, v in table.items() if k[1] == phase), default=None)
        if overall:
            parts.append(f"fastest: {overall[1]} ({overall[0]:.1f})")
        lines.append(f"{phase:>9}: " + "; ".join(parts))
    lines.append("Goals (issue 12): auto ≥ 0.9x the best fixed count under contention and with load that comes and "
                 "goes; within 5% of it on a quiet machine; under contention about 2x llama.cpp at every core.")
    return "\n".join(lines)


# --- the command --------------------------------------------------------------------------------------------


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "contention", help="decode quiet, beside a busy core, and with load coming and going: auto vs fixed threads",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", default="gemma3-270m", help="a named model or a .gguf path (default gemma3-270m)")
    p.add_argument("--sequences", type=positive_int, default=4, help="sequences decoding at once (default 4)")
    p.add_argument("--tokens", type=positive_int, default=128, help="new tokens per sequence, quiet and busy (default 128)")
    p.add_argument("--toggle-tokens", type=positive_int, default=512,
                   help="new tokens per sequence while the load comes and goes (default 512)")
    p.add_argument("--toggle-s", type=float, default=4.0, help="seconds between load switches (default 4)")
    p.add_argument("--load-cores", type=int, default=1, help="busy processes the benchmark starts (default 1)")
    p.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    p.add_argument("--variants", default="auto,fixed,omp,llama",
                   help="groups of rows: auto, fixed, omp (OpenMP wait settings), threadpool (the GGML_OPENMP=OFF "
                   "build; also given by --threadpool), llama (llama-batched-bench)")
    p.add_argument("--threadpool", action="store_true",
                   help="include the GGML_OPENMP=OFF build (built once, ~6 min on 2 cores, if not cached)")
    p.add_argument("--repeat", type=positive_int, default=1, help="measure every cell this many times; report medians")
    p.add_argument("--json", type=Path, help="write every cell as one JSON line")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from agentrt.bench.reference import find_reference

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown or not phases:
        raise SystemExit(f"agentrt bench contention: --phases {args.phases!r}: expected some of {', '.join(PHASES)}")
    groups = {g.strip() for g in args.variants.split(",") if g.strip()} | ({"threadpool"} if args.threadpool else set())
    cores = usable_cores().threads
    work = Workload(args.model, args.sequences, args.tokens, args.toggle_tokens, args.toggle_s)
    resolve_model(args.model)  # a bad name fails before anything is built or started
    reference = find_reference(build=True) if "llama" in groups else None
    threadpool = find_reference(build=args.threadpool, variant="threadpool") if "threadpool" in groups else None
    if "threadpool" in groups and threadpool is None:
        print("the GGML_OPENMP=OFF build is not there: skipping its rows (pass --threadpool to build it)",
              file=sys.stderr)
    rows = variants(cores, groups, threadpool, reference)
    load = BackgroundLoad(args.load_cores)
    cells: list[Cell] = []
    try:
        for repeat in range(args.repeat):
            for phase in phases:
                for variant in rows:
                    started = time.perf_counter()
                    try:
                        if variant.kind == "agentrt":
                            cell = run_agentrt(variant, phase, work, load, threadpool, repeat)
                        else:
                            binary = threadpool if variant.library == "threadpool" else reference
                            assert binary is not None
                            cell = run_llama(variant, phase, work, load, binary, repeat)
                    except (RuntimeError, subprocess.CalledProcessError, KeyError) as exc:
                        # One cell that cannot run (a missing library, a crash) leaves the others standing.
                        print(f"  {phase:<8} {variant.name}: failed: {exc}", file=sys.stderr, flush=True)
                        continue
                    cells.append(cell)
                    print(f"  [{repeat + 1}/{args.repeat}] {phase:<8} {variant.name:<52} {cell.tokens_per_s:7.1f} "
                          f"tokens/s ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    finally:
        load.close()
    print(report(cells, rows, phases, work, cores, args.load_cores))
    if args.json:
        args.json.write_text("".join(c.model_dump_json() + "\n" for c in cells))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(worker_main(sys.argv[2]))
    sys.exit("usage: python -m agentrt.bench.contention --worker SPEC_JSON (run by `agentrt bench contention`)")
