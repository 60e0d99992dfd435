"""What a run produces and what the state file holds: node records, map item records, the run result."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrt.graph.contract import AgentOutcome, PlanStep
from agentrt.graph.outcomes import unanswered
from agentrt.graph.states import ItemStatus, NodeState, RunStatus


class ItemRecord(BaseModel):
    """One item of a map node: its own status, like one task of a concurrent pool."""

    index: int
    status: ItemStatus = ItemStatus.PENDING
    outcome: AgentOutcome | None = None  # how the item's agent ended, once it completed
    output: Any = None
    error: str | None = None
    attempts: int = 0
    tokens: int = 0
    elapsed_ms: float | None = None


class NodeRecord(BaseModel):
    """One node's progress and result. Also the unit the state file stores, so a resume can skip it."""

    model_config = ConfigDict(validate_assignment=False)

    state: NodeState = NodeState.PENDING
    # How the node's agent ended, once it succeeded (map items and plan steps rolled up: agentrt.graph.outcomes).
    outcome: AgentOutcome | None = None
    agent: str = ""
    output: Any = None
    error: str | None = None
    attempts: int = 0
    tokens: int = 0
    elapsed_ms: float | None = None
    items: list[ItemRecord] | None = None  # map nodes only, in input order
    # Dynamic expansion: the sub-plan this node's agent returned (kept so a resume re-inserts the same steps
    # without asking the agent again), and for an inserted step node its parent, task and needs.
    plan: list[PlanStep] | None = None
    parent: str | None = None
    task: str | None = None
    needs: list[str] = Field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    # What the node ran: its definition, its agent's, the inputs it reads and its needs' fingerprints, hashed
    # (agentrt.graph.fingerprint). A forced resume of a changed graph keeps a result only if this still matches.
    fingerprint: str | None = None


class RunResult(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    status: RunStatus
    outputs: dict[str, Any] = Field(default_factory=dict)
    nodes: dict[str, NodeRecord] = Field(default_factory=dict)
    run_dir: Path | None = None
    elapsed_s: float = 0.0

    @property
    def failed_nodes(self) -> list[str]:
        return [name for name, record in self.nodes.items() if record.state == NodeState.FAILED]

    @property
    def unanswered(self) -> dict[str, AgentOutcome]:
        """Nodes that succeeded without a clean answer (step limit, rejected), with their outcome: why a run is
        `RunStatus.INCOMPLETE`."""
        return unanswered(self.nodes)


class RunState(BaseModel):
    """The state file (``state.json``): enough to resume the run in another process."""

    version: Literal[1] = 1
    run_id: str
    graph_file: str  # the copy of the graph definition inside the run directory
    graph_source: str  # where the definition came from originally (a path or ``<python>``)
    # sha256 of the graph copy and of the inputs, as the run started: a resume refuses a changed graph or changed
    # inputs unless forced. None in run directories written before they were recorded.
    graph_sha256: str | None = None
    inputs_sha256: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None  # overrides given at launch, re-applied on resume
    sequences: int | None = None
    status: RunStatus = RunStatus.RUNNING
    started_at: float = 0.0
    updated_at: float = 0.0
    nodes: dict[str, NodeRecord] = Field(default_factory=dict)
