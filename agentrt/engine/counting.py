"""`TokenCountingEngine`: one run's view of a shared engine, adding up the tokens that run's requests use.

Many tasks share one engine and their agents' sequence owners look alike (``answer/executor``), so engine-wide
events cannot say which task spent which tokens. Each task instead gets this thin wrapper: every call goes
straight to the shared engine, and each `GenerationResult` coming back is added to the task's `TokenCounts`.
The GAIA benchmark counts each task's tokens with it; a Ray worker gives each graph run its own bus with it.

It also clocks the task (`TaskClock`): time awaiting the engine's answers, time waiting to lease a sequence,
and time in tools — from an answer to the ``tool.called`` event that follows it on the task's bus (the agent
parses the answer, then runs the tool; parsing is microseconds, a tool milliseconds to seconds).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from agentrt.engine.protocol import EngineProtocol, Messages, SequenceHandle
from agentrt.engine.request import GenerationResult, TokenChunk
from agentrt.events import EventBus


class TokenCounts(BaseModel):
    prompt: int = 0  # prompt tokens over all requests of the task (whole conversation each turn)
    cached: int = 0  # of those, already in the KV cache (not prefilled again)
    completion: int = 0
    requests: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


@dataclass
class TaskClock:
    engine_s: float = 0.0
    lease_s: float = 0.0
    tool_s: float = 0.0
    in_flight: int = 0  # engine calls running now
    answered_at: float | None = None  # when the last engine call returned (while none runs)

    def enter(self) -> float:
        self.in_flight += 1
        self.answered_at = None
        return time.perf_counter()

    def leave(self, started: float) -> None:
        now = time.perf_counter()
        self.engine_s += now - started
        self.in_flight -= 1
        if self.in_flight == 0:
            self.answered_at = now

    def tool_called(self, _: Any) -> None:
        if self.answered_at is not None:
            now = time.perf_counter()
            self.tool_s += now - self.answered_at
            self.answered_at = now


def _add(counts: TokenCounts, result: GenerationResult) -> None:
    counts.prompt += result.prompt_tokens
    counts.cached += result.cached_tokens
    counts.completion += result.completion_tokens
    counts.requests += 1


class CountingSequence:
    """A leased sequence that records the tokens of each generation in ``counts``."""

    def __init__(self, inner: SequenceHandle, counts: TokenCounts, clock: TaskClock) -> None:
        self._inner = inner
        self._counts = counts
        self._clock = clock

    @property
    def id(self) -> int:
        return self._inner.id

    @property
    def owner(self) -> str:
        return self._inner.owner

    async def chat(self, messages: Messages, **options: Any) -> GenerationResult:
        started = self._clock.enter()
        try:
            result = await self._inner.chat(messages, **options)
        finally:
            self._clock.leave(started)
        _add(self._counts, result)
        return result

    async def complete(self, prompt: str, **options: Any) -> GenerationResult:
        started = self._clock.enter()
        try:
            result = await self._inner.complete(prompt, **options)
        finally:
            self._clock.leave(started)
        _add(self._counts, result)
        return result

    async def stream(
        self, messages: Messages | None = None, *, prompt: str | None = None, **options: Any
    ) -> AsyncIterator[TokenChunk]:
        # A stream reports no prompt size; its completion tokens are the chunks it yields.
        self._counts.requests += 1
        started = self._clock.enter()
        try:
            async for chunk in self._inner.stream(messages, prompt=prompt, **options):
                self._counts.completion += 1
                yield chunk
        finally:
            self._clock.leave(started)

    def __getattr__(self, name: str) -> Any:
        # Anything beyond the protocol (engine-specific extras) goes to the real sequence untouched.
        return getattr(self._inner, name)


class TokenCountingEngine:
    """The shared engine as one task sees it. ``close()`` does nothing: the benchmark owns the engine.

    ``events`` (optional) replaces the engine's bus in this view: a graph run records its engine's bus into its
    run directory, and the shared engine's bus carries every task's traffic, so each task shows its own bus.
    """

    def __init__(self, engine: EngineProtocol, *, events: EventBus | None = None) -> None:
        self._engine = engine
        self._events = events
        self.counts = TokenCounts()
        self.clock = TaskClock()
        if events is not None:  # the task's own bus: its tool events are this task's
            events.subscribe(self.clock.tool_called, kinds={"tool.called"})

    @property
    def events(self) -> EventBus:
        return self._events if self._events is not None else self._engine.events

    @property
    def pool_size(self) -> int:
        return self._engine.pool_size

    @asynccontextmanager
    async def sequence(self, *, owner: str = "", priority: int = 0) -> AsyncIterator[CountingSequence]:
        waiting = time.perf_counter()
        async with self._engine.sequence(owner=owner, priority=priority) as seq:
            self.clock.lease_s += time.perf_counter() - waiting
            yield CountingSequence(seq, self.counts, self.clock)

    async def chat(self, messages: Messages, *, owner: str = "", priority: int = 0, **options: Any) -> GenerationResult:
        started = self.clock.enter()
        try:
            result = await self._engine.chat(messages, owner=owner, priority=priority, **options)
        finally:
            self.clock.leave(started)
        _add(self.counts, result)
        return result

    async def close(self) -> None:
        """Leave the shared engine running: other tasks still use it."""

    async def forget_cache(self) -> None:
        """Leave the shared cache alone: other tasks' conversations live in it (the benchmark owns the engine)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
