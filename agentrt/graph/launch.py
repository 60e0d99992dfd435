"""`RunLaunch`: everything needed to start (or resume) one graph run from outside, e.g. the dashboard.

The dashboard (``tui.runner.run_dashboard(launch)``) and the ``agentrt run`` CLI both describe a run with a
`RunLaunch` and hand it to `launch_run`, which owns the engine's whole life: start it from the graph's model
settings (with the launch's overrides), run the graph, close the engine. Tests inject a different engine
factory (the scripted fake) through ``engine_factory``. A `RunHandle` passed as ``handle`` lets the caller cancel
one node of the running graph, or the whole run (engine start included), from another task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine.config import FlashAttnSetting, GpuLayersSetting, ThreadsSetting
from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.settings import settings_for
from agentrt.engine.start import start_engine
from agentrt.errors import GraphRunError
from agentrt.events import Event, EventBus
from agentrt.graph.entry import PreparedRun, execute, new_run, read_run, resumed_run
from agentrt.graph.graph import Graph
from agentrt.graph.handle import RunHandle
from agentrt.graph.result import RunResult

if TYPE_CHECKING:
    from agentrt.graph.spec import GraphSpec

# Builds the engine a run uses from the graph's settings (with overrides applied) and the run's event bus.
EngineFactory = Callable[["GraphSpec", EventBus], Awaitable[EngineProtocol]]

# What an engine emits while it starts, before the run directory exists (docs/events.md).
ENGINE_START_EVENTS = frozenset({"engine.loading", "engine.memory_plan", "engine.ready"})


class RunLaunch(BaseModel):
    """One run to start: a graph file and its inputs, or (``resume=True``) a run directory to continue."""

    model_config = ConfigDict(extra="forbid")

    graph: Path | None = Field(None, description="the graph YAML; None when resuming (the run dir holds a copy)")
    inputs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = Field(None, description="overrides the graph's `model.model`")
    sequences: int | None = Field(None, ge=1, description="overrides the graph's `model.sequences`")
    threads: ThreadsSetting | None = Field(None, description="overrides the graph's `model.threads`")
    gpu_layers: GpuLayersSetting | None = Field(None, description="overrides the graph's `model.gpu_layers`")
    flash_attn: FlashAttnSetting | None = Field(None, description="overrides the graph's `model.flash_attn`")
    run_dir: Path | None = Field(None, description="where events.jsonl and state.json go; required to resume")
    resume: bool = False
    force: bool = Field(
        False, description="resume even though the graph or the inputs changed (nodes that changed run again)"
    )
    remote: list[str] = Field(
        default_factory=list, description="OpenAI-compatible server URLs; overrides the graph's `engine.remote`"
    )
    allow_modules: list[str] = Field(
        default_factory=list, description="modules agent classes may come from besides `agents` and `imports:`"
    )


def default_engine_factory(remote: list[str]) -> EngineFactory:
    """The engine the graph's ``model:`` and ``engine:`` sections describe (`settings_for`), started by
    `start_engine`; ``remote`` (``--remote URL``, optional) runs it on these servers whatever the graph says."""

    async def start(spec: GraphSpec, events: EventBus) -> EngineProtocol:
        servers, where = (remote, "--remote") if remote else (spec.engine.remote, "engine.remote")
        return await start_engine(settings_for(spec.model, servers, where=where), events=events)

    return start


async def launch_run(
    launch: RunLaunch,
    events: EventBus,
    *,
    engine_factory: EngineFactory | None = None,
    handle: RunHandle | None = None,
) -> RunResult:
    """Start the engine, run (or resume) the graph, close the engine. Events go to ``events`` (and the run dir,
    the engine's start included). ``handle`` (optional) is bound to the calling task: see `RunHandle`."""
    if handle is not None and (task := asyncio.current_task()) is not None:
        handle.bind_task(task)
    try:
        prepared = _prepare(launch)
        graph = prepared.graph
        factory = engine_factory or default_engine_factory(launch.remote)
        # The run directory records events from the run's start on; keep the engine's start events for it.
        starting: list[Event] = []
        unsubscribe = events.subscribe(starting.append, kinds=ENGINE_START_EVENTS)
        try:
            engine = await factory(graph.spec, events)
        finally:
            unsubscribe()
        try:
            return await execute(prepared, engine=engine, events=events, handle=handle, earlier_events=starting)
        finally:
            await engine.close()
    finally:
        if handle is not None:
            handle.detach()


def _prepare(launch: RunLaunch) -> PreparedRun:
    """The launch's run, checked before an engine starts: the graph file (or a run directory's copy, for a
    resume) with the launch's overrides applied."""
    if launch.resume:
        rundir, state = read_run(launch.run_dir)
        graph = Graph.from_run_dir(rundir, state, allow_modules=launch.allow_modules).with_model_overrides(
            launch.model, launch.sequences, launch.threads, launch.gpu_layers, launch.flash_attn
        )
        return resumed_run(graph, rundir, state, {**state.inputs, **launch.inputs}, force=launch.force)
    if launch.graph is None:
        raise GraphRunError("a launch needs a graph file (or resume=True with a run_dir)")
    graph = Graph.from_yaml(launch.graph, allow_modules=launch.allow_modules).with_model_overrides(
        launch.model, launch.sequences, launch.threads, launch.gpu_layers, launch.flash_attn
    )
    return new_run(graph, launch.inputs, launch.run_dir)
