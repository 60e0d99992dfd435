"""`RemoteEngine`: the engine interface (`EngineProtocol`) served by OpenAI-compatible HTTP servers —
llama.cpp's ``llama-server``, vLLM, or llama-cpp-python's own server — instead of an in-process model.

Agents and graphs see the same thing as with `agentrt.engine.Engine`: they lease a sequence, send the whole
conversation each turn, and get `GenerationResult` / `TokenChunk` back. Underneath:

* The pool holds as many logical sequences as all endpoints' concurrency limits together (the same
  `SequencePool` as the local engine: priority first, then FIFO).
* A leased sequence is pinned to the least-loaded endpoint and keeps sending there (affinity), so the server's
  prompt cache holds its conversation and each turn only prefills the new suffix. It moves only when its
  endpoint goes down, or when its endpoint is over its limit (after a failover) and another has room.
* Each endpoint has its own limit of requests in flight; a request waits for a free slot on its endpoint.
* 429, 5xx and timeouts are retried with exponential backoff (the config's `RetryPolicy`). An endpoint that
  cannot be reached is marked down for a while; only the requests in flight on it fail there, and they are
  retried on another endpoint. A stream cut off half-way is replayed elsewhere and the text already delivered
  is skipped. One request's attempts are a `RemoteRequest` (agentrt/engine/remote/request.py); this module
  leases sequences and routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass
from collections.abc import AsyncIterator, Sequence as Seq
from typing import Any

from pydantic import BaseModel, ValidationError

from agentrt.engine.grammar import check_output
from agentrt.engine.leasing import LeasedSequence, LeasingEngine
from agentrt.engine.pool import SequencePool
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.engine.remote.endpoint import Endpoint, EndpointStats
from agentrt.engine.remote.errors import EndpointError
from agentrt.engine.remote.request import RemoteRequest
from agentrt.engine.request import GenerationRequest, GenerationResult, TokenChunk
from agentrt.errors import ConfigError, EngineClosedError, EngineError, describe_validation_error
from agentrt.events import EventBus



class RemoteEngineStats(BaseModel):
    requests: int  # requests that finished (each counted once, however many attempts it took)
    retries: int  # attempts after the first
    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int
    leased: int  # sequences leased now
    queue_depth: int  # callers waiting for a sequence
    endpoints: list[EndpointStats]


@dataclass
class _Counters:
    """What the engine has served, for `RemoteEngine.stats`."""

    requests: int = 0  # requests that finished (each counted once, however many attempts it took)
    retries: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0

    def add(self, result: GenerationResult) -> None:
        self.requests += 1
        self.prompt_tokens += result.prompt_tokens
        self.cached_tokens += result.cached_tokens
        self.generated_tokens += result.completion_tokens


class RemoteTokenStream:
    """``async for chunk in seq.stream(...)``; afterwards ``stream.result`` holds the `GenerationResult`.

    Leaving the loop early closes the HTTP stream, which makes the server stop generating.
    """

    def __init__(self, sequence: RemoteSequence, request: GenerationRequest) -> None:
        self._sequence = sequence
        self._request = request
        self.result: GenerationResult | None = None

    def __aiter__(self) -> AsyncIterator[TokenChunk]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[TokenChunk]:
        seq = self._sequence
        seq._begin()
        try:
            request = RemoteRequest(seq._engine, seq, self._request, stream=True)
            async with contextlib.aclosing(request.run()) as items:
                async for item in items:
                    if isinstance(item, GenerationResult):
                        self.result = check_output(self._request, item)
                    else:
                        yield item
        finally:
            seq._busy = False


class RemoteSequence(LeasedSequence):
    """A leased logical sequence, pinned to one endpoint while that endpoint is up (see the module doc)."""

    def __init__(self, engine: RemoteEngine, seq_id: int, owner: str, priority: int) -> None:
        super().__init__(engine, seq_id, owner, priority)
        self.endpoint: Endpoint | None = None

    def _open_stream(self, request: GenerationRequest) -> RemoteTokenStream:
        return RemoteTokenStream(self, request)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self._begin()
        result: GenerationResult | None = None
        try:
            async with contextlib.aclosing(RemoteRequest(self._engine, self, request, stream=False).run()) as items:
                async for item in items:  # not streamed: the result is the only item
                    result = item if isinstance(item, GenerationResult) else result
        finally:
            self._busy = False
        assert result is not None
        return check_output(request, result)

    def _on_release(self) -> None:
        self._engine._unpin(self)

    def _begin(self) -> None:
        self._engine._check_open()
        if self._released:
            raise EngineError(f"sequence {self._id} was released; lease a new one")
        if self._busy:
            raise EngineError(f"sequence {self._id} (owner {self._owner!r}) already has a request running")
        self._busy = True


class RemoteEngine(LeasingEngine):
    """Remote OpenAI-compatible servers behind the engine interface. Create with ``await RemoteEngine.start(...)``."""

    def __init__(self, config: RemoteEngineConfig, events: EventBus) -> None:
        self.config = config
        self._events = events
        self.endpoints = [Endpoint(e, config, events) for e in config.endpoints]
        self.pool = SequencePool(config.pool_size, events)
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()  # set (and replaced) whenever a slot frees or an endpoint changes state
        self._closed = False
        self.retry_policy = config.retry_policy
        self.counters = _Counters()

    @classmethod
    async def start(
        cls,
        config: RemoteEngineConfig | None = None,
        *,
        urls: Seq[str | EndpointConfig] | None = None,
        events: EventBus | None = None,
        **settings: Any,
    ) -> RemoteEngine:
        """Ask every endpoint what it serves; endpoints that do not answer start out down (retried later).

        Raises `ConfigError` for bad settings and `EndpointError` when no endpoint answers at all.
        """
        try:
            if config is None:
                if not urls:
                    raise ConfigError("remote engine: give at least one endpoint URL")
                config = RemoteEngineConfig.from_urls(list(urls), **settings)  # type: ignore[arg-type]
            elif settings or urls:
                config = RemoteEngineConfig(**{**config.model_dump(), **settings})
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, "remote engine config")) from exc
        events = events or EventBus()
        engine = cls(config, events)
        began = time.perf_counter()
        events.emit("engine.loading", model="remote", endpoints=[e.url for e in engine.endpoints],
                    sequences=config.pool_size)
        answers = await asyncio.gather(*(e.probe() for e in engine.endpoints), return_exceptions=True)
        errors = []
        for endpoint, answer in zip(engine.endpoints, answers):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                endpoint.mark_down(answer)
                errors.append(str(answer))
        if len(errors) == len(engine.endpoints):
            await engine.close()
            raise EndpointError("remote engine: no endpoint answered: " + "; ".join(errors),
                                url=", ".join(e.url for e in engine.endpoints), retryable=False)
        events.emit(
            "engine.ready", model=next(e.model for e in engine.endpoints if e.state == "up"),
            sequences=config.pool_size, endpoints=[e.stats().model_dump() for e in engine.endpoints],
            load_s=time.perf_counter() - began,
        )
        return engine

    # --- public surface (the same as the local engine's) ----------------------------------------------------

    @property
    def pool_size(self) -> int:
        return self.config.pool_size

    async def acquire(
        self, *, owner: str = "", priority: int = 0, timeout: float | None = None, prompt: str | None = None
    ) -> RemoteSequence:
        """Lease a sequence (waits while all are leased) and pin it to the least-loaded endpoint (``prompt`` is
        not used: a server keeps its own prefix cache)."""
        self._check_open()
        seq_id = await self.pool.acquire(owner, priority, timeout)
        sequence = RemoteSequence(self, seq_id, owner, priority)
        self._pin(sequence, self._least_loaded(time.monotonic()))
        return sequence

    def stats(self) -> RemoteEngineStats:
        counters = self.counters
        return RemoteEngineStats(
            requests=counters.requests, retries=counters.retries, prompt_tokens=counters.prompt_tokens,
            cached_tokens=counters.cached_tokens, generated_tokens=counters.generated_tokens, leased=self.pool.leased,
            queue_depth=self.pool.waiting, endpoints=[e.stats() for e in self.endpoints],
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._notify()  # requests waiting for a slot see the engine closed
        await asyncio.gather(*(e.close() for e in self.endpoints), return_exceptions=True)
        self._events.emit("engine.closed", generated_tokens=self.counters.generated_tokens, requests=self.counters.requests)

    # --- routing --------------------------------------------------------------------------------------------

    def _least_loaded(self, now: float) -> Endpoint | None:
        usable = [e for e in self.endpoints if e.usable(now)]
        return min(usable, key=lambda e: e.load) if usable else None

    def _pin(self, sequence: RemoteSequence, endpoint: Endpoint | None) -> None:
        if sequence.endpoint is endpoint:
            return
        if sequence.endpoint is not None:
            sequence.endpoint.pinned -= 1
        sequence.endpoint = endpoint
        if endpoint is not None:
            endpoint.pinned += 1

    def _unpin(self, sequence: RemoteSequence) -> None:
        self._pin(sequence, None)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _take_slot(self, sequence: RemoteSequence) -> Endpoint:
        """Wait until the sequence's endpoint (re-pinned if it is down or overloaded) has a free request slot."""
        while True:
            self._check_open()
            now = time.monotonic()
            current = sequence.endpoint
            best = self._least_loaded(now)
            if current is None or not current.usable(now):
                self._pin(sequence, best)
            elif not current.has_room and best is not None and best.has_room and current.pinned > current.limit:
                self._pin(sequence, best)  # left overcommitted by a failover: rebalance
            endpoint = sequence.endpoint
            if endpoint is not None and endpoint.has_room:
                endpoint.in_flight += 1
                if endpoint.state == "down":  # tried again after its down time: up until it fails again
                    endpoint.mark_up()
                return endpoint
            changed = self._changed
            # With every endpoint down, wake up when the first one is worth trying again.
            wait_s = None if best is not None else max(0.0, min(e.retry_at for e in self.endpoints) - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait_s)

    def _free_slot(self, endpoint: Endpoint) -> None:
        endpoint.in_flight -= 1
        self._notify()

    def _next_request_id(self) -> int:
        return next(self._ids)

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosedError("the remote engine is closed")

