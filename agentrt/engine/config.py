"""`EngineConfig`: everything needed to load one model and size its sequence pool.

``threads`` and ``gpu_layers`` are machine settings more than model settings, so besides the config (the graph
YAML's ``model:``, ``--threads``/``--gpu-layers``) they come from the environment: AGENTRT_THREADS and
AGENTRT_GPU_LAYERS give the default wherever nothing explicit is set. Precedence: command line, then the
graph's ``model:``, then the environment, then ``auto``.
"""

from __future__ import annotations

import os
from typing import Any, Literal


from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agentrt.errors import ConfigError, describe_validation_error

# llama.cpp's compile-time limit on sequences per context (LLAMA_MAX_SEQ in llama-cparams.h).
LLAMA_MAX_SEQ = 256

THREADS_ENV = "AGENTRT_THREADS"
GPU_LAYERS_ENV = "AGENTRT_GPU_LAYERS"

# ``auto`` threads follow the free cores at run time (agentrt.engine.threads); a number fixes the count.
ThreadsSetting = int | Literal["auto"]
# ``auto`` offloads every layer when llama.cpp was built with a GPU backend, none otherwise; -1 is every layer.
GpuLayersSetting = int | Literal["auto"]
# ``auto`` is llama.cpp's choice (on wherever the backend has flash attention). On a CPU the faster setting depends
# on the model and the CPU (README: "Flash attention on a CPU"): ``measured`` takes the faster of the two for this
# model and machine, timed once and cached (engine/llama/attention_choice.py). It is not the default because with
# flash attention off a greedy or seeded reply can change with the batch and with how much of the prompt was cached.
FlashAttnSetting = Literal["auto", "on", "off", "measured"]
# The `EngineConfig` fields that are about this machine rather than the job: a graph may set them, and a command
# line's --threads / --gpu-layers / --flash-attn override the graph.
MACHINE_SETTINGS = ("threads", "gpu_layers", "flash_attn")


def machine_settings_of(source: object) -> dict[str, Any]:
    """The machine settings ``source`` (parsed CLI arguments, a graph's or a server's settings) gives: those not
    None, for `EngineConfig` keyword overrides."""
    return {k: v for k in MACHINE_SETTINGS if (v := getattr(source, k, None)) is not None}


def parse_threads(value: object, *, where: str = "threads") -> ThreadsSetting:
    """``auto`` or a whole number ≥ 1, from a CLI flag, an environment variable or YAML."""
    return _parse_auto_or_int(value, where=where, minimum=1, expected="'auto' or a whole number of threads ≥ 1")


def parse_flash_attn(value: object, *, where: str = "flash_attn") -> FlashAttnSetting:
    """``auto``, ``on``, ``off`` or ``measured``; YAML's unquoted on/off arrive as booleans; None (not given) is auto."""
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = value.strip().lower() if isinstance(value, str) else None
    named: dict[str | None, FlashAttnSetting] = {
        "auto": "auto", "on": "on", "off": "off", "measured": "measured", "true": "on", "false": "off",
    }
    if text not in named:
        raise ValueError(f"{where}={value!r}: expected 'auto', 'on', 'off' or 'measured'")
    return named[text]


def parse_gpu_layers(value: object, *, where: str = "gpu_layers") -> GpuLayersSetting:
    """``auto``, -1 (every layer) or a number of layers ≥ 0."""
    return _parse_auto_or_int(value, where=where, minimum=-1, expected="'auto', -1 (all) or a number of layers ≥ 0")


def _parse_auto_or_int(value: object, *, where: str, minimum: int, expected: str) -> int | Literal["auto"]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < minimum:
            raise ValueError(f"{where}={value}: expected {expected}")
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text == "auto":
        return "auto"
    try:
        number = int(text) if text is not None else None
    except ValueError:
        number = None
    if number is None:
        raise ValueError(f"{where}={value!r}: expected {expected}")
    return _parse_auto_or_int(number, where=where, minimum=minimum, expected=expected)


def gpu_layers_for(setting: GpuLayersSetting, *, gpu_offload: bool) -> int:
    """Layers to offload: ``auto`` is every layer (-1) when the backend can offload (``gpu_offload``: llama.cpp
    built with a GPU backend), none on a CPU build."""
    if setting == "auto":
        return -1 if gpu_offload else 0
    return setting


def _from_env(name: str, parse: Any) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return "auto"
    try:
        return parse(raw, where=name)
    except ValueError as exc:
        raise ConfigError(f"environment: {exc}") from None


def _default_threads() -> ThreadsSetting:
    return _from_env(THREADS_ENV, parse_threads)  # type: ignore[no-any-return]


def _default_gpu_layers() -> GpuLayersSetting:
    return _from_env(GPU_LAYERS_ENV, parse_gpu_layers)  # type: ignore[no-any-return]


class EngineConfig(BaseModel):
    """How to load the model and size the pool. Validated before anything is loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field("smollm2", description="a named model (`agentrt models`) or a path to a .gguf file")
    sequences: int = Field(4, ge=1, description="sequence pool size (llama.cpp n_seq_max)")
    n_ctx: int = Field(2048, ge=64, description="context window of EACH sequence, in tokens")
    n_batch: int = Field(512, ge=16, description="most tokens in one llama_decode (decode + prefill)")
    prefill_chunk: int = Field(256, ge=8, description="most prompt tokens of one sequence per step")
    threads: ThreadsSetting = Field(
        default_factory=_default_threads,
        description="compute threads: 'auto' follows the free cores at run time, a number fixes the count "
        f"(default: {THREADS_ENV}, else auto)",
    )
    kv_unified: bool = Field(
        False,
        description="one KV buffer shared by all sequences; per-sequence streams (False) are 2x faster at 128",
    )
    gpu_layers: GpuLayersSetting = Field(
        default_factory=_default_gpu_layers,
        description=f"layers offloaded to a GPU: -1 all, 0 none, 'auto' all when llama.cpp has a GPU backend "
        f"(default: {GPU_LAYERS_ENV}, else auto)",
    )
    flash_attn: FlashAttnSetting = Field(
        "auto",
        description="flash attention: auto (llama.cpp's choice), on, off, or measured (on a CPU the faster of on "
        "and off for this model and machine, timed once and cached; with a GPU llama.cpp's choice)",
    )
    memory_headroom: float = Field(0.9, gt=0.0, le=1.0, description="share of available RAM we may plan to use")

    @field_validator("threads", mode="before")
    @classmethod
    def _threads(cls, value: object) -> ThreadsSetting:
        return parse_threads(value)

    @field_validator("gpu_layers", mode="before")
    @classmethod
    def _gpu_layers(cls, value: object) -> GpuLayersSetting:
        return parse_gpu_layers(value)

    @field_validator("flash_attn", mode="before")
    @classmethod
    def _flash_attn(cls, value: object) -> FlashAttnSetting:
        return parse_flash_attn(value)

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
