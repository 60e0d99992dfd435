"""`RemoteRequest`: one request to a remote engine, from the moment it queues to its result, through as many
attempts as the engine's `RetryPolicy` allows.

An attempt takes a request slot on its sequence's endpoint (the engine routes: `RemoteEngine._take_slot`),
sends the request, streamed or whole, and ends in an `_Answer` or an `EndpointError`. A retryable error waits
its backoff (none when the endpoint went down and another one is free; a server's ``Retry-After`` within the
policy's cap) and tries again; a stream cut off half-way is replayed elsewhere, and the text already delivered is
skipped (it must match, which it does for greedy decoding; otherwise the request fails with a clear error).
Anything else ends the request with ``request.failed``. `RemoteRequest.run` yields the text as it streams (when
streaming) and, last, the `GenerationResult`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentrt.engine.remote.endpoint import Endpoint
from agentrt.engine.remote.errors import EndpointError
from agentrt.engine.remote.wire import Usage, build_body, choice_text, finish_reason
from agentrt.engine.request import GenerationRequest, GenerationResult, Timings, TokenChunk
from agentrt.engine.text_events import TextEvents
from agentrt.events import TEXT_EVENT, TOKEN_EVENT

if TYPE_CHECKING:
    from agentrt.engine.remote.engine import RemoteEngine, RemoteSequence

@dataclass(frozen=True, slots=True)
class _Answer:
    """What one attempt that got through brought back."""

    text: str  # the whole text, what earlier attempts delivered included
    reason: Any  # the server's finish reason
    completion_tokens: int
    usage: Usage
    sent: float  # perf_counter when the attempt was sent
    first_token_at: float | None  # perf_counter of its first new text (streamed attempts)


class RemoteRequest:
    """One request on a leased sequence. See the module docstring."""

    def __init__(self, engine: RemoteEngine, sequence: RemoteSequence, request: GenerationRequest, *, stream: bool):
        self._engine = engine
        self._events = engine.events
        self._sequence = sequence
        self._request = request
        self._stream = stream
        self.id = engine._next_request_id()
        self._queued = time.perf_counter()
        self._attempts = 0
        self._delivered: list[str] = []  # text handed to the caller; a replay after a failover must match it
        self._lost: list[str] = []  # endpoints that went down under this request
        # One for the whole request: after a failover the text goes on where the delivered text ended.
        self._text = (
            TextEvents(self._events, request=self.id, seq=sequence.id, owner=sequence.owner, now=self._queued)
            if self._events.wants(TEXT_EVENT) else None
        )

    async def run(self) -> AsyncIterator[TokenChunk | GenerationResult]:
        """Send the request until it succeeds or must fail: its text as it streams, then its result."""
        while True:
            endpoint = await self._engine._take_slot(self._sequence)
            self._attempts += 1
            answer: _Answer | None = None
            try:
                async for item in self._attempt(endpoint):
                    if isinstance(item, _Answer):
                        answer = item
                    else:
                        yield item
            except EndpointError as exc:
                if not self._may_retry(endpoint, exc):
                    self._failed(exc)
                    raise
                await asyncio.sleep(self._retry(endpoint, exc))  # the slot is held while it waits
                continue
            except BaseException as exc:
                self._failed(exc)
                raise
            finally:
                self._engine._free_slot(endpoint)
            assert answer is not None
            yield self._finished(endpoint, answer)
            return

    # --- one attempt ----------------------------------------------------------------------------------------

    async def _attempt(self, endpoint: Endpoint) -> AsyncIterator[TokenChunk | _Answer]:
        seq = self._sequence
        where = f"{endpoint.url} (seq {seq.id}, owner {seq.owner!r})"
        sent = time.perf_counter()
        if endpoint.kind is None:  # down when the engine started: learn what it is first
            await endpoint.probe()
        self._events.emit("request.started", request=self.id, seq=seq.id, owner=seq.owner, endpoint=endpoint.url,
                          attempt=self._attempts)
        streamed = self._stream or self._events.wants(TOKEN_EVENT)
        path, body = build_body(self._request, kind=endpoint.kind or "openai", model=endpoint.model,
                                stream=streamed, where=where)
        if streamed:
            async for item in self._streamed(endpoint, path, body, sent, where):
                yield item
        else:
            yield await self._whole(endpoint, path, body, sent)

    async def _streamed(
        self, endpoint: Endpoint, path: str, body: dict[str, Any], sent: float, where: str
    ) -> AsyncIterator[TokenChunk | _Answer]:
        usage, reason, first_at = Usage(), None, None
        replay = "".join(self._delivered)
        async for piece, event_reason in _new_pieces(endpoint, path, body, usage, replay, where):
            reason = event_reason or reason
            if not piece:
                continue
            first_at = first_at or time.perf_counter()
            self._delivered.append(piece)
            index = len(self._delivered) - 1
            if self._events.wants(TOKEN_EVENT):
                self._events.emit(TOKEN_EVENT, request=self.id, seq=self._sequence.id, owner=self._sequence.owner,
                                  text=piece, index=index)
            if self._text is not None:
                self._text.add(piece, time.perf_counter())
            if self._stream:
                yield TokenChunk(text=piece, token_id=-1, index=index)
        if self._text is not None:
            self._text.flush(time.perf_counter())
        completion = usage.completion_tokens or len(self._delivered)
        yield _Answer("".join(self._delivered), reason, completion, usage, sent, first_at)

    async def _whole(self, endpoint: Endpoint, path: str, body: dict[str, Any], sent: float) -> _Answer:
        usage = Usage()
        reply = await endpoint.post_json(path, body)
        usage.update(reply)
        choice = (reply.get("choices") or [{}])[0]
        text = choice_text(choice, delta=False)
        completion = usage.completion_tokens or 0
        if self._text is not None:  # not streamed: the whole text at once
            self._text.add(text, time.perf_counter(), tokens=completion)
            self._text.flush(time.perf_counter())
        return _Answer(text, choice.get("finish_reason"), completion, usage, sent, None)

    # --- how it ends ----------------------------------------------------------------------------------------

    def _may_retry(self, endpoint: Endpoint, error: EndpointError) -> bool:
        """Count the failure against ``endpoint`` (marked down if it is gone); whether to try again."""
        endpoint.failures += 1
        if error.endpoint_down:
            endpoint.mark_down(error)
            self._lost.append(endpoint.url)
            self._engine._notify()
        policy = self._engine.retry_policy
        return (error.retryable and self._attempts < policy.attempts
                and len(self._lost) < self._engine.config.max_lost_endpoints)

    def _retry(self, endpoint: Endpoint, error: EndpointError) -> float:
        """Count and announce a retry; the wait before it."""
        if error.endpoint_down and self._engine._least_loaded(time.monotonic()) is not None:
            delay = 0.0  # another endpoint can take it now
        else:
            delay = self._engine.retry_policy.delay_s(self._attempts, retry_after_s=error.retry_after_s)
        self._engine.counters.retries += 1
        self._events.emit("request.retry", request=self.id, seq=self._sequence.id, owner=self._sequence.owner,
                          endpoint=endpoint.url, attempt=self._attempts, error=str(error)[:300],
                          delay_s=round(delay, 3))
        return delay

    def _finished(self, endpoint: Endpoint, answer: _Answer) -> GenerationResult:
        ended = time.perf_counter()
        endpoint.requests += 1
        usage = answer.usage
        prompt_tokens = usage.prompt_tokens or 0
        first_at = answer.first_token_at
        result = GenerationResult(
            text=answer.text, finish_reason=finish_reason(answer.reason), seq_id=self._sequence.id,
            prompt_tokens=prompt_tokens, cached_tokens=min(usage.cached_tokens, prompt_tokens),
            completion_tokens=answer.completion_tokens,
            timings=Timings(
                queued_ms=(answer.sent - self._queued) * 1e3,
                prefill_ms=usage.prefill_ms if usage.prefill_ms is not None else
                ((first_at - answer.sent) * 1e3 if first_at else 0.0),
                decode_ms=usage.decode_ms if usage.decode_ms is not None else
                ((ended - first_at) * 1e3 if first_at else 0.0),
                total_ms=(ended - self._queued) * 1e3,
            ),
        )
        self._engine.counters.add(result)
        self._events.emit(
            "request.finished", request=self.id, seq=self._sequence.id, owner=self._sequence.owner,
            endpoint=endpoint.url, finish_reason=result.finish_reason, prompt_tokens=result.prompt_tokens,
            cached_tokens=result.cached_tokens, completion_tokens=result.completion_tokens,
            prefill_ms=result.timings.prefill_ms, decode_ms=result.timings.decode_ms,
            total_ms=result.timings.total_ms, attempts=self._attempts,
        )
        return result

    def _failed(self, error: BaseException) -> None:
        self._events.emit(
            "request.failed", request=self.id, seq=self._sequence.id, owner=self._sequence.owner,
            error=str(error)[:500] or type(error).__name__, error_type=type(error).__name__,
            attempts=self._attempts, lost_endpoints=self._lost,
        )


async def _new_pieces(
    endpoint: Endpoint, path: str, body: dict[str, Any], usage: Usage, replay: str, where: str
) -> AsyncIterator[tuple[str, str | None]]:
    """(new text, finish reason) per stream event; the first ``len(replay)`` characters are checked against
    ``replay`` (what an earlier attempt already delivered) and skipped."""
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


def _diverged(where: str, replay: str) -> EndpointError:
    return EndpointError(
        f"{where}: a stream cut off by a lost endpoint could not be resumed here: the new answer does not "
        f"repeat the {len(replay)} characters already delivered (sampling is not greedy?)",
        url=where, retryable=False,
    )
