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
* 429, 5xx and timeouts are retried with exponential backoff. An endpoint that cannot be reached is marked down
  for a while; only the requests in flight on it fail there, and they are retried on another endpoint. A
  stream cut off half-way is replayed elsewhere and the text already delivered is skipped (it must match,
  which it does for greedy decoding; otherwise the stream fails with a clear error).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Sequence as Seq
from typing import Any

from pydantic import BaseModel, ValidationError

from agentrt.engine.grammar import check_output
from agentrt.engine.leasing import LeasedSequence, LeasingEngine
from agentrt.engine.pool import SequencePool
from agentrt.engine.request import GenerationRequest, GenerationResult, Timings, TokenChunk
from agentrt.engine.text_events import TextEvents
from agentrt.errors import ConfigError, EngineClosedError, EngineError, describe_validation_error
from agentrt.events import TEXT_EVENT, TOKEN_EVENT, EventBus
from agentrt.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.remote.endpoint import Endpoint, EndpointStats
from agentrt.remote.errors import EndpointError
from agentrt.remote.wire import Usage, build_body, choice_text, finish_reason



class RemoteEngineStats(BaseModel):
    requests: int  # requests that finished (each counted once, however many attempts it took)
    retries: int  # attempts after the first
    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int
    leased: int  # sequences leased now
    queue_depth: int  # callers waiting for a sequence
    endpoints: list[EndpointStats]


class _Outcome:
    """Where `RemoteEngine._run` leaves the result of the request it streamed."""

    result: GenerationResult | None = None


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
        outcome = _Outcome()
        try:
            async with contextlib.aclosing(seq._engine._run(seq, self._request, stream=True, outcome=outcome)) as chunks:
                async for chunk in chunks:
                    yield chunk
            self.result = check_output(self._request, outcome.result)
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
        outcome = _Outcome()
        try:
            async with contextlib.aclosing(self._engine._run(self, request, stream=False, outcome=outcome)) as chunks:
                async for _ in chunks:
                    pass
        finally:
            self._busy = False
        assert outcome.result is not None
        return check_output(request, outcome.result)

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
        self._requests = 0
        self._retries = 0
        self._prompt_tokens = 0
        self._cached_tokens = 0
        self._generated_tokens = 0

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

    async def acquire(self, *, owner: str = "", priority: int = 0, timeout: float | None = None) -> RemoteSequence:
        """Lease a sequence (waits while all are leased) and pin it to the least-loaded endpoint."""
        self._check_open()
        seq_id = await self.pool.acquire(owner, priority, timeout)
        sequence = RemoteSequence(self, seq_id, owner, priority)
        self._pin(sequence, self._least_loaded(time.monotonic()))
        return sequence

    def stats(self) -> RemoteEngineStats:
        return RemoteEngineStats(
            requests=self._requests, retries=self._retries, prompt_tokens=self._prompt_tokens,
            cached_tokens=self._cached_tokens, generated_tokens=self._generated_tokens, leased=self.pool.leased,
            queue_depth=self.pool.waiting, endpoints=[e.stats() for e in self.endpoints],
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._notify()  # requests waiting for a slot see the engine closed
        await asyncio.gather(*(e.close() for e in self.endpoints), return_exceptions=True)
        self._events.emit("engine.closed", generated_tokens=self._generated_tokens, requests=self._requests)

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
                return endpoint
            changed = self._changed
            # With every endpoint down, wake up when the first one is worth trying again.
            wait_s = None if best is not None else max(0.0, min(e.retry_at for e in self.endpoints) - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait_s)

    def _free_slot(self, endpoint: Endpoint) -> None:
        endpoint.in_flight -= 1
        self._notify()

    def _backoff_s(self, attempt: int, error: EndpointError) -> float:
        if error.endpoint_down and self._least_loaded(time.monotonic()) is not None:
            return 0.0  # another endpoint can take it now
        if error.retry_after_s is not None:
            return min(error.retry_after_s, self.config.backoff_max_s)
        return min(self.config.backoff_s * 2**attempt, self.config.backoff_max_s)

    # --- one request, with retries --------------------------------------------------------------------------

    async def _run(
        self, sequence: RemoteSequence, request: GenerationRequest, *, stream: bool, outcome: _Outcome
    ) -> AsyncIterator[TokenChunk]:
        """Send ``request`` until it succeeds or must fail; yield its text as it streams (when streaming)."""
        request_id = next(self._ids)
        queued = time.perf_counter()
        delivered: list[str] = []  # text already handed to the caller; a replay after a failover must match it
        lost: list[str] = []  # endpoints that went down under this request
        # One for the whole request: after a failover the stream goes on where the delivered text ended.
        text_events = (
            TextEvents(self._events, request=request_id, seq=sequence.id, owner=sequence.owner, now=queued)
            if self._events.wants(TEXT_EVENT) else None
        )
        attempt = 0
        while True:
            endpoint = await self._take_slot(sequence)
            self._changed_state_if_back(endpoint)
            where = f"{endpoint.url} (seq {sequence.id}, owner {sequence.owner!r})"
            sent = time.perf_counter()
            try:
                if endpoint.kind is None:  # down when the engine started: learn what it is first
                    await endpoint.probe()
                self._events.emit("request.started", request=request_id, seq=sequence.id, owner=sequence.owner,
                                  endpoint=endpoint.url, attempt=attempt + 1)
                want_tokens = stream or self._events.wants(TOKEN_EVENT)
                path, body = build_body(request, kind=endpoint.kind or "openai", model=endpoint.model,
                                        stream=want_tokens, where=where)
                usage = Usage()
                if want_tokens:
                    reason, first_at = None, None
                    replay = "".join(delivered)
                    async for piece, event_reason in self._stream_pieces(endpoint, path, body, usage, replay, where):
                        reason = event_reason or reason
                        if piece:
                            first_at = first_at or time.perf_counter()
                            delivered.append(piece)
                            if self._events.wants(TOKEN_EVENT):
                                self._events.emit(TOKEN_EVENT, request=request_id, seq=sequence.id,
                                                  owner=sequence.owner, text=piece, index=len(delivered) - 1)
                            if text_events is not None:
                                text_events.add(piece, time.perf_counter())
                            if stream:
                                yield TokenChunk(text=piece, token_id=-1, index=len(delivered) - 1)
                    text, completion = "".join(delivered), usage.completion_tokens or len(delivered)
                    if text_events is not None:
                        text_events.flush(time.perf_counter())
                else:
                    answer = await endpoint.post_json(path, body)
                    usage.update(answer)
                    choices = answer.get("choices") or [{}]
                    reason, first_at = choices[0].get("finish_reason"), None
                    text = choice_text(choices[0], delta=False)
                    completion = usage.completion_tokens or 0
                    if text_events is not None:  # not streamed: the whole text at once
                        text_events.add(text, time.perf_counter(), tokens=completion)
                        text_events.flush(time.perf_counter())
            except EndpointError as exc:
                endpoint.failures += 1
                if exc.endpoint_down:
                    endpoint.mark_down(exc)
                    lost.append(endpoint.url)
                    self._notify()
                give_up = (not exc.retryable or attempt >= self.config.retries
                           or len(lost) >= self.config.max_lost_endpoints)
                if give_up:
                    self._failed(request_id, sequence, exc, attempts=attempt + 1, lost=lost)
                    raise
                delay = self._backoff_s(attempt, exc)
                self._retries += 1
                self._events.emit("request.retry", request=request_id, seq=sequence.id, owner=sequence.owner,
                                  endpoint=endpoint.url, attempt=attempt + 1, error=str(exc)[:300],
                                  delay_s=round(delay, 3))
                attempt += 1
                await asyncio.sleep(delay)
                continue
            except BaseException as exc:
                self._failed(request_id, sequence, exc, attempts=attempt + 1, lost=lost)
                raise
            finally:
                self._free_slot(endpoint)
            break
        ended = time.perf_counter()
        endpoint.requests += 1
        prompt_tokens = usage.prompt_tokens or 0
        result = GenerationResult(
            text=text, finish_reason=finish_reason(reason), seq_id=sequence.id, prompt_tokens=prompt_tokens,
            cached_tokens=min(usage.cached_tokens, prompt_tokens), completion_tokens=completion,
            timings=Timings(
                queued_ms=(sent - queued) * 1e3,
                prefill_ms=usage.prefill_ms if usage.prefill_ms is not None else
                ((first_at - sent) * 1e3 if first_at else 0.0),
                decode_ms=usage.decode_ms if usage.decode_ms is not None else
                ((ended - first_at) * 1e3 if first_at else 0.0),
                total_ms=(ended - queued) * 1e3,
            ),
        )
        self._requests += 1
        self._prompt_tokens += result.prompt_tokens
        self._cached_tokens += result.cached_tokens
        self._generated_tokens += result.completion_tokens
        self._events.emit(
            "request.finished", request=request_id, seq=sequence.id, owner=sequence.owner, endpoint=endpoint.url,
            finish_reason=result.finish_reason, prompt_tokens=result.prompt_tokens,
            cached_tokens=result.cached_tokens, completion_tokens=result.completion_tokens,
            prefill_ms=result.timings.prefill_ms, decode_ms=result.timings.decode_ms,
            total_ms=result.timings.total_ms, attempts=attempt + 1,
        )
        outcome.result = result

    async def _stream_pieces(
        self, endpoint: Endpoint, path: str, body: dict[str, Any], usage: Usage, replay: str, where: str
    ) -> AsyncIterator[tuple[str, str | None]]:
        """(new text, finish reason) per stream event; the first ``len(replay)`` characters are checked
        against ``replay`` (what an earlier attempt already delivered) and skipped."""
        pending = ""
        async for event in endpoint.post_stream(path, body):
            usage.update(event)
            for choice in event.get("choices") or []:
                piece = choice_text(choice, delta=True)
                reason = choice.get("finish_reason")
                if replay and piece:
                    pending += piece
                    if len(pending) < len(replay):
                        if not replay.startswith(pending):
                            raise _diverged(where, replay)
                        piece = ""
                    else:
                        if not pending.startswith(replay):
                            raise _diverged(where, replay)
                        piece, replay, pending = pending[len(replay):], "", ""
                yield piece, reason
        if replay:
            raise _diverged(where, replay)

    def _changed_state_if_back(self, endpoint: Endpoint) -> None:
        """An endpoint being tried again after its down time counts as up until it fails again."""
        if endpoint.state == "down":
            endpoint.mark_up()

    def _failed(self, request_id: int, sequence: RemoteSequence, error: BaseException, *, attempts: int,
                lost: list[str]) -> None:
        self._events.emit(
            "request.failed", request=request_id, seq=sequence.id, owner=sequence.owner,
            error=str(error)[:500] or type(error).__name__, error_type=type(error).__name__, attempts=attempts,
            lost_endpoints=lost,
        )

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosedError("the remote engine is closed")


def _diverged(where: str, replay: str) -> EndpointError:
    return EndpointError(
        f"{where}: a stream cut off by a lost endpoint could not be resumed here: the new answer does not "
        f"repeat the {len(replay)} characters already delivered (sampling is not greedy?)",
        url=where, retryable=False,
    )
