"""JSON actions: each Executor reply is one object ``{"thought": ..., "tool": ..., "arguments": {...}}``.

The JSON schema behind the grammar is a union with one branch per tool, each branch carrying that tool's
argument schema, so the model can only name tools it has and can only write arguments of the right shape.
Strings have no length bound (a bound cuts a thought or an argument mid-sentence); the request's max_tokens
bounds the reply instead, and a reply cut off there becomes an observation the model sees.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.tools import FINAL_ANSWER, Tool, ToolRegistry


class Action(BaseModel):
    """One parsed ReAct reply."""

    model_config = ConfigDict(extra="forbid")

    thought: str = ""
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> str:
        """What makes two calls the same call (argument order does not)."""
        return json.dumps([self.tool, self.arguments], sort_keys=True, default=str)


def _strict_arguments(item: Tool) -> dict[str, Any]:
    """A tool's argument schema for the grammar: every property required, nothing else allowed."""
    properties = dict(item.arguments_schema().get("properties", {}))
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def action_schema(tools: ToolRegistry, *, constrain_arguments: bool = True) -> dict[str, Any]:
    """The JSON schema of one ReAct reply for these tools (the thought comes first: it leads to the action)."""
    thought = {"type": "string"}
    if not constrain_arguments:
        return {
            "type": "object",
            "properties": {"thought": thought, "tool": {"enum": tools.names()}, "arguments": {"type": "object"}},
            "required": ["thought", "tool", "arguments"],
            "additionalProperties": False,
        }
    branches = [
        {
            "type": "object",
            "properties": {"thought": thought, "tool": {"const": item.name}, "arguments": _strict_arguments(item)},
            "required": ["thought", "tool", "arguments"],
            "additionalProperties": False,
        }
        for item in tools
    ]
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def json_prompt(role: str, tools: ToolRegistry, *, example: bool) -> str:
    parts = [
        role,
        "",
        'Each turn, reply with one JSON object: {"thought": "<your reasoning>", "tool": "<tool name>", '
        '"arguments": {<the tool\'s arguments>}}.',
        f"Tools:\n{tools.describe()}",
        'After each tool call you receive "Observation: <result>". '
        f"When you know the answer to the task, call {FINAL_ANSWER} with it.",
    ]
    if example and "calculator" in tools:
        parts += ["", "Example:", EXAMPLE]
    return "\n".join(parts)


# The answer step restates the observation rather than the example's own numbers: a 0.5B model copied the
# example's arithmetic ("12 + 12 = 24, so 12 boxes hold 24 eggs") into its answer for 6+6.
EXAMPLE = """Task: A box holds 24 eggs. How many eggs are in 15 boxes?
{"thought": "I multiply the eggs per box by the number of boxes.", "tool": "calculator", "arguments": {"expression": "24*15"}}
Observation: 360
{"thought": "The observation, 360, is the number of eggs the task asks for.", "tool": "final_answer", "arguments": {"answer": "360"}}"""
