"""`RunDir`: a run's directory on disk.

    RUN_DIR/
      graph.yaml      the definition the run uses (a copy, so a resume runs the same graph; its sha256 is in
                      state.json, and a resume refuses an edited copy unless forced)
      state.json      `RunState`, rewritten atomically (temp file + fsync + os.replace) whenever nodes finish
      progress.jsonl  map items finished since state.json was last written, one line each (appended, so a map
                      of N items costs N short lines, not N rewrites of a state that grows with N); merged back
                      into the state when it is read, emptied when state.json is written
      events.jsonl    every event of the run, one JSON object per line (appended to on resume)
      workspace/      where agents' tools may read and write

A ``kill -9`` at any moment leaves either the previous or the next complete ``state.json``, never a torn one;
a line torn in a JSONL file is skipped by its readers and the file goes on on a fresh line (`agentrt.jsonl`).
Whatever text a node's output holds (a lone surrogate from a file name in Latin-1 bytes, say), both files are
written and read back to the same text.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from agentrt.errors import GraphRunError
from agentrt.eventlog import EventLog
from agentrt.events import TOKEN_EVENT, Event, EventBus
from agentrt.graph.result import ItemRecord, RunState
from agentrt.jsonl import JsonlAppender, json_text, read_jsonl

STATE_FILE = "state.json"
EVENTS_FILE = "events.jsonl"
PROGRESS_FILE = "progress.jsonl"
GRAPH_FILE = "graph.yaml"
WORKSPACE = "workspace"

# Every event of docs/events.md except per-token events: subscribing to those would make the engine produce
# them for every token of every sequence (see `EventBus.wants`), and the log would be mostly tokens. The text
# comes coalesced instead (`request.text`, a few per second per request), so that `agentrt watch` shows it.
LOGGED_EVENTS = frozenset(
    {
        "engine.loading", "engine.memory_plan", "engine.ready", "engine.step", "engine.threads", "engine.cache_forgotten", "engine.closed",
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

_log = logging.getLogger(__name__)


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._events: EventLog | None = None
        self._progress = JsonlAppender(self.progress_path)

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    @property
    def events_path(self) -> Path:
        return self.path / EVENTS_FILE

    @property
    def progress_path(self) -> Path:
        return self.path / PROGRESS_FILE

    @property
    def graph_path(self) -> Path:
        return self.path / GRAPH_FILE

    @property
    def workspace(self) -> Path:
        return self.path / WORKSPACE

    def create(self) -> RunDir:
        self.workspace.mkdir(parents=True, exist_ok=True)
        return self

    def fresh(self) -> RunDir:
        """An empty run directory at this path: what an earlier attempt left here is removed first."""
        if self.path.exists():
            shutil.rmtree(self.path)
        return self.create()

    # --- events.jsonl ------------------------------------------------------------------------------------

    def record_events(self, *buses: EventBus, backlog: Iterable[Event] = ()) -> None:
        """Append the events of ``buses`` (the run's and the engine's, when they differ) to events.jsonl, after
        ``backlog``: events from before the directory was known (the engine's start, in `launch_run`)."""
        if self._events is None:
            self._events = EventLog(self.events_path, LOGGED_EVENTS)
        self._events.record(*buses, backlog=backlog)

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
            self._events = None
        self._progress.close()

    # --- state.json and progress.jsonl -------------------------------------------------------------------

    def save_state(self, state: RunState) -> None:
        """Atomically replace state.json (a crash leaves the old or the new file, never half of one); the map
        items the progress log held are in it now, so the log is emptied."""
        data = json_text(state.model_dump(mode="json", fallback=repr)).encode("utf-8")
        tmp = self.state_path.with_suffix(".json.tmp")
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)
        dir_fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
        self._progress.truncate()

    def save_item(self, node_id: str, total: int, item: ItemRecord) -> None:
        """Record one finished map item (one short line; see the module docstring)."""
        self._progress.append({"node": node_id, "total": total, "item": item.model_dump(mode="json", fallback=repr)})

    def load_state(self) -> RunState:
        """state.json, with the map items of progress.jsonl merged in."""
        if not self.state_path.exists():
            raise GraphRunError(f"{self.path}: not a run directory (no {STATE_FILE})")
        try:
            # json.loads, not pydantic's parser: it turns the escape of a lone surrogate back into the text written.
            state = RunState.model_validate(json.loads(self.state_path.read_bytes()))
        except (ValidationError, ValueError) as exc:
            raise GraphRunError(f"{self.state_path}: corrupt state file: {exc}") from exc
        if self.progress_path.exists():
            self._merge_progress(state)
        return state

    def _merge_progress(self, state: RunState) -> None:
        for number, line in read_jsonl(self.progress_path):
            try:
                node_id, total = str(line["node"]), int(line["total"])
                item = ItemRecord.model_validate(line["item"])
            except (KeyError, TypeError, ValueError, ValidationError) as exc:
                _log.warning("%s:%d: skipped a line that is not a map item: %s", self.progress_path, number, exc)
                continue
            record = state.nodes.get(node_id)
            if record is None or not 0 <= item.index < total:
                continue
            if record.items is None or len(record.items) != total:
                record.items = [ItemRecord(index=i) for i in range(total)]
            record.items[item.index] = item
