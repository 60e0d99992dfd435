"""Dynamic expansion: a node whose agent returns ``AgentResult(plan=[PlanStep, ...])`` gets the plan's steps
inserted as nodes ``<node>.<step id>`` (`agentrt.graph.ids.step_node_id`).

A plan follows the rules a graph file does: ids by `agentrt.graph.ids`, known agents (a step without one runs
the graph's ``default_agent``), needs that name other steps of the plan (`agentrt.graph.dag.bad_needs`) and no
cycle. A step's task is the step's text plus the outputs of the steps it needs; it runs with its parent's
retries, timeout and priority. The expanding node stays running until all its steps finish, then succeeds with
``{step id: step output}`` (what its dependents see) or fails if any step did not succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container

from agentrt.graph.contract import PlanStep
from agentrt.graph.dag import bad_needs, build_dag, find_cycle, format_cycle
from agentrt.graph.ids import id_problem, step_node_id
from agentrt.graph.nodes import RunNode
from agentrt.graph.result import NodeRecord


def plan_problem(
    parent: str, plan: list[PlanStep], *, agents: Collection[str], default_agent: str | None, taken: Container[str]
) -> str | None:
    """Why ``plan`` (returned by node ``parent``) cannot be inserted, or None. ``taken``: the run's node ids."""
    where = f"plan returned by node {parent!r}"
    ids = [step.id for step in plan]
    for step in plan:
        if problem := id_problem(step.id):
            return f"{where}: step id {problem}"
        if ids.count(step.id) > 1:
            return f"{where}: step id {step.id!r} is used twice"
        agent = step.agent or default_agent
        if agent is None:
            return f"{where}: step {step.id!r} names no agent and the graph has no default_agent"
        if agent not in agents:
            return f"{where}: step {step.id!r}: unknown agent {agent!r} (known: {', '.join(sorted(agents))})"
    for bad in bad_needs({step.id: step.needs for step in plan}, set(ids)):
        what = f"unknown step {bad.need!r}" if bad.unknown else "itself"
        return f"{where}: step {bad.node!r} needs {what}"
    cycle = find_cycle(build_dag({step.id: step.needs for step in plan}))
    if cycle is not None:
        return f"{where}: dependency cycle: {format_cycle(cycle)}"
    if any(step_node_id(parent, step_id) in taken for step_id in ids):
        return f"{where}: a step's node id is already in the graph"
    return None


def step_nodes(
    parent: RunNode, plan: list[PlanStep], default_agent: str | None, record_for: Callable[[str, str], NodeRecord]
) -> list[RunNode]:
    """The plan's steps as nodes under ``parent`` (a checked plan: see `plan_problem`). ``record_for(node id,
    agent)`` gives each its record: a fresh one, or what a resumed run kept."""
    children = []
    for step in plan:
        child_id = step_node_id(parent.id, step.id)
        agent = step.agent or default_agent or ""
        needs = [step_node_id(parent.id, need) for need in step.needs]
        record = record_for(child_id, agent)
        record.parent, record.task, record.needs = parent.id, step.task, needs
        spec = parent.spec.model_copy(
            update={"agent": agent, "input": "", "needs": needs, "map": None, "max_concurrency": None,
                    "output_schema": None}
        )
        children.append(RunNode(child_id, spec, None, None, tuple(needs), record, parent.retry, parent=parent))
    return children
