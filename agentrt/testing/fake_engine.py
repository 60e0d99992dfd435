"""`FakeEngine`: an `EngineProtocol` with scripted replies and a real bounded sequence pool.

It behaves like the engine where scheduling is concerned (a fixed number of sequences; a lease waits when all
are busy; waiters are served by priority, higher first, then first come first served; leases emit
``seq.acquired`` / ``seq.released``; requests emit ``request.started`` / ``request.finished``) and replies from a
script instead of a model:

- ``reply="text"``: always that text;
- ``reply=["a", "b", ...]``: one per request in order (raises `EngineError` when the list runs out);
- ``reply=callable(owner, messages) -> str`` (or an awaitable of str): computed; raising simulates a failure.

``delay`` (seconds, or ``callable(owner) -> seconds``) is awaited inside each request, while the sequence is
held. ``max_active`` is the most leases ever held at once: tests use it to prove a concurrency bound.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence as Seq

from agentrt.engine.leasing import LeasedSequence, LeasingEngine
from agentrt.engine.pool import SequencePool
from agentrt.engine.request import ChatMessage, GenerationRequest, GenerationResult, Timings, TokenChunk
from agentrt.errors import EngineClosedError, EngineError
from agentrt.events import EventBus

Reply = str | Seq[str] | Callable[[str, list[ChatMessage]], "str | Awaitable[str]"]
Delay = float | Callable[[str], float]


class FakeSequence(LeasedSequence):
    """One leased fake sequence: the engines' own `LeasedSequence` (chat, complete, stream, release), served by
    the script."""

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await self._engine._generate(self, request)

    def _open_stream(self, request: GenerationRequest) -> FakeTokenStream:
        return FakeTokenStream(self, request)

    def _on_release(self) -> None:
        self._engine.active -= 1


class FakeTokenStream:
    """``async for chunk in seq.stream(...)``: the scripted reply in word-sized pieces; ``.result`` afterwards."""

    def __init__(self, sequence: FakeSequence, request: GenerationRequest) -> None:
        self._sequence = sequence
        self._request = request
        self.result: GenerationResult | None = None

    async def __aiter__(self) -> AsyncIterator[TokenChunk]:
        self.result = await self._sequence.generate(self._request)
        for index, piece in enumerate(_pieces(self.result.text)):
            yield TokenChunk(text=piece, token_id=index, index=index)


def _pieces(text: str) -> list[str]:
    """Split text into word-sized 'tokens' that join back to exactly the text."""
    pieces: list[str] = []
    for i, word in enumerate(text.split(" ")):
        pieces.append(word if i == 0 else " " + word)
    return [p for p in pieces if p]


class FakeEngine(LeasingEngine):
    """A scripted engine with a bounded, priority-ordered sequence pool: the engines' own `LeasingEngine` (scoped
    and per-call leases, requests) over the engine's `SequencePool`. See the module docstring."""

    def __init__(
        self,
        pool_size: int = 4,
        *,
        reply: Reply = "ok",
        delay: Delay = 0.0,
        events: EventBus | None = None,
    ) -> None:
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, got {pool_size}")
        self._pool_size = pool_size
        self._reply = reply
        self._script_position = 0
        self._delay = delay
        self._events = events or EventBus(forward_to_logging=False)
        self.pool = SequencePool(pool_size, self._events)
        self._request_ids = itertools.count()
        self._closed = False
        self.active = 0
        self.max_active = 0
        self.leases = 0
        self.requests: list[tuple[str, list[ChatMessage]]] = []  # (owner, messages) of every request, in order
        self.lease_order: list[str] = []  # owners in the order they got a sequence
        self.cache_forgotten_after: list[int] = []  # len(requests) at each forget_cache()

    # --- EngineProtocol (sequence, chat, complete: `LeasingEngine`) ------------------------------------

    @property
    def pool_size(self) -> int:
        return self._pool_size

    async def forget_cache(self) -> None:
        """No cache to forget: records when it was asked (tests check what a caller forgets, and when)."""
        self.cache_forgotten_after.append(len(self.requests))

    async def acquire(
        self, *, owner: str = "", priority: int = 0, timeout: float | None = None, prompt: str | None = None
    ) -> FakeSequence:
        """Lease a sequence from the pool, counting what tests assert on (a release is the sequence's own:
        `FakeSequence._on_release`)."""
        if self._closed:
            raise EngineClosedError("the fake engine is closed")
        seq_id = await self.pool.acquire(owner, priority, timeout)
        self.active += 1
        self.leases += 1
        self.max_active = max(self.max_active, self.active)
        self.lease_order.append(owner)
        return FakeSequence(self, seq_id, owner, priority)

    async def close(self) -> None:
        self._closed = True
        self.pool.close(EngineClosedError("the fake engine was closed while a lease was waiting"))

    # --- scripted generation -----------------------------------------------------------------------------

    async def _generate(self, seq: FakeSequence, request: GenerationRequest) -> GenerationResult:
        messages = request.messages or [ChatMessage(role="user", content=request.prompt or "")]
        if self._closed:
            raise EngineClosedError("the fake engine is closed")
        request_id = next(self._request_ids)
        owner = seq.owner
        self.requests.append((owner, messages))
        prompt_tokens = sum(len(m.content.split()) + 4 for m in messages)
        self._events.emit(
            "request.started", request=request_id, seq=seq.id, owner=owner, prompt_tokens=prompt_tokens,
            cached_tokens=0, shared_tokens=0,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            delay = self._delay(owner) if callable(self._delay) else self._delay
            if delay > 0:
                await asyncio.sleep(delay)
            text = await self._scripted_text(owner, messages)
        except Exception as exc:
            self._events.emit(
                "request.failed", request=request_id, seq=seq.id, owner=owner, error=str(exc),
                error_type=type(exc).__name__,
            )
            raise
        max_tokens = request.max_tokens
        pieces = _pieces(text)
        finish = "stop"
        if len(pieces) > max_tokens:
            text, finish = "".join(pieces[:max_tokens]), "length"
        if request.json_schema is not None:
            json.loads(text)  # a constrained request always yields JSON; a script that does not is a test bug
        completion_tokens = min(len(pieces), max_tokens)
        total_ms = (loop.time() - started) * 1000
        self._events.emit(
            "request.finished", request=request_id, seq=seq.id, owner=owner, finish_reason=finish,
            prompt_tokens=prompt_tokens, cached_tokens=0, completion_tokens=completion_tokens,
            prefill_ms=0.0, decode_ms=total_ms, total_ms=total_ms,
        )
        return GenerationResult(
            text=text, finish_reason=finish, seq_id=seq.id, prompt_tokens=prompt_tokens, cached_tokens=0,
            completion_tokens=completion_tokens, timings=Timings(decode_ms=total_ms, total_ms=total_ms),
        )

    async def _scripted_text(self, owner: str, messages: list[ChatMessage]) -> str:
        script = self._reply
        if isinstance(script, str):
            return script
        if callable(script):
            value = script(owner, messages)
            if inspect.isawaitable(value):
                value = await value
            return str(value)
        if self._script_position >= len(script):
            raise EngineError(f"fake engine script exhausted after {len(script)} replies (owner {owner!r})")
        text = script[self._script_position]
        self._script_position += 1
        return text

