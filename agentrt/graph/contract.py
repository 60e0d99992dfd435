"""What the graph runtime gives an agent, and what an agent gives back.

`agentrt/` never imports `agents/`: agent classes are named by import path in graph YAML and only have to fit
`AgentProtocol`. `agents.Agent` is the ready-made base class that does.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.sampling import Sampling
from agentrt.events import EventBus
from agentrt.graph.ids import item_label, owner


class AgentSpec(BaseModel):
    """An agent as declared in a graph: `agents: {name: {class: ..., role: ..., sampling: ..., tools: [...]}}`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    class_path: str = Field("agents.Executor", alias="class")
    role: str = ""
    sampling: Sampling = Sampling()
    tools: list[str] = Field(default_factory=list)
    max_tokens: int = Field(512, ge=1)
    options: dict[str, Any] = Field(default_factory=dict, description="extra keyword arguments for the class")


class PlanStep(BaseModel):
    """One step of a plan a node returns for dynamic expansion (as the Planner produces)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    task: str
    agent: str | None = None  # an agent name of the graph; None means the graph's default executor
    needs: list[str] = Field(default_factory=list)


class AgentOutcome(StrEnum):
    """How an agent's run ended, as far as its task goes (a crash is not an outcome: it raises).

    A node whose agent did not answer still has an output (whatever the agent had), but its run is not a clean
    success: the graph runtime, the state file, the CLI, the dashboard and the GAIA report all show this value.
    """

    ANSWERED = "answered"  # the agent gave its answer (e.g. the Executor called final_answer)
    STEP_LIMIT = "step_limit"  # the agent ran out of steps; its output is its best effort, not an answer
    REJECTED = "rejected"  # a critic reviewed the final answer and did not approve it


class AgentResult(BaseModel):
    """What `Agent.run` returns. A bare value returned instead is wrapped as ``AgentResult(output=value)``."""

    output: Any = None
    outcome: AgentOutcome = AgentOutcome.ANSWERED
    plan: list[PlanStep] | None = None  # a sub-plan for the scheduler to insert and run in this run
    tokens: int = 0
    trace: list[dict[str, Any]] = Field(default_factory=list)  # e.g. ReAct steps, for reports


class NodeContext(BaseModel):
    """Handed to `run()`: the shared engine, where to write, and how to report."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: EngineProtocol
    events: EventBus
    run_dir: Path
    workspace: Path  # tools that touch files are confined here
    node_id: str
    agent: str
    priority: int = 0
    item_index: int | None = None  # set for items of a map node
    output_schema: dict[str, Any] | None = None  # a node's declared output JSON schema, if any

    @property
    def owner(self) -> str:
        """The owner string for `engine.sequence(owner=...)`: ``node/agent`` (``node[3]/agent`` for map items)."""
        return owner(self.node_id, self.agent, self.item_index)

    @property
    def label(self) -> str:
        """The node as events name it: ``node``, or ``node[3]`` for item 3 of a map node."""
        return item_label(self.node_id, self.item_index)


@runtime_checkable
class AgentProtocol(Protocol):
    """Constructed as ``cls(spec)``; ``run`` may be awaited many times (map items, retries). Checked when a graph
    is loaded (`agentrt.graph.checks.agent_protocol_problem`)."""

    def __init__(self, spec: AgentSpec) -> None: ...

    async def run(self, task: str, ctx: NodeContext) -> AgentResult | Any: ...
