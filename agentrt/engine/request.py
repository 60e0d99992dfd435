"""The values that cross the engine's edge: chat messages, requests, results, streamed chunks."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentrt.engine.sampling import GREEDY, Sampling
from agentrt.errors import OutputParseError

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "loop", "cancelled"]  # loop: see stop_on_loop


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str


class GenerationRequest(BaseModel):
    """One generation on one sequence: chat messages (rendered with the model's template) or a raw prompt."""

    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage] | None = None
    prompt: str | None = None
    max_tokens: int = Field(256, ge=1)
    stop: list[str] = Field(default_factory=list)
    sampling: Sampling = GREEDY
    json_schema: dict[str, Any] | None = None
    grammar: str | None = Field(None, description="GBNF grammar text")
    ignore_eos: bool = False
    stop_on_loop: bool = Field(
        False,
        description="end with finish_reason 'loop' once the output ends in one block of tokens repeated over and "
        "over (agentrt/engine/loops.py); the in-process engine only, others ignore it",
    )

    @model_validator(mode="after")
    def _one_input(self) -> GenerationRequest:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give exactly one of `messages` or `prompt`")
        if self.messages is not None and not self.messages:
            raise ValueError("`messages` is empty")
        if self.json_schema is not None and self.grammar is not None:
            raise ValueError("give at most one of `json_schema` or `grammar`")
        if any(not s for s in self.stop):
            raise ValueError("`stop` contains an empty string")
        return self


class Timings(BaseModel):
    queued_ms: float = 0.0  # waiting for the owner thread to admit the request
    prefill_ms: float = 0.0  # admission → first generated token
    decode_ms: float = 0.0  # first token → last token
    total_ms: float = 0.0


class GenerationResult(BaseModel):
    text: str
    finish_reason: FinishReason
    seq_id: int
    prompt_tokens: int  # the whole prompt, in tokens
    cached_tokens: int  # of those, already in the KV cache (not prefilled again), shared_tokens included
    shared_tokens: int = 0  # of the cached ones, copied from another sequence's KV (a shared system prompt)
    completion_tokens: int
    timings: Timings

    @property
    def cut_off(self) -> bool:
        """Whether the output was cut off before the model ended it: at max_tokens, or in a loop."""
        return self.finish_reason in ("length", "loop")

    @property
    def prefilled_tokens(self) -> int:
        """Prompt tokens this request computed (the rest came from a KV cache): what `agentrt serve` reports."""
        return self.prompt_tokens - self.cached_tokens

    @property
    def tokens_per_s(self) -> float:
        """This sequence's own decode speed (tokens after the first, over the time they took)."""
        ms = self.timings.decode_ms
        return 0.0 if ms <= 0 or self.completion_tokens < 2 else 1000.0 * (self.completion_tokens - 1) / ms

    def json(self) -> Any:  # type: ignore[override]
        """The text parsed as JSON (for schema-constrained requests)."""
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise OutputParseError(f"model output is not JSON at char {exc.pos}: {self.text[:200]!r}") from exc


class TokenChunk(BaseModel):
    """One piece of streamed output. ``text`` may be empty while a multi-byte character is incomplete."""

    text: str
    token_id: int
    index: int  # 0-based position among the generated tokens
