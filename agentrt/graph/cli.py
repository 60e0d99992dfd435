"""`agentrt run | resume | graph | validate`: graph runs from the terminal.

``--engine-factory module:function`` swaps the real llama.cpp engine for another one (tests use the scripted
fake): the function takes ``(spec: GraphSpec, events: EventBus)`` and returns (or awaits to) an engine.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any

from agentrt.cli_args import positive_int
from agentrt.engine.machine_options import add_machine_options, machine_overrides, refuse_machine_options
from agentrt.errors import ConfigError
from agentrt.events import Event, EventBus
from agentrt.graph.contract import AgentOutcome
from agentrt.graph.graph import Graph
from agentrt.graph.ids import item_label
from agentrt.graph.launch import EngineFactory, RunLaunch, launch_run
from agentrt.graph.result import RunResult
from agentrt.graph.spec import GraphSpec
from agentrt.graph.states import RUN_EXIT_CODES, NodeState
from agentrt.jsonl import json_text


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run a graph (prints progress and the outputs)")
    run.add_argument("graph", type=Path, help="graph YAML file")
    run.add_argument("-i", "--input", action="append", default=[], metavar="KEY=VALUE", help="a run input (repeat)")
    _engine_options(run)
    run.add_argument("--run-dir", type=Path, default=None, help="run directory (default: runs/<run id>)")
    run.add_argument("--tui", action="store_true", help="show the live dashboard (needs the tui package)")
    run.add_argument(
        "--ray", nargs="?", const="", default=None, metavar="ADDRESS",
        help="run on a Ray actor with its own engine (pip install 'agentrt[ray]'); ADDRESS joins a cluster "
        "(auto, HOST:PORT), none joins this machine's or starts a local one (see docs/scale-out.md)",
    )
    run.set_defaults(func=_run)

    resume = subparsers.add_parser("resume", help="continue a run: only what did not succeed runs again")
    resume.add_argument("run_dir", type=Path)
    resume.add_argument("-i", "--input", action="append", default=[], metavar="KEY=VALUE", help="override an input")
    _engine_options(resume)
    resume.add_argument("--tui", action="store_true", help="show the live dashboard (needs the tui package)")
    resume.add_argument(
        "--force", action="store_true",
        help="resume even though graph.yaml or the inputs changed since the run started: nodes whose definition "
        "or inputs changed run again, with everything that needs them",
    )
    resume.set_defaults(func=_resume)

    show = subparsers.add_parser("graph", help="print a graph's DAG as text and as mermaid")
    show.add_argument("graph", type=Path)
    show.add_argument("--format", choices=["text", "mermaid", "both"], default="both")
    show.set_defaults(func=_show)

    validate = subparsers.add_parser("validate", help="check a graph file (agents, classes, tools, references, cycles)")
    validate.add_argument("graphs", type=Path, nargs="+")
    _allow_module_option(validate)
    validate.set_defaults(func=_validate)


def _allow_module_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-module", action="append", default=[], metavar="MODULE", dest="allow_modules",
        help="let agent classes come from MODULE (and its submodules) besides the agents package and the "
        "graph's imports: list; importing a module runs its code (repeat for several)",
    )


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="override the graph's model")
    parser.add_argument("--sequences", type=positive_int, default=None, help="override the graph's sequence pool size")
    add_machine_options(parser)
    parser.add_argument(
        "--remote", action="append", default=[], metavar="URL",
        help="send requests to this OpenAI-compatible server (llama.cpp, vLLM, llama-cpp-python) instead of "
        "loading the model here; repeat for several (see docs/scale-out.md)",
    )
    parser.add_argument(
        "--engine-factory", default=None, metavar="MODULE:FUNCTION",
        help="build the engine with this function instead of the llama.cpp engine (tests)",
    )
    _allow_module_option(parser)


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"-i {pair!r}: expected KEY=VALUE")
        inputs[key.strip()] = value
    return inputs


def _load_factory(path: str | None) -> EngineFactory | None:
    if path is None:
        return None
    module_name, _, attr = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"--engine-factory {path!r}: {exc}") from exc

    async def build(spec: GraphSpec, events: EventBus) -> Any:
        engine = factory(spec, events)
        return await engine if inspect.isawaitable(engine) else engine

    return build


def _run(args: argparse.Namespace) -> Any:
    if args.ray is not None:
        if args.tui or args.engine_factory or args.remote:
            raise ConfigError("--ray runs the graph on a Ray actor's engine: drop --tui, --engine-factory, --remote")
        if args.allow_modules:
            raise ConfigError("--ray: list the modules under `imports:` in the graph instead of --allow-module")
        refuse_machine_options(args, "--ray")
        return _run_on_ray(args)
    launch = RunLaunch(
        graph=args.graph, inputs=parse_inputs(args.input), model=args.model, sequences=args.sequences,
        run_dir=args.run_dir, remote=args.remote, allow_modules=args.allow_modules, **machine_overrides(args),
    )
    return _start(launch, args)


def _resume(args: argparse.Namespace) -> Any:
    launch = RunLaunch(
        inputs=parse_inputs(args.input), model=args.model, sequences=args.sequences, run_dir=args.run_dir,
        resume=True, force=args.force, remote=args.remote, allow_modules=args.allow_modules,
        **machine_overrides(args),
    )
    return _start(launch, args)


def _start(launch: RunLaunch, args: argparse.Namespace) -> Any:
    if args.tui:
        if args.engine_factory:
            raise ConfigError("--tui runs the real engine; it cannot be combined with --engine-factory")
        try:
            runner = importlib.import_module("tui.runner")
        except ImportError as exc:
            raise ConfigError(f"--tui needs the dashboard package (tui.runner): {exc}") from exc
        return int(runner.run_dashboard(launch))
    return _run_with_progress(launch, _load_factory(args.engine_factory))


async def _run_on_ray(args: argparse.Namespace) -> int:
    from agentrt.scaleout.graph_run import run_graph_on_ray

    result = await run_graph_on_ray(
        args.graph, parse_inputs(args.input), address=args.ray or None, run_dir=args.run_dir, model=args.model,
        sequences=args.sequences,
    )
    print_result(result)
    return RUN_EXIT_CODES[result.status]


async def _run_with_progress(launch: RunLaunch, factory: EngineFactory | None) -> int:
    events = EventBus(forward_to_logging=False)
    printer = ProgressPrinter()
    events.subscribe(printer, kinds={"run.started", "node.state", "map.item", "graph.expanded", "run.finished"})
    result = await launch_run(launch, events, engine_factory=factory)
    print_result(result)
    return RUN_EXIT_CODES[result.status]


class ProgressPrinter:
    """One line on stderr per node state change (the outputs go to stdout at the end)."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def __call__(self, event: Event) -> None:
        name = event["event"]
        at = f"[{time.monotonic() - self._started:7.2f}s]"
        if name == "run.started":
            resumed = " (resumed)" if event.get("resumed") else ""
            line = f"run {event['run_id']}{resumed}: {len(event['nodes'])} nodes, dir {event['run_dir']}"
        elif name == "node.state":
            if event["state"] in ("pending", "ready"):
                return
            extra = []
            if event.get("attempt", 1) > 1:
                extra.append(f"attempt {event['attempt']}")
            if event.get("elapsed_ms") is not None:
                extra.append(f"{event['elapsed_ms'] / 1000:.2f}s")
            if event.get("outcome") not in (None, AgentOutcome.ANSWERED):
                extra.append(f"without an answer: {event['outcome']}")
            if event.get("restored"):
                extra.append("from the earlier run")
            if event.get("error"):
                extra.append(str(event["error"])[:200])
            line = f"{event['node']:<24} {event['state']:<10} {'  '.join(extra)}"
        elif name == "map.item":
            if event["status"] == "running":
                return
            error = f"  {str(event['error'])[:200]}" if event.get("error") else ""
            if event.get("outcome") not in (None, AgentOutcome.ANSWERED):
                error = f"  without an answer: {event['outcome']}"
            item = item_label(event["node"], event["index"])
            line = f"{item:<24} {event['status']:<10}{error}"
        elif name == "graph.expanded":
            line = f"{event['node']:<24} expanded   +{', '.join(a['id'] for a in event['added'])}"
        else:
            line = f"run {event['status']} in {event['elapsed_s']:.2f}s"
        print(f"{at} {line}", file=sys.stderr, flush=True)


def print_result(result: RunResult) -> None:
    """Nodes that did not succeed, or succeeded without an answer, on stderr; the summary as JSON on stdout:
    the run's status, directory and outputs, and each node's state and outcome (`RUN_EXIT_CODES` is the exit)."""
    for node_id, record in result.nodes.items():
        if record.state != NodeState.SUCCEEDED:
            print(f"{node_id}: {record.state}" + (f": {record.error}" if record.error else ""), file=sys.stderr)
    for node_id, outcome in result.unanswered.items():
        print(f"{node_id}: succeeded without an answer: {outcome}", file=sys.stderr)
    nodes = {node_id: {"state": record.state, "outcome": record.outcome} for node_id, record in result.nodes.items()}
    summary = {"status": result.status, "run_dir": str(result.run_dir), "outputs": result.outputs, "nodes": nodes}
    sys.stdout.write(json_text(summary, indent=2) + "\n")


def _show(args: argparse.Namespace) -> int:
    graph = Graph.from_yaml(args.graph, check_classes=False)
    if args.format in ("text", "both"):
        print(graph.to_text())
    if args.format == "both":
        print()
    if args.format in ("mermaid", "both"):
        print(graph.to_mermaid())
    return 0


def _validate(args: argparse.Namespace) -> int:
    from agentrt.errors import GraphSpecError

    failed = 0
    for path in args.graphs:
        try:
            graph = Graph.from_yaml(path, allow_modules=args.allow_modules)
        except GraphSpecError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        print(f"{path}: ok ({len(graph.spec.nodes)} nodes, {len(graph.spec.agents)} agents)")
    return 1 if failed else 0
