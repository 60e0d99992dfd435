"""One task's outcome (`TaskResult`) and the ``results.jsonl`` log that holds them, keyed by ``task_id``.

The log is append-only: one JSON line per finished task, written with a single ``write`` then flushed and
fsynced, so a crash mid-benchmark loses at most the task in flight and never corrupts earlier lines. When a
task appears more than once (a resumed run that retried it), the last line wins.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentrt.engine.counting import TokenCounts
from agentrt.errors import GraphRunError, describe_validation_error

TaskStatus = Literal["completed", "failed", "timeout", "step_limit"]
TASK_STATUSES: tuple[TaskStatus, ...] = ("completed", "failed", "timeout", "step_limit")

# Statuses a resumed benchmark keeps. "completed" and "step_limit" are the model's own outcome and would only
# repeat; "failed" (an exception: engine error, bad graph) and "timeout" (a slow or busy machine) say nothing
# about the model, so --resume runs those tasks again.
KEPT_ON_RESUME: frozenset[TaskStatus] = frozenset({"completed", "step_limit"})

RESULTS_FILE = "results.jsonl"


class TaskTimings(BaseModel):
    started_at: float  # unix seconds
    finished_at: float
    latency_s: float  # wall time of the task, from its start (after the concurrency slot) to its end
    queued_s: float = 0.0  # time spent waiting for a concurrency slot before starting
    # Where the latency went (see TokenCountingEngine): awaiting the engine's answers (queue, prefill, decode),
    # waiting to lease a sequence, running tools (from an answer to the tool's event); the rest is the agent's
    # and the runtime's own work.
    engine_s: float = 0.0
    lease_s: float = 0.0
    tool_s: float = 0.0


class TaskResult(BaseModel):
    """One line of ``results.jsonl``."""

    model_config = ConfigDict(extra="ignore")

    task_id: str
    level: int
    status: TaskStatus
    model_answer: str | None = None
    final_answer: str  # GAIA's ground truth, kept so the log scores on its own
    correct: bool = False
    error: str | None = None
    error_type: str | None = None  # the exception's class name ("TimeoutError" for timeouts)
    tokens: TokenCounts = Field(default_factory=TokenCounts)
    timings: TaskTimings
    trace: list[dict[str, Any]] = Field(default_factory=list)  # the agent's reasoning steps
    run_dir: str | None = None


class ResultsLog:
    """Append-only ``results.jsonl`` in ``out_dir``. Appends are serialised so lines never interleave."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / RESULTS_FILE
        self._lock = threading.Lock()

    def append(self, result: TaskResult) -> None:
        line = result.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as f:
                # A crash mid-write can leave a torn last line; start on a fresh line so this one stays whole.
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        line = "\n" + line
                f.write(line.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())

    def read(self) -> dict[str, TaskResult]:
        """The latest result per task_id. Torn lines (a crash mid-write) are skipped: their tasks simply run again.

        A line that is whole JSON but not a task result means the file is not ours, and raises.
        """
        if not self.path.exists():
            return {}
        latest: dict[str, TaskResult] = {}
        for line_no, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            try:
                result = TaskResult.model_validate(row)
            except ValidationError as exc:
                problems = describe_validation_error(exc)
                raise GraphRunError(f"{self.path}:{line_no}: not a GAIA task result ({problems})") from exc
            latest[result.task_id] = result
        return latest
