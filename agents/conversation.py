"""`Conversation`: one agent's chat on one leased sequence, kept whole for the length of a run.

Each turn sends the full history; the engine finds the shared prefix in the sequence's KV cache and prefills
only the new messages, so a ten-step ReAct loop costs about what its new tokens cost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agentrt.engine.protocol import SequenceHandle
from agentrt.engine.request import ChatMessage, GenerationResult
from agentrt.engine.sampling import Sampling
from agentrt.errors import OutputParseError, describe_validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)


class Conversation:
    """The message list of one run on one sequence, plus token accounting."""

    def __init__(self, seq: SequenceHandle, system: str, *, sampling: Sampling, max_tokens: int) -> None:
        self.seq = seq
        self.messages: list[ChatMessage] = [ChatMessage(role="system", content=system)] if system else []
        self.sampling = sampling
        self.max_tokens = max_tokens
        self.tokens = 0  # completion tokens generated over the whole run
        self.last: GenerationResult | None = None
        self.repairs: list[str] = []  # what `ask_json` had to fix in the model's replies, for traces

    def add(self, role: str, content: str) -> None:
        """Append a message without generating (e.g. an observation, or a reply a subclass wrote itself)."""
        self.messages.append(ChatMessage(role=role, content=content))  # type: ignore[arg-type]

    def replace_last_reply(self, content: str) -> None:
        """Replace the last assistant message, e.g. a malformed one a small model would otherwise copy.

        The engine re-prefills from the first changed token, so this costs only the replaced message.
        """
        if not self.messages or self.messages[-1].role != "assistant":
            raise ValueError("the conversation does not end with an assistant reply")
        self.messages[-1] = ChatMessage(role="assistant", content=content)

    def take_back_last_exchange(self) -> str:
        """Remove the last user message and the reply to it; returns that user message, to be asked again."""
        if len(self.messages) < 2 or self.messages[-1].role != "assistant" or self.messages[-2].role != "user":
            raise ValueError("the conversation does not end with a user message and its reply")
        self.messages.pop()
        return self.messages.pop().content

    async def ask(
        self,
        content: str | None,
        *,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] = (),
        sampling: Sampling | None = None,
    ) -> str:
        """Add a user message (unless ``content`` is None), generate the assistant's reply, keep and return it.

        ``json_schema`` or ``grammar`` (GBNF) constrains the reply; ``sampling`` overrides the conversation's for
        this turn. If the request fails (e.g. the conversation
        no longer fits the context), the user message is taken back out, so the conversation stays as it was.
        """
        if content is not None:
            self.add("user", content)
        try:
            result = await self.seq.chat(
                self.messages,
                max_tokens=max_tokens or self.max_tokens,
                stop=stop,
                sampling=sampling or self.sampling,
                json_schema=json_schema,
                grammar=grammar,
                stop_on_loop=True,  # a reply that loops is cut off at once, not after max_tokens of the loop
            )
        except Exception:
            if content is not None:
                self.messages.pop()
            raise
        self.last = result
        self.tokens += result.completion_tokens
        self.add("assistant", result.text)
        return result.text

    async def ask_json(
        self,
        content: str | None,
        model: type[ModelT],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        where: str = "",
    ) -> ModelT:
        """Like `ask`, with output constrained by a JSON schema and validated by ``model``.

        The grammar makes the output JSON, but a reply cut off by ``max_tokens`` is still incomplete, and a
        schema cannot say everything pydantic checks: either becomes an `OutputParseError` naming ``where``.
        """
        schema = json_schema or model.model_json_schema()
        text = await self.ask(content, json_schema=schema, max_tokens=max_tokens)
        truncated = self.last is not None and self.last.cut_off
        if truncated:
            # Grammar-constrained output cut off at max_tokens is a valid JSON prefix: close its open string
            # and brackets, so a rambling last field does not cost the whole answer. Validation still applies.
            closed = close_truncated_json(text)
            if closed is not None:
                self.repairs.append(f"closed a reply cut off before it ended ({len(text)} characters)")
                text = closed
        return parse_reply(text, model, where=where, truncated=truncated)


def close_truncated_json(text: str) -> str | None:
    """A JSON prefix (as a grammar produces) completed by closing its string and brackets; None if it cannot be.

    A dangling key, colon or comma is dropped first. The result is only returned if it parses.
    """
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
    fixed = text[:-1] if escaped else text
    if in_string:
        fixed += '"'
    candidates = [fixed]
    stripped = fixed.rstrip()
    if stripped.endswith(":"):
        candidates.append(stripped + " null")
    if stripped.endswith(","):
        candidates.append(stripped[:-1])
    for candidate in candidates:
        closed = candidate + "".join(reversed(stack))
        try:
            json.loads(closed)
        except json.JSONDecodeError:
            continue
        return closed
    return None


# Said in a parse error when the reply did not end by itself (max_tokens, or the engine's loop guard).
CUT_OFF_NOTE = " (the reply was cut off before it ended: max_tokens or a repeating loop)"


def parse_reply(text: str, model: type[ModelT], *, where: str, truncated: bool = False) -> ModelT:
    """Model output → a validated ``model``, or `OutputParseError` that says where and what went wrong."""
    place = where or model.__name__
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = CUT_OFF_NOTE if truncated else ""
        raise OutputParseError(f"{place}: reply is not valid JSON{cut}: {exc.msg} at char {exc.pos}: {text[:200]!r}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise OutputParseError(f"{place}: reply does not fit the schema: {describe_validation_error(exc)}") from exc
