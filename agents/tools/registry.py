"""`Tool`, the `@tool` decorator and `ToolRegistry`: how agents find and call tools.

A tool is a function with a pydantic argument model. The model validates the arguments the LLM produced, and
its JSON schema becomes part of the grammar that constrains the agent's action, so even a weak model can only
name tools that exist and (mostly) give arguments of the right shape. Whatever still goes wrong — bad
arguments, a refused path, a timeout, an exception inside the tool — comes back as a `ToolError`, which the
executor turns into an observation.

The registry is also the tool boundary's guard: every call has a time bound (``timeout_s``) enforced by the
caller's event loop, not by the tool's code; a synchronous tool runs in a worker thread, never on the loop; and
every observation is capped and is valid text (no lone surrogates, whatever bytes the tool met), so it can be
encoded, logged and stored.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from agentrt.errors import ToolError, describe_validation_error

ToolFunction = Callable[..., Any | Awaitable[Any]]

DEFAULT_TIMEOUT_S = 60.0
MAX_OBSERVATION_CHARS = 20_000
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def safe_text(text: str, limit: int = MAX_OBSERVATION_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with each lone surrogate (e.g. from a file name in Latin-1 bytes,
    decoded with surrogateescape) replaced by U+FFFD, so it always encodes as UTF-8."""
    if len(text) > limit:
        text = text[:limit] + f"\n[... cut: {len(text)} characters in all]"
    return _SURROGATE.sub("\ufffd", text)


class ToolContext(BaseModel):
    """What a tool may know about the run it serves. Tools that touch files stay inside ``workspace``."""

    model_config = ConfigDict(frozen=True)

    workspace: Path
    node_id: str = ""
    agent: str = ""


class Tool:
    """One callable tool: a name, a description for the prompt, an argument model and the function."""

    def __init__(
        self,
        name: str,
        description: str,
        args_model: type[BaseModel],
        function: ToolFunction,
        *,
        wants_context: bool = False,
        takes_model: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not name.isidentifier():
            raise ToolError(f"tool name {name!r}: must be an identifier (letters, digits, underscores)")
        self.name = name
        self.description = " ".join(description.split())
        self.args_model = args_model
        self._function = function
        self._wants_context = wants_context
        self._takes_model = takes_model
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    def arguments_schema(self) -> dict[str, Any]:
        """The argument model as a small JSON schema (no titles or $defs) that grammar converters accept."""
        return simplify_schema(self.args_model.model_json_schema())

    def signature(self) -> str:
        """``name(arg: type, ...)``: a one-line summary for prompts."""
        props = self.arguments_schema().get("properties", {})
        args = ", ".join(f"{key}: {prop.get('type', 'any')}" for key, prop in props.items())
        return f"{self.name}({args})"

    def validate(self, arguments: Any) -> BaseModel:
        """Arguments (a dict from the model) → the validated argument model, or a `ToolError` saying what is wrong."""
        if not isinstance(arguments, dict):
            raise ToolError(f"tool {self.name}: arguments must be a JSON object, got {type(arguments).__name__}")
        try:
            return self.args_model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(f"tool {self.name}: invalid arguments: {describe_validation_error(exc)}") from exc

    async def invoke(self, arguments: Any, ctx: ToolContext) -> str:
        """Validate and call within ``timeout_s``. The result is valid, capped text (an observation); every
        failure is a `ToolError` (with a message that is valid text too)."""
        args = self.validate(arguments)
        call_args: list[Any] = [args] if self._takes_model else []
        call_kwargs: dict[str, Any] = {} if self._takes_model else dict(args)
        if self._wants_context:
            call_kwargs["ctx"] = ctx
        if inspect.iscoroutinefunction(self._function):
            call = self._function(*call_args, **call_kwargs)
        else:
            # Sync tools run in a worker thread so a slow one never stalls the other agents' event loop.
            call = asyncio.to_thread(self._function, *call_args, **call_kwargs)
        try:
            result = await asyncio.wait_for(call, timeout=self.timeout_s)
        except ToolError as exc:
            message = safe_text(str(exc))
            if message == str(exc):
                raise
            raise type(exc)(message) from exc
        except asyncio.TimeoutError as exc:  # a thread cannot be killed: bounded tools make this rare
            raise ToolError(f"tool {self.name}: no result within {self.timeout_s:g}s") from exc
        except Exception as exc:  # a bug or an OS error inside a tool is still just a failed call
            raise ToolError(safe_text(f"tool {self.name}: {type(exc).__name__}: {exc}")) from exc
        return safe_text(result if isinstance(result, str) else str(result))


def simplify_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$ref``s and drop titles/defaults/descriptions: the schema a grammar converter handles safely."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].split("/")[-1]])
            return {
                key: walk(value)
                for key, value in node.items()
                if key not in {"title", "default", "description", "$defs", "examples"}
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


def tool(
    function: ToolFunction | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Any:
    """Make a function a `Tool`. Use bare (``@tool``) or with options (``@tool(name="add")``).

    The function takes either one pydantic model parameter, or plain type-hinted parameters (a model is built
    from them). A parameter named ``ctx`` receives the `ToolContext`. The docstring is the description.
    """

    def wrap(fn: ToolFunction) -> Tool:
        hints = get_type_hints(fn)
        params = [p for p in inspect.signature(fn).parameters.values() if p.name != "ctx"]
        wants_context = "ctx" in inspect.signature(fn).parameters
        tool_name = name or fn.__name__
        doc = description or inspect.getdoc(fn) or ""
        if not doc:
            raise ToolError(f"tool {tool_name!r}: give a docstring or description= (the model reads it)")
        single = hints.get(params[0].name) if len(params) == 1 else None
        if isinstance(single, type) and issubclass(single, BaseModel):
            return Tool(tool_name, doc, single, fn, wants_context=wants_context, takes_model=True, timeout_s=timeout_s)
        fields: dict[str, Any] = {}
        for param in params:
            if param.name not in hints:
                raise ToolError(f"tool {tool_name!r}: parameter {param.name!r} needs a type hint")
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (hints[param.name], Field(default))
        model = create_model(f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
        return Tool(tool_name, doc, model, fn, wants_context=wants_context, timeout_s=timeout_s)

    return wrap(function) if function is not None else wrap


class ToolRegistry:
    """A set of tools by name. Each agent gets its own (no global registry: see `default_registry`)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.register(item)

    def register(self, item: Tool, *, replace: bool = False) -> Tool:
        if not isinstance(item, Tool):
            raise ToolError(f"register: expected a Tool (decorate the function with @tool), got {item!r}")
        if item.name in self._tools and not replace:
            raise ToolError(f"tool {item.name!r} is already registered")
        self._tools[item.name] = item
        return item

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise ToolError(f"unknown tool {name!r}; known tools: {', '.join(self.names()) or '(none)'}") from None

    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry with only ``names`` (each must exist here), in the order given."""
        return ToolRegistry(self.get(n) for n in names)

    def describe(self) -> str:
        """One line per tool for a prompt: signature and description."""
        return "\n".join(f"- {t.signature()}: {t.description}" for t in self._tools.values())
