"""What an engine is started from, and what a graph file's ``model:`` and ``engine:`` sections mean.

`EngineSettings` is an `EngineConfig` (the in-process llama.cpp engine) or a `RemoteEngineConfig`
(OpenAI-compatible servers); `agentrt.engine.start.start_engine` starts either. A graph's ``model:`` section is
`ModelSettings` and its ``engine:`` section `EnginePlacement`; `settings_for` turns them into `EngineSettings`,
so the graph layer validates its sections without knowing what either engine needs. Plain pydantic: nothing
here loads llama.cpp or an HTTP client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentrt.engine.config import (
    EngineConfig,
    FlashAttnSetting,
    GpuLayersSetting,
    ThreadsSetting,
    machine_settings_of,
    make_config,
    parse_flash_attn,
    parse_gpu_layers,
    parse_threads,
)
from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig
from agentrt.errors import ConfigError, describe_validation_error

EngineSettings = EngineConfig | RemoteEngineConfig


class ModelSettings(BaseModel):
    """The shared engine: which model and how many sequences (the concurrency bound) of what context size.

    Every field is the `EngineConfig` field of the same name: a setting added there that graphs may choose is
    added here too, and reaches the engine through `settings_for` with no other change.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = "smollm2"
    sequences: int = Field(4, ge=1, le=256)
    n_ctx: int = Field(2048, ge=64)
    # Machine settings: unset (None) leaves them to --threads/--gpu-layers/--flash-attn, AGENTRT_THREADS /
    # AGENTRT_GPU_LAYERS, auto.
    threads: ThreadsSetting | None = Field(None, description="compute threads: auto (follow the free cores) or N")
    gpu_layers: GpuLayersSetting | None = Field(None, description="layers on a GPU: auto, -1 (all) or N")
    flash_attn: FlashAttnSetting | None = Field(None, description="flash attention: auto, on, off or measured")

    @field_validator("threads", mode="before")
    @classmethod
    def _threads(cls, value: Any) -> Any:
        return None if value is None else parse_threads(value)

    @field_validator("gpu_layers", mode="before")
    @classmethod
    def _gpu_layers(cls, value: Any) -> Any:
        return None if value is None else parse_gpu_layers(value)

    @field_validator("flash_attn", mode="before")
    @classmethod
    def _flash_attn(cls, value: Any) -> Any:
        return None if value is None else parse_flash_attn(value)

    def engine_overrides(self) -> dict[str, Any]:
        """The `EngineConfig` fields these settings give (machine settings only where set)."""
        fields = {"model": self.model, "sequences": self.sequences, "n_ctx": self.n_ctx}
        return fields | machine_settings_of(self)


class EnginePlacement(BaseModel):
    """Where the model runs: in this process (the default), or on OpenAI-compatible servers (`RemoteEngine`).

    With ``remote``, ``model.sequences`` is each server's concurrency limit unless an entry names its own
    (``{url: ..., concurrency: 8, kind: vllm}``); ``model.model`` and ``model.n_ctx`` are the servers' business.
    """

    model_config = ConfigDict(extra="forbid")

    remote: list[EndpointConfig] = Field(default_factory=list, description="server URLs (or endpoint mappings)")


def remote_config(endpoints: Sequence[str | EndpointConfig], *, concurrency: int, where: str) -> RemoteEngineConfig:
    """A validated config; bad URLs raise `ConfigError` naming ``where`` (``--remote``, ``engine.remote``)."""
    try:
        return RemoteEngineConfig(
            endpoints=[e if isinstance(e, EndpointConfig) else EndpointConfig(url=e) for e in endpoints],
            concurrency=concurrency,
        )
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, where)) from exc


def settings_for(
    model: ModelSettings, remote: Sequence[str | EndpointConfig] = (), *, where: str = "engine.remote"
) -> EngineSettings:
    """The engine a graph's sections describe: the ``remote`` servers when there are any (each takes as many
    requests at once as the graph's pool size, unless its entry says otherwise), else the in-process engine
    sized by ``model``. ``where`` names the setting the servers came from, for errors."""
    if remote:
        return remote_config(remote, concurrency=model.sequences, where=where)
    return make_config(**model.engine_overrides())
