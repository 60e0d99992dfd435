"""Telling that a generation has fallen into a loop: its last tokens are one block repeated over and over.

Small models decoding greedily fall into loops that only ``max_tokens`` ends ("The code prints 51. The final
answer is 51. The code prints 51. ...", a run of digits, blank lines); with agents' budgets of hundreds of
tokens, one such reply costs minutes of decoding, during which the batch runs one sequence short. A request
with ``stop_on_loop`` ends with ``finish_reason="loop"`` as soon as its output ends in a loop, and the caller
treats it as a reply cut off.

A loop here is exact: the last ``n`` generated tokens are periodic with some period ``p`` (each token equals
the one ``p`` before it) and span at least `MIN_REPEATS` periods and `MIN_TOKENS` tokens. The thresholds keep
ordinary text clear of it: a separator line, a markdown table row or a short list of equal values is far
shorter than 48 tokens of exact repetition, while a real loop crosses them within a few repetitions.
"""

from __future__ import annotations

MIN_TOKENS = 48  # the shortest loop recognised, in tokens (p = 1: the same token 48 times)
MAX_PERIOD = 64  # the longest repeated block recognised, in tokens (about a line or two of text)
MIN_REPEATS = 3  # the block must be there at least this many times in a row
# Generated tokens a detector has to keep: the longest span it ever compares.
WINDOW = max(MIN_TOKENS, MAX_PERIOD * MIN_REPEATS)


def loop_period(tokens: list[int]) -> int | None:
    """The period of the loop that ``tokens`` (a generation's output so far) ends in, or None.

    Cheap enough to call after every token: a period is compared in full only when the last token equals the
    one that period before it, which for ordinary text rules out almost every period at once.
    """
    count = len(tokens)
    if count < MIN_TOKENS:
        return None
    last = tokens[-1]
    for period in range(1, MAX_PERIOD + 1):
        span = max(MIN_TOKENS, MIN_REPEATS * period)
        if span > count:
            break
        if tokens[-1 - period] != last:
            continue
        window = tokens[-span:]
        if window[:-period] == window[period:]:
            return period
    return None
