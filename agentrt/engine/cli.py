"""`agentrt demo`: several agents generating at once on one shared model (`agentrt models` is agentrt.model_cli)."""

from __future__ import annotations

import argparse
import asyncio
import time

from agentrt.engine.engine import Engine
from agentrt.engine.request import GenerationResult
from agentrt.models import DEFAULT_MODEL

DEMO_AGENTS = [
    ("greeter", "You are a friendly greeter.", "Greet a new colleague who joins the team today."),
    ("mathematician", "You are a careful mathematician.", "How much is 6+6? Explain in one sentence."),
    ("poet", "You are a poet.", "Write a short poem about the sea."),
    ("planner", "You are a project planner.", "List three steps to plan a small birthday party."),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="several agents generating at once on one shared model")
    demo.add_argument("--model", default=DEFAULT_MODEL, help="a named model or a .gguf path")
    demo.add_argument("--tokens", type=int, default=64, help="most new tokens per agent")
    demo.set_defaults(func=_demo)


async def _run_agent(engine: Engine, name: str, role: str, task: str, tokens: int) -> GenerationResult:
    messages = [{"role": "system", "content": role}, {"role": "user", "content": task}]
    async with engine.sequence(owner=name) as seq:
        return await seq.chat(messages, max_tokens=tokens)


async def _demo(args: argparse.Namespace) -> int:
    print(f"Loading {args.model} once for {len(DEMO_AGENTS)} agents...")
    async with await Engine.start(model=args.model, sequences=len(DEMO_AGENTS), n_ctx=1024) as engine:
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
