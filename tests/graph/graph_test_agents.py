"""Agent classes for the graph tests. They fit `AgentProtocol` without depending on `agents/`.

Behaviour is driven by the task text or the agent's ``options`` so YAML fixtures can script them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agentrt.graph.contract import AgentOutcome, AgentResult, AgentSpec, NodeContext, PlanStep


class EchoAgent:
    """Asks the engine (one leased sequence) and returns its reply; options: ``fail_if`` substring → raise."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        if self.spec.options.get("fail_if") and self.spec.options["fail_if"] in task:
            raise RuntimeError(f"refusing task {task!r}")
        async with ctx.engine.sequence(owner=ctx.owner, priority=ctx.priority) as seq:
            messages = [{"role": "system", "content": self.spec.role or "echo"}, {"role": "user", "content": task}]
            result = await seq.chat(messages, max_tokens=self.spec.max_tokens)
        return AgentResult(output=result.text, tokens=result.completion_tokens)


class AppendAgent:
    """Appends ``<node> <task>`` to workspace/log.txt (to count runs across processes), after an engine call."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> str:
        async with ctx.engine.sequence(owner=ctx.owner, priority=ctx.priority) as seq:
            await seq.chat([{"role": "user", "content": task}], max_tokens=8)
        with (ctx.workspace / "log.txt").open("a", encoding="utf-8") as f:
            f.write(f"{ctx.owner} {task}\n")
            f.flush()
        return f"done:{ctx.node_id}"


class SleepAgent:
    """Sleeps ``options.seconds`` (default 10) without the engine: for timeouts and cancellation."""

    def __init__(self, spec: AgentSpec) -> None:
        self.seconds = float(spec.options.get("seconds", 10))

    async def run(self, task: str, ctx: NodeContext) -> str:
        async with ctx.engine.sequence(owner=ctx.owner) as _seq:
            await asyncio.sleep(self.seconds)
        return "slept"


class FlakyAgent:
    """Fails the first ``options.failures`` calls (per instance), then returns "ok after N"."""

    def __init__(self, spec: AgentSpec) -> None:
        self.failures = int(spec.options.get("failures", 1))
        self.calls = 0

    async def run(self, task: str, ctx: NodeContext) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"flaky failure {self.calls}")
        return f"ok after {self.calls}"


class PlannerAgent:
    """Returns the plan given as JSON in the task: ``[{"id": ..., "task": ..., "needs": [...], "agent": ...}]``."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        steps = [PlanStep.model_validate(step) for step in json.loads(task)]
        return AgentResult(output="planned", plan=steps)


class UpperAgent:
    """No engine: returns the task upper-cased (or fails on "boom")."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> Any:
        if "boom" in task:
            raise ValueError("boom in task")
        return task.upper()


class ToolAgent:
    """Declares its tools, so graphs naming other tools are rejected at load time."""

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    @classmethod
    def available_tools(cls) -> set[str]:
        return {"calculator", "read_file"}

    async def run(self, task: str, ctx: NodeContext) -> str:
        return task


def fake_engine_factory(spec: Any, events: Any) -> Any:
    """For ``agentrt run --engine-factory graph_test_agents:fake_engine_factory``: replies echo the prompt,
    each request takes ``AGENTRT_TEST_DELAY`` seconds (default 0)."""
    import os

    from agentrt.testing import FakeEngine

    delay = float(os.environ.get("AGENTRT_TEST_DELAY", "0"))
    return FakeEngine(spec.model.sequences, events=events, delay=delay, reply=lambda owner, m: f"re: {m[-1].content}")


class OutcomeAgent:
    """No engine: returns the task upper-cased with the outcome its options map the task to (``outcomes``:
    ``{substring: outcome}``; default ``answered``), as an agent that ran out of steps or was rejected would."""

    def __init__(self, spec: AgentSpec) -> None:
        self.outcomes = dict(spec.options.get("outcomes", {}))

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        outcome = next((o for key, o in self.outcomes.items() if key in task), AgentOutcome.ANSWERED)
        return AgentResult(output=task.upper(), outcome=AgentOutcome(outcome))


class TextAgent:
    """No engine: returns ``options.text``, or a list holding it (``options.as_list``). ``options.file_name``
    (bytes as hex) is decoded the way os.listdir decodes a name: a Latin-1 name gives a lone surrogate, which
    a graph file may not hold but an agent's output may."""

    def __init__(self, spec: AgentSpec) -> None:
        name = bytes.fromhex(spec.options.get("file_name", "")).decode("utf-8", "surrogateescape")
        self.text = str(spec.options.get("text", "")) + name
        self.as_list = bool(spec.options.get("as_list", False))

    async def run(self, task: str, ctx: NodeContext) -> Any:
        return [self.text, task] if self.as_list else self.text + task
