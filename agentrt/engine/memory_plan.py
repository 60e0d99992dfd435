"""`MemoryPlan`: what a configuration will need, computed from the GGUF header before anything is loaded.

The KV cache dominates for many sequences: per sequence it is n_layer x n_ctx x (K + V width) x 2 bytes (f16).
We read those numbers from the file's metadata (`gguf_header` reads only the key/value section: no tensor infos,
no weights), add the weights and a compute-buffer estimate, and refuse a plan that would not fit in available
RAM — a clear error up front instead of the OOM killer in the middle of a run.
"""

from __future__ import annotations

from pathlib import Path

import psutil
from pydantic import BaseModel

from agentrt.engine.config import EngineConfig
from agentrt.engine.gguf_header import STRING, TYPE_NAMES, GGUFArray, GGUFValue, read_gguf_header
from agentrt.errors import MemoryPlanError, ModelFormatError

F16_BYTES = 2
MIB = 1024 * 1024


class ModelShape(BaseModel):
    architecture: str
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    key_length: int
    value_length: int
    n_vocab: int

    @property
    def kv_bytes_per_token(self) -> int:
        return self.n_layer * self.n_head_kv * (self.key_length + self.value_length) * F16_BYTES


class MemoryPlan(BaseModel):
    model_bytes: int
    kv_bytes_per_seq: int
    kv_bytes: int
    compute_bytes: int
    total_bytes: int
    available_bytes: int
    budget_bytes: int

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.budget_bytes

    def describe(self) -> str:
        return (
            f"weights {self.model_bytes / MIB:.0f} MiB + KV {self.kv_bytes / MIB:.0f} MiB "
            f"({self.kv_bytes_per_seq / MIB:.1f} MiB per sequence) + compute ~{self.compute_bytes / MIB:.0f} MiB "
            f"= {self.total_bytes / MIB:.0f} MiB; available {self.available_bytes / MIB:.0f} MiB"
        )


def read_model_shape(path: Path) -> ModelShape:
    """The architecture numbers the memory plan needs, from the GGUF metadata (`ModelFormatError` if damaged)."""
    fields = read_gguf_header(path).fields

    def missing(key: str) -> ModelFormatError:
        return ModelFormatError(f"model file {str(path)!r}: GGUF metadata has no {key!r}")

    def number(key: str, default: int | None = None) -> int:
        value: GGUFValue | None = fields.get(key)
        if value is None:
            if default is None:
                raise missing(key)
            return default
        if isinstance(value, GGUFArray):  # per-layer arrays (e.g. head_count_kv): plan for the largest
            if not value.values:
                what = "empty" if value.length == 0 else f"{value.length} x {TYPE_NAMES.get(value.element_type)}"
                raise ModelFormatError(f"model file {str(path)!r}: GGUF metadata {key!r} is an unusable array ({what})")
            value = max(value.values)
        if isinstance(value, str | float):
            raise ModelFormatError(f"model file {str(path)!r}: GGUF metadata {key!r} is {value!r}, not an integer")
        return int(value)

    arch = fields.get("general.architecture")
    if arch is None:
        raise missing("general.architecture")
    if not isinstance(arch, str):
        raise ModelFormatError(f"model file {str(path)!r}: GGUF metadata 'general.architecture' is not a string")
    n_embd = number(f"{arch}.embedding_length")
    n_head = number(f"{arch}.attention.head_count")
    n_head_kv = number(f"{arch}.attention.head_count_kv", n_head)
    key_length = number(f"{arch}.attention.key_length", n_embd // max(n_head, 1))
    value_length = number(f"{arch}.attention.value_length", key_length)
    tokens = fields.get("tokenizer.ggml.tokens")
    if tokens is not None and not (isinstance(tokens, GGUFArray) and tokens.element_type == STRING):
        raise ModelFormatError(f"model file {str(path)!r}: GGUF metadata 'tokenizer.ggml.tokens' is not a string array")
    return ModelShape(
        architecture=arch,
        n_layer=number(f"{arch}.block_count"),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        key_length=key_length,
        value_length=value_length,
        n_vocab=tokens.length if tokens is not None else 0,
    )


def plan_memory(path: Path, config: EngineConfig, shape: ModelShape | None = None) -> MemoryPlan:
    shape = shape or read_model_shape(path)
    kv_per_seq = shape.kv_bytes_per_token * config.n_ctx
    # Compute buffers: logits for a full batch plus activations; an estimate, reported as such.
    compute = config.n_batch * (shape.n_vocab + 16 * shape.n_embd) * 4
    model_bytes = path.stat().st_size
    available = psutil.virtual_memory().available
    total = model_bytes + kv_per_seq * config.sequences + compute
    return MemoryPlan(
        model_bytes=model_bytes,
        kv_bytes_per_seq=kv_per_seq,
        kv_bytes=kv_per_seq * config.sequences,
        compute_bytes=compute,
        total_bytes=total,
        available_bytes=available,
        budget_bytes=int(available * config.memory_headroom),
    )


def check_plan(plan: MemoryPlan, config: EngineConfig, *, gpu_layers: int) -> None:
    """Refuse a configuration that does not fit in RAM; ``gpu_layers`` is the resolved count (0: CPU only)."""
    if gpu_layers != 0:
        return  # GPU memory is not planned here; llama.cpp reports allocation failures itself
    if not plan.fits:
        raise MemoryPlanError(
            f"sequences={config.sequences} x n_ctx={config.n_ctx} does not fit in memory: {plan.describe()} "
            f"(budget {config.memory_headroom:.0%} of available). Lower sequences or n_ctx."
        )
