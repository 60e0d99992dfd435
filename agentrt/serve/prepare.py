"""From a validated request body to what the engine runs: the prompt text (the chat template, with tools), its
token count, the grammar, sampling and the token budget — or an `ApiError` naming the field, before the request
waits for a sequence. A prompt that cannot fit is refused here with the number of tokens it is over by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from agentrt.engine import Engine, Sampling
from agentrt.errors import EngineError
from agentrt.serve.errors import ApiError, from_validation
from agentrt.serve.grammar import check_gbnf, schema_grammar
from agentrt.serve.tools import ToolPlan, plain_messages, uses_hermes
from agentrt.serve.wire import ChatCompletionRequest, CompletionRequest, GenerationFields

Kind = Literal["chat", "completion"]
# OpenAI's default temperature (a request that names none samples; send 0 for greedy decoding).
DEFAULT_TEMPERATURE = 1.0


@dataclass
class Prepared:
    """One request, ready for a sequence: ``options`` are the keyword arguments of `Sequence.complete`/`stream`."""

    kind: Kind
    prompt: str
    prompt_tokens: int
    options: dict[str, Any]
    stream: bool
    include_usage: bool
    tools: ToolPlan | None = None
    constraint: str | None = None  # the field whose grammar constrains the output (named if llama.cpp rejects it)


class Preparer:
    def __init__(self, engine: Engine, n_ctx: int) -> None:
        self.engine = engine
        self.n_ctx = n_ctx
        self.hermes = uses_hermes(engine.chat_template)

    def chat(self, body: ChatCompletionRequest) -> Prepared:
        body.refuse_unsupported()
        plan = None
        if body.tools:
            plan = ToolPlan(body.tools, body.tool_choice, body.parallel_tool_calls, hermes=self.hermes)
        messages = plan.messages(body.messages) if plan else plain_messages(body.messages)
        try:
            prompt = self.engine.render_chat(messages, tools=plan.template_tools() if plan else None)
        except Exception as exc:  # the template refused the conversation (roles that must alternate, a None...)
            detail = str(exc) if isinstance(exc, EngineError) else f"the model's chat template failed: {exc!r}"
            raise ApiError(400, f"messages: {detail}", param="messages", code="invalid_value") from None
        grammar, constraint = None, None
        if plan is not None and (grammar := plan.grammar()) is not None:
            constraint = "tools"
        elif body.response_format is not None and body.response_format.type != "text":
            grammar, constraint = _response_format_grammar(body)
        elif body.grammar is not None:
            check_gbnf(body.grammar, "grammar")
            grammar, constraint = body.grammar, "grammar"
        return self._prepared("chat", body, prompt, "messages", grammar, constraint, plan)

    def completion(self, body: CompletionRequest) -> Prepared:
        body.refuse_unsupported()
        grammar, constraint = None, None
        if body.json_schema is not None:
            grammar, constraint = schema_grammar(body.json_schema, param="json_schema"), "json_schema"
        elif body.grammar is not None:
            check_gbnf(body.grammar, "grammar")
            grammar, constraint = body.grammar, "grammar"
        return self._prepared("completion", body, body.prompt_text, "prompt", grammar, constraint, None)

    def _prepared(
        self, kind: Kind, body: GenerationFields, prompt: str, prompt_field: str, grammar: str | None,
        constraint: str | None, plan: ToolPlan | None,
    ) -> Prepared:
        n_prompt = len(self.engine.tokenize(prompt)) if prompt else 0
        if n_prompt == 0:
            raise ApiError(400, f"{prompt_field}: the prompt is empty", param=prompt_field, code="invalid_value")
        limit = body.completion_limit  # type: ignore[attr-defined]
        max_tokens = limit if limit is not None else self.n_ctx - n_prompt
        if n_prompt + max_tokens > self.n_ctx or max_tokens < 1:
            asked = max(max_tokens, 1)
            over = n_prompt + asked - self.n_ctx
            where = "the messages" if kind == "chat" else "the prompt"
            raise ApiError(
                400,
                f"This model's maximum context length is {self.n_ctx} tokens per sequence. However, you requested "
                f"{n_prompt + asked} tokens ({n_prompt} in {where}, {asked} for the completion): {over} tokens too "
                f"many. Shorten {where} or lower max_tokens.",
                param=prompt_field if limit is None or n_prompt >= self.n_ctx else "max_tokens",
                code="context_length_exceeded",
            )
        options: dict[str, Any] = {
            "max_tokens": max_tokens, "stop": body.stop_list, "sampling": _sampling(body), "grammar": grammar,
            "ignore_eos": body.ignore_eos,
        }
        return Prepared(
            kind=kind, prompt=prompt, prompt_tokens=n_prompt, options=options, stream=body.stream,
            include_usage=body.include_usage, tools=plan, constraint=constraint,
        )


def _response_format_grammar(body: ChatCompletionRequest) -> tuple[str, str]:
    rf = body.response_format
    assert rf is not None
    if rf.type == "json_schema":
        assert rf.json_schema is not None
        return schema_grammar(rf.json_schema.schema_, param="response_format.json_schema.schema"), "response_format"
    schema = rf.schema_ if rf.schema_ is not None else {"type": "object"}
    return schema_grammar(schema, param="response_format.schema"), "response_format"


def _sampling(body: GenerationFields) -> Sampling:
    temperature = DEFAULT_TEMPERATURE if body.temperature is None else body.temperature
    top_p = 1.0 if body.top_p is None else body.top_p
    if top_p == 0.0:  # only the most likely token is left: greedy
        temperature, top_p = 0.0, 1.0
    fields: dict[str, Any] = {
        "temperature": temperature, "top_p": top_p, "seed": body.seed,
        # OpenAI samples from the whole distribution: no top-k unless the client asks for it (llama.cpp's field).
        "top_k": body.top_k if body.top_k is not None else 0,
    }
    for name in ("min_p", "repeat_penalty", "repeat_last_n"):
        if getattr(body, name) is not None:
            fields[name] = getattr(body, name)
    try:
        return Sampling(**fields)
    except ValidationError as exc:
        raise from_validation(exc) from None
