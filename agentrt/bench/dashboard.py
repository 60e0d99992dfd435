"""`agentrt bench dashboard GRAPH`: does the live dashboard slow the engine down?

The same graph runs ``--runs`` times with plain ``agentrt run GRAPH`` and as many times with
``agentrt run GRAPH --tui``, each run in its own process with a fresh engine. With ``--terminal pty`` (the
default) both run in a pseudo-terminal of ``--size`` that this process reads and discards, as a terminal would:
the dashboard renders every panel ~10 times a second, takes every event (the text as ``request.text``, a few a
second per sequence) and writes its updates to the terminal. ``--terminal headless`` runs Textual's headless
driver instead (everything but the terminal output). The order alternates in ABBA pairs (off on, on off, ...)
so that a slow drift of the machine's load falls on both sides. A run's figure is the tokens it generated (the sum of ``request.finished``
``completion_tokens`` in its events.jsonl) over its time from ``run.started`` to ``run.finished``: engine loading
and Textual's start-up are left out, everything the dashboard does while the graph runs is in. Printed: every
run, the median and the spread (min-max) of each side, the ratio of the medians, and the median of the ratios
of each off/on pair of neighbouring runs (a drift of the machine's speed during the benchmark moves both runs of
a pair alike, and the medians of the two sides apart). Goal: at least 0.95.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agentrt.cli_args import positive_int
from agentrt.errors import ConfigError
from agentrt.terminal_size import parse_terminal_size

# Read by `tui.runner` (`HEADLESS_ENV`): run the dashboard without a terminal, at this size, until the run ends.
# Named here rather than imported: `agentrt` does not import the dashboard package.
TUI_HEADLESS_ENV = "AGENTRT_TUI_HEADLESS"
TUI_EXIT_ENV = "AGENTRT_TUI_EXIT_WHEN_FINISHED"  # `tui.runner.EXIT_ENV`: leave the dashboard when the run ends
GOAL_RATIO = 0.95
Mode = Literal["off", "on"]
Terminal = Literal["pty", "headless"]


class RunFigures(BaseModel):
    """What one run's events.jsonl says about its generation speed."""

    status: str
    tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class DashboardRun(BaseModel):
    mode: Mode
    index: int
    status: str
    tokens: int
    seconds: float  # run.started -> run.finished
    tokens_per_s: float
    process_s: float  # the whole process: imports, engine load, run, close
    cpu_s: float  # the process's CPU time (user + system), all threads: the engine's, the dashboard's
    terminal_bytes: int = 0  # what the process wrote to its terminal (pty only)
    run_dir: str


class DashboardSummary(BaseModel):
    graph: str
    terminal: Terminal = "pty"
    runs: list[DashboardRun]
    median_off: float
    median_on: float
    spread_off: tuple[float, float]
    spread_on: tuple[float, float]
    ratio: float  # median_on / median_off
    paired_ratios: list[float] = []  # on / off of each ABBA pair of neighbouring runs
    paired_ratio: float = 0.0  # their median
    median_cpu_off: float  # process CPU seconds
    median_cpu_on: float


def figures_from_events(events: list[dict[str, Any]], where: str = "events") -> RunFigures:
    """Generated tokens and run time from one run's events (the run must have started and finished once)."""
    started = [e["ts"] for e in events if e.get("event") == "run.started"]
    finished = [e for e in events if e.get("event") == "run.finished"]
    if len(started) != 1 or len(finished) != 1:
        raise ConfigError(
            f"{where}: expected one run.started and one run.finished, found {len(started)} and {len(finished)}"
        )
    tokens = sum(int(e.get("completion_tokens") or 0) for e in events if e.get("event") == "request.finished")
    seconds = float(finished[0]["ts"]) - float(started[0])
    return RunFigures(status=str(finished[0].get("status")), tokens=tokens, seconds=seconds)


def read_figures(run_dir: Path) -> RunFigures:
    path = run_dir / "events.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the run's events: {exc}") from exc
    return figures_from_events([json.loads(line) for line in lines if line.strip()], str(path))


def run_order(runs: int) -> list[Mode]:
    """ABBA pairs: off on, on off, off on, ..."""
    order: list[Mode] = []
    for pair in range(runs):
        order += ["off", "on"] if pair % 2 == 0 else ["on", "off"]
    return order


def parse_size(size: str) -> tuple[int, int]:
    return parse_terminal_size(size, f"--size {size!r}", expected="WIDTHxHEIGHT, e.g. 160x45")


def run_once(
    graph: Path, mode: Mode, index: int, run_dir: Path, *, inputs: list[str], size: str, extra: list[str],
    terminal: Terminal = "pty",
) -> DashboardRun:
    command = [sys.executable, "-m", "agentrt.cli", "run", str(graph), "--run-dir", str(run_dir)]
    for pair in inputs:
        command += ["-i", pair]
    command += extra
    env = dict(os.environ)
    env.pop(TUI_HEADLESS_ENV, None)
    env.pop(TUI_EXIT_ENV, None)
    if mode == "on":
        command.append("--tui")
        if terminal == "headless":
            env[TUI_HEADLESS_ENV] = size
        else:
            env[TUI_EXIT_ENV] = "1"
    started = time.perf_counter()
    cpu_before = _children_cpu_s()
    if terminal == "pty":
        returncode, output, written = run_in_pty(command, env, parse_size(size))
    else:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
        returncode, output, written = proc.returncode, proc.stderr, 0
    process_s = time.perf_counter() - started
    cpu_s = _children_cpu_s() - cpu_before
    if returncode != 0:
        raise ConfigError(f"dashboard {mode} run {index}: `{' '.join(command)}` exited {returncode}:\n{output[-2000:]}")
    figures = read_figures(run_dir)
    return DashboardRun(
        mode=mode, index=index, status=figures.status, tokens=figures.tokens, seconds=figures.seconds,
        tokens_per_s=figures.tokens_per_s, process_s=process_s, cpu_s=cpu_s, terminal_bytes=written,
        run_dir=str(run_dir),
    )


def run_in_pty(command: list[str], env: dict[str, str], size: tuple[int, int]) -> tuple[int, str, int]:
    """Run ``command`` with a pseudo-terminal of ``size`` (columns, rows) as its stdin, stdout and stderr,
    reading and discarding what it writes as a terminal would. Returns the exit code, the output's last 4 KB
    (for errors) and how many bytes it wrote."""
    env = {**env, "TERM": env.get("TERM") or "xterm-256color", "COLORTERM": env.get("COLORTERM") or "truecolor"}
    main_fd, child_fd = pty.openpty()
    width, height = size
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    try:
        proc = subprocess.Popen(
            command, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, start_new_session=True
        )
    finally:
        os.close(child_fd)
    written, tail = 0, b""
    try:
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # EIO: the child side is closed, the process has exited
                break
            if not chunk:
                break
            written += len(chunk)
            tail = (tail + chunk)[-4096:]
    finally:
        os.close(main_fd)
    return proc.wait(), tail.decode("utf-8", "replace"), written


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pair_ratios(runs: list[DashboardRun]) -> list[float]:
    """on / off tokens/s of each pair of neighbouring runs (0-1, 2-3, ...: one of each side, see `run_order`)."""
    ratios = []
    for first, second in zip(runs[::2], runs[1::2], strict=False):
        on, off = (first, second) if first.mode == "on" else (second, first)
        if on.mode == "on" and off.mode == "off" and off.tokens_per_s > 0:
            ratios.append(on.tokens_per_s / off.tokens_per_s)
    return ratios


def summarise(graph: Path, runs: list[DashboardRun], terminal: Terminal = "pty") -> DashboardSummary:
    off = [r.tokens_per_s for r in runs if r.mode == "off"]
    on = [r.tokens_per_s for r in runs if r.mode == "on"]
    median_off, median_on = statistics.median(off), statistics.median(on)
    paired = pair_ratios(runs)
    return DashboardSummary(
        graph=str(graph), terminal=terminal, runs=runs, median_off=median_off, median_on=median_on,
        spread_off=(min(off), max(off)), spread_on=(min(on), max(on)),
        ratio=median_on / median_off if median_off > 0 else 0.0,
        paired_ratios=paired,
        paired_ratio=statistics.median(paired) if paired else 0.0,
        median_cpu_off=statistics.median(r.cpu_s for r in runs if r.mode == "off"),
        median_cpu_on=statistics.median(r.cpu_s for r in runs if r.mode == "on"),
    )


def register(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "dashboard", help="generated tokens/s of a graph run with the live dashboard on vs off",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("graph", type=Path, help="graph YAML file (several nodes at once show the engine's batching)")
    p.add_argument("-i", "--input", action="append", default=[], metavar="KEY=VALUE", help="a run input (repeat)")
    p.add_argument("--runs", type=positive_int, default=3, help="runs on each side (default 3)")
    p.add_argument("--size", default="160x45", metavar="WxH", help="the dashboard's terminal size (default 160x45)")
    p.add_argument(
        "--terminal", choices=["pty", "headless"], default="pty",
        help="run in a pseudo-terminal (default: what a user's terminal sees) or with Textual's headless driver",
    )
    p.add_argument("--sequences", type=positive_int, default=None, help="override the graph's sequence pool size")
    p.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep the run directories under DIR")
    p.add_argument("--json", type=Path, default=None, help="write the summary (every run included) as JSON")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if not args.graph.is_file():
        raise ConfigError(f"{args.graph}: no such graph file")
    parse_size(args.size)
    extra = ["--sequences", str(args.sequences)] if args.sequences else []
    with tempfile.TemporaryDirectory(prefix="agentrt-bench-dashboard-") as scratch:
        base = args.keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        runs: list[DashboardRun] = []
        for index, mode in enumerate(run_order(args.runs)):
            run = run_once(
                args.graph, mode, index, base / f"{index:02d}-{mode}", inputs=args.input, size=args.size, extra=extra,
                terminal=args.terminal,
            )
            runs.append(run)
            print(
                f"run {index:2d}  dashboard {mode:<3}  {run.tokens:5d} tokens in {run.seconds:6.2f}s  "
                f"{run.tokens_per_s:7.2f} tok/s  ({run.status}, process {run.process_s:.1f}s, cpu {run.cpu_s:.1f}s"
                + (f", {run.terminal_bytes / 1024:.0f} KiB to the terminal" if run.terminal_bytes else "") + ")",
                flush=True,
            )
    summary = summarise(args.graph, runs, args.terminal)
    print(
        f"\ndashboard off: median {summary.median_off:.2f} tok/s "
        f"(min {summary.spread_off[0]:.2f}, max {summary.spread_off[1]:.2f}), cpu {summary.median_cpu_off:.1f}s\n"
        f"dashboard on:  median {summary.median_on:.2f} tok/s "
        f"(min {summary.spread_on[0]:.2f}, max {summary.spread_on[1]:.2f}), cpu {summary.median_cpu_on:.1f}s\n"
        f"on/off: {summary.ratio:.3f} (ratio of the medians); {summary.paired_ratio:.3f} (median of the "
        f"{len(summary.paired_ratios)} pairs: {', '.join(f'{r:.3f}' for r in summary.paired_ratios)}); "
        f"goal >= {GOAL_RATIO}"
    )
    if args.json:
        args.json.write_text(summary.model_dump_json(indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
