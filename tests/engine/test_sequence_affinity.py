"""A lease for a prompt goes to the free sequence that has its start cached (llama-server's slot similarity)."""

from __future__ import annotations

import asyncio

from agentrt.engine import Engine
from agentrt.engine.pool import SequencePool
from agentrt.events import EventBus

HISTORY_A = "Client A keeps asking about the parcel it sent to Oslo last week. " * 6
HISTORY_B = "Client B wants to know how to return a broken kettle it bought. " * 6


async def test_a_follow_up_gets_the_sequence_its_history_is_cached_in(engine: Engine) -> None:
    first = [await engine.acquire(owner=name) for name in ("a", "b")]
    for seq, history in zip(first, (HISTORY_A, HISTORY_B)):
        await seq.reset()
        await seq.complete(history, max_tokens=2)
    ids = {"a": first[0].id, "b": first[1].id}
    for seq in first:
        seq.release()
    # The clients come back in the other order: each still gets its own sequence, its history cached.
    b = await engine.acquire(owner="b", prompt=HISTORY_B + "Any news?")
    a = await engine.acquire(owner="a", prompt=HISTORY_A + "Any news?")
    assert (a.id, b.id) == (ids["a"], ids["b"])
    result = await b.complete(HISTORY_B + "Any news?", max_tokens=2)
    assert result.cached_tokens >= len(engine.tokenize(HISTORY_B)) - 1 and result.shared_tokens == 0
    a.release()
    b.release()
    # A prompt no sequence holds takes the lowest free id, as a lease without a prompt does.
    other = await engine.acquire(owner="c", prompt="Something else entirely.")
    assert other.id == 0  # every sequence is free again
    other.release()


async def test_the_pool_prefers_the_longest_cached_start_above_a_minimum() -> None:
    cached = {0: 3, 1: 40, 2: 90, 3: 90}  # tokens of the prompt each sequence holds
    pool = SequencePool(4, EventBus(), cached_prefix=lambda seq, prompt: cached[seq])
    assert await pool.acquire("x", prompt=[1, 2, 3]) == 2  # the longest; ties go to the lower id
    assert await pool.acquire("y") == 0  # no prompt: the lowest free id
    cached[3] = 5
    assert await pool.acquire("z", prompt=[1]) == 1
    pool.release(0)
    cached.update({0: 15, 3: 15})  # below the minimum on both: the lowest id
    assert await pool.acquire("w", prompt=[1]) == 0


async def test_forget_cache_empties_every_sequence_once_all_are_free(engine: Engine) -> None:
    async with engine.sequence(owner="a") as seq:
        await seq.complete(HISTORY_A, max_tokens=2)
    held = await engine.acquire(owner="b")
    forgetting = asyncio.create_task(engine.forget_cache())
    await asyncio.sleep(0.2)
    assert not forgetting.done()  # a leased sequence may be mid-request: it waits for the lease to end
    held.release()
    await asyncio.wait_for(forgetting, timeout=30)
    # Nothing of the earlier prompt is left anywhere: neither its own sequence nor a copy from another one.
    result = await engine.complete(HISTORY_A, max_tokens=2)
    assert result.cached_tokens == 0 and result.shared_tokens == 0
