"""The engine interface that graphs and agents program against.

`agentrt.engine.Engine` (in-process llama.cpp) and `agentrt.engine.RemoteEngine` (OpenAI-compatible servers)
implement it, and so does the scripted `agentrt.testing.FakeEngine`. Code above the engine layer types against
these protocols, never against an implementation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence as Seq
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

from agentrt.engine.request import ChatMessage, GenerationResult, TokenChunk
from agentrt.engine.sampling import Sampling
from agentrt.events import EventBus

Messages = Seq[ChatMessage | dict[str, str]]


@runtime_checkable
class SequenceHandle(Protocol):
    """A leased sequence: one conversation whose KV cache persists between calls while the lease is held.

    Send the whole conversation each turn; the engine prefills only what its KV cache does not hold yet.
    """

    @property
    def id(self) -> int: ...

    @property
    def owner(self) -> str: ...

    async def chat(
        self,
        messages: Messages,
        *,
        max_tokens: int = 256,
        stop: Seq[str] = (),
        sampling: Sampling | None = None,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        ignore_eos: bool = False,
        stop_on_loop: bool = False,
    ) -> GenerationResult: ...

    async def complete(
        self,
        prompt: str,
        *,
        max_tokens: int = 256,
        stop: Seq[str] = (),
        sampling: Sampling | None = None,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        ignore_eos: bool = False,
        stop_on_loop: bool = False,
    ) -> GenerationResult: ...

    def stream(self, messages: Messages | None = None, *, prompt: str | None = None, **options: Any) -> AsyncIterator[TokenChunk]: ...


@runtime_checkable
class EngineProtocol(Protocol):
    @property
    def events(self) -> EventBus: ...

    @property
    def pool_size(self) -> int: ...

    def sequence(self, *, owner: str = "", priority: int = 0) -> AbstractAsyncContextManager[SequenceHandle]: ...

    async def chat(self, messages: Messages, *, owner: str = "", priority: int = 0, **options: Any) -> GenerationResult: ...

    async def forget_cache(self) -> None:
        """Empty every sequence's KV cache (see `LeasingEngine.forget_cache`)."""

    async def close(self) -> None: ...
