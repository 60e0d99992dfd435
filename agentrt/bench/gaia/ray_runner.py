"""`RayGaiaTaskRunner`: ``agentrt bench gaia --ray``'s task runner — each task goes to a Ray actor.

The benchmark itself (`agentrt.bench.gaia.runner.run_tasks`) is unchanged and runs on the driver: it bounds
the tasks in flight, times them, writes ``results.jsonl`` line by line, resumes and reports exactly as on one
machine. Only a task's graph run happens on an actor (`run_gaia_task`, sent to `EngineWorker.run`); its run
directory's files come back into the driver's ``runs/<task_id>`` and its token counts into the task's result.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from agentrt.bench.gaia.graph_task import GraphTaskRunner
from agentrt.bench.gaia.runner import TaskOutcome, task_setup
from agentrt.bench.gaia.tasks import GaiaTask
from agentrt.engine.counting import TokenCountingEngine
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import EngineError, NodeFailedError
from agentrt.scaleout.pool import RayActorPool
from agentrt.scaleout.worker import EngineWorker


class ActorTaskError(NodeFailedError):
    """A task failed on its actor. ``error_type`` keeps the class the failure had there, for the report."""

    def __init__(self, message: str, error_type: str | None) -> None:
        super().__init__(message)
        self.error_type = error_type


class RayGaiaTaskRunner:
    """Runs each task's graph (the file at ``graph_path``, sent as text) on the pool's least-busy actor."""

    def __init__(self, graph_path: Path) -> None:
        GraphTaskRunner(graph_path)  # load and check the graph on the driver first: a bad graph fails fast
        self.graph_yaml = graph_path.read_text(encoding="utf-8")
        self.pool: RayActorPool | None = None

    def attach(self, pool: RayActorPool) -> None:
        self.pool = pool

    async def __call__(self, task: GaiaTask, run_dir: Path, engine: EngineProtocol) -> TaskOutcome:
        if self.pool is None:
            raise EngineError("RayGaiaTaskRunner: no actor pool attached")
        attachment = task.attachment.read_bytes() if task.attachment is not None else None
        payload = task.model_dump(mode="json", by_alias=True, exclude={"attachment"})
        answer = await self.pool.call("run", run_gaia_task, self.graph_yaml, payload, attachment, label=task.task_id)
        for relative, data in answer["files"].items():
            path = run_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if isinstance(engine, TokenCountingEngine):  # the benchmark's per-task counter: fill it from the actor
            for field, value in answer["tokens"].items():
                setattr(engine.counts, field, value)
        error = answer["error"]
        if error is not None:
            raise ActorTaskError(f"on {answer['actor']}: {error['type']}: {error['message']}", error["error_type"])
        return TaskOutcome.model_validate(answer["outcome"])


async def run_gaia_task(
    worker: EngineWorker, graph_yaml: str, task: dict[str, Any], attachment: bytes | None
) -> dict[str, Any]:
    """On the actor: one GAIA task on its engine, ``{"outcome", "tokens", "files", "error"}``.

    A failing task is reported, not raised: the driver records it as the task's result, as on one machine.
    """
    run_dir = worker.root / "runs" / str(task["task_id"])
    counted = task_setup(run_dir, worker.engine)
    gaia_task = GaiaTask.model_validate(task)
    if attachment is not None:
        local = worker.root / "attachments" / str(task["task_id"]) / gaia_task.file_name
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(attachment)
        gaia_task = gaia_task.model_copy(update={"attachment": local})
    outcome: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    try:
        runner = worker.memo(graph_yaml, lambda: _load_runner(worker.root, graph_yaml))
        outcome = (await runner(gaia_task, run_dir, counted)).model_dump(mode="json")
    except Exception as exc:  # the task's failure is its result
        error = {"type": type(exc).__name__, "message": str(exc),
                 "error_type": getattr(exc, "error_type", None) or type(exc).__name__}
    return {"outcome": outcome, "error": error, "tokens": counted.counts.model_dump(),
            "files": await worker.take_files(run_dir), "actor": worker.name}


def _load_runner(root: Path, graph_yaml: str) -> GraphTaskRunner:
    """The graph loaded once per actor: many tasks run the same graph text."""
    path = root / f"graph-{hashlib.sha256(graph_yaml.encode()).hexdigest()[:12]}.yaml"
    path.write_text(graph_yaml, encoding="utf-8")
    return GraphTaskRunner(path)
