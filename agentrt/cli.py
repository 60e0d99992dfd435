"""`agentrt` on the command line. Each command group lives in its own module with a ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agentrt.errors import AgentrtError

# Modules that add subcommands. Each defines ``register(subparsers) -> None``; a parser's ``func(args)``
# returns the exit code (coroutines are run with asyncio.run).
COMMAND_MODULES = [
    "agentrt.model_cli",  # models, pull
    "agentrt.engine.cli",  # demo
    "agentrt.graph.cli",  # run, resume, graph, validate
    "agentrt.bench.cli",  # bench throughput | scheduler | gaia
    "tui.cli",  # watch (imports Textual only when the command runs)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentrt", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine events to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import asyncio
    import inspect
    import logging

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        outcome = args.func(args)
        if inspect.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        return int(outcome or 0)
    except AgentrtError as exc:
        print(f"agentrt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("agentrt: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
