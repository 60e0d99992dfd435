"""One node's (or one map item's) work: its agent's attempts under the node's `RetryPolicy` and timeout.

`run_attempts` never raises for the agent's failures (they are its result, with the error text of the last
attempt); only cancellation goes through. A node's output is checked against its ``output_schema`` here, so
an output that does not fit is one more failed attempt.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from agentrt.errors import OutputParseError
from agentrt.graph.contract import AgentOutcome, AgentResult, NodeContext, PlanStep
from agentrt.retry import RetryPolicy


@dataclass(slots=True)  # not frozen: one is made per node (and per map item), and frozen ones cost 3x to make
class Attempts:
    """How a node's attempts ended: with an output (``ok``) or with the last attempt's error."""

    ok: bool
    attempts: int  # attempts made
    tokens: int = 0  # over all attempts
    output: Any = None
    outcome: AgentOutcome | None = None  # how the agent ended, when ok
    plan: list[PlanStep] | None = None  # a plan the agent returned for the runtime to insert
    error: str | None = None  # when not ok

    @classmethod
    def failed(cls, error: str) -> Attempts:
        """Work that failed before any attempt (a template that does not render)."""
        return cls(ok=False, attempts=0, error=error)


async def run_attempts(
    agent: Any,
    task: str,
    ctx: NodeContext,
    *,
    retry: RetryPolicy,
    timeout_s: float | None,
    output_schema: dict[str, Any] | None,
    on_retry: Callable[[int, str], None] | None = None,
) -> Attempts:
    """``await agent.run(task, ctx)`` until it gives an output, at most ``retry.attempts`` times, waiting
    ``retry.delay_s`` before each retry; ``on_retry(attempt, last error)`` is called as a retry starts."""
    error = ""
    tokens = 0
    for attempt in range(1, retry.attempts + 1):
        if attempt > 1:
            await asyncio.sleep(retry.delay_s(attempt - 1))
            if on_retry is not None:
                on_retry(attempt, error)
        deadline = asyncio.timeout(timeout_s) if timeout_s is not None else None
        try:
            if deadline is None:
                raw = await agent.run(task, ctx)
            else:
                async with deadline:
                    raw = await agent.run(task, ctx)
            result = raw if isinstance(raw, AgentResult) else AgentResult(output=raw)
            tokens += result.tokens
            if result.plan:
                return Attempts(True, attempt, tokens, result.output, result.outcome, plan=result.plan)
            output = check_output(result.output, output_schema)
            return Attempts(True, attempt, tokens, output, result.outcome)
        except TimeoutError as exc:
            if deadline is not None and deadline.expired():
                error = f"timed out after {timeout_s:g}s (attempt {attempt} of {retry.attempts})"
            else:  # a TimeoutError of the agent's own (a tool's, a request's): a failure like any other
                error = f"{type(exc).__name__}: {exc} (attempt {attempt} of {retry.attempts})"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc} (attempt {attempt} of {retry.attempts})"
    return Attempts(False, retry.attempts, tokens, error=error)


def check_output(output: Any, schema: dict[str, Any] | None) -> Any:
    """Validate a node's output against its declared JSON schema (a string output is parsed as JSON first)."""
    if schema is None:
        return output
    value = output
    if isinstance(output, str):
        try:
            value = json.loads(output)
        except json.JSONDecodeError as exc:
            raise OutputParseError(f"output is not JSON (char {exc.pos}): {output[:200]!r}") from exc
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise OutputParseError(f"output does not match output_schema at {path}: {exc.message}") from exc
    return value
