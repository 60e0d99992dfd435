"""`GraphTaskRunner`: one GAIA task as one fresh graph run (``graphs/gaia.yaml`` by default).

The task's attachment is copied into the run's workspace (the only folder the agents' file tools can read),
the graph gets ``{"question": ..., "attachment": <file name or "">}``, and the answer is read from the graph's
``answer`` output (or its only output) after GAIA's "FINAL ANSWER:" marker.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from agentrt.bench.gaia.answer import extract_final_answer
from agentrt.bench.gaia.runner import TaskOutcome
from agentrt.bench.gaia.tasks import GaiaTask
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import GraphSpecError, NodeFailedError
from agentrt.events import Event
from agentrt.graph.contract import AgentOutcome
from agentrt.graph.result import RunResult
from agentrt.graph.states import RunStatus
from agentrt.graph.rundir import WORKSPACE

from agentrt.graph.graph import Graph

ANSWER_OUTPUT = "answer"
TRACE_TEXT_LIMIT = 2000  # characters kept of each text field of a trace step


class GraphTaskRunner:
    """Runs each task through the graph in ``graph_path``; loads (and so validates) the graph once, up front."""

    def __init__(self, graph_path: Path) -> None:
        self.graph_path = graph_path
        self.graph = Graph.from_yaml(graph_path)
        outputs = list(self.graph.spec.outputs)
        if ANSWER_OUTPUT in outputs:
            self.answer_output = ANSWER_OUTPUT
        elif len(outputs) == 1:
            self.answer_output = outputs[0]
        else:
            raise GraphSpecError(
                f"{graph_path}: a GAIA graph needs an output named {ANSWER_OUTPUT!r} (or exactly one output); "
                f"it has {outputs or 'none'}"
            )
        if "question" not in self.graph.spec.inputs:
            raise GraphSpecError(f"{graph_path}: a GAIA graph needs an input named 'question'")

    def inputs_for(self, task: GaiaTask) -> dict[str, Any]:
        inputs: dict[str, Any] = {"question": task.question}
        if "attachment" in self.graph.spec.inputs:
            inputs["attachment"] = task.file_name if task.attachment is not None else ""
        return inputs

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        if task.attachment is not None:
            workspace = run_dir / WORKSPACE
            workspace.mkdir(parents=True, exist_ok=True)
            shutil.copy2(task.attachment, workspace / task.file_name)
        steps: list[Event] = []
        # The task's bus (see TokenCountingEngine): these steps are this task's alone.
        unsubscribe = engine.events.subscribe(steps.append, kinds=("agent.step",))
        try:
            result = await self.graph.run(self.inputs_for(task), engine=engine, run_dir=run_dir, events=engine.events)
        finally:
            unsubscribe()
        if result.status not in (RunStatus.SUCCEEDED, RunStatus.INCOMPLETE):
            raise GraphTaskError.from_run(result)
        output = result.outputs.get(self.answer_output)
        trace = [_trace_entry(step) for step in steps]
        unanswered = result.unanswered  # the outcomes the graph runtime recorded (agentrt.graph.outcomes)
        if AgentOutcome.STEP_LIMIT in unanswered.values():
            # At its step limit the Executor has one last turn to answer from what it found (as smolagents' final
            # answer at max_steps): that answer is scored like any other, and the status says how it ended. When
            # the last turn gave no answer, the output is its last tool result: kept for reading, not scored, or
            # a lucky observation would count as a correct answer.
            if any(step.get("status") == "step_limit" and step.get("answered") is False for step in steps):
                trace.append({"status": "step_limit", "unscored_output": _short(output)})
                return TaskOutcome(model_answer=None, status="step_limit", trace=trace)
            trace.append({"status": "step_limit"})
            return TaskOutcome(model_answer=extract_final_answer(output), status="step_limit", trace=trace)
        if unanswered:  # a critic rejected the answer: it is still the graph's answer, and scored as such
            trace.append({"status": "rejected", "nodes": sorted(unanswered)})
        return TaskOutcome(model_answer=extract_final_answer(output), status="completed", trace=trace)


class GraphTaskError(NodeFailedError):
    """A task's graph run did not succeed. ``error_type`` is the failing node's own error class, for reports."""

    def __init__(self, message: str, error_type: str | None) -> None:
        super().__init__(message)
        self.error_type = error_type

    @classmethod
    def from_run(cls, result: RunResult) -> GraphTaskError:
        failed = [(name, record.error) for name, record in result.nodes.items() if record.error]
        details = "; ".join(f"node {name!r}: {error}" for name, error in failed)
        kind = None
        if failed:
            # The scheduler records node errors as "<ExceptionClass>: <message> (attempt i of n)".
            match = _ERROR_CLASS.match(failed[0][1] or "")
            kind = match.group(1) if match else None
        return cls(f"graph run {result.run_id} {result.status}" + (f": {details}" if details else ""), kind)


_ERROR_CLASS = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Exit)):")


def _trace_entry(step: Event) -> dict[str, Any]:
    return {k: _short(v) for k, v in step.items() if k not in ("event", "ts")}


def _short(value: Any) -> Any:
    return value[:TRACE_TEXT_LIMIT] if isinstance(value, str) else value
