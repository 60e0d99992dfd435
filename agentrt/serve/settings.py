"""`ServeSettings`: what `agentrt serve` is started with (the CLI flags), validated before the model loads."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine.config import (
    EngineConfig,
    FlashAttnSetting,
    GpuLayersSetting,
    ThreadsSetting,
    machine_settings_of,
    make_config,
)
from agentrt.models import DEFAULT_MODEL


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(DEFAULT_MODEL, description="a named model (`agentrt models`) or a .gguf path")
    sequences: int = Field(4, ge=1, description="sequences: requests generating at the same time")
    n_ctx: int = Field(4096, ge=64, description="context of each sequence, in tokens")
    threads: ThreadsSetting | None = Field(None, description="compute threads (default: $AGENTRT_THREADS, else auto)")
    gpu_layers: GpuLayersSetting | None = Field(None, description="layers on a GPU (default: $AGENTRT_GPU_LAYERS, else auto)")
    flash_attn: FlashAttnSetting | None = Field(None, description="flash attention: auto (default), on, off or measured")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535, description="0 picks a free port (printed once listening)")
    api_key: str | None = Field(None, repr=False, description="clients must send `Authorization: Bearer KEY`")
    max_queue: int = Field(64, ge=0, description="requests that may wait for a sequence; beyond: 429")
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="larger request bodies get 413")
    name: str | None = Field(None, description="the model id clients send and /v1/models lists")
    run_dir: Path | None = Field(None, description="where events.jsonl goes (agentrt watch follows it)")

    def engine_config(self) -> EngineConfig:
        """The engine's settings: the machine settings given here, the environment's (or auto) for the rest."""
        return make_config(model=self.model, sequences=self.sequences, n_ctx=self.n_ctx, **machine_settings_of(self))

    @property
    def served_name(self) -> str:
        """The model id: --name, else a named model's name, else the GGUF file's stem."""
        if self.name:
            return self.name
        path = Path(self.model)
        return path.stem if path.suffix == ".gguf" else self.model
