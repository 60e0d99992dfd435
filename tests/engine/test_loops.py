"""A generation that falls into a loop ends at once with ``stop_on_loop`` (agentrt/engine/loops.py)."""

from __future__ import annotations

from pathlib import Path

from agentrt.engine import Engine
from agentrt.engine.loops import MAX_PERIOD, MIN_TOKENS, loop_period

ROOT = Path(__file__).resolve().parents[2]


def test_a_block_repeated_long_enough_is_a_loop() -> None:
    assert loop_period([5] * (MIN_TOKENS - 1)) is None
    assert loop_period([5] * MIN_TOKENS) == 1
    line = list(range(100, 112))  # "The code prints 51. The final answer is 51. " is about 12 tokens
    assert loop_period([1, 2, 3] + line * 4) == 12
    assert loop_period([1, 2, 3] + line * 3) is None  # 36 tokens: under the minimum
    block = list(range(200, 200 + MAX_PERIOD))
    assert loop_period(block * 3) == MAX_PERIOD
    assert loop_period(block * 2 + block[:-1]) is None
    assert loop_period(line * 5 + [7]) is None  # the loop was left: only a loop at the end counts


async def test_ordinary_text_code_and_data_never_look_like_a_loop(engine: Engine) -> None:
    # Every prefix of real files (code, markdown tables, CSV and JSON data with repeated keys) is tried.
    files = [*sorted((ROOT / "agents").glob("*.py")), ROOT / "README.md", *sorted((ROOT / "benchmarks").glob("*/*.csv")),
             *sorted((ROOT / "benchmarks").glob("*/*.json"))]
    assert len(files) > 20
    for path in files:
        tokens = engine.tokenize(path.read_text(), add_special=False)
        for end in range(MIN_TOKENS, len(tokens) + 1):
            assert loop_period(tokens[max(0, end - 400) : end]) is None, f"{path.name} at token {end}"


async def test_a_looping_generation_ends_with_finish_reason_loop(engine: Engine) -> None:
    # A pattern repeated in the prompt: the model goes on copying it. (A prompt whose greedy answer happened to
    # repeat one digit on one CPU wrote prose on another: greedy text depends on the CPU's arithmetic.)
    prompt = "1, 2, 3, " * 20
    plain = await engine.complete(prompt, max_tokens=160, ignore_eos=True)
    guarded = await engine.complete(prompt, max_tokens=160, ignore_eos=True, stop_on_loop=True)
    assert plain.finish_reason == "length" and plain.completion_tokens == 160
    assert guarded.finish_reason == "loop" and guarded.cut_off
    assert MIN_TOKENS <= guarded.completion_tokens < 80
    assert plain.text.startswith(guarded.text)  # the same greedy text, stopped early
    # An ordinary answer is not cut.
    normal = await engine.chat([{"role": "user", "content": "Name three colours."}], max_tokens=48, stop_on_loop=True)
    assert normal.finish_reason in ("stop", "length")
