"""Real-model behaviour of the engine: batching is invisible to results, KV reuse, streaming, grammars."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from agentrt.engine import Engine, Sampling

QUESTIONS = [
    "How much is 6+6?",
    "What is the capital of France?",
    "Name three colours.",
    "Say hello to a new colleague.",
]


def chat(q: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q}]


async def test_concurrent_greedy_equals_alone(engine: Engine) -> None:
    alone = []
    for q in QUESTIONS:
        async with engine.sequence(owner="alone") as seq:
            await seq.reset()
            alone.append(await seq.chat(chat(q), max_tokens=24))

    async def together(q: str):
        async with engine.sequence(owner="together") as seq:
            await seq.reset()
            return await seq.chat(chat(q), max_tokens=24)

    before = engine.stats().steps
    concurrent = await asyncio.gather(*(together(q) for q in QUESTIONS))
    steps = engine.stats().steps - before

    assert [r.text for r in concurrent] == [r.text for r in alone]
    assert len({r.seq_id for r in concurrent}) == len(QUESTIONS)  # really on separate sequences
    # Batched: far fewer steps than the tokens generated (one decode served all four sequences).
    assert steps < sum(r.completion_tokens for r in concurrent) * 0.6


async def test_a_gap_between_decoding_sequences_is_filled_and_leaves_the_idle_sequence_intact(engine: Engine) -> None:
    # Sequences 0 and 2 decode while 1 sits idle with a conversation in its cache. llama.cpp batches only
    # consecutive sequence ids in one pass, so every such step carries a throw-away token for sequence 1 that
    # must be gone afterwards: 1's next turn reuses its cache and continues exactly as a cold prefill does.
    held = [await engine.acquire(owner="gap") for _ in range(3)]
    try:
        assert [seq.id for seq in held] == [0, 1, 2]
        for seq in held:
            await seq.reset()
        idle = held[1]
        history = chat("Tell me about the sea in two sentences.")
        first = await idle.chat(history, max_tokens=12)

        steps: list[dict] = []
        unsubscribe = engine.events.subscribe(steps.append, kinds={"engine.step"})
        await asyncio.gather(held[0].complete("The alphabet: A, B, C,", max_tokens=20, ignore_eos=True),
                             held[2].complete("Count: 1, 2, 3,", max_tokens=20, ignore_eos=True))
        unsubscribe()
        assert sum(e["n_fillers"] == 1 and e["n_decode"] == 2 for e in steps) >= 15

        history += [{"role": "assistant", "content": first.text}, {"role": "user", "content": "And the sky?"}]
        warm = await idle.chat(history, max_tokens=16)
        assert warm.cached_tokens >= first.prompt_tokens  # its cache survived the fillers
        await idle.reset()
        cold = await idle.chat(history, max_tokens=16)
        assert warm.text == cold.text
    finally:
        for seq in held:
            seq.release()


async def test_follow_up_turn_prefills_only_the_new_suffix(engine: Engine) -> None:
    history = chat("My name is Ada. Remember it.")
    async with engine.sequence(owner="kv") as seq:
        await seq.reset()
        first = await seq.chat(history, max_tokens=16)
        assert first.cached_tokens == first.shared_tokens  # nothing from its own (reset) cache
        history += [{"role": "assistant", "content": first.text}, {"role": "user", "content": "What is my name?"}]
        prefill_before = engine.stats().prefill_tokens
        second = await seq.chat(history, max_tokens=16)
        prefilled = engine.stats().prefill_tokens - prefill_before

        assert second.cached_tokens >= first.prompt_tokens
        assert prefilled == second.prompt_tokens - second.cached_tokens
        assert prefilled < second.prompt_tokens / 2

        # The reused cache gives exactly what a cold prefill of the whole conversation gives.
        await seq.reset()
        cold = await seq.chat(history, max_tokens=16)
        assert cold.cached_tokens == cold.shared_tokens < second.cached_tokens
        assert cold.text == second.text


async def test_shared_system_prompt_is_copied_not_prefilled(engine: Engine) -> None:
    system = {"role": "system", "content": "You are a concise assistant for a shipping company. " * 8}
    async with engine.sequence(owner="a") as a, engine.sequence(owner="b") as b:
        await a.reset()
        await b.reset()
        await a.chat([system, {"role": "user", "content": "Where is my parcel?"}], max_tokens=8)
        shared = await b.chat([system, {"role": "user", "content": "How do I return an item?"}], max_tokens=12)
        assert shared.shared_tokens >= 50
        await a.reset()  # no donor left: this one prefills the system prompt itself
        await b.reset()
        cold = await b.chat([system, {"role": "user", "content": "How do I return an item?"}], max_tokens=12)
        assert cold.shared_tokens == 0
    assert shared.text == cold.text


async def test_requests_sent_together_prefill_their_shared_prompt_once(engine: Engine) -> None:
    # Four requests with the same long system prompt arrive in the same step: one prefills it, the others wait
    # for it and copy it, instead of all four prefilling it side by side.
    # Longer than one prefill chunk (256 tokens), so the others arrive while the first is still prefilling it.
    system = {"role": "system", "content": "You answer questions about the harbour timetable, briefly. " * 30}
    asks = [[system, {"role": "user", "content": q}] for q in QUESTIONS]
    # The same requests one after another, each copying the prefix from the first (prefilled in the same chunks
    # as below: a prefill cut at other places can differ in the last bits, and so in a greedy pick).
    everything = [await engine.acquire(owner="reset") for _ in range(engine.pool_size)]
    for seq in everything:
        await seq.reset()
        seq.release()
    alone = []
    for messages in asks:
        async with engine.sequence(owner="alone") as seq:
            alone.append(await seq.chat(messages, max_tokens=8))
    system_tokens = len(engine.tokenize(engine.render_chat([system])))

    async def lease(messages: list[dict[str, str]]):
        seq = await engine.acquire(owner="together")
        await seq.reset()
        return seq, messages

    leased = await asyncio.gather(*(lease(m) for m in asks))
    try:
        before = engine.stats().prefill_tokens
        results = await asyncio.gather(*(seq.chat(m, max_tokens=8) for seq, m in leased))
        prefilled = engine.stats().prefill_tokens - before
    finally:
        for seq, _ in leased:
            seq.release()
    assert [r.text for r in results] == [r.text for r in alone]
    assert sorted(r.shared_tokens > system_tokens // 2 for r in results) == [False, True, True, True]
    assert prefilled == sum(r.prompt_tokens - r.cached_tokens for r in results)
    assert prefilled < system_tokens * 1.5  # the system prompt once, plus four short questions


async def test_stream_yields_the_same_text_as_the_result(engine: Engine) -> None:
    async with engine.sequence(owner="stream") as seq:
        stream = seq.stream(chat("Count from one to five."), max_tokens=20)
        pieces = [chunk.text async for chunk in stream]
    assert stream.result is not None
    assert len(pieces) >= 5
    assert "".join(pieces) == stream.result.text


async def test_stop_string_cuts_the_text(engine: Engine) -> None:
    result = await engine.complete("1, 2, 3, 4, 5, 6, 7", max_tokens=30, stop=[", 10"], ignore_eos=True)
    assert result.finish_reason == "stop"
    assert ", 10" not in result.text
    assert result.text.startswith(", 8, 9")


async def test_json_schema_output_parses(engine: Engine) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}, "unit": {"type": "string", "enum": ["apples", "pears"]}},
        "required": ["answer", "unit"],
    }
    result = await engine.chat(chat("I have 6 apples and buy 6 more. How many apples?"), max_tokens=40,
                               json_schema=schema)
    value = json.loads(result.text)
    assert isinstance(value["answer"], int)
    assert value["unit"] in ("apples", "pears")


async def test_gbnf_grammar_constrains_output(engine: Engine) -> None:
    result = await engine.chat(chat("Is the sky green? Answer yes or no."), max_tokens=5,
                               grammar='root ::= "yes" | "no"')
    assert result.text in ("yes", "no")


async def test_sampling_under_a_grammar_keeps_to_it_and_is_reproducible(engine: Engine) -> None:
    # Sampled picks are checked against the grammar one at a time, and only a refused one is resampled under it.
    grammar = 'root ::= "Colours: " colour (", " colour)* "."\ncolour ::= "red" | "green" | "blue" | "yellow"'
    sampling = Sampling(temperature=1.0, seed=7)
    replies = [await engine.chat(chat("Name some colours."), max_tokens=40, sampling=sampling, grammar=grammar)
               for _ in range(2)]
    assert replies[0].text == replies[1].text
    assert re.fullmatch(r"Colours: (red|green|blue|yellow)(, (red|green|blue|yellow))*\.", replies[0].text)


async def test_seeded_sampling_is_reproducible(engine: Engine) -> None:
    sampling = Sampling(temperature=0.9, top_k=40, top_p=0.95, seed=1234, repeat_penalty=1.1)
    a = await engine.chat(chat("Invent a name for a cat."), max_tokens=12, sampling=sampling)
    b = await engine.chat(chat("Invent a name for a cat."), max_tokens=12, sampling=sampling)
    assert a.text == b.text
    assert a.completion_tokens > 0


@pytest.mark.parametrize("max_tokens", [1, 7])
async def test_length_limit(engine: Engine, max_tokens: int) -> None:
    result = await engine.complete("Once upon a time", max_tokens=max_tokens, ignore_eos=True)
    assert result.completion_tokens == max_tokens
    assert result.finish_reason == "length"


async def test_text_events_carry_the_whole_text_a_few_at_a_time(engine: Engine) -> None:
    events: list[dict] = []
    unsubscribe = engine.events.subscribe(events.append, kinds={"request.text", "request.finished"})
    try:
        assert not engine.events.wants("request.token")  # text subscribers make the engine build no token events
        results = await asyncio.gather(
            engine.complete("1, 2, 3, 4, 5, 6, 7", max_tokens=40, stop=[", 19"], ignore_eos=True),
            engine.complete("The alphabet: a, b, c,", max_tokens=30, ignore_eos=True),
        )
    finally:
        unsubscribe()
    for result in results:
        request = next(e["request"] for e in events if e["event"] == "request.finished" and e["seq"] == result.seq_id)
        mine = [e for e in events if e["request"] == request]
        chunks = [e for e in mine if e["event"] == "request.text"]
        assert mine[-1]["event"] == "request.finished"  # all of the text comes first
        assert "".join(e["text"] for e in chunks) == result.text  # a stop string's text is never sent
        assert sum(e["tokens"] for e in chunks) == result.completion_tokens
        assert [e["index"] for e in chunks] == [sum(c["tokens"] for c in chunks[:i]) for i in range(len(chunks))]
        assert len(chunks) < result.completion_tokens  # coalesced, not one per token
