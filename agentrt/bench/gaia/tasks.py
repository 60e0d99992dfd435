"""GAIA task sets: the `GaiaTask` model and loading a ``metadata.jsonl`` (or a folder holding one).

GAIA's rows carry ``task_id``, ``Question``, ``Level``, ``Final answer`` and ``file_name`` (an attachment next
to the metadata file, or empty), plus annotator fields this runner does not need and ignores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentrt.errors import ConfigError, describe_validation_error

METADATA_FILE = "metadata.jsonl"


class GaiaTask(BaseModel):
    """One GAIA question. ``attachment`` is the resolved path of ``file_name`` (None when there is none)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    task_id: str = Field(min_length=1)
    question: str = Field(alias="Question", min_length=1)
    level: int = Field(alias="Level", ge=1, le=3)
    final_answer: str = Field(alias="Final answer")
    file_name: str = ""
    attachment: Path | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _level_from_text(cls, value: object) -> object:
        # GAIA's own files store Level as "1" in some releases and 1 in others.
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value

    @field_validator("final_answer", mode="before")
    @classmethod
    def _answer_as_text(cls, value: object) -> object:
        # A JSON number in hand-written sets is still a ground truth the scorer reads as text.
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("file_name", mode="before")
    @classmethod
    def _no_file_as_empty(cls, value: object) -> object:
        return "" if value is None else value


def metadata_path(tasks: Path) -> Path:
    """TASKS as given on the command line (a JSONL file, or a folder with ``metadata.jsonl``) → the JSONL file."""
    if tasks.is_dir():
        candidate = tasks / METADATA_FILE
        if not candidate.is_file():
            raise ConfigError(f"GAIA tasks {str(tasks)!r}: folder has no {METADATA_FILE}")
        return candidate
    if not tasks.is_file():
        raise ConfigError(f"GAIA tasks {str(tasks)!r}: no such file or folder")
    return tasks


def load_tasks(tasks: Path) -> list[GaiaTask]:
    """Every task in a GAIA JSONL file, attachments resolved next to it. Errors name the file and line."""
    path = metadata_path(tasks)
    loaded: list[GaiaTask] = []
    seen: dict[str, int] = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        place = f"{path}:{line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{place}: not JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(row, dict):
            raise ConfigError(f"{place}: expected a JSON object, got {type(row).__name__}")
        try:
            task = GaiaTask.model_validate(row)
        except ValidationError as exc:
            raise ConfigError(f"{place}: invalid GAIA task ({describe_validation_error(exc)})") from exc
        if task.task_id in seen:
            raise ConfigError(f"{place}: task_id {task.task_id!r} already used on line {seen[task.task_id]}")
        seen[task.task_id] = line_no
        if task.file_name:
            relative = Path(task.file_name)
            if relative.is_absolute() or ".." in relative.parts:
                raise ConfigError(f"{place}: file_name {task.file_name!r} must name a file next to {path.name}")
            attachment = path.parent / relative
            if not attachment.is_file():
                raise ConfigError(f"{place}: attachment {task.file_name!r} not found next to {path.name}")
            task = task.model_copy(update={"attachment": attachment})
        loaded.append(task)
    if not loaded:
        raise ConfigError(f"GAIA tasks {str(path)!r}: no tasks in the file")
    return loaded


def select_tasks(tasks: Sequence[GaiaTask], *, level: int | None = None, limit: int | None = None) -> list[GaiaTask]:
    """The tasks of one Level (all when None), first ``limit`` of them in file order (all when None)."""
    chosen = [t for t in tasks if level is None or t.level == level]
    return chosen if limit is None else chosen[:limit]
