"""Tool calls: how a request's tools reach the prompt, the grammar that makes the model's answer well-formed calls
of those tools (so the arguments always parse and match their schemas), and how that answer becomes `tool_calls`.

Two formats, picked by the model's chat template:

* ``hermes``: templates with a tools section that asks for ``<tool_call>{"name": ..., "arguments": ...}
  </tool_call>`` (Qwen2.5, Hermes and others). The template renders the tools, earlier calls and tool results
  itself; the model writes what it was trained to write, under a grammar.
* ``json``: every other template. The tools and the answer format go into the system message, earlier calls and
  results become ordinary messages, and the answer is one JSON object: ``{"tool_calls": [{"name", "arguments"}]}``
  or, when the model may also answer in words (``tool_choice: auto``), ``{"response": "..."}``.

``tool_choice``: ``auto`` (the default) lets the model answer in words or call tools; ``required`` and a named
function force calls; ``none`` renders the tools but constrains nothing and parses nothing.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from agentrt.serve.grammar import SchemaRules, check_schema
from agentrt.serve.wire import Message, NamedToolChoice, ToolDef

ToolMode = Literal["auto", "required", "none"]
HERMES_OPEN, HERMES_CLOSE = "<tool_call>", "</tool_call>"
_HERMES_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


@dataclass(frozen=True)
class ParsedCall:
    name: str
    arguments: str  # JSON text, as OpenAI sends it
    id: str = field(default_factory=lambda: "call_" + secrets.token_hex(12))

    def wire(self, index: int | None = None) -> dict[str, Any]:
        call: dict[str, Any] = {"id": self.id, "type": "function",
                                "function": {"name": self.name, "arguments": self.arguments}}
        if index is not None:
            call["index"] = index
        return call


@dataclass(frozen=True)
class ParsedOutput:
    content: str | None
    calls: list[ParsedCall]


def uses_hermes(template: str | None) -> bool:
    return bool(template) and "tools" in template and HERMES_OPEN in template  # type: ignore[operator]


class ToolPlan:
    """The tools of one chat request: prompt messages, grammar, and parsing of the answer."""

    def __init__(
        self, tools: list[ToolDef], choice: str | NamedToolChoice | None, parallel: bool, *, hermes: bool
    ) -> None:
        self.hermes = hermes
        self.parallel = parallel
        if isinstance(choice, NamedToolChoice):
            self.tools = [t for t in tools if t.function.name == choice.function.name]
            self.mode: ToolMode = "required"
        else:
            self.tools = list(tools)
            self.mode = choice or "auto"  # type: ignore[assignment]
        self.all_tools = list(tools)

    # --- the prompt -----------------------------------------------------------------------------------------

    def template_tools(self) -> list[dict[str, Any]] | None:
        """What the template's ``tools`` variable gets (hermes only: the json format puts them in the system)."""
        return [t.model_dump(by_alias=True, exclude_none=True) for t in self.all_tools] if self.hermes else None

    def messages(self, messages: list[Message]) -> list[dict[str, Any]]:
        """The conversation as the template should see it."""
        if self.hermes:
            return [hermes_message(m) for m in messages]
        out = plain_messages(messages)
        if self.mode == "none":
            return out
        instructions = self._json_instructions()
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{instructions}"}
        else:
            out.insert(0, {"role": "system", "content": instructions})
        return out

    def _json_instructions(self) -> str:
        listed = "\n".join(json.dumps(t.model_dump(by_alias=True, exclude_none=True)["function"], ensure_ascii=False)
                           for t in self.all_tools)
        call = '{"tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}]}'
        if self.mode == "auto":
            answer = f'To call tools, answer with {call}. To answer directly, answer with {{"response": "<your answer>"}}.'
        else:
            answer = f"Answer by calling tools: {call}."
        return f"You can call these tools:\n{listed}\n\n{answer} Answer with the JSON object only."

    # --- the grammar ----------------------------------------------------------------------------------------

    def grammar(self) -> str | None:
        if self.mode == "none":
            return None
        rules = SchemaRules()
        names = []
        for i, tool in enumerate(self.tools):
            param = f"tools[{self._index(tool)}].function.parameters"
            check_schema(tool.function.parameters or {}, param)  # named as the client sent it
            names.append(rules.add(call_schema(tool), f"call-{i}", param=param, checked=True))
        rules.rule(f"call ::= {' | '.join(names)}")
        if self.hermes:
            rules.rule(f'call-block ::= "{_gbnf_text(HERMES_OPEN)}\\n" call "\\n{_gbnf_text(HERMES_CLOSE)}"')
            rules.rule('calls ::= call-block ("\\n" call-block)*' if self.parallel else "calls ::= call-block")
            # Words instead of calls: anything that does not start like a call.
            rules.rule('words ::= [^<] .*')
            rules.rule("root ::= calls | words" if self.mode == "auto" else "root ::= calls")
        else:
            more = '("," space call)*' if self.parallel else ""
            rules.rule(f'calls ::= "{{" space "\\"tool_calls\\"" space ":" space "[" space call {more} "]" space "}}" space')
            text = rules.add({"type": "string"}, "response-text", param="tools")
            rules.rule(f'words ::= "{{" space "\\"response\\"" space ":" space {text} "}}" space')
            rules.rule("root ::= calls | words" if self.mode == "auto" else "root ::= calls")
        return rules.text()

    def _index(self, tool: ToolDef) -> int:
        return next(i for i, t in enumerate(self.all_tools) if t is tool)

    # --- the answer -----------------------------------------------------------------------------------------

    def parse(self, text: str) -> ParsedOutput:
        """The model's answer as content and/or calls. An answer that does not parse (cut off by max_tokens) is
        returned as content, so nothing the model wrote is lost."""
        if self.mode == "none":
            return ParsedOutput(text, [])
        if self.hermes:
            if not text.lstrip().startswith(HERMES_OPEN):
                return ParsedOutput(text, [])
            calls = []
            for body in _HERMES_CALL.findall(text):
                call = _call_from_json(body)
                if call is None:
                    return ParsedOutput(text, [])
                calls.append(call)
            return ParsedOutput(None, calls) if calls else ParsedOutput(text, [])
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            return ParsedOutput(text, [])
        if isinstance(answer, dict) and isinstance(answer.get("tool_calls"), list):
            calls = [_call_from_value(c) for c in answer["tool_calls"]]
            if calls and all(c is not None for c in calls):
                return ParsedOutput(None, calls)  # type: ignore[arg-type]
        if isinstance(answer, dict) and isinstance(answer.get("response"), str):
            return ParsedOutput(answer["response"], [])
        return ParsedOutput(text, [])

    def streams_words(self, text: str) -> bool | None:
        """While streaming: True once the answer is known to be words that can be sent as they come, False once
        it is known to be calls (held back until they are complete), None while it cannot be told yet."""
        if self.mode == "none":
            return True
        if not self.hermes or self.mode != "auto":
            return False  # the json format wraps even words in JSON: sent once parsed
        stripped = text.lstrip()
        if not stripped:
            return None
        if stripped.startswith(HERMES_OPEN):
            return False
        return None if HERMES_OPEN.startswith(stripped) else True


def call_schema(tool: ToolDef) -> dict[str, Any]:
    """The JSON schema of one call of ``tool``: its name, then arguments that match its parameters."""
    params = tool.function.parameters
    if params is None or params == {}:
        params = {"type": "object", "properties": {}, "additionalProperties": False}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"name": {"const": tool.function.name}, "arguments": params},
        "required": ["name", "arguments"],
    }
    for key in ("$defs", "definitions"):  # refs inside the parameters point at their own root: keep them there
        if isinstance(params.get(key), dict):
            schema[key] = params[key]
    return schema


def hermes_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": _role(message), "content": message.text}
    if message.tool_calls:
        out["content"] = message.text or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": _json_or_text(c.function.arguments)}}
            for c in message.tool_calls
        ]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id
        if message.name:
            out["name"] = message.name
    return out


def plain_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation for a template without tools: earlier calls as the JSON the model answers with, tool
    results as user turns (consecutive results in one turn, for templates that insist on alternating roles)."""
    out: list[dict[str, Any]] = []
    results_at: int | None = None  # the user turn collecting the current run of tool results
    for message in messages:
        if message.role == "tool":
            result = {"tool_call_id": message.tool_call_id, "content": message.text}
            if message.name:
                result["name"] = message.name
            line = json.dumps({"tool_result": result}, ensure_ascii=False)
            if results_at is None:
                results_at = len(out)
                out.append({"role": "user", "content": line})
            else:
                out[results_at]["content"] += "\n" + line
            continue
        results_at = None
        if message.role == "assistant" and message.tool_calls:
            calls = [{"name": c.function.name, "arguments": _json_or_text(c.function.arguments)}
                     for c in message.tool_calls]
            out.append({"role": "assistant", "content": json.dumps({"tool_calls": calls}, ensure_ascii=False)})
        else:
            out.append({"role": _role(message), "content": message.text})
    return out


def _role(message: Message) -> str:
    return "system" if message.role == "developer" else message.role


def _json_or_text(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except json.JSONDecodeError:
        return arguments


def _call_from_json(body: str) -> ParsedCall | None:
    try:
        return _call_from_value(json.loads(body))
    except json.JSONDecodeError:
        return None


def _call_from_value(value: Any) -> ParsedCall | None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or "arguments" not in value:
        return None
    return ParsedCall(name=value["name"], arguments=json.dumps(value["arguments"], ensure_ascii=False))


def _gbnf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
