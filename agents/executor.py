"""`Executor`: a ReAct loop (thought → action → observation) with grammar-constrained actions.

Every reply is one JSON object ``{"thought": ..., "tool": ..., "arguments": {...}}``. The JSON schema behind
the grammar is a union with one branch per tool, each branch carrying that tool's argument schema, so the
model can only name tools it has and can only write arguments of the right shape. What the grammar cannot
prevent — a reply cut off at ``max_tokens``, arguments pydantic rejects, a tool that fails — becomes an
observation the model sees on its next step; the loop never crashes on model output. ``final_answer`` ends
it; ``max_steps`` bounds it, and a result tells which of the two happened (``status``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrt.errors import OutputParseError, ToolError
from agentrt.graph.contract import AgentOutcome, AgentResult, AgentSpec, NodeContext

from agents.base import Agent, event_node, preview
from agents.conversation import Conversation, parse_reply
from agents.tools import FINAL_ANSWER, Tool, ToolRegistry, final_answer

ExecutorStatus = Literal["answered", "step_limit"]

THOUGHT_MAX_CHARS = 160
ARGUMENT_MAX_CHARS = 300
CODE_MAX_CHARS = 800  # the python tool's `code` gets more room (llama.cpp refuses repetitions much over ~1000)
OBSERVATION_MAX_CHARS = 1500  # what goes back into the conversation; the full text stays in the trace
INVALID_REPLY_PLACEHOLDER = "{}"  # stands in for a malformed reply in the conversation


class ExecutorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(6, ge=1, le=50, description="most model turns before giving up with 'step_limit'")
    constrain_arguments: bool = Field(
        True, description="put each tool's argument schema in the grammar (False: any JSON object)"
    )


class Action(BaseModel):
    """One parsed ReAct reply."""

    model_config = ConfigDict(extra="forbid")

    thought: str = ""
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ExecutorResult(AgentResult):
    """An `AgentResult` that also says how the loop ended."""

    status: ExecutorStatus = "answered"
    steps: int = 0


def _bounded_arguments(item: Tool) -> dict[str, Any]:
    """A tool's argument schema for the grammar: every property required, every string bounded in length."""
    schema = item.arguments_schema()
    properties: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        if prop.get("type") == "string" and "maxLength" not in prop:
            prop["maxLength"] = CODE_MAX_CHARS if key == "code" else ARGUMENT_MAX_CHARS
        properties[key] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def action_schema(tools: ToolRegistry, *, constrain_arguments: bool = True) -> dict[str, Any]:
    """The JSON schema of one ReAct reply for these tools."""
    thought = {"type": "string", "maxLength": THOUGHT_MAX_CHARS}
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
            "properties": {"thought": thought, "tool": {"const": item.name}, "arguments": _bounded_arguments(item)},
            "required": ["thought", "tool", "arguments"],
            "additionalProperties": False,
        }
        for item in tools
    ]
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


class Executor(Agent):
    """Solves a task with tools, one thought and one action per turn, until ``final_answer``."""

    default_role = "You are a careful assistant that solves tasks step by step, using tools when they help."
    Options = ExecutorOptions
    options: ExecutorOptions

    def __init__(self, spec: AgentSpec, *, registry: ToolRegistry | None = None) -> None:
        super().__init__(spec, registry=registry)
        if FINAL_ANSWER not in self.tools:
            self.tools.register(final_answer)  # the loop's only way out, so always there
        self.schema = action_schema(self.tools, constrain_arguments=self.options.constrain_arguments)

    def system_prompt(self, ctx: NodeContext) -> str:
        # No worked example: a 135M model copies examples verbatim, and the grammar already fixes the format.
        return (
            f"{self.role}\n\n"
            'Each turn, reply with one JSON object: {"thought": "<short reasoning>", "tool": "<tool name>", '
            '"arguments": {<the tool\'s arguments>}}.\n'
            f"Tools:\n{self.tools.describe()}\n"
            'After each tool call you receive "Observation: <result>". '
            f"When you know the answer to the task, call {FINAL_ANSWER} with it."
        )

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> ExecutorResult:
        trace: list[dict[str, Any]] = []
        message = f"Task: {task}"
        last_result = ""
        previous: tuple[str, dict[str, Any]] | None = None
        for step in range(1, self.options.max_steps + 1):
            text = await conv.ask(message, json_schema=self.schema)
            entry: dict[str, Any] = {"step": step, "reply": text}
            trace.append(entry)
            try:
                action = parse_reply(
                    text,
                    Action,
                    where=f"node {ctx.node_id!r} agent {ctx.agent!r} step {step}",
                    truncated=conv.last is not None and conv.last.finish_reason == "length",
                )
            except OutputParseError as exc:
                truncated = conv.last is not None and conv.last.finish_reason == "length"
                entry.update(ok=False, observation=f"Error: {exc}")
                self.emit_step(ctx, step, observation=f"Error: {exc}")
                # The model sees a short reason, and not its malformed reply: a small model copies what it sees.
                conv.replace_last_reply(INVALID_REPLY_PLACEHOLDER)
                reason = "it was too long and was cut off" if truncated else "it was not a valid action"
                message = (
                    f"Observation: Error: your reply was removed because {reason}. Keep the thought short and "
                    "reply with one JSON object with keys thought, tool, arguments."
                )
                continue
            entry.update(thought=action.thought, tool=action.tool, arguments=action.arguments)
            if action.tool == FINAL_ANSWER:
                try:
                    answer = self.tools.get(FINAL_ANSWER).validate(action.arguments).answer  # type: ignore[attr-defined]
                except ToolError as exc:
                    observation = f"Error: {exc}"
                    entry.update(ok=False, observation=observation)
                    self.emit_step(ctx, step, thought=action.thought, action=action.tool, observation=observation)
                    message = f"Observation: {observation}"
                    continue
                entry.update(ok=True, answer=answer)
                self.emit_step(ctx, step, thought=action.thought, action=FINAL_ANSWER, observation=answer)
                return ExecutorResult(output=answer, trace=trace, status="answered", steps=step, tokens=conv.tokens)
            ok, observation = await self.call_tool(action, ctx)
            if ok:
                last_result = observation
            entry.update(ok=ok, observation=observation)
            self.emit_step(ctx, step, thought=action.thought, action=action.tool, observation=observation)
            if len(observation) > OBSERVATION_MAX_CHARS:
                observation = observation[:OBSERVATION_MAX_CHARS] + " [... cut]"
            message = f"Observation: {observation}"
            # Small models tend to repeat a call forever; a nudge towards answering costs a few tokens.
            if (action.tool, action.arguments) == previous:
                message += f"\nYou already made this exact call. Use the result: call {FINAL_ANSWER} or try something else."
            elif ok:
                message += f"\nIf this answers the task, call {FINAL_ANSWER}."
            previous = (action.tool, action.arguments)
        trace.append({"status": "step_limit", "max_steps": self.options.max_steps})
        # One more agent.step, so readers of the event stream (the dashboard, GAIA) see how the loop ended.
        self.emit_step(ctx, self.options.max_steps, status="step_limit", observation=last_result or None)
        return ExecutorResult(
            output=last_result, trace=trace, status="step_limit", outcome=AgentOutcome.STEP_LIMIT,
            steps=self.options.max_steps, tokens=conv.tokens,
        )

    async def call_tool(self, action: Action, ctx: NodeContext) -> tuple[bool, str]:
        """Run the named tool; (ok, observation). A `ToolError` is an observation too, never an exception."""
        try:
            result = await self.tools.get(action.tool).invoke(action.arguments, self.tool_context(ctx))
        except ToolError as exc:
            ctx.events.emit(
                "tool.called",
                node=event_node(ctx),
                agent=ctx.agent,
                tool=action.tool,
                arguments=preview(action.arguments),
                ok=False,
                error=preview(str(exc)),
            )
            return False, f"Error: {exc}"
        ctx.events.emit(
            "tool.called",
            node=event_node(ctx),
            agent=ctx.agent,
            tool=action.tool,
            arguments=preview(action.arguments),
            ok=True,
        )
        return True, result
