"""Two questions at once: a greeting and "How much is 6+6?" (an Executor with a calculator), answered
concurrently on two sequences of one shared model, then one after the other, timed fairly.

    .venv/bin/python examples/two_questions.py [--model NAME_OR_PATH]

Fair timing: the passes run in ABBA order (together, apart, apart, together), each from an empty KV cache, and
the speedup is set beside what batching alone gives on this machine for two sequences (measured in the same
run), which is the most running two agents at once can gain here.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from agentrt.demo.measure import batching_headroom, states_number
from agentrt.engine import Engine, EngineConfig
from agentrt.engine.protocol import EngineProtocol
from agentrt.models import DEFAULT_MODEL

from agents import Agent, Executor, standalone_context

GREETING = "Hello! I just joined the team. Please welcome me in two or three sentences."
QUESTION = "How much is 6+6?"


async def ask_both(engine: EngineProtocol, *, together: bool) -> tuple[float, int, list[str]]:
    """One pass: (seconds, completion tokens, lines describing the answers)."""
    greeter = Agent.create("greeter", role="You are a friendly colleague.", max_tokens=96)
    solver = Executor.create("solver", tools=["calculator"], max_tokens=256, max_steps=3)
    greet_ctx = standalone_context(engine, node_id="greeting", agent="greeter")
    solve_ctx = standalone_context(engine, node_id="math", agent="solver")
    await engine.forget_cache()
    started = time.perf_counter()
    if together:
        greeting, answer = await asyncio.gather(greeter.run(GREETING, greet_ctx), solver.run(QUESTION, solve_ctx))
    else:
        greeting = await greeter.run(GREETING, greet_ctx)
        answer = await solver.run(QUESTION, solve_ctx)
    elapsed = time.perf_counter() - started
    verdict = "correct" if states_number(str(answer.output), "12") else "WRONG (expected 12)"
    return elapsed, greeting.tokens + answer.tokens, [
        f"greeting -> {greeting.output!r} ({greeting.tokens} tokens)",
        f"6+6      -> {answer.output!r} ({answer.outcome}, {verdict}, {answer.tokens} tokens)",
    ]


async def main(model: str) -> None:
    async with await Engine.start(EngineConfig(model=model, sequences=2, n_ctx=2048)) as engine:
        rates: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
        for together in (True, False, False, True):
            seconds, tokens, lines = await ask_both(engine, together=together)
            rates[together].append((seconds, tokens))
            label = "together (two sequences)" if together else "one after the other"
            print(f"{label:<25} {seconds:6.2f} s, {tokens} tokens")
            for line in lines:
                print("  " + line)
        headroom = await batching_headroom(engine, 2, 64)

    def rate(together: bool) -> float:
        runs = rates[together]
        return sum(tokens for _, tokens in runs) / sum(seconds for seconds, _ in runs)

    speedup = rate(True) / rate(False)
    print(f"\ntokens/s together {rate(True):.1f}, apart {rate(False):.1f}: speedup {speedup:.2f}x")
    print(f"batching alone gives {headroom:.2f}x for two sequences on this machine (same run): the limit here")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    asyncio.run(main(parser.parse_args().model))
