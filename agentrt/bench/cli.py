"""`agentrt bench ...`: each benchmark module adds its own subcommand with ``register(bench_subparsers)``."""

from __future__ import annotations

import argparse
import importlib

BENCH_MODULES = [
    "agentrt.bench.scheduler",
    "agentrt.bench.throughput",
    "agentrt.bench.contention",
    "agentrt.bench.dashboard",
    "agentrt.bench.serve",
    "agentrt.bench.gaia.cli",
    "agentrt.bench.fuzz_loader",
]


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks that print figures")
    bench_sub = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    for name in BENCH_MODULES:
        importlib.import_module(name).register(bench_sub)
