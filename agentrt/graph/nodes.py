"""`RunNode`: one node of a run as the scheduler holds it (its definition, its record, its links), and `Lookup`,
what templates see of the inputs and the nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentrt.graph.contract import AgentOutcome, PlanStep
from agentrt.graph.result import NodeRecord
from agentrt.graph.spec import NodeSpec
from agentrt.graph.template import Template
from agentrt.retry import RetryPolicy


class Lookup:
    """What templates see as ``inputs`` and ``nodes``: keys as attributes, and no dict methods in the way
    (so an input or node called ``items`` or ``keys`` still resolves to itself)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._data[name]


@dataclass(slots=True, eq=False)
class RunNode:
    id: str
    spec: NodeSpec
    input: Template | None  # graph nodes: the input template; inserted plan steps: None (their task is recorded)
    map: Template | None
    needs: tuple[str, ...]
    record: NodeRecord
    retry: RetryPolicy  # the spec's retries as a policy, made once (a map node's items all use it)
    dependents: list[RunNode] = field(default_factory=list)
    waiting: int = 0  # needs not succeeded yet
    parent: RunNode | None = None  # inserted plan steps: the node whose plan they are
    children: list[RunNode] = field(default_factory=list)  # an expanded node's plan steps
    open_children: int = 0  # plan steps not finished yet
    agent_instance: Any = None
    started: float = 0.0  # perf_counter when it started running

    @property
    def kind(self) -> str:
        return "map" if self.map is not None else "node"

    def subtree(self) -> list[RunNode]:
        """This node and its plan steps, theirs included."""
        nodes = [self]
        for child in self.children:
            nodes += child.subtree()
        return nodes


@dataclass(slots=True)  # not frozen: one is made per node (and per map item), and frozen ones cost 3x to make
class NodeResult:
    """What one run of a node's work came to, for the scheduler to apply (`Scheduler._after_tick`)."""

    ok: bool
    output: Any = None
    error: str | None = None  # when not ok
    outcome: AgentOutcome | None = None  # how its agent(s) ended, when ok
    plan: list[PlanStep] | None = None  # steps to insert before the node can finish

    @classmethod
    def failed(cls, error: str) -> NodeResult:
        return cls(ok=False, error=error)
