"""A real engine whose sequences start with scripted replies: inject a failure or a first action, then let the
real model carry on from there (deterministic setups for real-model tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence as Seq
from contextlib import asynccontextmanager
from typing import Any

from agentrt.engine import Engine
from agentrt.engine.request import GenerationResult, Timings
from agentrt.events import EventBus


class InjectingSequence:
    """A real sequence whose first replies are scripted (garbage, a bad action); the model does the rest."""

    def __init__(self, seq: Any, injected: list[tuple[str, str]]) -> None:
        self._seq = seq
        self._injected = injected

    def __getattr__(self, name: str) -> Any:
        return getattr(self._seq, name)

    async def chat(self, messages: Any, **options: Any) -> GenerationResult:
        if self._injected:
            text, finish = self._injected.pop(0)
            return GenerationResult(
                text=text, finish_reason=finish, seq_id=self._seq.id, prompt_tokens=0, cached_tokens=0,
                completion_tokens=len(text.split()), timings=Timings(),
            )
        return await self._seq.chat(messages, **options)


class InjectingEngine:
    """Wraps the real engine: each lease's sequence starts with the scripted replies."""

    def __init__(self, engine: Engine, injected: list[tuple[str, str]]) -> None:
        self._engine = engine
        self._injected = injected

    @property
    def events(self) -> EventBus:
        return self._engine.events

    @property
    def pool_size(self) -> int:
        return self._engine.pool_size

    @asynccontextmanager
    async def sequence(self, *, owner: str = "", priority: int = 0) -> AsyncIterator[InjectingSequence]:
        async with self._engine.sequence(owner=owner, priority=priority) as seq:
            yield InjectingSequence(seq, self._injected)

    async def chat(self, messages: Seq[Any], **options: Any) -> GenerationResult:
        return await self._engine.chat(messages, **options)

    async def forget_cache(self) -> None:
        await self._engine.forget_cache()

    async def close(self) -> None:
        return None
