"""The OpenAI-compatible wire format: a `GenerationRequest` as a request body for one kind of server, and
response bodies / stream chunks back as our result types.

Servers differ in the extensions they take. What each kind gets (and what raises `UnsupportedByServerError`):

=================  ==============================  =====================  ===========================
kind               json_schema                     grammar (GBNF)         ignore_eos
=================  ==============================  =====================  ===========================
llama.cpp          response_format json_object     ``grammar``            ``ignore_eos``
                   + schema (``json_schema`` on
                   /v1/completions)
llama-cpp-python   response_format json_object     ``grammar``            ``min_tokens = max_tokens``
                   + schema (chat); a GBNF made
                   from the schema (completions)
vllm               response_format json_schema     unsupported            ``ignore_eos``
openai             response_format json_schema     unsupported            unsupported
=================  ==============================  =====================  ===========================
"""

from __future__ import annotations

from typing import Any, Literal

from agentrt.engine.request import FinishReason, GenerationRequest
from agentrt.errors import GrammarError
from agentrt.engine.remote.config import ServerKind
from agentrt.engine.remote.errors import UnsupportedByServerError

CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"

ResolvedKind = Literal["llama.cpp", "llama-cpp-python", "vllm", "openai"]

# `owned_by` of GET /v1/models, as each server fills it in. `agentrt serve` takes llama.cpp's extensions
# (grammar, ignore_eos, a schema in response_format json_object, top_k, min_p, repeat_penalty): the same dialect.
_OWNED_BY: dict[str, ResolvedKind] = {
    "llamacpp": "llama.cpp", "me": "llama-cpp-python", "vllm": "vllm", "agentrt": "llama.cpp",
}


def detect_kind(models_body: dict[str, Any]) -> ResolvedKind:
    """Which server this is, from its GET /v1/models answer; unknown servers are treated as plain OpenAI."""
    data = models_body.get("data") or []
    owned_by = str(data[0].get("owned_by", "")) if data and isinstance(data[0], dict) else ""
    return _OWNED_BY.get(owned_by, "openai")


def first_model(models_body: dict[str, Any]) -> str | None:
    data = models_body.get("data") or []
    return str(data[0]["id"]) if data and isinstance(data[0], dict) and "id" in data[0] else None


def build_body(
    request: GenerationRequest, *, kind: ServerKind, model: str | None, stream: bool, where: str
) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) for ``request`` on a server of ``kind``. ``where`` names the endpoint in errors."""
    chat = request.messages is not None
    body: dict[str, Any] = {"max_tokens": request.max_tokens, "stream": stream}
    if model is not None:
        body["model"] = model
    if chat:
        body["messages"] = [m.model_dump() for m in request.messages or []]
    else:
        body["prompt"] = request.prompt
    if request.stop:
        body["stop"] = list(request.stop)
    if stream and kind in ("vllm", "openai", "llama.cpp"):
        body["stream_options"] = {"include_usage": True}
    _add_sampling(body, request, kind, where)
    _add_constraint(body, request, kind, chat, where)
    if request.ignore_eos:
        if kind in ("llama.cpp", "vllm"):
            body["ignore_eos"] = True
        elif kind == "llama-cpp-python":
            body["min_tokens"] = request.max_tokens  # its server has no ignore_eos; this has the same effect
        else:
            raise UnsupportedByServerError(f"{where}: ignore_eos is not supported by a plain OpenAI-compatible server")
    if kind == "llama.cpp":
        body["cache_prompt"] = True  # reuse the slot's KV cache for the shared prefix of the conversation
    return (CHAT_PATH if chat else COMPLETIONS_PATH), body


def _add_sampling(body: dict[str, Any], request: GenerationRequest, kind: ServerKind, where: str) -> None:
    s = request.sampling
    body["temperature"] = s.temperature
    body["top_p"] = s.top_p
    if s.seed is not None:
        body["seed"] = s.seed
    if kind == "openai":
        if s.repeat_penalty != 1.0 or s.min_p != 0.0:
            raise UnsupportedByServerError(
                f"{where}: repeat_penalty and min_p are not part of the plain OpenAI API; name the server kind "
                "(llama.cpp, llama-cpp-python, vllm) if it takes them"
            )
        return
    body["top_k"] = s.top_k
    body["min_p"] = s.min_p
    if kind == "vllm":
        body["repetition_penalty"] = s.repeat_penalty
    else:
        body["repeat_penalty"] = s.repeat_penalty
        if kind == "llama.cpp":
            body["repeat_last_n"] = s.repeat_last_n


def _add_constraint(body: dict[str, Any], request: GenerationRequest, kind: ServerKind, chat: bool, where: str) -> None:
    if request.json_schema is not None:
        schema = request.json_schema
        if kind in ("llama.cpp", "llama-cpp-python") and chat:
            body["response_format"] = {"type": "json_object", "schema": schema}
        elif kind == "llama.cpp":
            body["json_schema"] = schema
        elif kind == "llama-cpp-python":
            # Its /v1/completions takes no response_format; the same grammar its chat endpoint would build.
            body["grammar"] = schema_to_gbnf(schema, where)
        else:
            body["response_format"] = {
                "type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True},
            }
    elif request.grammar is not None:
        if kind not in ("llama.cpp", "llama-cpp-python"):
            raise UnsupportedByServerError(
                f"{where}: a {kind} server takes no GBNF grammar; use json_schema, or a llama.cpp server"
            )
        body["grammar"] = request.grammar


def schema_to_gbnf(schema: dict[str, Any], where: str) -> str:
    import json

    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # the converter raises plain exceptions for schemas it cannot express
        raise GrammarError(f"{where}: JSON schema cannot be turned into a grammar: {exc}") from exc


def finish_reason(value: Any) -> FinishReason:
    # Servers add their own ("tool_calls", "abort", None); only "length" changes what a caller does.
    return "length" if value == "length" else "stop"


def choice_text(choice: dict[str, Any], *, delta: bool) -> str:
    """The text of one choice: chat (``message`` / ``delta``) or completion (``text``)."""
    if "text" in choice:
        return str(choice.get("text") or "")
    part = choice.get("delta" if delta else "message") or {}
    return str(part.get("content") or "")


class Usage:
    """Token counts and server timings from a response body or a stream's last chunk, where the server gives them."""

    def __init__(self) -> None:
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.cached_tokens: int = 0
        self.prefill_ms: float | None = None
        self.decode_ms: float | None = None

    def update(self, body: dict[str, Any]) -> None:
        usage = body.get("usage")
        if isinstance(usage, dict):
            if isinstance(usage.get("prompt_tokens"), int):
                self.prompt_tokens = usage["prompt_tokens"]
            if isinstance(usage.get("completion_tokens"), int):
                self.completion_tokens = usage["completion_tokens"]
            details = usage.get("prompt_tokens_details")
            if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
                self.cached_tokens = details["cached_tokens"]  # vLLM, OpenAI
        timings = body.get("timings")
        if isinstance(timings, dict):  # llama.cpp's server
            if isinstance(timings.get("cache_n"), int):
                self.cached_tokens = timings["cache_n"]
            if isinstance(timings.get("prompt_ms"), (int, float)):
                self.prefill_ms = float(timings["prompt_ms"])
            if isinstance(timings.get("predicted_ms"), (int, float)):
                self.decode_ms = float(timings["predicted_ms"])
