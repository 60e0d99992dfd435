"""`Executor`: a ReAct loop (thought → action → observation) that always ends with an answer.

Two ways to act (``action_format``):
- ``code`` (`agents.code_actions`): each reply is a thought and a Python block, run in the sandboxed python
  tool; ``final_answer(...)`` is callable from the code. Code agents do better than JSON tool callers on
  GAIA-style work (string handling, counting, arithmetic over files) because one block does several steps.
- ``json`` (`agents.json_actions`): each reply is ``{"thought", "tool", "arguments"}``, grammar-constrained
  to the agent's tools and their argument schemas.
- ``auto`` (the default): code when the agent has the python tool, else JSON.

What a grammar cannot prevent — a reply cut off at ``max_tokens``, arguments pydantic rejects, a tool or code
that fails — becomes an observation the model sees on its next step; the loop never crashes on model output.
A call identical to an earlier one is not run again: its observation says so and shows the earlier result.
In code mode an answer passes `agents.answer_checks` first (typed by hand, not in the form asked, a condition
the code never applies): each sends an answer back once, as an observation that says what to do.
When ``max_steps`` run out, one last turn asks for the final answer from what the conversation holds; the
result then says ``step_limit`` (``status`` and ``outcome``) even though it carries an answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine.sampling import Sampling
from agentrt.errors import ConfigError, ContextOverflowError, OutputParseError, ToolError
from agentrt.graph.contract import AgentOutcome, AgentResult, AgentSpec, NodeContext
from agentrt.engine.remote.errors import UnsupportedByServerError

from agents.answer_checks import AnswerChecks, NamedValue, named_values, typed_literal
from agents.base import Agent, event_node, preview
from agents.code_actions import (
    CODE_GRAMMAR,
    CODE_STOPS,
    FINAL_GRAMMAR,
    PYTHON_TOOL,
    CodeRunner,
    bare_literal,
    code_observation,
    code_prompt,
    error_hint,
    output_hint,
    parse_code_reply,
    parse_final_literal,
)
from agents.conversation import Conversation, parse_reply
from agents.json_actions import Action, action_schema, json_prompt
from agents.tools import FINAL_ANSWER, ToolRegistry, final_answer
from agents.value_tests import DataFields
from agents.workspace_preview import workspace_preview

ExecutorStatus = Literal["answered", "step_limit"]
ActionFormat = Literal["auto", "code", "json"]

OBSERVATION_MAX_CHARS = 1500  # what goes back into the conversation; the full text stays in the trace
FINAL_TURN_MAX_TOKENS = 160  # the last turn at the step limit writes a thought and an answer, no code
# final_answer values that answer nothing (None, an empty string or list): refused, the run goes on.
EMPTY_ANSWERS = frozenset({"", "None", "[]", "{}", "()", "nan"})
ESCAPE_TEMPERATURE = 0.7  # the turn after a repeated failure samples, so the model can leave the rut
INVALID_REPLY_PLACEHOLDER = {"json": "{}", "code": "Thought: (removed)\n```python\npass\n```"}


class ExecutorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(6, ge=1, le=50, description="most actions before the last turn asks for the answer")
    action_format: ActionFormat = Field(
        "auto", description="code: Python blocks run in the python tool; json: tool calls; auto: code if python"
    )
    worked_example: bool = Field(
        True, description="show a short worked example in the prompt (off for models too small to follow one)"
    )
    constrain_arguments: bool = Field(
        True, description="JSON actions: put each tool's argument schema in the grammar (False: any JSON object)"
    )
    preview_files: int = Field(
        5, ge=0, le=50, description="show the start of up to this many workspace files with the task (0: none)"
    )
    check_typed_numbers: bool = Field(
        True,
        description="code actions: refuse once a number typed as the answer that no output and not the task shows",
    )
    check_form: bool = Field(
        True,
        description="code actions: send back once an answer not in the form the task's words ask for (rounding, a "
        "name or a number)",
    )
    check_conditions: bool = Field(
        True,
        description="code actions: send back once an answer whose code never uses a value of the attached CSV/JSON "
        "data that the task names (a filter left out)",
    )
    check_value_tests: bool = Field(
        True,
        description="code actions: say when the code tests a field of the attached data against text none of its "
        "values has (row['badge'] == 'Activity' where Activity is a type); send back once an answer built on one",
    )


class ExecutorResult(AgentResult):
    """An `AgentResult` that also says how the loop ended (``outcome`` says the same, for the graph runtime)."""

    status: ExecutorStatus = "answered"
    steps: int = 0


@dataclass
class _Turn:
    """What one action gave: the observation, whether it worked, and the answer when it ended the run."""

    ok: bool
    observation: str
    answer: str | None = None
    repeat_of_success: bool = False  # the action repeated an earlier one that worked
    repeat_of_failure: bool = False  # the action repeated an earlier one that failed
    fields: dict[str, Any] = field(default_factory=dict)  # extra trace fields (thought, tool, code, ...)


class Executor(Agent):
    """Solves a task with tools or code, one thought and one action per turn, until it gives the answer."""

    default_role = "You are a careful assistant that solves tasks step by step, using tools when they help."
    Options = ExecutorOptions
    options: ExecutorOptions

    def __init__(self, spec: AgentSpec, *, registry: ToolRegistry | None = None) -> None:
        super().__init__(spec, registry=registry)
        if FINAL_ANSWER not in self.tools:
            self.tools.register(final_answer)  # the loop's only way out, so always there
        chosen = self.options.action_format
        if chosen == "auto":
            chosen = "code" if PYTHON_TOOL in self.tools else "json"
        elif chosen == "code" and PYTHON_TOOL not in self.tools:
            raise ConfigError(f"agent {spec.name!r}: action_format 'code' needs the {PYTHON_TOOL!r} tool in its tools")
        self.action_format: Literal["code", "json"] = chosen
        self.schema = action_schema(self.tools, constrain_arguments=self.options.constrain_arguments)
        self.final_schema = action_schema(self.tools.subset([FINAL_ANSWER]))

    def constraints(self) -> list[dict[str, Any]]:
        """The grammar arguments this agent's requests use (``json_schema=`` or ``grammar=``), turn and last turn."""
        if self.action_format == "code":
            return [{"grammar": CODE_GRAMMAR}, {"grammar": FINAL_GRAMMAR}]
        return [{"json_schema": self.schema}, {"json_schema": self.final_schema}]

    def system_prompt(self, ctx: NodeContext) -> str:
        if self.action_format == "code":
            return code_prompt(self.role, self.tools, example=self.options.worked_example)
        return json_prompt(self.role, self.tools, example=self.options.worked_example)

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> ExecutorResult:
        where = f"node {ctx.node_id!r} agent {ctx.agent!r}"
        step_constraint, final_constraint = self.constraints()
        runner = CodeRunner(self.tools, ctx.workspace) if self.action_format == "code" else None
        trace: list[dict[str, Any]] = []
        seen: dict[str, tuple[int, str, bool]] = {}  # action key -> (step, observation, ok)
        last_result = ""
        message = f"Task: {task}"
        preview = await asyncio.to_thread(workspace_preview, ctx.workspace, files=self.options.preview_files)
        if preview:
            # The model sees what it works on (column names, a JSON file's shape) before it writes a line.
            message += f"\n\n{preview}"
        named: list[NamedValue] = []
        if self.action_format == "code" and self.options.check_conditions:
            named = await asyncio.to_thread(named_values, task, ctx.workspace)  # reads the attachments: off the loop
        checks = AnswerChecks(
            task=task,
            typed_numbers=self.options.check_typed_numbers,
            form=self.options.check_form,
            named=named,
        )
        if self.action_format == "code" and self.options.check_value_tests:
            checks.data = await asyncio.to_thread(DataFields, ctx.workspace)  # reads the attachments: off the loop
        checks.saw(message)
        max_steps = self.options.max_steps
        answer_only = False  # after a repeat of a call that worked: the model has what it needs, ask for the answer
        escape = False  # after a repeat of a call that failed: sample, or greedy decoding repeats it forever
        for step in range(1, max_steps + 1):
            try:
                text = await self._ask(
                    conv,
                    message,
                    final_constraint if answer_only else step_constraint,
                    sampling=_escape_sampling(self.sampling, step) if escape else None,
                )
            except ContextOverflowError as exc:
                trace.append({"step": step, "error": str(exc)})
                message = "Observation: the conversation is too long to continue."
                break
            entry: dict[str, Any] = {"step": step, "reply": text}
            trace.append(entry)
            truncated = conv.last is not None and conv.last.cut_off
            try:
                if runner is not None:
                    turn = await self._code_turn(text, runner, seen, checks, step, ctx, truncated=truncated)
                else:
                    turn = await self._json_turn(text, seen, step, ctx, truncated=truncated)
            except OutputParseError as exc:
                entry.update(ok=False, observation=f"Error: {exc}")
                self.emit_step(ctx, step, observation=f"Error: {exc}")
                # The model sees a short reason, and not its malformed reply: a small model copies what it sees.
                conv.replace_last_reply(INVALID_REPLY_PLACEHOLDER[self.action_format])
                reason = (
                    "it kept repeating itself and was cut off" if truncated and conv.last.finish_reason == "loop"
                    else "it was too long and was cut off" if truncated
                    else "it was not in the required format"
                )
                message = f"Observation: Error: your reply was removed because {reason}. {self._format_hint()}"
                continue
            entry.update(turn.fields, ok=turn.ok, observation=turn.observation)
            # A refused answer is neither a block that worked nor one that failed.
            checks.saw(turn.observation, worked=None if turn.fields.get("refused") else turn.ok)
            self.emit_step(ctx, step, observation=turn.answer or turn.observation, **_event_fields(turn.fields))
            if turn.answer is not None:
                entry["answer"] = turn.answer
                return self._result(turn.answer, trace, AgentOutcome.ANSWERED, step, conv)
            if turn.ok:
                last_result = turn.observation
            if turn.repeat_of_failure:
                # The model sent a block that failed before. A small model copies its own turns, so with the
                # repeat in view it repeats again (greedy or not): take this exchange back out and ask the same
                # again, sampled, from where the conversation was.
                message = conv.take_back_last_exchange()
                escape = True
                continue
            message = self._observation_message(turn)
            # A small model that repeats a call that worked is stuck, and never tries something else: the next
            # turn may only answer (still an ordinary turn: the answer is parsed and checked as always).
            answer_only = turn.repeat_of_success
            escape = turn.repeat_of_failure
            if answer_only:
                message += f"\nYou have what you need: give your final answer now. {self._answer_how()}"
        return await self._last_turn(conv, message, final_constraint, trace, last_result, ctx, where)

    # --- one turn of each format ------------------------------------------------------------------------------

    async def _json_turn(
        self, text: str, seen: dict[str, tuple[int, str, bool]], step: int, ctx: NodeContext, *, truncated: bool
    ) -> _Turn:
        action = parse_reply(text, Action, where=f"node {ctx.node_id!r} agent {ctx.agent!r} step {step}", truncated=truncated)
        fields = {"thought": action.thought, "tool": action.tool, "arguments": action.arguments}
        if action.tool == FINAL_ANSWER:
            try:
                answer = self.tools.get(FINAL_ANSWER).validate(action.arguments).answer  # type: ignore[attr-defined]
            except ToolError as exc:
                return _Turn(False, f"Error: {exc}", fields=fields)
            return _Turn(True, answer, answer=answer, fields=fields)
        repeated = _repeat(seen, action.key(), fields)
        if repeated is not None:
            return repeated
        ok, observation = await self.call_tool(action, ctx)
        seen[action.key()] = (step, observation, ok)
        return _Turn(ok, observation, fields=fields)

    async def _code_turn(
        self,
        text: str,
        runner: CodeRunner,
        seen: dict[str, tuple[int, str, bool]],
        checks: AnswerChecks,
        step: int,
        ctx: NodeContext,
        *,
        truncated: bool,
    ) -> _Turn:
        action = parse_code_reply(text, where=f"node {ctx.node_id!r} agent {ctx.agent!r} step {step}", truncated=truncated)
        fields: dict[str, Any] = {"thought": action.thought, "tool": PYTHON_TOOL, "code": action.code}
        key = "\n".join(line.rstrip() for line in action.code.strip().splitlines())
        checks.wrote(action.code)
        stated = bare_literal(action.code)
        if stated is not None:
            fields.update(tool=FINAL_ANSWER, stated=True)  # a block that only states a value: the answer
            refusal = checks.refusal(stated, typed=True)
            if refusal is not None:
                fields["refused"] = True
                return _Turn(False, refusal, fields=fields)  # not in `seen`: the same block again is taken
            return _Turn(True, stated, answer=stated, fields=fields)
        repeated = _repeat(seen, key, fields)
        if repeated is not None:
            return repeated
        try:
            run = await runner.run(action.code)
        except ToolError as exc:
            self._emit_tool(ctx, PYTHON_TOOL, action.code, error=str(exc))
            observation = code_observation(None, exc, OBSERVATION_MAX_CHARS)
            hint = error_hint(str(exc), ctx.workspace)
            if hint is not None:
                observation += f"\nHint: {hint}"
            seen[key] = (step, observation, False)
            return _Turn(False, observation, fields=fields)
        self._emit_tool(ctx, PYTHON_TOOL, action.code)
        if run.answer is not None:
            fields["tool"] = FINAL_ANSWER  # the action that ended the run, as in JSON mode
            given = run.answer.strip()
            if given in EMPTY_ANSWERS:
                # As smolagents' final_answer_checks: an empty value is a bug in the code, not an answer.
                got = repr(given) if given else "an empty string"
                observation = (f"Error: final_answer got {got}, which answers nothing. Print the values your code "
                               "computes to see where it goes wrong, then fix it.")
                seen[key] = (step, observation, False)
                return _Turn(False, observation, fields=fields)
            refusal = checks.value_test_refusal(given, action.code) or checks.refusal(
                given, typed=typed_literal(action.code) is not None
            )
            if refusal is not None:
                # What the block printed was not in view when the answer was given; it is now.
                printed = run.output.strip()
                fields["refused"] = True
                return _Turn(False, f"{printed}\n{refusal}" if printed else refusal, fields=fields)
            return _Turn(True, run.answer, answer=run.answer, fields=fields)
        observation = code_observation(run, None, OBSERVATION_MAX_CHARS)
        ok = True
        if run.tool is not None:
            called = Action(tool=run.tool, arguments=run.arguments or {})
            ok, result = await self.call_tool(called, ctx)
            printed = run.output.strip() + "\n" if run.output.strip() else ""
            observation = (
                f"{printed}{run.tool}({', '.join(f'{k}={v!r}' for k, v in called.arguments.items())}) returned:\n"
                f"{result}\n(A tool call ends the code block: the lines after it did not run.)"
            )
            fields.update(called_tool=run.tool, arguments=called.arguments)
        elif (hint := output_hint(run.output)) is not None:
            observation += f"\nHint: {hint}"
        for note in checks.failed_value_tests(action.code):
            observation += f"\nNote: {note}"
        seen[key] = (step, observation, ok)
        return _Turn(ok, observation, fields=fields)

    # --- the end ------------------------------------------------------------------------------------------------

    async def _last_turn(
        self,
        conv: Conversation,
        message: str,
        constraint: dict[str, Any],
        trace: list[dict[str, Any]],
        last_result: str,
        ctx: NodeContext,
        where: str,
    ) -> ExecutorResult:
        """Out of steps: one more turn that may only give the answer, from what the conversation holds."""
        max_steps = self.options.max_steps
        message += (
            f"\n\nYou have used all {max_steps} steps. Give your final answer to the task now, from what you found "
            f"above. {self._answer_how()}"
        )
        answer: str | None = None
        entry: dict[str, Any] = {"step": max_steps + 1, "status": "step_limit", "max_steps": max_steps}
        trace.append(entry)
        try:
            text = await self._ask(conv, message, constraint, max_tokens=min(self.max_tokens, FINAL_TURN_MAX_TOKENS))
            entry["reply"] = text
            if self.action_format == "code":
                answer = parse_final_literal(text)
            else:
                action = parse_reply(text, Action, where=f"{where} last turn")
                if action.tool == FINAL_ANSWER:
                    answer = self.tools.get(FINAL_ANSWER).validate(action.arguments).answer  # type: ignore[attr-defined]
        except (ContextOverflowError, OutputParseError, ToolError) as exc:
            entry["error"] = str(exc)
        entry["answer"] = answer
        output = answer if answer is not None else last_result
        # One more agent.step, so readers of the event stream (the dashboard, GAIA) see how the loop ended.
        # ``answered`` says whether the last turn gave an answer or the output is the last tool result instead.
        self.emit_step(
            ctx, max_steps + 1, status="step_limit", action=FINAL_ANSWER, observation=output or None,
            answered=answer is not None,
        )
        return self._result(output, trace, AgentOutcome.STEP_LIMIT, max_steps, conv)

    async def _ask(self, conv: Conversation, message: str, constraint: dict[str, Any], **options: Any) -> str:
        try:
            return await conv.ask(message, **constraint, **options)
        except UnsupportedByServerError:
            if "grammar" not in constraint:
                raise
            # A server that takes no GBNF grammar (vLLM, OpenAI): the prompt's format and stop strings must do.
            return await conv.ask(message, stop=CODE_STOPS, **options)

    def _result(
        self, output: str, trace: list[dict[str, Any]], outcome: AgentOutcome, steps: int, conv: Conversation
    ) -> ExecutorResult:
        status: ExecutorStatus = "answered" if outcome is AgentOutcome.ANSWERED else "step_limit"
        return ExecutorResult(output=output, outcome=outcome, status=status, steps=steps, trace=trace, tokens=conv.tokens)

    def _observation_message(self, turn: _Turn) -> str:
        observation = turn.observation
        if len(observation) > OBSERVATION_MAX_CHARS:
            observation = observation[:OBSERVATION_MAX_CHARS] + " [... cut]"
        message = f"Observation:\n{observation}" if self.action_format == "code" else f"Observation: {observation}"
        if turn.ok:
            message += f"\nIf this answers the task, call {FINAL_ANSWER} with it."
        return message

    def _answer_how(self) -> str:
        if self.action_format == "code":
            return (
                "Do not run more code: reply with a thought and a code block that only calls final_answer with your "
                "answer written out as a literal."
            )
        return f"Do not call any tool but {FINAL_ANSWER}."

    def _format_hint(self) -> str:
        if self.action_format == "code":
            return "Reply with one line starting with 'Thought:' and then one ```python code block."
        return "Keep the thought short and reply with one JSON object with keys thought, tool, arguments."

    # --- tools ------------------------------------------------------------------------------------------------

    async def call_tool(self, action: Action, ctx: NodeContext) -> tuple[bool, str]:
        """Run the named tool; (ok, observation). A `ToolError` is an observation too, never an exception."""
        try:
            result = await self.tools.get(action.tool).invoke(action.arguments, self.tool_context(ctx))
        except ToolError as exc:
            self._emit_tool(ctx, action.tool, action.arguments, error=str(exc))
            return False, f"Error: {exc}"
        self._emit_tool(ctx, action.tool, action.arguments)
        return True, result

    def _emit_tool(self, ctx: NodeContext, tool: str, arguments: Any, *, error: str | None = None) -> None:
        fields: dict[str, Any] = {"ok": error is None}
        if error is not None:
            fields["error"] = preview(error)
        ctx.events.emit(
            "tool.called", node=event_node(ctx), agent=ctx.agent, tool=tool, arguments=preview(arguments), **fields
        )


def _repeat(seen: dict[str, tuple[int, str, bool]], key: str, fields: dict[str, Any]) -> _Turn | None:
    """The turn of an action identical to an earlier one: not run again, its observation shows the earlier result."""
    if key not in seen:
        return None
    earlier_step, observation, ok = seen[key]
    text = f"You already did exactly this at step {earlier_step}, so it was not run again. Its result was:\n{observation}"
    if not ok:
        text += "\nDo not repeat it: try something different."
    return _Turn(False, text, fields={**fields, "repeat_of": earlier_step}, repeat_of_success=ok, repeat_of_failure=not ok)


def _escape_sampling(sampling: Sampling, step: int) -> Sampling:
    """Sampling for the turn after a repeated failure: some temperature, seeded by the step (repeatable runs)."""
    if sampling.temperature >= ESCAPE_TEMPERATURE:
        return sampling
    return sampling.model_copy(update={"temperature": ESCAPE_TEMPERATURE, "seed": step})


def _event_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The trace fields an ``agent.step`` event carries: thought, action (the tool) and the code, if any."""
    shown = {"thought": fields.get("thought") or None, "action": fields.get("tool")}
    if "code" in fields:
        shown["code"] = fields["code"]
    return shown
