"""`RunDir`: a run's directory on disk.

    RUN_DIR/
      graph.yaml      the definition the run uses (a copy, so a resume runs the same graph)
      state.json      `RunState`, rewritten atomically (temp file + fsync + os.replace) after every node
      events.jsonl    every event of the run, one JSON object per line (appended to on resume)
      workspace/      where agents' tools may read and write

A ``kill -9`` at any moment leaves either the previous or the next complete ``state.json``, never a torn one.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from agentrt.errors import GraphRunError
from agentrt.events import TOKEN_EVENT, Event, EventBus
from agentrt.graph.result import RunState

STATE_FILE = "state.json"
EVENTS_FILE = "events.jsonl"
GRAPH_FILE = "graph.yaml"
WORKSPACE = "workspace"

# Every event of docs/events.md except per-token events: subscribing to those would make the engine produce
# them for every token of every sequence (see `EventBus.wants`), and the log would be mostly tokens. The text
# comes coalesced instead (`request.text`, a few per second per request), so that `agentrt watch` shows it.
LOGGED_EVENTS = frozenset(
    {
        "engine.loading", "engine.memory_plan", "engine.ready", "engine.step", "engine.threads", "engine.closed",
        "seq.acquired", "seq.released", "seq.state",
        "request.started", "request.text", "request.finished", "request.failed",
        "run.started", "node.state", "node.output", "map.item", "graph.expanded", "run.finished",
        "agent.step", "tool.called",
        # remote engines and Ray scale-out (docs/scale-out.md)
        "request.retry", "endpoint.state", "ray.actor_started", "ray.actor_lost", "ray.call_moved", "ray.closed",
        # agentrt serve
        "serve.started", "serve.request",
    }
) - {TOKEN_EVENT}


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._events_file: IO[str] | None = None
        self._unsubscribes: list[Callable[[], None]] = []

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    @property
    def events_path(self) -> Path:
        return self.path / EVENTS_FILE

    @property
    def graph_path(self) -> Path:
        return self.path / GRAPH_FILE

    @property
    def workspace(self) -> Path:
        return self.path / WORKSPACE

    def create(self) -> RunDir:
        self.workspace.mkdir(parents=True, exist_ok=True)
        return self

    # --- events.jsonl ------------------------------------------------------------------------------------

    def record_events(self, *buses: EventBus, backlog: Iterable[Event] = ()) -> None:
        """Append the events of ``buses`` (the run's and the engine's, when they differ) to events.jsonl, after
        ``backlog``: events from before the directory was known (the engine's start, in `launch_run`)."""
        if self._events_file is None:
            self._events_file = self.events_path.open("a", encoding="utf-8")
        for event in backlog:
            if event.get("event") in LOGGED_EVENTS:
                self._write_event(event)
        seen: list[EventBus] = []
        for bus in buses:
            if any(bus is other for other in seen):
                continue
            seen.append(bus)
            self._unsubscribes.append(bus.subscribe(self._write_event, kinds=LOGGED_EVENTS))

    def _write_event(self, event: Event) -> None:
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:  # the engine's owner thread emits too
            if self._events_file is not None:
                self._events_file.write(line + "\n")
                self._events_file.flush()

    def close(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        with self._lock:
            if self._events_file is not None:
                self._events_file.close()
                self._events_file = None

    # --- state.json --------------------------------------------------------------------------------------

    def save_state(self, state: RunState) -> None:
        """Atomically replace state.json: a crash leaves the old or the new file, never half of one."""
        data = state.model_dump_json()
        tmp = self.state_path.with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)
        dir_fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    def load_state(self) -> RunState:
        if not self.state_path.exists():
            raise GraphRunError(f"{self.path}: not a run directory (no {STATE_FILE})")
        try:
            return RunState.model_validate_json(self.state_path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise GraphRunError(f"{self.state_path}: corrupt state file: {exc}") from exc
