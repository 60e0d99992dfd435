"""Requests that start together with one system prompt prefill it once: the later ones follow the first."""

from __future__ import annotations

import asyncio

from agentrt.engine import Engine

# Longer than one prefill chunk (256 tokens): the first request needs several steps to prefill it.
SYSTEM = {"role": "system", "content": "You are a careful assistant of a shipping company; answer briefly. " * 40}
QUESTIONS = ["Where is my parcel?", "How do I return an item?", "What does express delivery cost?"]


async def test_a_wave_of_requests_prefills_the_shared_prompt_once() -> None:
    # One compute thread: with two, llama.cpp's CPU kernels round a sequence's numbers differently depending on
    # what else is in the batch (measured: the answers then differ from one word on), and the point here is that
    # a copied prefix gives the very answers a prefilled one does.
    async with await Engine.start(model="smollm2", sequences=4, n_ctx=1024, threads=1) as engine:
        await _wave(engine)


async def _wave(engine: Engine) -> None:
    sequences = [await engine.acquire(owner="wave") for _ in QUESTIONS]
    for seq in sequences:
        await seq.reset()
    before = engine.stats().prefill_tokens
    together = await asyncio.gather(
        *(seq.chat([SYSTEM, {"role": "user", "content": q}], max_tokens=8) for seq, q in zip(sequences, QUESTIONS))
    )
    for seq in sequences:
        engine.release(seq)
    prefilled = engine.stats().prefill_tokens - before
    prompt = sum(r.prompt_tokens for r in together)
    shared = sum(r.shared_tokens for r in together)
    # All but the leader copy the whole system prompt (the questions differ within their last ~20 tokens).
    assert sorted(r.shared_tokens > r.prompt_tokens - 30 for r in together) == [False] + [True] * (len(QUESTIONS) - 1)
    assert prefilled == prompt - shared  # what was copied was not prefilled

    alone = []
    for q in QUESTIONS:  # the same conversations one at a time, from empty sequences: the same answers
        async with engine.sequence(owner="alone") as seq:
            await seq.reset()
            alone.append(await seq.chat([SYSTEM, {"role": "user", "content": q}], max_tokens=8))
    assert [r.text for r in together] == [r.text for r in alone]
