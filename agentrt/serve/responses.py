"""Response bodies and stream chunks in OpenAI's shapes (chat completions, completions), built from engine results.

Besides OpenAI's `usage` (with `prompt_tokens_details.cached_tokens`: prompt tokens not computed again), each
final body or chunk carries llama.cpp's `timings` (`prompt_n` tokens prefilled, `cache_n` reused, and their
milliseconds), which clients written for llama-server read.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agentrt.engine import GenerationResult
from agentrt.serve.tools import ParsedOutput


def usage(result: GenerationResult) -> dict[str, Any]:
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": result.cached_tokens},
    }


def timings(result: GenerationResult) -> dict[str, Any]:
    t = result.timings
    return {
        "prompt_n": result.prefilled_tokens, "cache_n": result.cached_tokens, "prompt_ms": t.prefill_ms,
        "predicted_n": result.completion_tokens, "predicted_ms": t.decode_ms, "queued_ms": t.queued_ms,
    }


class ResponseShape:
    """The ids, timestamps and model name shared by every body and chunk of one response."""

    def __init__(self, kind: str, request_id: int, model: str) -> None:
        self.kind = kind
        self.id = f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-{request_id}-{int(time.time() * 1000):x}"
        self.created = int(time.time())
        self.model = model

    # --- whole responses ------------------------------------------------------------------------------------

    def body(self, result: GenerationResult, output: ParsedOutput, finish_reason: str) -> dict[str, Any]:
        if self.kind == "chat":
            message: dict[str, Any] = {"role": "assistant", "content": output.content}
            if output.calls:
                message["tool_calls"] = [call.wire() for call in output.calls]
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": output.content or "", "logprobs": None, "finish_reason": finish_reason}
            obj = "text_completion"
        return {
            "id": self.id, "object": obj, "created": self.created, "model": self.model, "choices": [choice],
            "usage": usage(result), "timings": timings(result),
        }

    # --- stream chunks --------------------------------------------------------------------------------------

    def chunk(self, delta: dict[str, Any] | str | None, finish_reason: str | None = None) -> dict[str, Any]:
        """One chunk: a chat ``delta`` (dict) or completion text (str)."""
        if self.kind == "chat":
            choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "logprobs": None,
                                      "finish_reason": finish_reason}
            obj = "chat.completion.chunk"
        else:
            choice = {"index": 0, "text": delta or "", "logprobs": None, "finish_reason": finish_reason}
            obj = "text_completion"
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model, "choices": [choice]}

    def text_chunk(self, text: str) -> dict[str, Any]:
        return self.chunk({"content": text} if self.kind == "chat" else text)

    def usage_chunk(self, result: GenerationResult) -> dict[str, Any]:
        """The last chunk with `stream_options.include_usage`: no choices, the usage (and llama.cpp's timings)."""
        return {
            "id": self.id, "object": "chat.completion.chunk" if self.kind == "chat" else "text_completion",
            "created": self.created, "model": self.model, "choices": [], "usage": usage(result),
            "timings": timings(result),
        }


def sse(payload: dict[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>`` and a blank line."""
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


SSE_DONE = sse("[DONE]")
