"""`EngineConfig`: everything needed to load one model and size its sequence pool."""

from __future__ import annotations

import os

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentrt.errors import ConfigError, describe_validation_error

# llama.cpp's compile-time limit on sequences per context (LLAMA_MAX_SEQ in llama-cparams.h).
LLAMA_MAX_SEQ = 256


def _default_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class EngineConfig(BaseModel):
    """How to load the model and size the pool. Validated before anything is loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field("smollm2", description="a named model (`agentrt models`) or a path to a .gguf file")
    sequences: int = Field(4, ge=1, description="sequence pool size (llama.cpp n_seq_max)")
    n_ctx: int = Field(2048, ge=64, description="context window of EACH sequence, in tokens")
    n_batch: int = Field(512, ge=16, description="most tokens in one llama_decode (decode + prefill)")
    prefill_chunk: int = Field(256, ge=8, description="most prompt tokens of one sequence per step")
    threads: int = Field(default_factory=_default_threads, ge=1)
    kv_unified: bool = Field(
        False,
        description="one KV buffer shared by all sequences; per-sequence streams (False) are 2x faster at 128",
    )
    gpu_layers: int = Field(0, ge=-1, description="layers offloaded to a GPU (-1: all); 0 on CPU builds")
    flash_attn: bool | None = Field(None, description="None lets llama.cpp decide")
    memory_headroom: float = Field(0.9, gt=0.0, le=1.0, description="share of available RAM we may plan to use")

    @model_validator(mode="after")
    def _check(self) -> EngineConfig:
        if self.sequences > LLAMA_MAX_SEQ:
            raise ValueError(
                f"sequences={self.sequences} is more than llama.cpp allows in one context ({LLAMA_MAX_SEQ})"
            )
        if self.prefill_chunk > self.n_batch:
            raise ValueError(f"prefill_chunk={self.prefill_chunk} is larger than n_batch={self.n_batch}")
        if self.sequences > self.n_batch:
            raise ValueError(
                f"n_batch={self.n_batch} cannot hold one decode token for each of {self.sequences} sequences"
            )
        return self

    @property
    def n_ctx_total(self) -> int:
        return self.n_ctx * self.sequences


def make_config(config: EngineConfig | None = None, **overrides: Any) -> EngineConfig:
    """An `EngineConfig` from a base config and keyword overrides; bad values raise `ConfigError`."""
    try:
        base = config.model_dump() if config is not None else {}
        return EngineConfig(**{**base, **overrides})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, "engine config")) from exc
