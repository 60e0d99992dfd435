"""`RayGaiaTaskRunner`: ``agentrt bench gaia --ray``'s task runner — each task goes to a Ray actor.

The benchmark itself (`agentrt.bench.gaia.runner.run_tasks`) is unchanged and runs on the driver: it bounds
the tasks in flight, times them, writes ``results.jsonl`` line by line, resumes and reports exactly as on one
machine. Only a task's graph run happens on an actor; its run directory's files come back into the driver's
``runs/<task_id>`` and its token counts into the task's result.
"""

from __future__ import annotations

from pathlib import Path

from agentrt.bench.gaia.counting import TokenCountingEngine
from agentrt.bench.gaia.runner import TaskOutcome
from agentrt.bench.gaia.tasks import GaiaTask
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import EngineError, NodeFailedError
from agentrt.scaleout.pool import RayActorPool


class ActorTaskError(NodeFailedError):
    """A task failed on its actor. ``error_type`` keeps the class the failure had there, for the report."""

    def __init__(self, message: str, error_type: str | None) -> None:
        super().__init__(message)
        self.error_type = error_type


class RayGaiaTaskRunner:
    """Runs each task's graph (the file at ``graph_path``, sent as text) on the pool's least-busy actor."""

    def __init__(self, graph_path: Path) -> None:
        from agentrt.bench.gaia.graph_task import GraphTaskRunner

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
        answer = await self.pool.call("run_gaia_task", self.graph_yaml, payload, attachment, label=task.task_id)
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
