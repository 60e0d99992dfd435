"""`agentrt demo`: several agents answer at once on one shared model, and a fair measure of what that gains.

What the demo measures, and why it is fair:
- The same agents run all at once and one after another, in ABBA order (at once, one by one, one by one, at
  once), so a machine that drifts in speed during the demo favours neither side.
- Every timed pass starts from the same cache state: all sequences' KV caches are emptied first, so no pass
  reuses prompt tokens an earlier pass left behind (one by one after at once would otherwise skip its prefills).
- Both sides do the same work (same prompts, greedy decoding); the figure is generated tokens per second.
- The gain is judged against the limit of this machine: what batching alone gives, measured in the same run by
  decoding fixed-length sequences one at a time and all at once. That limit is the model's and the machine's,
  not the agents' (on this 2-core CPU a 0.5B model gained 2.5x from 4 short sequences; a GPU gains several times
  more); agents can only lose against it (unequal answer lengths leave the batch emptier at the end).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence

from pydantic import BaseModel

from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.request import GenerationResult
from agentrt.engine.sampling import Sampling


def states_number(text: str, number: str) -> bool:
    """Whether ``text`` has ``number`` standing alone (``12`` in "6 + 6 = 12.", not in "112" or "12.5")."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", text) is not None


class DemoAgent(BaseModel):
    name: str
    role: str
    task: str
    expect: str | None = None  # a number a correct answer states (`states_number`), checked and shown


# Tasks whose answers run to about the same length: agents that finish at very different times leave the batch
# with one sequence for most of a pass, and the pass then measures answer lengths, not batching.
DEMO_AGENTS = [
    DemoAgent(
        name="greeter",
        role="You are a friendly colleague.",
        task="Write a warm welcome message of about 150 words for a new colleague who joins the team today.",
    ),
    DemoAgent(
        name="mathematician",
        role="You are a careful mathematician.",
        task="How much is 6+6? Explain your reasoning step by step, then check the result a second way. Write about 120 words.",
        expect="12",
    ),
    DemoAgent(
        name="storyteller",
        role="You are a storyteller.",
        task="Tell a story of about 150 words about a lighthouse keeper and the sea.",
    ),
    DemoAgent(
        name="planner",
        role="You are a project planner.",
        task="List ten steps to plan a small birthday party, each with a sentence on why it matters.",
    ),
]


class PassTiming(BaseModel):
    """One timed pass: how the agents ran, what they generated and how long it took."""

    mode: str  # "at once" or "one by one"
    tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class ConcurrencyReport(BaseModel):
    passes: list[PassTiming]
    headroom: float  # tokens/s of n fixed-length sequences at once / one sequence, on this engine, this run
    sequences: int

    def rate(self, mode: str) -> float:
        chosen = [p for p in self.passes if p.mode == mode]
        seconds = sum(p.seconds for p in chosen)
        return sum(p.tokens for p in chosen) / seconds if seconds > 0 else 0.0

    @property
    def speedup(self) -> float:
        sequential = self.rate("one by one")
        return self.rate("at once") / sequential if sequential > 0 else 0.0

    @property
    def pass_spread(self) -> float:
        """How far apart the repeated passes of one mode ran: the largest (faster / slower - 1) of either mode. On
        a quiet machine a few percent; much more says another process took the CPU during some passes."""
        spreads = []
        for mode in ("at once", "one by one"):
            rates = [p.tokens_per_s for p in self.passes if p.mode == mode and p.tokens_per_s > 0]
            if len(rates) > 1:
                spreads.append(max(rates) / min(rates) - 1.0)
        return max(spreads, default=0.0)

    @property
    def share_of_headroom(self) -> float:
        """How much of batching's gain the agents got: (speedup - 1) / (headroom - 1), 1.0 = all of it."""
        return (self.speedup - 1.0) / (self.headroom - 1.0) if self.headroom > 1.0 else 0.0


# Greedy decoding with llama.cpp's classic mild repeat penalty: plain greedy text depends on the CPU's arithmetic,
# and on one machine the storyteller's greedy story fell into repeating one sentence until max_tokens (on another
# it ended by itself). A reply that loops all the same is cut off at once (finish "loop") rather than printed 30
# times over.
DEMO_SAMPLING = Sampling(repeat_penalty=1.1)


async def ask(engine: EngineProtocol, agent: DemoAgent, max_tokens: int) -> GenerationResult:
    messages = [{"role": "system", "content": agent.role}, {"role": "user", "content": agent.task}]
    async with engine.sequence(owner=agent.name) as seq:
        return await seq.chat(messages, max_tokens=max_tokens, sampling=DEMO_SAMPLING, stop_on_loop=True)


async def run_agents(
    engine: EngineProtocol, agents: Sequence[DemoAgent], max_tokens: int, *, at_once: bool
) -> list[GenerationResult]:
    if at_once:
        return list(await asyncio.gather(*(ask(engine, agent, max_tokens) for agent in agents)))
    return [await ask(engine, agent, max_tokens) for agent in agents]


async def timed_pass(
    engine: EngineProtocol, agents: Sequence[DemoAgent], max_tokens: int, *, at_once: bool
) -> tuple[PassTiming, list[GenerationResult]]:
    await engine.forget_cache()
    started = time.perf_counter()
    results = await run_agents(engine, agents, max_tokens, at_once=at_once)
    seconds = time.perf_counter() - started
    timing = PassTiming(
        mode="at once" if at_once else "one by one",
        tokens=sum(r.completion_tokens for r in results),
        seconds=seconds,
    )
    return timing, results


async def batching_headroom(engine: EngineProtocol, sequences: int, tokens: int) -> float:
    """Tokens/s of `sequences` fixed-length generations at once over one alone: what batching can give here."""

    async def generate(i: int) -> int:
        prompt = f"Count slowly from {i * 10 + 1} upwards, one number per line:"
        result = await engine.complete(prompt, owner=f"demo.headroom[{i}]", max_tokens=tokens, ignore_eos=True)
        return result.completion_tokens

    await engine.forget_cache()
    started = time.perf_counter()
    alone = await generate(0)
    alone_rate = alone / (time.perf_counter() - started)
    await engine.forget_cache()
    started = time.perf_counter()
    together = sum(await asyncio.gather(*(generate(i) for i in range(sequences))))
    together_rate = together / (time.perf_counter() - started)
    return together_rate / alone_rate


async def measure_concurrency(
    engine: EngineProtocol, agents: Sequence[DemoAgent], max_tokens: int, *, headroom_tokens: int = 64
) -> ConcurrencyReport:
    """ABBA passes of the agents (at once, one by one, one by one, at once), then the batching limit."""
    passes = [
        (await timed_pass(engine, agents, max_tokens, at_once=at_once))[0] for at_once in (True, False, False, True)
    ]
    headroom = await batching_headroom(engine, len(agents), headroom_tokens)
    return ConcurrencyReport(passes=passes, headroom=headroom, sequences=len(agents))
