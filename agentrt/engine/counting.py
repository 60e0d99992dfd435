"""`TokenCountingEngine`: one run's view of a shared engine, adding up the tokens that run's requests use.

Many tasks share one engine and their agents' sequence owners look alike (``answer/executor``), so engine-wide
events cannot say which task spent which tokens. Each task instead gets this thin wrapper: every call goes
straight to the shared engine, and each `GenerationResult` coming back is added to the task's `TokenCounts`.
The GAIA benchmark counts each task's tokens with it; a Ray worker gives each graph run its own bus with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


def _add(counts: TokenCounts, result: GenerationResult) -> None:
    counts.prompt += result.prompt_tokens
    counts.cached += result.cached_tokens
    counts.completion += result.completion_tokens
    counts.requests += 1


class CountingSequence:
    """A leased sequence that records the tokens of each generation in ``counts``."""

    def __init__(self, inner: SequenceHandle, counts: TokenCounts) -> None:
        self._inner = inner
        self._counts = counts

    @property
    def id(self) -> int:
        return self._inner.id

    @property
    def owner(self) -> str:
        return self._inner.owner

    async def chat(self, messages: Messages, **options: Any) -> GenerationResult:
        result = await self._inner.chat(messages, **options)
        _add(self._counts, result)
        return result

    async def complete(self, prompt: str, **options: Any) -> GenerationResult:
        result = await self._inner.complete(prompt, **options)
        _add(self._counts, result)
        return result

    async def stream(
        self, messages: Messages | None = None, *, prompt: str | None = None, **options: Any
    ) -> AsyncIterator[TokenChunk]:
        # A stream reports no prompt size; its completion tokens are the chunks it yields.
        self._counts.requests += 1
        async for chunk in self._inner.stream(messages, prompt=prompt, **options):
            self._counts.completion += 1
            yield chunk

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

    @property
    def events(self) -> EventBus:
        return self._events if self._events is not None else self._engine.events

    @property
    def pool_size(self) -> int:
        return self._engine.pool_size

    @asynccontextmanager
    async def sequence(self, *, owner: str = "", priority: int = 0) -> AsyncIterator[CountingSequence]:
        async with self._engine.sequence(owner=owner, priority=priority) as seq:
            yield CountingSequence(seq, self.counts)

    async def chat(self, messages: Messages, *, owner: str = "", priority: int = 0, **options: Any) -> GenerationResult:
        result = await self._engine.chat(messages, owner=owner, priority=priority, **options)
        _add(self.counts, result)
        return result

    async def close(self) -> None:
        """Leave the shared engine running: other tasks still use it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
