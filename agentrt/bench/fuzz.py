"""`agentrt bench fuzz TARGET`: seeded hostile inputs against one part of agentrt; prints crashes per 10,000.

A crash is any outcome but a clean one: for tools, an exception that is not a `ToolError`, an observation or
error that is not valid text or not bounded, or a call that does not return. The goal is 0. The same targets
run in CI with a fixed seed and fewer inputs (tests/agents/test_tool_fuzz.py); this command runs them longer.

Targets are named by module path (``module:function``, like a graph's ``class:``), so this file does not
import the packages it fuzzes. Each target is ``async def run(inputs: int, seed: int)`` returning a report with
``summary()`` and ``crashes``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from dataclasses import dataclass, field

TARGETS = {
    "tools": "agentrt.bench.fuzz_tools:run",  # the built-in tools' arguments and a hostile workspace
    "graphs": "agentrt.bench.fuzz_loader:run",  # graph files: mutated example graphs, bombs, encodings, templates
}
SHOWN_CRASHES = 10


@dataclass
class FuzzReport:
    target: str
    seed: int
    inputs: int = 0
    crashes: list[str] = field(default_factory=list)  # one line each: the input and what went wrong
    seconds: float = 0.0
    slowest_ms: float = 0.0
    slowest_input: str = ""

    @property
    def crashes_per_10k(self) -> float:
        return 10_000 * len(self.crashes) / self.inputs if self.inputs else 0.0

    def summary(self) -> str:
        lines = [
            f"fuzz {self.target}: {self.inputs} inputs (seed {self.seed}) in {self.seconds:.1f} s; "
            f"crashes: {len(self.crashes)} = {self.crashes_per_10k:.1f} per 10,000 inputs (goal 0)",
            f"  slowest call: {self.slowest_ms:.0f} ms ({self.slowest_input})",
        ]
        lines += [f"  crash: {crash}" for crash in self.crashes[:SHOWN_CRASHES]]
        if len(self.crashes) > SHOWN_CRASHES:
            lines.append(f"  ... and {len(self.crashes) - SHOWN_CRASHES} more")
        return "\n".join(lines)


async def run_target(name: str, inputs: int, seed: int) -> FuzzReport:
    module, _, function = TARGETS[name].partition(":")
    run = getattr(importlib.import_module(module), function)
    return await run(inputs, seed)


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("fuzz", help="hostile inputs against a part of agentrt: crashes per 10,000")
    parser.add_argument("target", choices=sorted(TARGETS), help="what to fuzz")
    parser.add_argument("--inputs", type=int, default=10_000, help="how many inputs (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same inputs)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.inputs < 1:
        print("agentrt bench fuzz: --inputs must be at least 1")
        return 2
    report = asyncio.run(run_target(args.target, args.inputs, args.seed))
    print(report.summary())
    return 1 if report.crashes else 0
