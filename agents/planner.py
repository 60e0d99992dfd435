"""`Planner`: turns a task into a plan of steps (ids, tasks, dependencies) that the graph runtime runs.

The reply is grammar-constrained to the plan schema, so it always parses; what the schema cannot promise —
unique, usable ids and dependencies that point at earlier steps — is repaired here, and every repair is
recorded in the result's trace. Dependencies only ever point backwards after repair, so a plan is always a
DAG. A plan with no usable step is an `OutputParseError`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentrt.errors import OutputParseError
from agentrt.graph.contract import AgentResult, NodeContext, PlanStep
from agentrt.graph.ids import make_id

from agents.base import Agent
from agents.conversation import Conversation

ID_MAX_CHARS = 24
STEP_TASK_MIN_CHARS = 8
# A step's task: prose of at least STEP_TASK_MIN_CHARS characters, without braces, brackets, quotes,
# backslashes or newlines (a model that starts writing JSON inside a task, "6+6 }, {", is held to prose).
STEP_TASK_PATTERN = r'^[^{}\[\]"\\\n]{%d,}$' % STEP_TASK_MIN_CHARS


class PlannerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(4, ge=1, le=20, description="most steps in a plan")
    agents: list[str] = Field(
        default_factory=list,
        description="graph agent names a step may be assigned to; empty: every step goes to the default executor",
    )
    expand: bool = Field(
        True, description="return the plan for the graph runtime to run (False: the plan is only the output)"
    )


class RawStep(BaseModel):
    """A step as the model wrote it, before repair."""

    id: str
    task: str
    needs: list[str] = Field(default_factory=list)
    agent: str | None = None


class RawPlan(BaseModel):
    steps: list[RawStep]


def step_ids(max_steps: int) -> list[str]:
    """The ids a plan may use: ``s1`` .. ``sN``. Free-text ids invite a small model to ramble (``1.1.1.1...``)."""
    return [f"s{i}" for i in range(1, max_steps + 1)]


def plan_schema(max_steps: int, agents: list[str]) -> dict[str, Any]:
    """The plan's JSON schema for the grammar: ids and needs from a fixed set.

    A step's task is prose (`STEP_TASK_PATTERN`) whose length is bounded by the request's max_tokens, never
    mid-sentence by the schema.
    """
    ids = step_ids(max_steps)
    step: dict[str, Any] = {
        "type": "object",
        "properties": {
            "id": {"enum": ids},
            "task": {"type": "string", "pattern": STEP_TASK_PATTERN},
            "needs": {"type": "array", "items": {"enum": ids}, "maxItems": max(1, max_steps - 1)},
        },
        "required": ["id", "task", "needs"],
        "additionalProperties": False,
    }
    if agents:
        step["properties"]["agent"] = {"enum": agents}
        step["required"].append("agent")
    return {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": step, "minItems": 1, "maxItems": max_steps}},
        "required": ["steps"],
        "additionalProperties": False,
    }


def repair_plan(raw: RawPlan, *, max_steps: int, agents: list[str], where: str) -> tuple[list[PlanStep], list[str]]:
    """Make a model-written plan runnable: (steps, notes on what was changed).

    Ids become identifiers and unique; steps without a task are dropped; a dependency is kept only if it
    names an earlier kept step (unknown ids and forward references — the only way to a cycle — are dropped).
    """
    notes: list[str] = []
    steps: list[PlanStep] = []
    renamed: dict[str, str] = {}
    for index, raw_step in enumerate(raw.steps[:max_steps], start=1):
        task = " ".join(raw_step.task.split())
        if not task:
            notes.append(f"dropped step {raw_step.id!r}: empty task")
            continue
        base = make_id(raw_step.id, f"step{index}", max_chars=ID_MAX_CHARS)  # the graph's one rule for ids
        new_id, n = base, 2
        while any(s.id == new_id for s in steps):
            new_id, n = f"{base}_{n}", n + 1
        if new_id != raw_step.id:
            notes.append(f"renamed step {raw_step.id!r} to {new_id!r}")
        needs: list[str] = []
        for need in raw_step.needs:
            target = renamed.get(need.strip())
            if target is None:
                notes.append(f"step {new_id!r}: dropped need {need!r} (not an earlier step)")
            elif target not in needs:
                needs.append(target)
        agent = raw_step.agent if raw_step.agent in agents else None
        if raw_step.agent is not None and agent is None:
            notes.append(f"step {new_id!r}: unknown agent {raw_step.agent!r}, using the default executor")
        renamed.setdefault(raw_step.id.strip(), new_id)
        steps.append(PlanStep(id=new_id, task=task, agent=agent, needs=needs))
    if len(raw.steps) > max_steps:
        notes.append(f"kept the first {max_steps} of {len(raw.steps)} steps")
    if not steps:
        raise OutputParseError(f"{where}: the plan has no usable step: {raw.model_dump_json()[:300]}")
    return steps, notes


class Planner(Agent):
    """Writes a plan; the graph runtime expands it into nodes (independent steps run concurrently)."""

    default_role = "You are a planner. You split a task into a few small, concrete steps."
    Options = PlannerOptions
    options: PlannerOptions

    def system_prompt(self, ctx: NodeContext) -> str:
        # No worked example: a 135M model copies examples verbatim, and the grammar already fixes the format.
        agents = (
            f" Give each step an agent, one of: {', '.join(self.options.agents)}." if self.options.agents else ""
        )
        return (
            f"{self.role}\n\n"
            f"Reply with a JSON plan of 1 to {self.options.max_steps} steps for the user's task; a simple task "
            f"needs only one step. Each step has an id ({', '.join(step_ids(self.options.max_steps))}, in order), "
            "a task and needs. The task is one sentence that says exactly what to compute or find, with every "
            "number and name it needs: the assistant doing a step sees only its task and the results of the steps "
            "it needs. needs lists the ids of earlier steps whose results the step uses (empty if none). Steps "
            f"that do not need each other run at the same time.{agents}"
        )

    def constraints(self) -> list[dict[str, Any]]:
        return [{"json_schema": plan_schema(self.options.max_steps, self.options.agents)}]

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> AgentResult:
        where = f"node {ctx.node_id!r} agent {ctx.agent!r} (planner)"
        raw = await conv.ask_json(f"Task: {task}", RawPlan, **self.constraints()[0], where=where)
        steps, notes = repair_plan(raw, max_steps=self.options.max_steps, agents=self.options.agents, where=where)
        self.emit_step(
            ctx, 1, thought=f"plan of {len(steps)} steps", observation=[s.model_dump() for s in steps]
        )
        return AgentResult(
            output=[s.model_dump() for s in steps],
            plan=steps if self.options.expand else None,
            tokens=conv.tokens,
            trace=[{"reply": conv.messages[-1].content, "repairs": conv.repairs + notes}],
        )
