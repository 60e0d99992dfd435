"""`LlamaModel`: one llama.cpp model + context behind a small Python surface.

Only the engine's owner thread may call into this object: llama.cpp contexts are not thread-safe, and once
`llama_decode` has been called from two OS threads every later call runs slower (OpenMP thread pools: measured
on a 2-core CPU, 26 instead of 44 tokens/s). Everything here is a thin, typed wrapper over llama-cpp-python's low-level ctypes API.
"""

from __future__ import annotations

import ctypes
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import llama_cpp
import numpy as np
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentrt.engine.config import EngineConfig, gpu_layers_for
from agentrt.engine.cpu_cores import OtherLoad, usable_cores
from agentrt.engine.llama.attention_choice import FLASH_ATTN_TYPE, AttentionChoice, choose_flash_attn
from agentrt.engine.llama.batch import Batch
from agentrt.engine.llama.thread_governor import initial_threads
from agentrt.errors import EngineError, GrammarError, ModelFormatError


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None,
            sort_keys: bool = False) -> str:
    """transformers' `tojson` filter, which chat templates are written for (plain JSON, not HTML-escaped)."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _quiet_llama_logs() -> None:
    # llama-cpp-python routes llama.cpp's log through the "llama-cpp-python" logger, and prints everything
    # while that logger's level is unset. Respect a level the application set; otherwise keep errors only.
    logger = logging.getLogger("llama-cpp-python")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)


def supports_gpu_offload() -> bool:
    """Whether this llama.cpp build has a GPU backend (what ``gpu_layers: auto`` follows)."""
    return bool(llama_cpp.llama_supports_gpu_offload())


class LlamaModel:
    """A loaded model and its context, sized for `config.sequences` sequences of `config.n_ctx` tokens."""

    def __init__(self, path: Path, config: EngineConfig) -> None:
        _quiet_llama_logs()
        llama_cpp.llama_backend_init()
        self.path = path
        self.config = config

        # Other processes' load is read from before the weights load to after (its reading waits for the rest
        # of a short interval when loading was quicker): where `threads: auto` starts.
        other_load = OtherLoad(usable_cores()) if config.threads == "auto" else None
        if other_load is not None:
            other_load.sample()
        mparams = llama_cpp.llama_model_default_params()
        gpu_layers = gpu_layers_for(config.gpu_layers, gpu_offload=supports_gpu_offload())
        mparams.n_gpu_layers = 999 if gpu_layers < 0 else gpu_layers
        self.model = llama_cpp.llama_model_load_from_file(str(path).encode(), mparams)
        if not self.model:
            raise ModelFormatError(f"model file {str(path)!r}: llama.cpp could not load it (see its log with -v)")

        self.threads = initial_threads(config.threads, load=other_load)  # `auto` changes it at run time (ThreadGovernor)

        # On a CPU, flash attention is faster for some models and slower for others (attention_choice.py):
        # `measured` times both once per model and machine. With a GPU, llama.cpp decides.
        self.attention: AttentionChoice | None = None
        self.flash_attn = "auto" if config.flash_attn == "measured" else config.flash_attn
        if config.flash_attn == "measured" and gpu_layers == 0:
            try:
                self.attention = choose_flash_attn(self.model, path, self.threads)
                self.flash_attn = "on" if self.attention.flash_attn else "off"
            except RuntimeError:
                pass  # the probe could not run: llama.cpp's own choice

        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = config.n_ctx_total
        cparams.n_batch = config.n_batch
        cparams.n_ubatch = config.n_batch
        cparams.n_seq_max = config.sequences
        cparams.n_threads = self.threads
        cparams.n_threads_batch = self.threads
        cparams.kv_unified = config.kv_unified
        cparams.flash_attn_type = FLASH_ATTN_TYPE[self.flash_attn]
        # A full-size sliding-window cache keeps every position, so a follow-up turn can always reuse its prefix
        # (with a pruned SWA cache, positions before the window are gone and the prompt would be redone).
        cparams.swa_full = True
        cparams.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            llama_cpp.llama_model_free(self.model)
            raise EngineError(
                f"llama.cpp could not create a context for {config.sequences} sequences x {config.n_ctx} tokens"
            )
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab: int = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.n_ctx_train: int = llama_cpp.llama_model_n_ctx_train(self.model)
        self.bos: int = llama_cpp.llama_vocab_bos(self.vocab)
        # With one KV stream per sequence, llama.cpp puts only consecutive sequence ids into one micro-batch; the
        # step loop closes gaps with a throw-away token per missing sequence, removed again after the decode.
        # That needs a cache that can drop the token (not a recurrent state) and separate streams.
        self.fills_sequence_gaps: bool = not (
            config.kv_unified
            or llama_cpp.llama_model_is_recurrent(self.model)
            or llama_cpp.llama_model_is_hybrid(self.model)
        )
        self.batch = Batch(config.n_batch)
        self._pieces: dict[int, bytes] = {}
        self._eog: dict[int, bool] = {}
        self._piece_buf = ctypes.create_string_buffer(256)
        self._one_candidate = llama_cpp.llama_token_data(id=0, logit=0.0, p=0.0)
        self._one_candidate_array = llama_cpp.llama_token_data_array(
            data=ctypes.pointer(self._one_candidate), size=1, selected=-1, sorted=False
        )
        self._chat_template = self._load_chat_template()
        self.description = self._meta("general.name") or path.stem

    # --- metadata -------------------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(4096)
        n = llama_cpp.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace") if n >= 0 else None

    def _load_chat_template(self) -> jinja2.Template | None:
        source = llama_cpp.llama_model_chat_template(self.model, None)
        self.chat_template_source: str | None = None
        if not source:
            return None
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, loader=jinja2.BaseLoader())

        def raise_exception(message: str) -> None:
            raise jinja2.TemplateError(message)

        env.globals["raise_exception"] = raise_exception
        # Jinja's own `tojson` escapes <, > and & for HTML: a model would see its tool schemas in a form it was not
        # trained on.
        env.filters["tojson"] = _tojson
        self.chat_template_source = source.decode("utf-8")
        try:
            return env.from_string(self.chat_template_source)
        except jinja2.TemplateError:
            return None  # fall back to ChatML below; a broken template should not block the model

    @property
    def has_chat_template(self) -> bool:
        return self._chat_template is not None

    # --- text <-> tokens ------------------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_special: bool = True, parse_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        tokens = (llama_cpp.llama_token * capacity)()
        n = llama_cpp.llama_tokenize(self.vocab, data, len(data), tokens, capacity, add_special, parse_special)
        if n < 0:  # buffer too small: -n is the size needed
            capacity = -n
            tokens = (llama_cpp.llama_token * capacity)()
            n = llama_cpp.llama_tokenize(self.vocab, data, len(data), tokens, capacity, add_special, parse_special)
        out = list(tokens[:n])
        # Chat templates often write the BOS text themselves; with add_special it would appear twice.
        if len(out) >= 2 and out[0] == out[1] == self.bos:
            out.pop(0)
        return out

    def piece(self, token: int) -> bytes:
        """The bytes of one token (cached: this runs once per generated token)."""
        cached = self._pieces.get(token)
        if cached is None:
            n = llama_cpp.llama_token_to_piece(self.vocab, token, self._piece_buf, len(self._piece_buf), 0, False)
            cached = self._piece_buf.raw[: max(n, 0)]
            self._pieces[token] = cached
        return cached

    def is_eog(self, token: int) -> bool:
        cached = self._eog.get(token)
        if cached is None:
            cached = bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))
            self._eog[token] = cached
        return cached

    def render_chat(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> str:
        """The prompt text for a conversation, using the model's own chat template (ChatML if it has none).

        ``tools`` (OpenAI-style function definitions) go to templates that have a tools section; others ignore it.
        """
        if self._chat_template is None:
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
            return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")
        try:
            return self._chat_template.render(
                messages=list(messages),
                tools=list(tools) if tools else None,
                add_generation_prompt=add_generation_prompt,
                bos_token=self._token_text(self.bos),
                eos_token=self._token_text(llama_cpp.llama_vocab_eos(self.vocab)),
            )
        except jinja2.TemplateError as exc:
            raise EngineError(f"the model's chat template rejected the conversation: {exc}") from exc

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return llama_cpp.llama_vocab_get_text(self.vocab, token).decode("utf-8", errors="replace")

    # --- decoding -------------------------------------------------------------------------------------------

    def decode(self) -> int:
        """Run `llama_decode` on the filled batch. 0: ok; 1: no KV slot; 2: aborted; <0: error."""
        ret = int(llama_cpp.llama_decode(self.ctx, self.batch.struct))
        llama_cpp.llama_synchronize(self.ctx)  # so the time measured around this call is the real decode time
        return ret

    def set_threads(self, n: int) -> None:
        """The compute threads of the next decodes (single-token and batched alike); between decodes only."""
        llama_cpp.llama_set_n_threads(self.ctx, n, n)
        self.threads = n

    def logits(self, n_outputs: int) -> np.ndarray:
        """The logits of the last decode: one row per token that asked for them, in batch order (a view)."""
        ptr = llama_cpp.llama_get_logits(self.ctx)
        return np.ctypeslib.as_array(ptr, shape=(n_outputs, self.n_vocab))

    # --- KV cache -------------------------------------------------------------------------------------------

    def seq_rm(self, seq: int, p0: int = -1, p1: int = -1) -> bool:
        return bool(llama_cpp.llama_memory_seq_rm(self.memory, seq, p0, p1))

    def seq_cp(self, src: int, dst: int, p0: int = -1, p1: int = -1) -> None:
        llama_cpp.llama_memory_seq_cp(self.memory, src, dst, p0, p1)

    # --- samplers -------------------------------------------------------------------------------------------

    def new_sampler_chain(self, parts: list[Any]) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        for part in parts:
            llama_cpp.llama_sampler_chain_add(chain, part)
        return chain

    def grammar_sampler(self, gbnf: str) -> Any:
        sampler = llama_cpp.llama_sampler_init_grammar(self.vocab, gbnf.encode("utf-8"), b"root")
        if not sampler:
            raise GrammarError("llama.cpp could not compile the grammar (GBNF syntax error; see the log with -v)")
        return sampler

    def sample(self, chain: Any, batch_index: int) -> int:
        """Apply the whole chain to the logits of one batch token, pick, and accept the pick into the chain."""
        return int(llama_cpp.llama_sampler_sample(chain, self.ctx, batch_index))

    def grammar_allows(self, chain: Any, token: int) -> bool:
        """Whether the grammar (the chain's first sampler) accepts ``token`` next; checks one candidate only."""
        self._one_candidate.id = token
        self._one_candidate.logit = 0.0
        self._one_candidate_array.size = 1
        self._one_candidate_array.selected = -1
        llama_cpp.llama_sampler_apply(llama_cpp.llama_sampler_chain_get(chain, 0), ctypes.byref(self._one_candidate_array))
        return self._one_candidate.logit != float("-inf")

    @staticmethod
    def accept(chain: Any, token: int) -> None:
        llama_cpp.llama_sampler_accept(chain, token)

    @staticmethod
    def free_sampler(chain: Any) -> None:
        llama_cpp.llama_sampler_free(chain)

    def close(self) -> None:
        if self.ctx:
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            llama_cpp.llama_model_free(self.model)
            self.model = None
