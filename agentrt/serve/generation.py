"""One HTTP generation request on the engine: wait for a sequence, run, answer (a JSON body or an SSE stream).

`GenerationResponse` is the ASGI response the chat and completion routes return. It brings the sequence pool's
semantics to HTTP:

* the request waits for a free sequence, higher ``X-Priority`` first, FIFO within a priority (the pool's order);
* the wait is bounded: `Admission` refuses a request with 429 and ``Retry-After`` once ``max_queue`` requests
  are already waiting;
* a client that disconnects (while waiting, during prefill or while tokens stream) cancels its request: the
  engine drops it at its next step and the sequence goes back to the pool;
* the response starts only once the engine has produced something, so a failure the engine reports at once (a
  grammar llama.cpp cannot compile) is still a proper 400, not a broken stream.

A sequence keeps its KV cache after the request (the pool does not reset it), so the next request with the same
beginning (a system prompt, a tool list, a conversation's earlier turns) on any sequence reuses or copies it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from agentrt.engine import GenerationResult, TokenChunk
from agentrt.errors import ContextOverflowError, EngineClosedError, EngineError, GrammarError
from agentrt.serve.errors import SERVER_ERROR, ApiError
from agentrt.serve.prepare import Prepared
from agentrt.serve.responses import SSE_DONE, ResponseShape, sse
from agentrt.serve.tools import ParsedOutput

if TYPE_CHECKING:
    from agentrt.serve.context import ServeContext

# How fast the Retry-After estimate follows the time requests hold a sequence (exponential moving average).
_SERVICE_WEIGHT = 0.2


class Admission:
    """How many requests may wait for a sequence, and how long a refused one should wait before it tries again."""

    def __init__(self, pool_size: int, max_queue: int) -> None:
        self.pool_size = pool_size
        self.max_queue = max_queue
        self.pending = 0  # admitted, not holding a sequence yet (waiting, or about to take a free one)
        self.holding = 0  # holding a sequence
        self._service_s = 5.0  # a guess until requests have been measured

    @property
    def waiting(self) -> int:
        """Requests that wait for a sequence (pending beyond the free ones)."""
        return max(0, self.pending - (self.pool_size - self.holding))

    def admit(self) -> None:
        """Count a request in, or raise 429 (queue full) with a Retry-After estimate."""
        if self.pending + 1 - (self.pool_size - self.holding) > self.max_queue:
            raise ApiError(
                429,
                f"all {self.pool_size} sequences are busy and {self.waiting} requests are already waiting "
                f"(the most is {self.max_queue}); retry later",
                type="rate_limit_error", code="queue_full", headers={"Retry-After": str(self.retry_after_s())},
            )
        self.pending += 1

    def retry_after_s(self) -> int:
        """Seconds until the queue has likely moved by one: a sequence frees every service time / pool size."""
        turns = (self.waiting + 1) / self.pool_size
        return max(1, min(60, math.ceil(self._service_s * turns)))

    def leased(self) -> None:
        self.pending -= 1
        self.holding += 1

    def abandoned(self) -> None:
        self.pending -= 1

    def released(self, held_s: float) -> None:
        self.holding -= 1
        self._service_s += _SERVICE_WEIGHT * (held_s - self._service_s)


class GenerationResponse:
    """The ASGI response of one admitted generation request (see the module doc)."""

    def __init__(self, context: ServeContext, prepared: Prepared, *, request_id: int, priority: int,
                 path: str) -> None:
        self.context = context
        self.prepared = prepared
        self.request_id = request_id
        self.priority = priority
        self.path = path
        self.owner = f"{prepared.kind}#{request_id}"
        self.shape = ResponseShape(prepared.kind, request_id, context.model_id)
        self.status = 0  # the HTTP status sent (0 while nothing was)
        self.result: GenerationResult | None = None
        self.error: str | None = None
        self.disconnected = False  # the client left before the answer ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        work = asyncio.create_task(self._serve(send), name=f"agentrt-serve-{self.owner}")
        gone = asyncio.create_task(_client_gone(receive))
        try:
            done, _ = await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
            if work not in done:
                # The client left: stop its request (the engine drops it within one step, the sequence is freed).
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                self.disconnected = True
                self.context.metrics.disconnects += 1
            else:
                work.result()
        finally:
            for task in (work, gone):
                task.cancel()
            self.context.finished(self, time.perf_counter() - started)

    # --- the request's life ---------------------------------------------------------------------------------

    async def _serve(self, send: Send) -> None:
        admission = self.context.admission
        try:
            seq = await self.context.engine.acquire(
                owner=self.owner, priority=self.priority, prompt=self.prepared.prompt
            )
        except BaseException as exc:
            admission.abandoned()
            if isinstance(exc, EngineClosedError):
                await self._send_error(send, _engine_error(exc, self.prepared))
                return
            raise
        admission.leased()
        leased_at = time.perf_counter()
        try:
            if self.prepared.stream:
                await self._stream(seq, send)
            else:
                await self._whole(seq, send)
        finally:
            seq.release()
            admission.released(time.perf_counter() - leased_at)

    async def _whole(self, seq: Any, send: Send) -> None:
        try:
            result = await seq.complete(self.prepared.prompt, **self.prepared.options)
        except EngineError as exc:
            await self._send_error(send, _engine_error(exc, self.prepared))
            return
        self.result = result
        output, finish = self._output(result)
        await self._send_json(send, 200, self.shape.body(result, output, finish))

    async def _stream(self, seq: Any, send: Send) -> None:
        try:  # a request the engine refuses up front (e.g. a grammar llama.cpp cannot compile) fails here
            stream = seq.stream(prompt=self.prepared.prompt, **self.prepared.options)
        except EngineError as exc:
            await self._send_error(send, _engine_error(exc, self.prepared))
            return
        # Closing the iterator (also when this task is cancelled between two chunks) cancels the engine request.
        async with contextlib.aclosing(aiter(stream)) as chunks:
            try:
                first = await anext(chunks, None)
            except EngineError as exc:
                await self._send_error(send, _engine_error(exc, self.prepared))
                return
            writer = _StreamWriter(self)
            await self._start(send, 200, "text/event-stream", [(b"cache-control", b"no-cache")])
            try:
                await self._body(send, writer.opening())
                if first is not None:
                    await self._body(send, writer.text(first))
                    async for chunk in chunks:
                        await self._body(send, writer.text(chunk))
                result = stream.result
                assert result is not None
                self.result = result
                await self._body(send, writer.closing(result))
            except EngineError as exc:  # after the stream began: an error event, as OpenAI's API sends
                self.error = str(exc)
                await self._body(send, sse(_engine_error(exc, self.prepared).body()))
        await self._body(send, SSE_DONE, more=False)

    def _output(self, result: GenerationResult) -> tuple[ParsedOutput, str]:
        plan = self.prepared.tools
        output = plan.parse(result.text) if plan is not None else ParsedOutput(result.text, [])
        finish = "tool_calls" if output.calls else result.finish_reason
        return output, finish

    # --- sending --------------------------------------------------------------------------------------------

    async def _start(self, send: Send, status: int, content_type: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.status = status
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", content_type.encode()), *(headers or [])],
        })

    async def _body(self, send: Send, data: bytes, *, more: bool = True) -> None:
        if data or not more:  # pieces that are held back (a tool call forming) send nothing
            await send({"type": "http.response.body", "body": data, "more_body": more})

    async def _send_json(self, send: Send, status: int, body: dict[str, Any],
                         headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await self._start(send, status, "application/json", [(b"content-length", str(len(data)).encode()), *extra])
        await self._body(send, data, more=False)

    async def _send_error(self, send: Send, error: ApiError) -> None:
        self.error = error.message
        await self._send_json(send, error.status, error.body(), error.headers)


class _StreamWriter:
    """What to send for each piece of a stream: the text as it comes, or — for tool calls — held back until the
    calls are complete and sent as `tool_calls` deltas."""

    def __init__(self, response: GenerationResponse) -> None:
        self.shape = response.shape
        self.response = response
        self.plan = response.prepared.tools
        self.held: list[str] = []  # text not sent yet (maybe the start of a tool call)
        self.streaming = self.plan is None  # sending text as it comes

    def opening(self) -> bytes:
        if self.shape.kind == "chat":
            return sse(self.shape.chunk({"role": "assistant", "content": ""}))
        return b""

    def text(self, chunk: TokenChunk) -> bytes:
        if not chunk.text:
            return b""
        if self.streaming:
            return sse(self.shape.text_chunk(chunk.text))
        self.held.append(chunk.text)
        assert self.plan is not None
        if self.plan.streams_words("".join(self.held)):
            self.streaming = True
            text, self.held = "".join(self.held), []
            return sse(self.shape.text_chunk(text))
        return b""

    def closing(self, result: GenerationResult) -> bytes:
        out = b""
        output, finish = self.response._output(result)
        if self.held or not self.streaming:
            if output.calls:
                deltas = [{"tool_calls": [call.wire(index=i)]} for i, call in enumerate(output.calls)]
                out += b"".join(sse(self.shape.chunk(delta)) for delta in deltas)
            elif output.content:
                out += sse(self.shape.text_chunk(output.content))
        out += sse(self.shape.chunk({} if self.shape.kind == "chat" else "", finish_reason=finish))
        if self.response.prepared.include_usage:
            out += sse(self.shape.usage_chunk(result))
        return out


async def _client_gone(receive: Receive) -> None:
    """Returns when the client disconnects (the body has been read: the next message is the disconnect)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _engine_error(exc: BaseException, prepared: Prepared) -> ApiError:
    if isinstance(exc, GrammarError):
        param = prepared.constraint or "grammar"
        return ApiError(400, f"{param}: {exc}", param=param, code="invalid_schema")
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, str(exc), param="messages" if prepared.kind == "chat" else "prompt",
                        code="context_length_exceeded")
    if isinstance(exc, EngineClosedError):
        return ApiError(503, f"the server is shutting down: {exc}", type=SERVER_ERROR, code="unavailable",
                        headers={"Retry-After": "5"})
    return ApiError(500, f"the engine failed: {exc}", type=SERVER_ERROR, code="engine_error")
