"""`LeasingEngine`: what every engine offers on top of `acquire()` — scoped leases, per-call leases, requests.

The in-process `Engine` and the HTTP `RemoteEngine` differ in how a request is served, not in how callers
lease sequences or build requests; this base holds that shared surface once.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence as Seq
from typing import Any, Self

from pydantic import ValidationError

from agentrt.engine.grammar import request_gbnf
from agentrt.engine.request import ChatMessage, GenerationRequest, GenerationResult
from agentrt.engine.sampling import Sampling
from agentrt.errors import ConfigError, describe_validation_error
from agentrt.events import EventBus

Messages = Seq[ChatMessage | dict[str, str]]


def build_request(
    *,
    messages: Messages | None = None,
    prompt: str | None = None,
    sampling: Sampling | dict[str, Any] | None = None,
    stop: Seq[str] | str | None = None,
    **options: Any,
) -> GenerationRequest:
    """Build and validate a request; bad values raise `ConfigError` naming the field, a grammar or JSON schema
    that cannot be honoured `GrammarError` (agentrt/engine/grammar.py)."""
    try:
        fields: dict[str, Any] = dict(options)
        if messages is not None:
            fields["messages"] = [m if isinstance(m, ChatMessage) else ChatMessage(**m) for m in messages]
        if prompt is not None:
            fields["prompt"] = prompt
        if sampling is not None:
            fields["sampling"] = sampling
        if stop is not None:
            fields["stop"] = [stop] if isinstance(stop, str) else list(stop)
        request = GenerationRequest(**fields)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, "request")) from exc
    request_gbnf(request)  # a grammar or schema that cannot be honoured is a GrammarError here, in the caller's task
    return request


class LeasingEngine(ABC):
    _events: EventBus

    @property
    def events(self) -> EventBus:
        return self._events

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def close(self) -> None:
        """Stop serving: waiting and running requests fail with `EngineClosedError`."""

    @abstractmethod
    async def acquire(
        self, *, owner: str = "", priority: int = 0, timeout: float | None = None, prompt: str | None = None
    ) -> Any:
        """Lease a sequence (waits, priority then FIFO, while all are leased). ``prompt``: the text the lease is
        for first, so an engine with a prefix cache can pick a sequence that holds its start (others ignore it)."""

    def release(self, sequence: Any) -> None:
        sequence.release()

    async def forget_cache(self) -> None:
        """Empty every sequence's KV cache (waiting until all are free), so that later work reuses nothing that
        earlier work computed: two benchmark passes compared with each other start from the same state. An
        engine with no cache of its own does nothing (a remote server's prefix cache is the server's)."""

    @contextlib.asynccontextmanager
    async def sequence(self, *, owner: str = "", priority: int = 0) -> AsyncIterator[Any]:
        """``async with engine.sequence(owner=...) as seq``: a lease held for the block."""
        seq = await self.acquire(owner=owner, priority=priority)
        try:
            yield seq
        finally:
            seq.release()

    async def chat(self, messages: Messages, *, owner: str = "", priority: int = 0, **options: Any) -> GenerationResult:
        """One chat turn on a sequence leased for this call only."""
        async with self.sequence(owner=owner, priority=priority) as seq:
            return await seq.chat(messages, **options)

    async def complete(self, prompt: str, *, owner: str = "", priority: int = 0, **options: Any) -> GenerationResult:
        """One raw-prompt completion on a sequence leased for this call only."""
        seq = await self.acquire(owner=owner, priority=priority, prompt=prompt)
        try:
            return await seq.complete(prompt, **options)
        finally:
            seq.release()

    def request(self, **fields: Any) -> GenerationRequest:
        return build_request(**fields)


class LeasedSequence(ABC):
    """A leased sequence: identity, lease state and the chat/complete/stream surface over `generate`.

    Subclasses say how a request is served (`generate`, `_open_stream`) and what releasing frees (`_on_release`).
    """

    def __init__(self, engine: Any, seq_id: int, owner: str, priority: int) -> None:
        self._engine = engine
        self._id = seq_id
        self._owner = owner
        self.priority = priority
        self._busy = False
        self._released = False

    @property
    def id(self) -> int:
        return self._id

    @property
    def owner(self) -> str:
        return self._owner

    async def chat(self, messages: Messages, **options: Any) -> GenerationResult:
        """The assistant's next turn. Send the whole conversation: the cached prefix is not prefilled again."""
        return await self.generate(build_request(messages=messages, **options))

    async def complete(self, prompt: str, **options: Any) -> GenerationResult:
        """Continue a raw prompt (no chat template)."""
        return await self.generate(build_request(prompt=prompt, **options))

    def stream(self, messages: Messages | None = None, *, prompt: str | None = None, **options: Any) -> Any:
        """``async for chunk in seq.stream(...)``: tokens as they come; ``.result`` afterwards."""
        return self._open_stream(build_request(messages=messages, prompt=prompt, **options))

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> GenerationResult: ...

    @abstractmethod
    def _open_stream(self, request: GenerationRequest) -> Any: ...

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._on_release()
            self._engine.pool.release(self._id)

    def _on_release(self) -> None:
        """Hook: what else a release frees (a remote sequence unpins its endpoint)."""
