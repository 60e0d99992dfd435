"""`EngineWorker`: the body of one Ray actor — one engine on its node, and whole graph runs on it.

It is a plain class (``ray.remote`` wraps it in `agentrt.scaleout.pool`), so it can be read and tested without
Ray. A task runs in a run directory private to the actor; the files it leaves there (state.json,
events.jsonl, the workspace) go back to the driver with the outcome, because cluster nodes share no disk.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agentrt.engine.counting import TokenCountingEngine
from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.start import start_engine
from agentrt.events import Event, EventBus
from agentrt.graph.graph import Graph
from agentrt.graph.rundir import LOGGED_EVENTS, RunDir
from agentrt.scaleout.settings import ActorSettings

MAX_RETURNED_BYTES = 32 * 1024 * 1024  # per task: a bigger run directory comes back without its largest files


class EngineWorker:
    def __init__(self, settings: ActorSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self._engine: EngineProtocol | None = None
        self._root = Path(tempfile.mkdtemp(prefix=f"agentrt-{name}-"))
        self._memo: dict[str, Any] = {}

    async def start(self) -> dict[str, Any]:
        """Load the engine. Returns where this actor runs (host, pid, GPU ids) for the driver's log."""
        self._engine = await start_engine(self.settings.engine_config(), events=EventBus(forward_to_logging=False))
        return {"actor": self.name, "host": platform.node(), "pid": os.getpid(),
                "gpus": os.environ.get("CUDA_VISIBLE_DEVICES", "")}

    @property
    def engine(self) -> EngineProtocol:
        assert self._engine is not None, "start() first"
        return self._engine

    @property
    def root(self) -> Path:
        """This actor's private folder (removed on close): run directories, graph files, attachments."""
        return self._root

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()``'s value, made once per actor for ``key`` (e.g. a graph loaded once for many tasks)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    async def run(self, job: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``await job(self, *args)`` on this actor: work that applications above scale-out define (the GAIA
        benchmark's tasks) runs on the actor's engine without this module knowing it."""
        return await job(self, *args)

    async def run_graph(self, graph_yaml: str, inputs: dict[str, Any], run_id: str) -> dict[str, Any]:
        """One whole graph run on this actor's engine: ``{"result": RunResult as JSON, "files"}``."""
        assert self._engine is not None, "start() first"
        run_dir = RunDir(self._root / "runs" / run_id).fresh().path
        path = self._root / "graphs" / f"{run_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(graph_yaml, encoding="utf-8")
        bus = EventBus(forward_to_logging=False)
        # The run's own bus, with the engine's request and sequence events copied in (an actor started for
        # `agentrt run --ray` serves this run alone), so its events.jsonl reads as on one machine.
        engine = TokenCountingEngine(self._engine, events=bus)
        stop_copying = self._engine.events.subscribe(_copy_to(bus), kinds=LOGGED_EVENTS)
        try:
            result = await Graph.from_yaml(path).run(inputs, engine=engine, run_dir=run_dir, events=bus)
        finally:
            stop_copying()
        return {"result": result.model_dump(mode="json"), "files": await self.take_files(run_dir),
                "actor": self.name}

    async def take_files(self, run_dir: Path) -> dict[str, bytes]:
        """The files a run left in ``run_dir`` (for the driver: cluster nodes share no disk); removes it."""
        files = await asyncio.to_thread(_collect_files, run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        return files

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()
            self._engine = None
        shutil.rmtree(self._root, ignore_errors=True)


def _copy_to(bus: EventBus) -> Callable[[Event], None]:
    def copy(event: Event) -> None:
        fields = {k: v for k, v in event.items() if k != "event"}
        bus.emit(str(event["event"]), **fields)

    return copy


def _collect_files(run_dir: Path) -> dict[str, bytes]:
    """The run directory's files by relative path, smallest first, up to `MAX_RETURNED_BYTES` in all."""
    paths = sorted((p for p in run_dir.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    files: dict[str, bytes] = {}
    total = 0
    for path in paths:
        size = path.stat().st_size
        if total + size > MAX_RETURNED_BYTES:
            break
        files[str(path.relative_to(run_dir))] = path.read_bytes()
        total += size
    return files
