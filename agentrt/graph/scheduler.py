"""The scheduler: runs a compiled graph's nodes as asyncio tasks, each as soon as its needs succeeded.

It works in ticks, as LangGraph's Pregel loop does: `_tick` starts every ready node (highest priority first, up
to the run's ``max_concurrency`` if one is set); `_after_tick` waits for at least one running node to finish,
applies every node that finished (dependents become ready, a failure skips exactly its descendants, a returned
plan is inserted) and writes the state file once, before any dependent starts. Real concurrency is bounded by
the engine's sequence pool: agents lease their own sequences and wait there.

A node's work is one of: its agent's attempts (`agentrt.graph.attempt`), one per item of a map node
(`agentrt.graph.map_items`), or re-inserting a plan a resumed run kept (`agentrt.graph.expansion`). Node states
(`agentrt.graph.states`) change with one ``node.state`` event each. One node can be cancelled while the run goes
on (`cancel_node`, reached through a `RunHandle`): it ends ``cancelled`` and its descendants ``skipped``, like a
failure. The run's status at the end: `agentrt.graph.outcomes.run_status`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import GraphRunError
from agentrt.events import EventBus
from agentrt.graph.attempt import Attempts, run_attempts
from agentrt.graph.checks import CompiledGraph
from agentrt.graph.contract import NodeContext
from agentrt.graph.expansion import plan_problem, step_nodes
from agentrt.graph.fingerprint import matching_records, node_fingerprints
from agentrt.graph.handle import NodeCancellation
from agentrt.graph.ids import step_of
from agentrt.graph.map_items import run_map_items
from agentrt.graph.nodes import Lookup, NodeResult, RunNode
from agentrt.graph.outcomes import roll_up, run_status, unanswered
from agentrt.graph.result import ItemRecord, NodeRecord, RunResult, RunState
from agentrt.graph.rundir import RunDir
from agentrt.graph.states import FINISHED_NODE_STATES, ItemStatus, NodeState, RunStatus

PREVIEW_CHARS = 500

_log = logging.getLogger(__name__)


class Scheduler:
    """One run of one compiled graph. Create, then ``await run()`` once."""

    def __init__(
        self,
        graph: CompiledGraph,
        *,
        engine: EngineProtocol,
        events: EventBus,
        inputs: dict[str, Any],
        run_id: str,
        run_path: Path,
        workspace: Path,
        run_dir: RunDir | None = None,
        state: RunState | None = None,
        stored: dict[str, NodeRecord] | None = None,
        max_concurrency: int | None = None,
        graph_label: str = "",
    ) -> None:
        self._graph = graph
        self._spec = graph.spec
        self._engine = engine
        self._events = events
        self._inputs = inputs
        self._run_id = run_id
        self._run_path = run_path
        self._workspace = workspace
        self._run_dir = run_dir
        self._state = state
        self._resumed = bool(stored)
        # Fingerprints go into the state file, and decide which stored results a resume may keep: only where
        # something is stored or persisted are they worth computing.
        persisted = run_dir is not None and state is not None
        self._fingerprints = node_fingerprints(graph, inputs) if persisted or stored else {}
        self._stored = matching_records(stored, self._fingerprints) if stored else {}
        self._limit = max_concurrency or graph.spec.max_concurrency
        self._label = graph_label
        self._nodes: dict[str, RunNode] = {}
        self._node_view: dict[str, Lookup] = {}
        self._input_view = Lookup(dict(inputs))
        self._ready: list[tuple[int, int, RunNode]] = []
        self._order = itertools.count()
        self._running: dict[RunNode, asyncio.Task[NodeResult]] = {}
        self._completions: asyncio.Queue[tuple[RunNode, asyncio.Task[NodeResult]]] = asyncio.Queue()
        self._unfinished = 0
        self._dirty = False
        # Nodes a caller asked to cancel whose work is still unwinding (a running task, an expanded node's steps),
        # and the callers waiting for them to finish.
        self._cancel_requested: set[RunNode] = set()
        self._finish_waiters: dict[RunNode, asyncio.Future[None]] = {}
        for node_id, compiled in graph.nodes.items():
            record = self._restored_record(node_id, compiled.spec.agent)
            needs = tuple(sorted(compiled.needs))
            spec = compiled.spec
            self._add(RunNode(node_id, spec, compiled.input, compiled.map, needs, record, spec.retry_policy))

    # --- nodes -------------------------------------------------------------------------------------------

    def _restored_record(self, node_id: str, agent: str) -> NodeRecord:
        """A finished node from the state file as it was; anything else starts again, keeping what it can
        (a returned plan is re-inserted without asking the agent again; completed map items stay done)."""
        old = self._stored.get(node_id)
        fingerprint = self._fingerprints.get(node_id)
        if old is None:
            return NodeRecord(agent=agent, fingerprint=fingerprint)
        if old.state == NodeState.SUCCEEDED:
            return old
        items = None
        if old.items is not None:
            items = [i if i.status == ItemStatus.COMPLETED else ItemRecord(index=i.index) for i in old.items]
        return NodeRecord(
            agent=agent, plan=old.plan, items=items, parent=old.parent, task=old.task, needs=old.needs,
            outcome=old.outcome if old.plan else None,  # the planner's own, rolled up again with its steps'
            fingerprint=fingerprint,
        )

    def _add(self, node: RunNode) -> None:
        self._nodes[node.id] = node
        self._node_view[node.id] = Lookup({"output": node.record.output, "state": node.record.state})
        if node.record.state not in FINISHED_NODE_STATES:
            self._unfinished += 1

    def _admit(self, nodes: list[RunNode]) -> None:
        """Nodes joining the run (the graph's at the start, a plan's steps later): link each to the nodes it
        needs, announce its state, and make it ready when nothing it needs is left to succeed."""
        for node in nodes:
            for need in node.needs:
                self._nodes[need].dependents.append(node)
        for node in nodes:
            if node.record.state == NodeState.SUCCEEDED:  # kept from the earlier run
                self._emit_state(node, restored=True, outcome=node.record.outcome)
            else:
                self._emit_state(node)
        for node in nodes:
            if node.record.state == NodeState.PENDING:
                node.waiting = sum(1 for need in node.needs if self._nodes[need].record.state != NodeState.SUCCEEDED)
                if node.waiting == 0:
                    self._make_ready(node)

    def _make_ready(self, node: RunNode) -> None:
        self._set_state(node, NodeState.READY)
        heapq.heappush(self._ready, (-node.spec.priority, next(self._order), node))

    # --- the loop ----------------------------------------------------------------------------------------

    async def run(self) -> RunResult:
        started = time.time()
        self._emit_run_started()
        self._admit(list(self._nodes.values()))
        self._save()
        try:
            while self._unfinished > 0:
                self._tick()
                if not self._running:
                    raise GraphRunError(f"run {self._run_id}: {self._unfinished} node(s) can never become ready")
                await self._after_tick()
        except asyncio.CancelledError:
            await self._cancel_everything()
            self._finish_run(RunStatus.CANCELLED, started)
            raise
        except Exception:
            # A fault of the run itself (a node's failure is its result, not an exception): stop what still runs
            # and record the run as failed, so the state file never stays `running`.
            await self._cancel_everything()
            self._finish_run(RunStatus.FAILED, started)
            raise
        finally:
            self._release_waiters()
        return self._finish_run(run_status(self._records()), started)

    def _tick(self) -> None:
        """Start every ready node the run-wide limit allows, highest priority first."""
        while self._ready and (self._limit is None or len(self._running) < self._limit):
            _, _, node = heapq.heappop(self._ready)
            if node.record.state != NodeState.READY:  # cancelled while it waited for a free slot
                continue
            node.started = time.perf_counter()
            node.record.started_at = time.time()
            self._set_state(node, NodeState.RUNNING, attempt=1)
            task = asyncio.create_task(self._execute(node), name=f"node:{node.id}")
            self._running[node] = task
            task.add_done_callback(lambda t, n=node: self._completions.put_nowait((n, t)))

    async def _after_tick(self) -> None:
        """Wait for one node to finish, then apply it and every other node that finished meanwhile."""
        done = [await self._completions.get()]
        while not self._completions.empty():
            done.append(self._completions.get_nowait())
        for node, task in done:
            self._running.pop(node, None)
            if task.cancelled():
                if node in self._cancel_requested:  # cancel_node; a cancelled run is wrapped up by run()
                    self._mark_items_cancelled(node)
                    self._finish(node, NodeState.CANCELLED)
                continue
            exc = task.exception()
            result = task.result() if exc is None else NodeResult.failed(f"internal error: {exc!r}")
            if result.ok and result.plan:
                error = self._expand(node, result)
                if error is None:
                    continue
                result = NodeResult.failed(error)
            self._finish_with(node, result)
        if self._dirty:
            self._save()

    def _finish_with(self, node: RunNode, result: NodeResult) -> None:
        if result.ok:
            self._finish(node, NodeState.SUCCEEDED, output=result.output, outcome=result.outcome)
        else:
            self._finish(node, NodeState.FAILED, error=result.error)

    def _finish(self, node: RunNode, state: NodeState, *, output: Any = None, error: str | None = None,
                outcome: Any = None) -> None:
        self._cancel_requested.discard(node)
        record = node.record
        record.state = state
        record.error = error
        if state == NodeState.SUCCEEDED:
            record.output, record.outcome = output, outcome
        record.finished_at = time.time()
        if node.started:
            record.elapsed_ms = (time.perf_counter() - node.started) * 1000
        self._node_view[node.id] = Lookup({"output": record.output, "state": state})
        self._unfinished -= 1
        self._dirty = True
        if state == NodeState.SUCCEEDED:
            if self._events.wants("node.output"):
                self._events.emit("node.output", node=node.id, output=_preview(output))
            self._set_state(node, state, elapsed_ms=record.elapsed_ms, tokens=record.tokens, outcome=outcome)
            for dependent in node.dependents:
                dependent.waiting -= 1
                if dependent.waiting == 0 and dependent.record.state == NodeState.PENDING:
                    self._make_ready(dependent)
        else:
            self._set_state(node, state, error=error, elapsed_ms=record.elapsed_ms, tokens=record.tokens)
            for dependent in node.dependents:
                if dependent.record.state == NodeState.PENDING:
                    self._finish(dependent, NodeState.SKIPPED, error=f"needs {node.id!r}, which {state}")
        waiter = self._finish_waiters.pop(node, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        parent = node.parent
        if parent is not None:
            parent.open_children -= 1
            if parent.open_children == 0 and parent.record.state == NodeState.RUNNING:
                self._finish_expanded(parent)

    def _finish_run(self, status: RunStatus, started: float) -> RunResult:
        outputs = self._evaluate_outputs()
        elapsed = time.time() - started
        self._save(status, final=True)
        records = self._records()
        self._events.emit(
            "run.finished", run_id=self._run_id, status=status, outputs=outputs, elapsed_s=elapsed,
            unanswered=unanswered(records),
        )
        return RunResult(
            run_id=self._run_id, status=status, outputs=outputs, nodes=records,
            run_dir=self._run_dir.path if self._run_dir is not None else None, elapsed_s=elapsed,
        )

    def _records(self) -> dict[str, NodeRecord]:
        return {node_id: node.record for node_id, node in self._nodes.items()}

    def _evaluate_outputs(self) -> dict[str, Any]:
        context = self._context()
        outputs: dict[str, Any] = {}
        for name, template in self._graph.outputs.items():
            try:
                outputs[name] = template.value(context)
            except Exception:  # an output whose node did not succeed (or lacks the key) is simply absent
                outputs[name] = None
        return outputs

    # --- cancelling --------------------------------------------------------------------------------------

    async def _cancel_everything(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # agents leave their `async with` leases here
        self._running.clear()
        self._cancel_requested.clear()
        for node in self._nodes.values():
            if node.record.state not in FINISHED_NODE_STATES:
                node.record.state = NodeState.CANCELLED
                self._mark_items_cancelled(node)
                self._set_state(node, NodeState.CANCELLED)

    def _release_waiters(self) -> None:
        """The run has ended: nobody waits for a node any longer."""
        for waiter in self._finish_waiters.values():
            if not waiter.done():
                waiter.set_result(None)
        self._finish_waiters.clear()

    @staticmethod
    def _mark_items_cancelled(node: RunNode) -> None:
        for item in node.record.items or []:
            if item.status == ItemStatus.RUNNING:
                item.status = ItemStatus.CANCELLED

    async def cancel_node(self, node_id: str) -> NodeCancellation:
        """Cancel one node while the run goes on (see `RunHandle.cancel_node`); returns once the run has applied
        it (the node's tasks have unwound, their agents have left their sequence leases)."""
        node = self._nodes.get(node_id)
        if node is None:
            known = ", ".join(sorted(self._nodes)[:20])
            raise GraphRunError(f"run {self._run_id}: cannot cancel node {node_id!r}: no such node (nodes: {known})")
        was = node.record.state
        if was not in FINISHED_NODE_STATES:
            waiter = self._finish_waiters.get(node)
            if waiter is None:
                waiter = self._finish_waiters[node] = asyncio.get_running_loop().create_future()
            if self._request_cancel(node):
                await waiter  # `_finish` resolves it, or the end of the run does
            else:
                self._save()
        return NodeCancellation(node_id, was, cancelled=node.record.state == NodeState.CANCELLED)

    def _request_cancel(self, node: RunNode) -> bool:
        """Start cancelling ``node`` (and an expanded node's open steps). True when work is left to unwind (the
        run loop finishes the node once it has); False when the node was finished here and now, or is about
        to finish with its own result (its task ended first)."""
        if node.record.state in FINISHED_NODE_STATES:
            return False
        task = self._running.get(node)
        if task is not None:
            if not task.done():
                self._cancel_requested.add(node)
                task.cancel()  # `_after_tick` finishes the node as cancelled once the task has unwound
            return True
        if node.children:  # an expanded node waiting for its plan's steps
            self._cancel_requested.add(node)
            unwinding = [self._request_cancel(child) for child in node.children]
            return any(unwinding) or node.record.state not in FINISHED_NODE_STATES
        self._finish(node, NodeState.CANCELLED)  # pending or ready: it never starts
        return False

    # --- one node's work ---------------------------------------------------------------------------------

    def _context(self, **extra: Any) -> dict[str, Any]:
        return {"inputs": self._input_view, "nodes": Lookup(self._node_view), **extra}

    def _agent(self, node: RunNode) -> Any:
        if node.agent_instance is None:
            cls = self._graph.agent_classes[node.spec.agent]
            node.agent_instance = cls(self._spec.agents[node.spec.agent])
        return node.agent_instance

    async def _execute(self, node: RunNode) -> NodeResult:
        """Run one node's work to a result. Never raises, except when cancelled."""
        if node.record.plan:  # resumed: the agent already returned this plan; insert it again
            return NodeResult(ok=True, plan=node.record.plan, outcome=node.record.outcome)
        try:
            agent = self._agent(node)
        except Exception as exc:
            return NodeResult.failed(f"cannot create agent {node.spec.agent!r}: {type(exc).__name__}: {exc}")
        if node.map is not None:
            try:
                values = node.map.value(self._context())
            except Exception as exc:
                return NodeResult.failed(f"map expression failed: {type(exc).__name__}: {exc}")
            if not isinstance(values, (list, tuple)):
                return NodeResult.failed(f"map expression gave {type(values).__name__}, expected a list")
            return await run_map_items(
                node, values, events=self._events, save_item=self._save_item,
                task_text=lambda item, index: self._map_task_text(node, item, index),
                attempts=lambda task, index: self._attempts(node, agent, task, index),
            )
        try:
            task = self._task_text(node)
        except Exception as exc:
            return NodeResult.failed(f"input template failed: {type(exc).__name__}: {exc}")
        done = await self._attempts(node, agent, task, None)
        node.record.attempts = done.attempts
        node.record.tokens += done.tokens
        if not done.ok:
            return NodeResult.failed(done.error or "failed")
        return NodeResult(ok=True, output=done.output, outcome=done.outcome, plan=done.plan)

    def _task_text(self, node: RunNode) -> str:
        if node.input is not None:
            return node.input.text(self._context())
        task = node.record.task or ""  # an inserted plan step
        if node.needs:
            lines = [f"- {step_of(need)}: {_as_text(self._nodes[need].record.output)}" for need in node.needs]
            task += "\n\nResults of the steps this one depends on:\n" + "\n".join(lines)
        return task

    def _map_task_text(self, node: RunNode, item: Any, index: int) -> str:
        return node.input.text(self._context(item=item, index=index)) if node.input is not None else ""

    async def _attempts(self, node: RunNode, agent: Any, task: str, item_index: int | None) -> Attempts:
        ctx = NodeContext.model_construct(
            engine=self._engine, events=self._events, run_dir=self._run_path, workspace=self._workspace,
            node_id=node.id, agent=node.spec.agent, priority=node.spec.priority, item_index=item_index,
            output_schema=node.spec.output_schema,
        )

        def on_retry(attempt: int, error: str) -> None:
            if item_index is None:  # a map item's retries show in its own events, not the node's state
                self._set_state(node, NodeState.RUNNING, attempt=attempt, error=error)

        return await run_attempts(
            agent, task, ctx, retry=node.retry, timeout_s=node.spec.timeout_s,
            output_schema=node.spec.output_schema, on_retry=on_retry,
        )

    # --- dynamic expansion -------------------------------------------------------------------------------

    def _expand(self, parent: RunNode, result: NodeResult) -> str | None:
        """Insert the plan ``result`` holds as steps under ``parent``; an error message when it cannot be."""
        plan = result.plan or []
        error = plan_problem(
            parent.id, plan, agents=self._spec.agents, default_agent=self._spec.default_agent, taken=self._nodes
        )
        if error is not None:
            return error
        parent.record.plan = plan
        parent.record.outcome = result.outcome  # the planner's own; rolled up with its steps' when they finish
        children = step_nodes(parent, plan, self._spec.default_agent, self._restored_record)
        for child in children:
            self._add(child)
        parent.children = children
        parent.open_children = sum(1 for child in children if child.record.state not in FINISHED_NODE_STATES)
        self._dirty = True
        self._events.emit(
            "graph.expanded", node=parent.id,
            added=[{"id": c.id, "agent": c.spec.agent, "needs": list(c.needs)} for c in children],
        )
        self._admit(children)
        if parent.open_children == 0:
            self._finish_expanded(parent)
        return None

    def _finish_expanded(self, node: RunNode) -> None:
        bad = [child.id for child in node.children if child.record.state != NodeState.SUCCEEDED]
        if node in self._cancel_requested:
            self._finish(node, NodeState.CANCELLED)
        elif bad:
            self._finish(node, NodeState.FAILED, error=f"sub-plan steps did not succeed: {', '.join(bad)}")
        else:
            outputs = {step_of(child.id): child.record.output for child in node.children}
            outcome = roll_up([node.record.outcome, *(child.record.outcome for child in node.children)])
            self._finish(node, NodeState.SUCCEEDED, output=outputs, outcome=outcome)

    # --- events and state --------------------------------------------------------------------------------

    def _emit_run_started(self) -> None:
        nodes = [
            {"id": n.id, "agent": n.spec.agent, "needs": list(n.needs), "kind": n.kind} for n in self._nodes.values()
        ]
        self._events.emit(
            "run.started", run_id=self._run_id, run_dir=str(self._run_path), graph=self._label,
            inputs=self._inputs, nodes=nodes, resumed=self._resumed,
        )

    def _set_state(self, node: RunNode, state: NodeState, **fields: Any) -> None:
        node.record.state = state
        self._emit_state(node, **fields)

    def _emit_state(self, node: RunNode, **fields: Any) -> None:
        extra = {key: value for key, value in fields.items() if value is not None}
        self._events.emit("node.state", node=node.id, agent=node.spec.agent, state=node.record.state, **extra)

    def _save(self, status: RunStatus = RunStatus.RUNNING, *, final: bool = False) -> None:
        """Write the state file. A failed write (a full disk) does not stop the run: it is tried again at the
        next save, and the last save, as the run ends, raises if it fails too."""
        self._dirty = False
        if self._run_dir is None or self._state is None:
            return
        self._state.status = status
        self._state.updated_at = time.time()
        self._state.nodes = self._records()
        try:
            self._run_dir.save_state(self._state)
        except OSError as exc:
            if final:
                raise GraphRunError(f"run {self._run_id}: cannot write {self._run_dir.state_path}: {exc}") from exc
            _log.warning("run %s: cannot write %s (will try again): %s", self._run_id, self._run_dir.state_path, exc)
            self._dirty = True

    def _save_item(self, node: RunNode, total: int, item: ItemRecord) -> None:
        """A finished map item, recorded at once (a line in the progress log, not a rewrite of the state)."""
        if self._run_dir is None or self._state is None:
            return
        try:
            self._run_dir.save_item(node.id, total, item)
        except OSError as exc:
            _log.warning("run %s: cannot record item %d of %s (will save it with the state): %s",
                         self._run_id, item.index, node.id, exc)
            self._dirty = True


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _preview(value: Any) -> str:
    text = _as_text(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


__all__ = ["Lookup", "Scheduler"]
