"""`ActorSettings`: what each Ray actor's engine looks like and how many actors to start."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine.config import EngineConfig, make_config


class ActorSettings(BaseModel):
    """One engine per actor. ``gpus_per_actor=1`` places one actor per GPU and offloads every layer to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actors: int | None = Field(None, ge=1, description="default: one per GPU in the cluster, else 2")
    model: str = "smollm2"
    sequences: int = Field(4, ge=1, le=256, description="each actor's sequence pool (tasks it runs at once)")
    n_ctx: int = Field(2048, ge=64)
    threads: int | None = Field(None, ge=1, description="llama.cpp threads per actor (default: the actor's CPUs)")
    cpus_per_actor: float = Field(1.0, gt=0)
    gpus_per_actor: float = Field(0.0, ge=0)

    def engine_config(self) -> EngineConfig:
        """Each actor's engine: llama.cpp threads default to the actor's CPUs; a GPU actor offloads every layer."""
        return make_config(
            model=self.model, sequences=self.sequences, n_ctx=self.n_ctx,
            threads=self.threads or max(1, int(self.cpus_per_actor)),
            gpu_layers=-1 if self.gpus_per_actor > 0 else 0,
        )
