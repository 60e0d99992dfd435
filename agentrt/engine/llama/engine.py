"""`Engine`: the asyncio face of one shared model. Agents lease `Sequence`s and send requests through it.

The engine owns a `StepLoop` thread (the only thread that calls llama.cpp) and a `SequencePool`. Requests are
rendered and tokenized on the caller's side (so a prompt that cannot fit fails at once, in the caller's task),
then queued to the owner thread; tokens and results come back through `loop.call_soon_threadsafe`, batched per
step, so the event loop is never blocked and never polled.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentrt.engine.config import EngineConfig, gpu_layers_for, make_config
from agentrt.engine.grammar import check_output, request_gbnf
from agentrt.engine.leasing import LeasedSequence, LeasingEngine, Messages
from agentrt.engine.llama.model import LlamaModel, supports_gpu_offload
from agentrt.engine.memory_plan import MemoryPlan, check_plan, plan_memory, read_model_shape
from agentrt.engine.pool import SequencePool
from agentrt.engine.request import ChatMessage, GenerationRequest, GenerationResult, TokenChunk
from agentrt.engine.llama.step_loop import Call, Cancel, Delivery, Job, StepLoop, Submit
from agentrt.engine.llama.thread_governor import ThreadStats
from agentrt.errors import ConfigError, ContextOverflowError, EngineClosedError, EngineError
from agentrt.events import EventBus
from agentrt.models import resolve_model


class SequenceStats(BaseModel):
    seq: int
    owner: str
    state: str  # free, idle (leased, no request), prefill, decode
    kv_cells: int
    generated: int


class EngineStats(BaseModel):
    steps: int
    generated_tokens: int
    prefill_tokens: int
    cached_tokens: int  # prompt tokens reused from a sequence's own KV cache
    shared_tokens: int  # prompt tokens copied from another sequence's KV cache
    step_s: float
    decode_s: float  # inside llama_decode
    sample_s: float  # token picking and delivery
    sampler_s: float = 0.0  # of which llama.cpp sampler chains (grammar passes, temperature sampling)
    idle_s: float = 0.0  # the owner thread waiting with no request to run
    queue_depth: int
    sequences: list[SequenceStats]
    threads: ThreadStats | None = None  # compute threads: the count now and how `auto` has moved it

    @property
    def overhead_share(self) -> float:
        """Share of step time spent outside `llama_decode` (batch building, token picking, delivery)."""
        return 0.0 if self.step_s <= 0 else 1.0 - self.decode_s / self.step_s


class _Handle(Delivery):
    """The asyncio side of one job: a future for the result and, when streaming, a queue of chunks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: bool) -> None:
        self.result: asyncio.Future[GenerationResult] = loop.create_future()
        self.chunks: asyncio.Queue[TokenChunk | None] | None = asyncio.Queue() if stream else None

    def token(self, chunk: TokenChunk) -> None:
        if self.chunks is not None:
            self.chunks.put_nowait(chunk)

    def done(self, result: GenerationResult) -> None:
        if not self.result.done():
            self.result.set_result(result)
        if self.chunks is not None:
            self.chunks.put_nowait(None)

    def fail(self, error: BaseException) -> None:
        if not self.result.done():
            self.result.set_exception(error)
        if self.chunks is not None:
            self.chunks.put_nowait(None)


class TokenStream:
    """``async for chunk in seq.stream(...)``; afterwards ``stream.result`` holds the `GenerationResult`.

    Leaving the loop early (break, an exception, cancellation) cancels the request within one step.
    """

    def __init__(self, sequence: Sequence, request: GenerationRequest) -> None:
        self._sequence = sequence
        self._request = request
        self._handle: _Handle | None = None
        self._job_id: int | None = None
        self.result: GenerationResult | None = None

    def __aiter__(self) -> AsyncIterator[TokenChunk]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[TokenChunk]:
        engine = self._sequence._engine
        self._job_id, self._handle = engine._submit(self._sequence, self._request, stream=True)
        assert self._handle.chunks is not None
        try:
            while (chunk := await self._handle.chunks.get()) is not None:
                if chunk.text or chunk.token_id >= 0:
                    yield chunk
            self.result = check_output(self._request, await self._handle.result)
        finally:
            if not self._handle.result.done():
                engine._cancel(self._job_id)
            self._sequence._busy = False


class Sequence(LeasedSequence):
    """A leased sequence. Its conversation stays in the KV cache between calls while the lease is held."""

    def _open_stream(self, request: GenerationRequest) -> TokenStream:
        return TokenStream(self, request)

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        job_id, handle = self._engine._submit(self, request, stream=False)
        try:
            return check_output(request, await asyncio.shield(handle.result))
        except asyncio.CancelledError:
            self._engine._cancel(job_id)  # the owner thread drops the job at its next step
            raise
        finally:
            self._busy = False

    async def reset(self) -> None:
        """Forget this sequence's KV cache (the next request prefills from scratch)."""
        if self._busy:
            raise EngineError(f"sequence {self._id}: cannot reset while a request is running")

        def forget(loop: StepLoop) -> None:
            loop.model.seq_rm(self._id, -1, -1)
            loop.slots[self._id].kv.clear()

        await self._engine._call(forget)


class Engine(LeasingEngine):
    """One model, one context, N sequences, one owner thread. Create with ``await Engine.start(...)``."""

    def __init__(self, config: EngineConfig, model_path: Path, plan: MemoryPlan, events: EventBus) -> None:
        self.config = config
        self.model_path = model_path
        self.memory_plan = plan
        self._events = events
        self._loop = asyncio.get_running_loop()
        self._ids = itertools.count(1)
        self._closed = False
        self._steps = StepLoop(config, model_path, events, self._loop, lambda: self.pool.waiting)
        self.pool = SequencePool(config.sequences, events, cached_prefix=self._steps.cached_prefix)
        self._model: LlamaModel | None = None

    @classmethod
    async def start(
        cls, config: EngineConfig | None = None, *, events: EventBus | None = None, **overrides: Any
    ) -> Engine:
        """Validate, plan memory, load the model on a new owner thread. Raises `ConfigError` subclasses."""
        config = make_config(config, **overrides)
        events = events or EventBus()
        path = resolve_model(config.model)
        plan = plan_memory(path, config, read_model_shape(path))
        events.emit(
            "engine.memory_plan",
            model_bytes=plan.model_bytes,
            kv_bytes=plan.kv_bytes,
            kv_bytes_per_seq=plan.kv_bytes_per_seq,
            compute_bytes=plan.compute_bytes,
            total_bytes=plan.total_bytes,
            available_bytes=plan.available_bytes,
            summary=plan.describe(),
        )
        check_plan(plan, config, gpu_layers=gpu_layers_for(config.gpu_layers, gpu_offload=supports_gpu_offload()))
        events.emit(
            "engine.loading", model=config.model, path=str(path), sequences=config.sequences, n_ctx=config.n_ctx,
            n_batch=config.n_batch, threads=config.threads, kv_unified=config.kv_unified,
        )
        engine = cls(config, path, plan, events)
        engine._steps.start()
        engine._model = await engine._steps.ready
        model = engine._model
        events.emit(
            "engine.ready", model=model.description, n_vocab=model.n_vocab, n_ctx_train=model.n_ctx_train,
            sequences=config.sequences, n_ctx=config.n_ctx, load_s=engine._steps.load_s,
            flash_attn=model.flash_attn, flash_attn_measured=model.attention.reason if model.attention else None,
        )
        return engine

    # --- public surface -------------------------------------------------------------------------------------

    @property
    def pool_size(self) -> int:
        return self.config.sequences

    @property
    def n_vocab(self) -> int:
        return self._require_model().n_vocab

    @property
    def has_chat_template(self) -> bool:
        return self._require_model().has_chat_template

    async def acquire(
        self, *, owner: str = "", priority: int = 0, timeout: float | None = None, prompt: str | None = None
    ) -> Sequence:
        """Lease a sequence (waits while all are leased). Pair with `release`, or use `sequence()`. With the
        ``prompt`` the lease is for first, a free sequence that has its start cached is preferred."""
        self._check_open()
        tokens = self.tokenize(prompt) if prompt else None
        seq_id = await self.pool.acquire(owner, priority, timeout, tokens)
        return Sequence(self, seq_id, owner, priority)

    async def forget_cache(self) -> None:
        # Lease every sequence (so none is mid-request), forget each one's cache, give them back.
        leased = [await self.acquire(owner="engine.forget_cache") for _ in range(self.pool_size)]
        try:
            for seq in leased:
                await seq.reset()
        finally:
            for seq in leased:
                seq.release()
        self._events.emit("engine.cache_forgotten", sequences=len(leased))

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        return self._require_model().tokenize(text, add_special=add_special)

    def render_chat(self, messages: Messages, *, tools: list[dict[str, Any]] | None = None) -> str:
        """The prompt text of a conversation in the model's chat template; ``tools`` (OpenAI function
        definitions) reach templates that have a tools section."""
        return self._require_model().render_chat([_as_dict(m) for m in messages], tools=tools)

    @property
    def chat_template(self) -> str | None:
        """The model's own chat template (Jinja source), None when it has none (ChatML is used then)."""
        model = self._require_model()
        return model.chat_template_source if model.has_chat_template else None

    def stats(self) -> EngineStats:
        c = self._steps.counters
        rows = []
        for slot in self._steps.slots:
            owner = self.pool.owners.get(slot.id)
            job = slot.job
            state = slot.state if job is not None else ("idle" if owner is not None else "free")
            rows.append(SequenceStats(seq=slot.id, owner=owner or "", state=state, kv_cells=len(slot.kv),
                                      generated=job.generated if job else 0))
        return EngineStats(
            steps=c.steps, generated_tokens=c.generated_tokens, prefill_tokens=c.prefill_tokens,
            cached_tokens=c.cached_tokens, shared_tokens=c.shared_tokens, step_s=c.step_s, decode_s=c.decode_s,
            sample_s=c.sample_s, sampler_s=c.sampler_s, idle_s=c.idle_s, queue_depth=self.pool.waiting, sequences=rows,
            threads=self._steps.threads.stats() if self._steps.threads is not None else None,
        )

    @property
    def owner_thread_id(self) -> int | None:
        """The OS id of the owner thread (the one that runs llama.cpp), for per-thread CPU accounting."""
        return self._steps.thread_id

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.pool.close(EngineClosedError("the engine was closed while waiting for a sequence"))
        self._steps.stop()
        await self._steps.finished

    # --- internals used by Sequence -------------------------------------------------------------------------

    def _submit(self, sequence: Sequence, request: GenerationRequest, *, stream: bool) -> tuple[int, _Handle]:
        self._check_open()
        if sequence._released:
            raise EngineError(f"sequence {sequence.id} was released; lease a new one")
        if sequence._busy:
            raise EngineError(f"sequence {sequence.id} (owner {sequence.owner!r}) already has a request running")
        request_gbnf(request, n_vocab=self.n_vocab)  # a grammar llama.cpp cannot honour fails here, not in C
        prompt = self._prompt_tokens(request)
        n_ctx = self.config.n_ctx
        if len(prompt) + request.max_tokens > n_ctx:
            raise ContextOverflowError(
                f"sequence {sequence.id} (owner {sequence.owner!r}): prompt of {len(prompt)} tokens + max_tokens "
                f"{request.max_tokens} exceeds the sequence context of {n_ctx} tokens; shorten the conversation, "
                f"lower max_tokens, or raise n_ctx"
            )
        handle = _Handle(self._loop, stream)
        job = Job(
            id=next(self._ids), seq=sequence.id, owner=sequence.owner, priority=sequence.priority,
            request=request, prompt=prompt, delivery=handle, want_tokens=stream,
        )
        sequence._busy = True
        self._steps.commands.put(Submit(job))
        return job.id, handle

    def _prompt_tokens(self, request: GenerationRequest) -> list[int]:
        model = self._require_model()
        if request.messages is not None:
            text = model.render_chat([m.model_dump() for m in request.messages])
            tokens = model.tokenize(text, add_special=True)
        else:
            tokens = model.tokenize(request.prompt or "", add_special=True)
        if not tokens:
            raise ConfigError("request: the prompt is empty after tokenization")
        return tokens

    def _cancel(self, job_id: int) -> None:
        if not self._closed:
            self._steps.commands.put(Cancel(job_id))

    async def _call(self, fn: Any) -> Any:
        self._check_open()
        future: asyncio.Future[Any] = self._loop.create_future()
        self._steps.commands.put(Call(fn, future))
        return await future

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosedError("the engine is closed")

    def _require_model(self) -> LlamaModel:
        if self._model is None:
            raise EngineClosedError("the engine has not finished loading")
        return self._model


def _as_dict(message: ChatMessage | dict[str, Any]) -> dict[str, Any]:
    return message.model_dump() if isinstance(message, ChatMessage) else dict(message)
