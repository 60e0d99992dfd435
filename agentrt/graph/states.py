"""The states of a graph run, its nodes and its map items, as enums (their values are what state.json and the
events carry), and the one set of each that will not change again.

A node: ``pending -> ready -> running -> succeeded | failed | skipped | cancelled``. A map item: ``pending ->
running -> completed | failed | cancelled``. A run: ``running``, then one of the finished statuses below.
"""

from __future__ import annotations

from enum import StrEnum


class NodeState(StrEnum):
    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a node it needs did not succeed
    CANCELLED = "cancelled"


class ItemStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every node succeeded and every agent answered
    # Every node succeeded, but an agent did not answer (it ran out of steps, or its critic rejected the answer):
    # the run has outputs, but they are not a clean answer. See `agentrt.graph.outcomes`.
    INCOMPLETE = "incomplete"
    FAILED = "failed"  # some node failed (its descendants were skipped)
    CANCELLED = "cancelled"  # the run, or some node, was cancelled, and no node failed


# Node states that will not change again in this run (a resume starts all but `succeeded` over).
FINISHED_NODE_STATES: frozenset[NodeState] = frozenset(
    {NodeState.SUCCEEDED, NodeState.FAILED, NodeState.SKIPPED, NodeState.CANCELLED}
)
FINISHED_ITEM_STATUSES: frozenset[ItemStatus] = frozenset(
    {ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.CANCELLED}
)
FINISHED_RUN_STATUSES: frozenset[RunStatus] = frozenset(set(RunStatus) - {RunStatus.RUNNING})

# How `agentrt run` and `agentrt resume` (and the dashboard) exit for each finished status. 2 is every command's
# exit for an error that stopped it before or outside the run (a bad graph, a changed graph on resume).
RUN_EXIT_CODES: dict[RunStatus, int] = {
    RunStatus.SUCCEEDED: 0,
    RunStatus.FAILED: 1,
    RunStatus.INCOMPLETE: 3,
    RunStatus.CANCELLED: 130,
}
