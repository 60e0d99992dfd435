"""Honest outcomes: how a node's agents ended, rolled up to the node and to the run.

An agent's run ends `AgentOutcome.ANSWERED`, `STEP_LIMIT` (it ran out of steps: its output is a best effort) or
`REJECTED` (a critic did not approve the answer). A node that succeeded records its agent's outcome. Several
agent runs make one node in two cases, and roll up the same way: a map node (one run per item) and a node whose
agent returned a plan (one node per step). Such a node answered when every item or step that completed
answered; otherwise it takes the worst outcome among them, `STEP_LIMIT` (no answer at all) before `REJECTED`
(an answer a critic did not approve). The planner's own outcome counts as one of them.

A run whose nodes all succeeded is `RunStatus.SUCCEEDED` only when every node answered; otherwise it is
`RunStatus.INCOMPLETE`: it has outputs, but not a clean answer. A failed node makes the run `FAILED`, and a
cancelled one (with none failed) `CANCELLED`, whatever the outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from agentrt.graph.contract import AgentOutcome
from agentrt.graph.states import NodeState, RunStatus

if TYPE_CHECKING:
    from agentrt.graph.result import NodeRecord

# Worst last.
_SEVERITY = (AgentOutcome.ANSWERED, AgentOutcome.REJECTED, AgentOutcome.STEP_LIMIT)


def roll_up(outcomes: Iterable[AgentOutcome | None]) -> AgentOutcome | None:
    """The outcome of several agent runs taken as one (see the module docstring); None when none of them ran
    to an outcome."""
    known = [outcome for outcome in outcomes if outcome is not None]
    if not known:
        return None
    return max(known, key=_SEVERITY.index)


def unanswered(nodes: Mapping[str, NodeRecord]) -> dict[str, AgentOutcome]:
    """The nodes that succeeded without a clean answer, with their outcome, in the run's order."""
    return {
        node_id: record.outcome
        for node_id, record in nodes.items()
        if record.state == NodeState.SUCCEEDED and record.outcome not in (None, AgentOutcome.ANSWERED)
    }


def run_status(nodes: Mapping[str, NodeRecord]) -> RunStatus:
    """The status of a run whose nodes have all finished (see the module docstring)."""
    states = {record.state for record in nodes.values()}
    if NodeState.FAILED in states:
        return RunStatus.FAILED
    if states - {NodeState.SUCCEEDED}:  # only cancelled nodes and what they skipped
        return RunStatus.CANCELLED
    return RunStatus.INCOMPLETE if unanswered(nodes) else RunStatus.SUCCEEDED
