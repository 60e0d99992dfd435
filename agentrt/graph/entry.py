"""The way into a run, written once for `Graph.run` and `launch_run`: prepare it (a new run, or a resumed one
read back from its directory and checked against what it ran), then execute it in its run directory.

Preparing touches nothing on disk, so a bad input, a changed graph or a directory that already holds a run is
refused before an engine starts; `execute` creates the directory, writes the graph copy and the first state,
records events and runs the scheduler.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import GraphRunError
from agentrt.events import Event, EventBus
from agentrt.graph.fingerprint import check_unchanged, inputs_sha256, sha256_hex
from agentrt.graph.handle import RunHandle
from agentrt.graph.result import NodeRecord, RunResult, RunState
from agentrt.graph.rundir import RunDir
from agentrt.graph.scheduler import Scheduler

if TYPE_CHECKING:
    from agentrt.graph.graph import Graph

DEFAULT_RUNS_DIR = Path("runs")


@dataclass
class PreparedRun:
    """A run ready to execute: the graph, its directory (not created yet for a new run), its state and inputs,
    and what a resume keeps of the earlier run."""

    graph: Graph
    rundir: RunDir
    state: RunState
    inputs: dict[str, Any]
    stored: dict[str, NodeRecord] | None = None  # a resume's node records
    new: bool = True


def new_run(graph: Graph, inputs: dict[str, Any] | None, run_dir: Path | str | None) -> PreparedRun:
    """A fresh run of ``graph``; ``run_dir`` defaults to ``runs/<run id>`` and must not hold a run yet."""
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    rundir = RunDir(Path(run_dir) if run_dir is not None else DEFAULT_RUNS_DIR / run_id)
    if rundir.state_path.exists():
        raise GraphRunError(f"{rundir.path} already holds a run; resume it or pick another --run-dir")
    run_inputs = graph.prepare_inputs(inputs)
    state = RunState(
        run_id=run_id, graph_file=str(rundir.graph_path), graph_source=str(graph.path or "<python>"),
        graph_sha256=sha256_hex(graph.definition), inputs_sha256=inputs_sha256(run_inputs),
        inputs=run_inputs, started_at=time.time(),
    )
    return PreparedRun(graph, rundir, state, run_inputs)


def resumed_run(
    graph: Graph, rundir: RunDir, state: RunState, inputs: dict[str, Any] | None, *, force: bool = False
) -> PreparedRun:
    """Continue the run ``state`` (read from ``rundir``) with ``graph``: only what did not succeed runs again.
    ``inputs`` default to the stored ones. A graph or inputs other than the run started with are refused unless
    ``force``; forced, only results whose node is unchanged are kept (`agentrt.graph.fingerprint`)."""
    run_inputs = graph.prepare_inputs(state.inputs if inputs is None else inputs)
    graph_sha, inputs_sha = sha256_hex(graph.definition), inputs_sha256(run_inputs)
    check_unchanged(state, graph_sha256=graph_sha, inputs_sha256=inputs_sha, where=f"resume {rundir.path}", force=force)
    stored = state.nodes
    state = state.model_copy(update={"inputs": run_inputs, "graph_sha256": graph_sha, "inputs_sha256": inputs_sha})
    return PreparedRun(graph, rundir, state, run_inputs, stored=stored, new=False)


def read_run(run_dir: Path | str | None) -> tuple[RunDir, RunState]:
    """A run directory and its state, read once for a resume."""
    if run_dir is None:
        raise GraphRunError("resume needs the run directory")
    rundir = RunDir(Path(run_dir))
    return rundir, rundir.load_state()


async def execute(
    run: PreparedRun,
    *,
    engine: EngineProtocol,
    events: EventBus,
    handle: RunHandle | None = None,
    max_concurrency: int | None = None,
    earlier_events: Sequence[Event] = (),
) -> RunResult:
    """Run ``run`` on ``engine``: create its directory (and graph copy), record its events (after
    ``earlier_events``, the engine's start), and schedule its nodes; ``handle`` gets the scheduler."""
    graph, rundir, state = run.graph, run.rundir, run.state
    rundir.create()
    copy = rundir.graph_path
    if run.new or not copy.exists() or copy.read_bytes() != graph.definition:  # a forced resume: the graph given
        rundir.graph_path.write_bytes(graph.definition)
    state.model, state.sequences = graph.spec.model.model, graph.spec.model.sequences
    rundir.record_events(events, engine.events, backlog=earlier_events)
    try:
        scheduler = Scheduler(
            graph.compiled, engine=engine, events=events, inputs=run.inputs, run_id=state.run_id,
            run_path=rundir.path, workspace=rundir.workspace, run_dir=rundir, state=state, stored=run.stored,
            max_concurrency=max_concurrency, graph_label=graph.spec.name or str(graph.path or "<python>"),
        )
        if handle is not None:
            handle.attach(scheduler)
        return await scheduler.run()
    finally:
        rundir.close()
