"""`SequencePool`: leases of the engine's sequence ids to asyncio callers.

When every sequence is leased, callers wait: higher priority first, FIFO within a priority (a heap keyed by
(-priority, arrival)). The lowest free id is handed out first: with one KV stream per sequence, llama.cpp's K/V
views span every id from the lowest to the highest in use, so live sequences are kept on low, contiguous ids.

A caller that says which prompt the lease is for gets, among the free ids, the one whose KV cache holds the
longest start of it (llama-server's slot similarity): a client's follow-up turn finds its conversation cached
whatever order the clients came back in, instead of taking a sequence another client's history sits in.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Sequence

from agentrt.events import EventBus

# How many leading tokens of a prompt a sequence's KV cache holds (the engine's step loop answers).
CachedPrefix = Callable[[int, Sequence[int]], int]
# A cached start shorter than this (a BOS token, a chat template's first line) is no reason to leave low ids.
AFFINITY_MIN_TOKENS = 16


class SequencePool:
    def __init__(self, size: int, events: EventBus, cached_prefix: CachedPrefix | None = None) -> None:
        self.size = size
        self._events = events
        self._cached_prefix = cached_prefix
        self._free = list(range(size))  # a heap: lowest id first
        self._waiters: list[tuple[int, int, asyncio.Future[int]]] = []
        self._arrival = itertools.count()
        self.owners: dict[int, str] = {}

    @property
    def waiting(self) -> int:
        return sum(1 for *_, fut in self._waiters if not fut.done())

    @property
    def leased(self) -> int:
        return len(self.owners)

    async def acquire(
        self, owner: str = "", priority: int = 0, timeout: float | None = None, prompt: Sequence[int] | None = None
    ) -> int:
        """A free sequence id for ``owner``; waits (priority, then FIFO) while all are leased. With ``prompt``
        (its tokens), the free id that has the longest start of it cached."""
        started = time.perf_counter()
        if self._free and not self.waiting:
            seq = self._take_free(prompt)
        else:
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (-priority, next(self._arrival), future))
            try:
                seq = await asyncio.wait_for(future, timeout) if timeout is not None else await future
            except BaseException:
                # Cancelled or timed out; if the id was granted in the meantime, hand it on.
                if future.done() and not future.cancelled() and future.exception() is None:
                    self._give_back(future.result())
                raise
        self.owners[seq] = owner
        self._events.emit(
            "seq.acquired", seq=seq, owner=owner, priority=priority,
            waited_ms=(time.perf_counter() - started) * 1e3,
        )
        return seq

    def _take_free(self, prompt: Sequence[int] | None) -> int:
        if not prompt or self._cached_prefix is None or len(self._free) == 1:
            return heapq.heappop(self._free)
        def preference(seq: int) -> tuple[int, int]:
            cached = self._cached_prefix(seq, prompt)  # type: ignore[misc]
            return (cached if cached >= AFFINITY_MIN_TOKENS else 0, -seq)  # ties: the lowest id

        seq = max(self._free, key=preference)
        self._free.remove(seq)
        heapq.heapify(self._free)
        return seq

    def release(self, seq: int) -> None:
        owner = self.owners.pop(seq, None)
        if owner is None:
            return  # released twice: harmless
        self._events.emit("seq.released", seq=seq, owner=owner)
        self._give_back(seq)

    def close(self, error: BaseException) -> None:
        """Fail every caller still waiting for a sequence (the engine is shutting down)."""
        waiters, self._waiters = self._waiters, []
        for *_, future in waiters:
            if not future.done():
                future.set_exception(error)

    def _give_back(self, seq: int) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(seq)
                return
        heapq.heappush(self._free, seq)
