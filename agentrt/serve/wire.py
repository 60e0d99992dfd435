"""The OpenAI wire format, as pydantic models of the request bodies this server accepts.

Bodies are validated in strict mode (``"max_tokens": "5"`` is an error, not 5), so a wrong type is reported with
the field's name. Fields this server does not know are ignored, as OpenAI-compatible servers do (SDKs add new
ones over time); fields it knows but cannot honour (``n`` > 1, ``logprobs``, penalties) are refused by name
(`refuse_unsupported`, after validation).

Besides OpenAI's fields, llama.cpp's server extensions are accepted (`top_k`, `min_p`, `repeat_penalty`,
`repeat_last_n`, `grammar`, `ignore_eos`, `json_schema` on completions, a `schema` inside a ``json_object``
response format), so that clients written for llama-server (agentrt's own `RemoteEngine` among them) work as is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentrt.serve.errors import ApiError

_REQUEST = ConfigDict(extra="ignore", strict=True, populate_by_name=True)
_PART = ConfigDict(extra="ignore", strict=True, populate_by_name=True, frozen=True)

FUNCTION_NAME = r"^[a-zA-Z0-9_-]{1,64}$"
MAX_STOPS = 16
MAX_STOP_CHARS = 500


class TextPart(BaseModel):
    model_config = _PART
    type: Literal["text"]
    text: str


class FunctionCall(BaseModel):
    model_config = _PART
    name: str
    arguments: str


class ToolCall(BaseModel):
    model_config = _PART
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    model_config = _PART

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Message:
        if self.role == "assistant":
            if self.content is None and not self.tool_calls:
                raise ValueError("an assistant message needs `content` or `tool_calls`")
        elif self.content is None:
            raise ValueError(f"a {self.role} message needs `content`")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs `tool_call_id` (the id of the call it answers)")
        return self

    @property
    def text(self) -> str:
        """The content as one string (text parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class FunctionDef(BaseModel):
    model_config = _PART
    name: Annotated[str, Field(pattern=FUNCTION_NAME)]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDef(BaseModel):
    model_config = _PART
    type: Literal["function"]
    function: FunctionDef


class NamedFunction(BaseModel):
    model_config = _PART
    name: str


class NamedToolChoice(BaseModel):
    model_config = _PART
    type: Literal["function"]
    function: NamedFunction


class JsonSchemaFormat(BaseModel):
    model_config = _PART
    name: str = "output"
    description: str | None = None
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    model_config = _PART
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")  # llama.cpp: a schema with type json_object

    @model_validator(mode="after")
    def _check(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs a `json_schema` object with the `schema`")
        return self


class StreamOptions(BaseModel):
    model_config = _PART
    include_usage: bool = False


class GenerationFields(BaseModel):
    """What chat and completion requests share: sampling, limits, streaming."""

    model_config = _REQUEST

    model: str
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    stop: str | list[str] | None = None
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1)] = 1
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    user: str | None = None
    # llama.cpp server extensions
    top_k: Annotated[int, Field(ge=0)] | None = None
    min_p: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    repeat_penalty: Annotated[float, Field(gt=0.0, le=5.0)] | None = None
    repeat_last_n: Annotated[int, Field(ge=0)] | None = None
    grammar: str | None = None
    ignore_eos: bool = False

    def refuse_unsupported(self) -> None:
        """Raise `ApiError` for a well-typed value this server cannot serve, naming the field."""
        if self.n != 1:
            raise _unsupported("n", "only one choice per request (n=1) is served; send several requests instead")
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name) not in (None, 0, 0.0):
                raise _unsupported(name, f"{name} is not supported; use repeat_penalty (llama.cpp's) instead")
        if self.logit_bias:
            raise _unsupported("logit_bias", "logit_bias is not supported")
        stops = self.stop_list
        if any(not s for s in stops):
            raise _unsupported("stop", "a stop string is empty")
        # Every generated token is checked against the stop strings on the engine's thread: keep that cheap.
        if len(stops) > MAX_STOPS or any(len(s) > MAX_STOP_CHARS for s in stops):
            raise _unsupported("stop", f"at most {MAX_STOPS} stop strings of at most {MAX_STOP_CHARS} characters")

    @property
    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class ChatCompletionRequest(GenerationFields):
    messages: Annotated[list[Message], Field(min_length=1)]
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    tools: list[ToolDef] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool = True
    response_format: ResponseFormat | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None

    def refuse_unsupported(self) -> None:
        super().refuse_unsupported()
        if self.logprobs:
            raise _unsupported("logprobs", "logprobs are not supported")
        if self.tool_choice is not None and self.tool_choice != "none" and not self.tools:
            raise _unsupported("tool_choice", "tool_choice needs `tools`")
        names = [t.function.name for t in self.tools or []]
        if isinstance(self.tool_choice, NamedToolChoice) and self.tool_choice.function.name not in names:
            raise _unsupported(
                "tool_choice.function.name", f"tool_choice names {self.tool_choice.function.name!r}, which is not "
                f"among the tools ({', '.join(names)})"
            )
        if len(set(names)) != len(names):
            raise _unsupported("tools", "two tools have the same name")
        constraints = [n for n in ("grammar", "response_format") if _constrains(self, n)]
        if self.tools and self.tool_choice != "none":
            constraints.append("tools")
        if len(constraints) > 1:
            raise _unsupported(constraints[1], f"give only one of {' / '.join(constraints)}: each one constrains "
                               "the whole output")

    @property
    def completion_limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class CompletionRequest(GenerationFields):
    prompt: str | Annotated[list[str], Field(min_length=1, max_length=1)]
    echo: bool = False
    suffix: str | None = None
    best_of: int | None = None
    logprobs: int | None = None
    json_schema: dict[str, Any] | None = None  # llama.cpp extension

    def refuse_unsupported(self) -> None:
        super().refuse_unsupported()
        if self.echo:
            raise _unsupported("echo", "echo is not supported")
        if self.suffix:
            raise _unsupported("suffix", "suffix (fill in the middle) is not supported")
        if self.best_of not in (None, 1):
            raise _unsupported("best_of", "best_of is not supported")
        if self.logprobs:
            raise _unsupported("logprobs", "logprobs are not supported")
        if self.json_schema is not None and self.grammar is not None:
            raise _unsupported("json_schema", "give only one of grammar / json_schema")

    @property
    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    @property
    def completion_limit(self) -> int | None:
        return self.max_tokens


def _constrains(request: ChatCompletionRequest, name: str) -> bool:
    if name == "grammar":
        return request.grammar is not None
    return request.response_format is not None and request.response_format.type != "text"


def _unsupported(param: str, message: str) -> ApiError:
    return ApiError(400, f"{param}: {message}", param=param, code="unsupported_parameter")
