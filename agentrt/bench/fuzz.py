"""`agentrt bench fuzz TARGET`: seeded hostile inputs against one part of agentrt; prints crashes per 10,000.

A crash is any outcome but a clean one: for tools, an exception that is not a `ToolError`, an observation or
error that is not valid text or not bounded, or a call that does not return. The goal is 0. The same targets
run in CI with a fixed seed and fewer inputs (tests/agents/test_tool_fuzz.py); this command runs them longer.

Targets are named by module path (``module:function``, like a graph's ``class:``), so this file does not
import the packages it fuzzes. Each target is ``async def run(inputs: int, seed: int)`` returning a `FuzzReport`
(`agentrt.bench.fuzzing`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from typing import TYPE_CHECKING

from agentrt.cli_args import positive_int

if TYPE_CHECKING:  # only the type here: every `agentrt` command imports this module, the targets import that one
    from agentrt.bench.fuzzing import FuzzReport

TARGETS = {
    "tools": "agentrt.bench.fuzz_tools:run",  # the built-in tools' arguments and a hostile workspace
    "graphs": "agentrt.bench.fuzz_loader:run",  # graph files: mutated example graphs, bombs, encodings, templates
}


async def run_target(name: str, inputs: int, seed: int) -> FuzzReport:
    module, _, function = TARGETS[name].partition(":")
    run = getattr(importlib.import_module(module), function)
    return await run(inputs, seed)


def register(bench_sub: argparse._SubParsersAction) -> None:
    parser = bench_sub.add_parser("fuzz", help="hostile inputs against a part of agentrt: crashes per 10,000")
    parser.add_argument("target", choices=sorted(TARGETS), help="what to fuzz")
    parser.add_argument("--inputs", type=positive_int, default=10_000, help="how many inputs (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same inputs)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    report = asyncio.run(run_target(args.target, args.inputs, args.seed))
    print(report.summary())
    return 1 if report.failures else 0
