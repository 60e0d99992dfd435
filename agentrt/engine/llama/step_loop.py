"""`StepLoop`: the owner thread. It alone calls llama.cpp, one `llama_decode` per step for every sequence.

Each step:
  1. take commands from the asyncio side (new jobs, cancellations, resets), blocking only while idle;
  2. fill ONE batch: the pending token of every decoding sequence and prompt chunks of prefilling sequences
     (highest priority first) up to the batch budget — chunked prefill, so a long prompt delays the decoders by
     at most one chunk — laid out in sequence id order, gaps filled, so llama.cpp runs it in one pass;
  3. `llama_decode`;
  4. pick the next token of every sequence that produced logits: one vectorised argmax for all greedy jobs, a
     llama.cpp sampler chain for the rest (temperature, penalties, grammars);
  5. hand tokens and finished results back to the event loop in one `call_soon_threadsafe` per step.

Jobs join and leave between steps (continuous batching). The KV cache of each sequence is mirrored in
`SeqSlot.kv` (the token at each position), which is what prefix reuse and prefix sharing compare against.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentrt.engine.config import EngineConfig
from agentrt.engine.grammar import request_gbnf
from agentrt.engine.llama.grammar_cache import GrammarCache
from agentrt.engine.llama.model import LlamaModel
from agentrt.engine.llama.thread_governor import ThreadGovernor
from agentrt.engine.loops import WINDOW, loop_period
from agentrt.engine.request import FinishReason, GenerationRequest, GenerationResult, TokenChunk, Timings
from agentrt.engine.sampling import Sampling
from agentrt.engine.text_stream import TextStream
from agentrt.engine.text_events import TextEvents
from agentrt.errors import ContextOverflowError, EngineClosedError, EngineError
from agentrt.events import TEXT_EVENT, TOKEN_EVENT, EventBus

# Copy another sequence's KV prefix only when it saves at least this many prefill tokens (a cross-stream copy
# moves the whole stream buffer, so tiny overlaps are not worth it).
MIN_SHARED_PREFIX = 16
DEFAULT_SEED = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED: llama.cpp picks a random seed


class Delivery:
    """Where a job's output goes on the asyncio side. Methods run on the event loop, never on the owner thread."""

    def token(self, chunk: TokenChunk) -> None: ...

    def done(self, result: GenerationResult) -> None: ...

    def fail(self, error: BaseException) -> None: ...


@dataclass(eq=False)
class Job:
    """One admitted generation request, as the owner thread tracks it."""

    id: int
    seq: int
    owner: str
    priority: int
    request: GenerationRequest
    prompt: list[int]
    delivery: Delivery
    want_tokens: bool
    submitted_at: float = field(default_factory=time.perf_counter)
    # Filled in at admission and while running:
    n_cached: int = 0
    n_shared: int = 0
    prefill_pos: int = 0
    sampler: Any = None
    # Greedy under a grammar: take the batch argmax when the grammar allows it, and only otherwise apply the
    # grammar to the whole vocabulary (llama.cpp's "grammar-first rejection"; most picks pass, and a full
    # grammar pass over a 49k-262k vocabulary costs milliseconds per token).
    greedy_grammar: bool = False
    # Sampled under a grammar: the same chain without the grammar. A pick from it that the grammar allows is
    # taken, and only a refused one pays for the grammar over the whole vocabulary (llama.cpp's common sampler
    # does the same). None when the chain has a repetition penalty, whose history the refused pick would skew.
    unconstrained: Any = None
    text: TextStream | None = None
    text_events: TextEvents | None = None  # only while somebody reads `request.text`
    generated: int = 0
    # The last generated tokens (at least loops.WINDOW of them), kept only for a request with stop_on_loop.
    recent: list[int] | None = None
    pending_token: int | None = None  # sampled, not yet in the KV cache: decoded in the next step
    # Another job, admitted earlier and still prefilling, whose prompt starts like this one: this job's prefill
    # waits until that one has prefilled the common prefix, then copies it (see `_follow`).
    leader: Job | None = None
    leader_prefix: int = 0
    admitted_at: float = 0.0
    first_token_at: float = 0.0


@dataclass(eq=False)
class SeqSlot:
    id: int
    kv: list[int] = field(default_factory=list)  # the token at each KV position of this sequence
    job: Job | None = None

    @property
    def state(self) -> str:
        if self.job is None:
            return "idle"
        return "decode" if self.job.pending_token is not None or self.job.generated else "prefill"


@dataclass(frozen=True)
class Submit:
    job: Job


@dataclass(frozen=True)
class Cancel:
    job_id: int


@dataclass(frozen=True)
class Call:
    """Run ``fn(loop)`` on the owner thread between steps (KV resets, inspections); result to ``future``."""

    fn: Callable[[StepLoop], Any]
    future: asyncio.Future[Any]


@dataclass(frozen=True)
class Stop:
    pass


Command = Submit | Cancel | Call | Stop


@dataclass
class StepBatch:
    """What one step puts into the batch (see `StepLoop._fill_batch`)."""

    decoding: list[Job] = field(default_factory=list)  # jobs whose pending token is decoded
    chunks: list[tuple[Job, int]] = field(default_factory=list)  # (job, n prompt tokens prefilled)
    outputs: list[tuple[Job, int]] = field(default_factory=list)  # (job, batch index of its logits), batch order
    fillers: list[tuple[int, int]] = field(default_factory=list)  # (seq, position) of throw-away tokens


@dataclass
class StepCounters:
    """Running totals, read (without a lock: plain ints and floats) by `Engine.stats()`."""

    steps: int = 0
    generated_tokens: int = 0
    prefill_tokens: int = 0
    cached_tokens: int = 0
    shared_tokens: int = 0
    step_s: float = 0.0
    decode_s: float = 0.0
    sample_s: float = 0.0  # token picking and delivery, after llama_decode
    sampler_s: float = 0.0  # of which llama.cpp sampler chains (grammars, temperature sampling)
    idle_s: float = 0.0  # waiting for work with no request running


class StepLoop:
    def __init__(
        self,
        config: EngineConfig,
        model_path: Any,
        events: EventBus,
        loop: asyncio.AbstractEventLoop,
        queue_depth: Callable[[], int],
    ) -> None:
        self.config = config
        self.model_path = model_path
        self.events = events
        self.loop = loop
        self.queue_depth = queue_depth
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.slots = [SeqSlot(i) for i in range(config.sequences)]
        self.jobs: dict[int, Job] = {}
        self.counters = StepCounters()
        self.model: LlamaModel | None = None
        self.threads: ThreadGovernor | None = None
        self.ready: asyncio.Future[LlamaModel] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()
        self._outbox: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._step_sampler_s = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="agentrt-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def thread_id(self) -> int | None:
        return self._thread.native_id

    # --- thread body ----------------------------------------------------------------------------------------

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.model = LlamaModel(self.model_path, self.config)
            self.grammars = GrammarCache(self.model.grammar_sampler)
            self.threads = ThreadGovernor(self.model, self.config.threads, self.events)
        except BaseException as exc:  # deliver load failures to the awaiting Engine.start
            if self.model is not None:
                self.model.close()
            self.loop.call_soon_threadsafe(_set_exception, self.ready, exc)
            self.loop.call_soon_threadsafe(_set_result, self.finished, None)
            return
        self.load_s = time.perf_counter() - started
        self.loop.call_soon_threadsafe(_set_result, self.ready, self.model)
        try:
            while not self._stopping:
                self._take_commands(block=not self.jobs)
                if self.jobs and not self._stopping:
                    self._step()
                self._flush()
        except BaseException as exc:  # a bug here must not leave callers waiting forever
            self._fail_all(EngineError(f"engine step loop crashed: {exc!r}"))
            raise
        finally:
            self._fail_all(EngineClosedError("the engine was closed while this request was running"))
            self._flush()
            self.grammars.close()
            self.model.close()
            self.threads.close()
            self.events.emit(
                "engine.closed", steps=self.counters.steps, generated_tokens=self.counters.generated_tokens
            )
            self.loop.call_soon_threadsafe(_set_result, self.finished, None)

    def _take_commands(self, *, block: bool) -> None:
        while True:
            try:
                if block:
                    waiting = time.perf_counter()
                    command = self.commands.get()
                    self.counters.idle_s += time.perf_counter() - waiting
                else:
                    command = self.commands.get_nowait()
            except queue.Empty:
                return
            block = False
            match command:
                case Submit(job):
                    self._admit(job)
                case Cancel(job_id):
                    job = self.jobs.get(job_id)
                    if job is not None:
                        self._finish(job, "cancelled")
                case Call(fn, future):
                    try:
                        self._post(_set_result, future, fn(self))
                    except Exception as exc:
                        self._post(_set_exception, future, exc)
                case Stop():
                    self._stopping = True
                    return

    # --- admission: KV reuse and prefix sharing -------------------------------------------------------------

    def cached_prefix(self, seq: int, tokens: Sequence[int]) -> int:
        """How many leading ``tokens`` sequence ``seq`` holds in its KV cache. Called from the event loop for free
        sequences, whose cache this thread does not change; the list is copied (atomically) all the same."""
        return _common_prefix(list(self.slots[seq].kv), list(tokens), len(tokens))

    def _admit(self, job: Job) -> None:
        model = self.model
        assert model is not None
        slot = self.slots[job.seq]
        if slot.job is not None:
            self._post(job.delivery.fail, EngineError(f"sequence {job.seq} already has a request running"))
            return
        # Keep the longest common prefix of what the KV cache holds; at least the last prompt token is decoded
        # again, because its logits are what the first new token is picked from.
        limit = len(job.prompt) - 1
        reuse = _common_prefix(slot.kv, job.prompt, limit)
        donor, shared = self._best_donor(job, limit)
        if donor is not None and shared >= reuse + MIN_SHARED_PREFIX:
            self._copy_prefix(donor, slot, shared)
            job.n_shared = shared - reuse
            reuse = shared
        elif not model.seq_rm(slot.id, reuse, -1):
            model.seq_rm(slot.id, -1, -1)  # this memory cannot drop a partial sequence: start it afresh
            reuse = 0
        del slot.kv[reuse:]
        try:
            gbnf = request_gbnf(job.request)  # checked before it reaches llama.cpp (agentrt/engine/grammar.py)
            sampling = job.request.sampling
            job.sampler = self._make_sampler(sampling, gbnf)
            job.greedy_grammar = job.sampler is not None and sampling.is_greedy
            if gbnf is not None and not sampling.is_greedy and sampling.repeat_penalty == 1.0:
                job.unconstrained = self._make_sampler(sampling, None)
        except Exception as exc:
            self._post(job.delivery.fail, exc)
            return
        job.n_cached = reuse
        job.prefill_pos = reuse
        self._find_leader(job, reuse, limit)
        job.text = TextStream(job.request.stop)
        if job.request.stop_on_loop:
            job.recent = []
        job.admitted_at = time.perf_counter()
        if self.events.wants(TEXT_EVENT):
            job.text_events = TextEvents(self.events, request=job.id, seq=job.seq, owner=job.owner, now=job.admitted_at)
        slot.job = job
        self.jobs[job.id] = job
        self.counters.cached_tokens += reuse - job.n_shared
        self.counters.shared_tokens += job.n_shared
        self.events.emit(
            "request.started",
            request=job.id,
            seq=job.seq,
            owner=job.owner,
            prompt_tokens=len(job.prompt),
            cached_tokens=reuse,
            shared_tokens=job.n_shared,
        )
        self._seq_state(slot)

    def _find_leader(self, job: Job, reuse: int, limit: int) -> None:
        """Requests that start together (a wave of agents with one system prompt) find no sequence holding their
        common prefix yet, and would each prefill it. Let the later ones follow the earliest that shares the
        longest prefix: they wait for it to get past the prefix, then copy it."""
        best, best_len = None, reuse + MIN_SHARED_PREFIX - 1
        for other in self.jobs.values():
            if other.prefill_pos < len(other.prompt) and other.leader is None:
                n = _common_prefix(other.prompt, job.prompt, limit)
                if n > best_len:
                    best, best_len = other, n
        if best is not None:
            job.leader, job.leader_prefix = best, best_len

    def _follow(self, job: Job) -> bool:
        """Whether a follower may prefill now: once its leader has prefilled the common prefix (copied here), or
        has left (whatever it prefilled stays in its sequence for the usual prefix sharing next time)."""
        leader = job.leader
        assert leader is not None
        if leader.id in self.jobs and len(self.slots[leader.seq].kv) < job.leader_prefix:
            return False
        slot, donor = self.slots[job.seq], self.slots[leader.seq]
        n = min(job.leader_prefix, _common_prefix(donor.kv, job.prompt, len(job.prompt) - 1))
        if n >= job.prefill_pos + MIN_SHARED_PREFIX:
            self._copy_prefix(donor, slot, n)
            job.n_shared += n - job.prefill_pos
            self.counters.shared_tokens += n - job.prefill_pos
            job.n_cached = job.prefill_pos = n
        job.leader = None
        return True

    def _best_donor(self, job: Job, limit: int) -> tuple[SeqSlot | None, int]:
        best: SeqSlot | None = None
        best_len = 0
        for other in self.slots:
            if other.id == job.seq or len(other.kv) <= best_len:
                continue
            n = _common_prefix(other.kv, job.prompt, limit)
            if n > best_len:
                best, best_len = other, n
        return best, best_len

    def _copy_prefix(self, donor: SeqSlot, slot: SeqSlot, n: int) -> None:
        """Make `slot` hold the first `n` KV cells of `donor` without prefilling them again."""
        model = self.model
        assert model is not None
        model.seq_rm(slot.id, -1, -1)
        if self.config.kv_unified:
            model.seq_cp(donor.id, slot.id, 0, n)  # same buffer: only cell metadata changes
        else:
            # Separate KV streams: llama.cpp copies whole streams only; copy, then drop what follows the prefix.
            model.seq_cp(donor.id, slot.id, -1, -1)
            model.seq_rm(slot.id, n, -1)
        slot.kv[:] = donor.kv[:n]

    def _make_sampler(self, s: Sampling, gbnf: str | None) -> Any:
        """A llama.cpp sampler chain, or None for plain greedy (picked by the vectorised argmax instead)."""
        import llama_cpp

        model = self.model
        assert model is not None
        if s.is_greedy and gbnf is None:
            return None
        parts = []
        if gbnf is not None:
            parts.append(self.grammars.sampler(gbnf))
        if s.repeat_penalty != 1.0:
            parts.append(
                llama_cpp.llama_sampler_init_penalties(model.n_vocab, s.repeat_last_n, s.repeat_penalty, 0.0, 0.0)
            )
        if s.temperature == 0.0:
            parts.append(llama_cpp.llama_sampler_init_greedy())
        else:
            if s.top_k > 0:
                parts.append(llama_cpp.llama_sampler_init_top_k(s.top_k))
            if s.top_p < 1.0:
                parts.append(llama_cpp.llama_sampler_init_top_p(s.top_p, 1))
            if s.min_p > 0.0:
                parts.append(llama_cpp.llama_sampler_init_min_p(s.min_p, 1))
            parts.append(llama_cpp.llama_sampler_init_temp(s.temperature))
            parts.append(llama_cpp.llama_sampler_init_dist(DEFAULT_SEED if s.seed is None else s.seed))
        return model.new_sampler_chain(parts)

    # --- one step -------------------------------------------------------------------------------------------

    def _step(self) -> None:
        model = self.model
        assert model is not None
        t0 = time.perf_counter()
        plan = self._fill_batch(with_prefill=True)
        if not plan.outputs and not plan.chunks:
            return
        t1 = time.perf_counter()
        ret = model.decode()
        self._drop_fillers(plan)
        retried = ret == 1 and bool(plan.chunks)
        if retried:
            # No KV slot for the prompt chunks: run this step with the decoders alone; prefill resumes next step.
            plan = self._fill_batch(with_prefill=False)
            ret = model.decode() if plan.outputs else 0
            self._drop_fillers(plan)
        t2 = time.perf_counter()
        decoding, chunks, outputs = plan.decoding, plan.chunks, plan.outputs
        if ret != 0:
            self._decode_failed(ret, decoding, chunks)
            return
        threads = model.threads
        if not retried:  # the thread count judges single decodes only
            self._observe_threads(plan, t2 - t1)

        for job in decoding:
            self.slots[job.seq].kv.append(job.pending_token)  # type: ignore[arg-type]
            job.pending_token = None
        n_prefill = 0
        for job, n in chunks:
            self.slots[job.seq].kv.extend(job.prompt[job.prefill_pos : job.prefill_pos + n])
            job.prefill_pos += n
            n_prefill += n

        self._step_sampler_s = 0.0
        if outputs:
            self._pick_tokens(outputs)
        t3 = time.perf_counter()

        c = self.counters
        c.steps += 1
        c.prefill_tokens += n_prefill
        c.step_s += t3 - t0
        c.decode_s += t2 - t1
        c.sample_s += t3 - t2
        c.sampler_s += self._step_sampler_s
        self.events.emit(
            "engine.step",
            step=c.steps,
            n_decode=len(decoding),
            n_fillers=len(plan.fillers),
            n_prefill=n_prefill,
            n_seqs_prefill=len(chunks),
            batch_tokens=len(decoding) + n_prefill,
            step_ms=(t3 - t0) * 1e3,
            decode_ms=(t2 - t1) * 1e3,
            sample_ms=(t3 - t2) * 1e3,
            sampler_ms=self._step_sampler_s * 1e3,
            queue_depth=self.queue_depth(),
            active=len(self.jobs),
            threads=threads,
        )

    def _observe_threads(self, plan: StepBatch, seconds: float) -> None:
        """Tell the thread governor what this decode computed (before the KV mirrors grow) and took."""
        kv = sum(len(self.slots[job.seq].kv) for job in plan.decoding) + sum(pos for _, pos in plan.fillers)
        kv += sum((job.prefill_pos + n // 2) * n for job, n in plan.chunks)
        n_decode = len(plan.decoding) + len(plan.fillers)
        self.threads.after_decode(n_decode, sum(n for _, n in plan.chunks), kv, seconds)  # type: ignore[union-attr]

    def _fill_batch(self, *, with_prefill: bool) -> StepBatch:
        """The pending token of every decoding job and prompt chunks (highest priority first), in increasing
        sequence id, with a filler token for each sequence id missing between them.

        Why the order and the fillers: with one KV stream per sequence, llama.cpp puts only consecutive,
        increasing sequence ids into one micro-batch (`llama_batch_allocr::split_equal`), and each micro-batch is
        a full pass over the weights. Tokens in arrival order (seqs 2, 0, 3, 1) or with a gap (0 and 2 decode
        while 1 waits for a tool) split a step into several passes, and batching gained little. A filler is one
        throw-away token at the next position of the missing sequence (no logits; removed after the decode): a
        row more in a pass that reads the weights anyway, instead of another pass.
        """
        model = self.model
        assert model is not None
        batch = model.batch
        batch.clear()
        plan = StepBatch()
        prefilling: list[Job] = []
        for job in self.jobs.values():
            if job.pending_token is not None:
                plan.decoding.append(job)
            elif job.prefill_pos < len(job.prompt) and (job.leader is None or self._follow(job)):
                prefilling.append(job)
        room = batch.capacity - len(plan.decoding)
        if with_prefill and prefilling:
            for job in sorted(prefilling, key=lambda j: (-j.priority, j.id)):
                n = min(self.config.prefill_chunk, room, len(job.prompt) - job.prefill_pos)
                if n <= 0:
                    break
                plan.chunks.append((job, n))
                room -= n
        in_batch = {job.seq for job in plan.decoding} | {job.seq for job, _ in plan.chunks}
        if model.fills_sequence_gaps and in_batch:
            # A sequence whose stream is full cannot take even a throw-away token; its gap stays.
            gaps = [seq for seq in range(min(in_batch), max(in_batch))
                    if seq not in in_batch and len(self.slots[seq].kv) < self.config.n_ctx]
            if len(gaps) <= room:
                plan.fillers = [(seq, len(self.slots[seq].kv)) for seq in gaps]

        decode_by_seq = {job.seq: job for job in plan.decoding}
        chunk_by_seq = {job.seq: (job, n) for job, n in plan.chunks}
        filler_by_seq = dict(plan.fillers)
        for seq in sorted(in_batch | filler_by_seq.keys()):
            if seq in decode_by_seq:
                job = decode_by_seq[seq]
                idx = batch.add(job.pending_token, len(self.slots[seq].kv), seq, logits=True)  # type: ignore[arg-type]
                plan.outputs.append((job, idx))
            elif seq in chunk_by_seq:
                job, n = chunk_by_seq[seq]
                last = job.prefill_pos + n == len(job.prompt)
                idx = batch.add_span(job.prompt[job.prefill_pos : job.prefill_pos + n], job.prefill_pos, seq,
                                     logits_last=last)
                if last:
                    plan.outputs.append((job, idx))
            else:
                batch.add(0, filler_by_seq[seq], seq, logits=False)
        return plan

    def _drop_fillers(self, plan: StepBatch) -> None:
        model = self.model
        assert model is not None
        for seq, pos in plan.fillers:
            model.seq_rm(seq, pos, -1)

    def _pick_tokens(self, outputs: list[tuple[Job, int]]) -> None:
        """The next token of every job that produced logits this step (rows of the logits block, in order)."""
        model = self.model
        assert model is not None
        greedy_rows = [row for row, (job, _) in enumerate(outputs) if job.sampler is None or job.greedy_grammar]
        picks: dict[int, int] = {}
        if greedy_rows:
            logits = model.logits(len(outputs))
            if len(greedy_rows) == len(outputs):
                tokens = np.argmax(logits, axis=1)
            else:
                tokens = np.argmax(logits[greedy_rows], axis=1)
            picks = dict(zip(greedy_rows, tokens.tolist()))
        now = time.perf_counter()
        for row, (job, batch_index) in enumerate(outputs):
            if job.sampler is None:
                token = picks[row]
            else:
                started = time.perf_counter()
                if job.greedy_grammar and model.grammar_allows(job.sampler, picks[row]):
                    token = picks[row]
                    model.accept(job.sampler, token)
                elif job.unconstrained is not None and model.grammar_allows(
                    job.sampler, token := model.sample(job.unconstrained, batch_index)
                ):
                    model.accept(job.sampler, token)
                else:
                    token = model.sample(job.sampler, batch_index)
                self._step_sampler_s += time.perf_counter() - started
            self._on_token(job, token, now)

    def _on_token(self, job: Job, token: int, now: float) -> None:
        model = self.model
        assert model is not None and job.text is not None
        if not job.first_token_at:
            job.first_token_at = now
            self._seq_state(self.slots[job.seq], "decode")
        if model.is_eog(token) and not job.request.ignore_eos:
            self._finish(job, "stop")
            return
        index = job.generated
        job.generated += 1
        self.counters.generated_tokens += 1
        text = job.text.feed(model.piece(token))
        if job.want_tokens:
            self._post(job.delivery.token, TokenChunk(text=text, token_id=token, index=index))
        if self.events.wants(TOKEN_EVENT):
            self.events.emit(TOKEN_EVENT, request=job.id, seq=job.seq, owner=job.owner, text=text, index=index)
        if job.text_events is not None:
            job.text_events.add(text, now)
        if job.text.stopped:
            self._finish(job, "stop")
        elif job.generated >= job.request.max_tokens:
            self._finish(job, "length")
        elif job.recent is not None and _loops(job.recent, token):
            self._finish(job, "loop")
        else:
            job.pending_token = token

    def _finish(self, job: Job, reason: FinishReason) -> None:
        assert job.text is not None
        tail = job.text.finish()
        if tail and job.want_tokens:
            self._post(job.delivery.token, TokenChunk(text=tail, token_id=-1, index=job.generated))
        now = time.perf_counter()
        if job.text_events is not None:  # the rest of the text, before request.finished
            job.text_events.add(tail, now, tokens=0)
            job.text_events.flush(now)
        first = job.first_token_at or now
        timings = Timings(
            queued_ms=(job.admitted_at - job.submitted_at) * 1e3,
            prefill_ms=(first - job.admitted_at) * 1e3,
            decode_ms=(now - first) * 1e3,
            total_ms=(now - job.submitted_at) * 1e3,
        )
        result = GenerationResult(
            text=job.text.text,
            finish_reason=reason,
            seq_id=job.seq,
            prompt_tokens=len(job.prompt),
            cached_tokens=job.n_cached,
            shared_tokens=job.n_shared,
            completion_tokens=job.generated,
            timings=timings,
        )
        self._release_job(job)
        self._post(job.delivery.done, result)
        self.events.emit(
            "request.finished",
            request=job.id,
            seq=job.seq,
            owner=job.owner,
            finish_reason=reason,
            prompt_tokens=result.prompt_tokens,
            cached_tokens=result.cached_tokens,
            completion_tokens=result.completion_tokens,
            prefill_ms=timings.prefill_ms,
            decode_ms=timings.decode_ms,
            total_ms=timings.total_ms,
        )

    def _fail(self, job: Job, error: BaseException) -> None:
        self._release_job(job)
        self._post(job.delivery.fail, error)
        self.events.emit(
            "request.failed",
            request=job.id,
            seq=job.seq,
            owner=job.owner,
            error=str(error),
            error_type=type(error).__name__,
        )

    def _release_job(self, job: Job) -> None:
        self.jobs.pop(job.id, None)
        slot = self.slots[job.seq]
        if slot.job is job:
            slot.job = None
        if job.sampler is not None:
            LlamaModel.free_sampler(job.sampler)
            job.sampler = None
        if job.unconstrained is not None:
            LlamaModel.free_sampler(job.unconstrained)
            job.unconstrained = None
        self._seq_state(slot)

    def _decode_failed(self, ret: int, decoding: list[Job], chunks: list[tuple[Job, int]]) -> None:
        model = self.model
        assert model is not None
        involved = decoding + [job for job, _ in chunks]
        for job in involved:  # drop whatever a partial decode may have written beyond what we track
            model.seq_rm(job.seq, len(self.slots[job.seq].kv), -1)
        if ret == 1:
            # Even the decoders alone found no KV slot: give up the fullest sequence so the others go on.
            victim = max(decoding, key=lambda j: len(self.slots[j.seq].kv))
            self._fail(victim, ContextOverflowError(
                f"sequence {victim.seq} (owner {victim.owner!r}): no KV cache slot left for the next token "
                f"after {len(self.slots[victim.seq].kv)} tokens"
            ))
            return
        for job in involved:
            self._fail(job, EngineError(f"llama_decode failed (code {ret}) on sequence {job.seq}"))

    def _fail_all(self, error: BaseException) -> None:
        for job in list(self.jobs.values()):
            self._fail(job, error)
        while True:  # requests that were never admitted
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                break
            if isinstance(command, Submit):
                self._post(command.job.delivery.fail, error)
            elif isinstance(command, Call):
                self._post(_set_exception, command.future, error)

    # --- plumbing -------------------------------------------------------------------------------------------

    def _seq_state(self, slot: SeqSlot, state: str | None = None) -> None:
        self.events.emit(
            "seq.state",
            seq=slot.id,
            owner=slot.job.owner if slot.job else "",
            state=state or slot.state,
            kv_cells=len(slot.kv),
        )

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        """Queue ``fn(*args)`` to run on the event loop; sent in one batch per step by `_flush`."""
        self._outbox.append((fn, args))

    def _flush(self) -> None:
        if self._outbox:
            items, self._outbox = self._outbox, []
            try:
                self.loop.call_soon_threadsafe(_dispatch, items)
            except RuntimeError:
                pass  # the event loop is gone (interpreter shutdown): nobody is waiting any more

    def stop(self) -> None:
        self.commands.put(Stop())


def _dispatch(items: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
    for fn, args in items:
        fn(*args)


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _loops(recent: list[int], token: int) -> bool:
    recent.append(token)
    if len(recent) > 2 * WINDOW:
        del recent[:-WINDOW]  # trimmed now and then, not at every token
    return loop_period(recent) is not None


def _common_prefix(a: list[int], b: list[int], limit: int) -> int:
    n = min(len(a), len(b), limit)
    if n <= 0:
        return 0
    if a[:n] == b[:n]:  # the common case (a follow-up turn) in one C-level comparison
        return n
    arr_a = np.asarray(a[:n], dtype=np.int32)
    arr_b = np.asarray(b[:n], dtype=np.int32)
    mismatch = np.flatnonzero(arr_a != arr_b)
    return int(mismatch[0]) if mismatch.size else n

