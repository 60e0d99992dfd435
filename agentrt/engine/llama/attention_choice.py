"""``flash_attn: measured``: flash attention on or off on a CPU, timed once per model and machine.

llama.cpp's own "auto" turns flash attention on wherever the backend has it. On a CPU that is not always the
faster path. Measured on a 2-core Intel Xeon (llama-batched-bench, 1,300 tokens of context, 2 threads, decode
tokens/s at 1 and 4 sequences, on / off): SmolLM2-135M 34 / 63 and 45 / 94, Qwen2.5-Coder-0.5B 17 / 24 and
30 / 54, but Qwen2.5-Coder-1.5B 15.4 / 14.8 and 28.2 / 27.4 and Gemma 3 270M 45 / 43 and 115 / 100. llama.cpp
issue #27086 reports 2-5x slower prefill with it on Arm Neoverse V2 and the opposite sign on an Intel laptop.
The difference follows the kernel, the model's head size and the CPU, so it is measured here rather than guessed.
It is opt-in: with flash attention off, a greedy or seeded reply can change with the batch and with how much of
its prompt came from the KV cache (README: "Flash attention on a CPU").

The measurement: a small throw-away context per setting, one prompt of `PROBE_CONTEXT` tokens prefilled in each
(timed) and copied to the other sequences, then decode steps of every sequence at that depth, the two contexts
in turns (timed). The cost of an agent's token is taken as `PROMPT_TOKENS_PER_GENERATED` prompt tokens plus one generated token (a GAIA pass
processes about two prompt tokens per generated one), and the cheaper setting wins unless it saves less than
`MARGIN` (then llama.cpp's own choice stays). It takes a few seconds per setting and is cached by model file,
CPU, thread count and llama.cpp version in ``$AGENTRT_CACHE/attention.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from agentrt.engine.llama.batch import Batch
from agentrt.model_parts import cache_dir

PROBE_CONTEXT = 512  # tokens of context the decode is timed at: an agent turn's context is 500-3,000 tokens
PROBE_SEQUENCES = 4
PROBE_STEPS = 8
PROMPT_TOKENS_PER_GENERATED = 2.0
MARGIN = 0.05  # a setting must be this much cheaper to replace llama.cpp's default (on)
CACHE_FILE = "attention.json"
FLASH_ATTN_TYPE = {"auto": -1, "off": 0, "on": 1}  # llama_flash_attn_type: AUTO, DISABLED, ENABLED


@dataclass(frozen=True)
class AttentionChoice:
    flash_attn: bool
    reason: str  # what was measured (or that it was read from the cache), for the engine.ready event


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cache_key(model_path: Path, threads: int) -> str:
    stat = model_path.stat()
    return f"{model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{cpu_name()}|{threads}|{llama_cpp.__version__}"


def _cache_path() -> Path:
    return cache_dir().parent / CACHE_FILE


def _read_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(key: str, entry: dict[str, Any]) -> None:
    path = _cache_path()
    data = _read_cache() | {key: entry}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(path)  # whole or not at all: two engines starting at once must not leave half a file
    except OSError:
        pass  # a read-only home: measure again next time


def cached_flash_attn(model_path: Path, threads: int) -> AttentionChoice | None:
    """The choice measured earlier for this model, machine and thread count, if any (nothing is measured)."""
    cached = _read_cache().get(_cache_key(model_path, threads))
    if isinstance(cached, dict) and isinstance(cached.get("flash_attn"), bool):
        return AttentionChoice(cached["flash_attn"], f"{cached.get('measured', 'measured')} (cached)")
    return None


def choose_flash_attn(model: Any, model_path: Path, threads: int) -> AttentionChoice:
    """Flash attention on or off for this CPU engine (the model is loaded; no context exists yet)."""
    cached = cached_flash_attn(model_path, threads)
    if cached is not None:
        return cached
    costs = _probe(model, threads)
    per_token = {s: PROMPT_TOKENS_PER_GENERATED * prefill + decode for s, (prefill, decode) in costs.items()}
    choice = not (per_token[False] < (1.0 - MARGIN) * per_token[True])
    measured = "; ".join(
        f"flash attention {'on' if s else 'off'}: prefill {1e3 * p:.1f} ms/token, decode {1e3 * d:.1f} ms/token "
        f"({PROBE_SEQUENCES} sequences at {PROBE_CONTEXT} tokens)"
        for s, (p, d) in costs.items()
    )
    _write_cache(_cache_key(model_path, threads), {"flash_attn": choice, "measured": measured})
    return AttentionChoice(choice, measured)


def _probe(model: Any, threads: int) -> dict[bool, tuple[float, float]]:
    """Seconds per prompt token and per generated token (at `PROBE_SEQUENCES` sequences), flash attention on and
    off. Both contexts are timed in turns, step by step, so that a machine whose speed drifts (another process, a
    VM neighbour) slows both alike; medians, the first step of each left out."""
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
    contexts: dict[bool, Any] = {}
    try:
        for setting in (True, False):
            contexts[setting] = _probe_context(model, setting, threads)
        tokens = [(17 + 7 * i) % n_vocab for i in range(PROBE_CONTEXT)]  # any tokens: only the timing matters
        batch = Batch(PROBE_CONTEXT)
        prefill: dict[bool, float] = {}
        for setting, ctx in contexts.items():
            batch.clear()
            batch.add_span(tokens[:16], 0, 0, logits_last=True)
            _decode(ctx, batch)  # warm-up: the first decode also allocates and touches the weights
            memory = llama_cpp.llama_get_memory(ctx)
            llama_cpp.llama_memory_seq_rm(memory, 0, -1, -1)
            batch.clear()
            batch.add_span(tokens, 0, 0, logits_last=True)
            prefill[setting] = _timed(ctx, batch) / PROBE_CONTEXT
            for seq in range(1, PROBE_SEQUENCES):
                llama_cpp.llama_memory_seq_cp(memory, 0, seq, -1, -1)
        steps: dict[bool, list[float]] = {True: [], False: []}
        for step in range(PROBE_STEPS + 1):
            batch.clear()
            for seq in range(PROBE_SEQUENCES):
                batch.add(tokens[step], PROBE_CONTEXT + step, seq, logits=True)
            for setting, ctx in contexts.items():
                steps[setting].append(_timed(ctx, batch))
        return {s: (prefill[s], statistics.median(steps[s][1:]) / PROBE_SEQUENCES) for s in contexts}
    finally:
        for ctx in contexts.values():
            llama_cpp.llama_free(ctx)


def _probe_context(model: Any, flash_attn: bool, threads: int) -> Any:
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_ctx = PROBE_SEQUENCES * (PROBE_CONTEXT + 2 * PROBE_STEPS + 8)
    cparams.n_batch = cparams.n_ubatch = PROBE_CONTEXT
    cparams.n_seq_max = PROBE_SEQUENCES
    cparams.n_threads = cparams.n_threads_batch = threads
    cparams.kv_unified = False
    cparams.flash_attn_type = FLASH_ATTN_TYPE["on" if flash_attn else "off"]
    cparams.no_perf = True
    ctx = llama_cpp.llama_init_from_model(model, cparams)
    if not ctx:
        raise RuntimeError("llama.cpp could not create the attention probe's context")
    return ctx


def _timed(ctx: Any, batch: Batch) -> float:
    started = time.perf_counter()
    _decode(ctx, batch)
    return time.perf_counter() - started


def _decode(ctx: Any, batch: Batch) -> None:
    if llama_cpp.llama_decode(ctx, batch.struct) != 0:
        raise RuntimeError("llama_decode failed in the attention probe")
    llama_cpp.llama_synchronize(ctx)


def measured_flash_attn(model_path: Path, threads: int) -> str:
    """``on`` or ``off``: the choice an engine with ``flash_attn: measured`` makes on this CPU, for benchmarks that
    must give llama.cpp's own tools the same setting. Read from the cache, or measured (loading the model's
    weights here) and cached."""
    cached = cached_flash_attn(model_path, threads)
    if cached is None:
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = 0
        model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), params)
        if not model:
            raise RuntimeError(f"llama.cpp could not load {model_path} for the attention probe")
        try:
            cached = choose_flash_attn(model, model_path, threads)
        finally:
            llama_cpp.llama_model_free(model)
    return "on" if cached.flash_attn else "off"
