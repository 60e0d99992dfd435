"""`Graph`: a checked graph definition you can run, from YAML (`Graph.from_yaml`) or code (`Graph.builder`).

    graph = Graph.from_yaml("graphs/research.yaml")
    result = await graph.run({"task": "..."}, engine=engine, run_dir=Path("runs/r1"))

    graph = (Graph.builder("demo")
             .input("task")
             .agent("writer", WriterAgent, role="You write.")       # a class, or a class path string
             .node("draft", agent="writer", input="{{ inputs.task }}")
             .node("polish", agent="writer", input="Improve: {{ nodes.draft.output }}")
             .output("text", "polish")
             .build())
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agentrt.engine.config import FlashAttnSetting, GpuLayersSetting, ThreadsSetting
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import GraphRunError
from agentrt.events import Event, EventBus
from agentrt.graph.checks import CompiledGraph, class_module, class_path_of, compile_graph, module_allowed
from agentrt.graph.dag import render_mermaid, render_text
from agentrt.graph.entry import execute, new_run, read_run, resumed_run
from agentrt.graph.handle import RunHandle
from agentrt.graph.result import RunResult, RunState
from agentrt.graph.rundir import RunDir
from agentrt.graph.spec import GraphSpec, InputSpec, load_graph_spec, parse_graph_spec
from agentrt.graph.yamlsource import SourceMap


class Graph:
    """A graph whose every agent, reference and dependency has been checked."""

    def __init__(self, compiled: CompiledGraph, *, path: Path | None = None, definition: bytes | None = None) -> None:
        self._compiled = compiled
        self.path = path
        self._definition = definition

    # --- construction ------------------------------------------------------------------------------------

    @classmethod
    def from_yaml(
        cls, path: str | Path, *, check_classes: bool = True, allow_modules: Sequence[str] = ()
    ) -> Graph:
        """Load and check a graph file. Raises `GraphSpecError` with ``file:line: field: message`` lines.

        Agent classes are imported from ``agents``, the graph's ``imports:`` and ``allow_modules`` only."""
        spec = load_graph_spec(path)
        compiled = compile_graph(spec, check_classes=check_classes, allow_modules=allow_modules)
        return cls(compiled, path=Path(path), definition=Path(path).read_bytes())

    @classmethod
    def from_spec(cls, spec: GraphSpec, *, agent_classes: dict[str, type] | None = None) -> Graph:
        return cls(compile_graph(spec, agent_classes=agent_classes))

    @classmethod
    def builder(cls, name: str = "") -> GraphBuilder:
        return GraphBuilder(name)

    # --- views -------------------------------------------------------------------------------------------

    @property
    def spec(self) -> GraphSpec:
        return self._compiled.spec

    @property
    def compiled(self) -> CompiledGraph:
        return self._compiled

    @property
    def dag(self) -> Any:
        """The networkx DiGraph (edge a -> b: b needs a)."""
        return self._compiled.dag

    def _kinds_and_agents(self) -> tuple[dict[str, str], dict[str, str]]:
        nodes = self._compiled.nodes
        return (
            {n: ("map" if c.map is not None else "node") for n, c in nodes.items()},
            {n: c.spec.agent for n, c in nodes.items()},
        )

    def to_text(self) -> str:
        return render_text(self.dag, *self._kinds_and_agents())

    def to_mermaid(self) -> str:
        return render_mermaid(self.dag, *self._kinds_and_agents())

    def with_model_overrides(
        self,
        model: str | None = None,
        sequences: int | None = None,
        threads: ThreadsSetting | None = None,
        gpu_layers: GpuLayersSetting | None = None,
        flash_attn: FlashAttnSetting | None = None,
    ) -> Graph:
        compiled = self._compiled
        spec = compiled.spec.with_model_overrides(model, sequences, threads, gpu_layers, flash_attn)
        # The definition stays the one loaded: overrides are the launch's, recorded apart in the run's state.
        return Graph(
            CompiledGraph(spec, compiled.nodes, compiled.outputs, compiled.agent_classes, compiled.dag),
            path=self.path, definition=self.definition,
        )

    # --- inputs ------------------------------------------------------------------------------------------

    def prepare_inputs(self, given: dict[str, Any] | None) -> dict[str, Any]:
        """Check the run's inputs against the declared ones: defaults filled, types coerced (CLI strings)."""
        given = dict(given or {})
        declared = self.spec.inputs
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise GraphRunError(f"unknown input(s) {', '.join(unknown)}; the graph declares: {', '.join(declared) or 'none'}")
        out: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                out[name] = _coerce(name, given[name], spec)
            elif spec.default is not None:
                out[name] = spec.default
            elif spec.is_required:
                where = self.spec.source.where(("inputs", name))
                raise GraphRunError(f"input {name!r} is required (declared at {where}); pass -i {name}=...")
            else:
                out[name] = None
        return out

    # --- running -----------------------------------------------------------------------------------------

    @property
    def definition(self) -> bytes:
        """The graph's definition as a file: the YAML file it was loaded from, or (built in Python) its spec
        dumped as YAML with each agent's class path. A run directory keeps this copy, and its sha256."""
        if self._definition is None:
            data = self.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for name, cls in self._compiled.agent_classes.items():  # classes given as objects: record their path
                data.setdefault("agents", {}).setdefault(name, {})["class"] = class_path_of(cls)
            for body in data.get("agents", {}).values():
                body.pop("name", None)
            self._definition = yaml.safe_dump(data, sort_keys=False).encode("utf-8")
        return self._definition

    async def run(
        self,
        inputs: dict[str, Any] | None = None,
        *,
        engine: EngineProtocol,
        run_dir: Path | str | None = None,
        events: EventBus | None = None,
        resume: bool = False,
        force: bool = False,
        max_concurrency: int | None = None,
        handle: RunHandle | None = None,
        earlier_events: Sequence[Event] = (),
    ) -> RunResult:
        """Run the graph on ``engine`` (which the caller owns and closes).

        ``run_dir`` defaults to ``runs/<run id>``. With ``resume=True`` the run directory's state file is read
        and only what did not succeed runs again (``inputs`` then default to the stored ones); a graph or inputs
        other than the run started with are refused unless ``force`` (then only unchanged nodes keep their
        results). Cancelling the awaiting task cancels every running node (their sequences are released), saves
        the state and re-raises. ``handle`` lets other tasks cancel one node, or the run (`RunHandle`).
        ``earlier_events`` (the engine's start, emitted before the run directory was known) go first into
        events.jsonl.
        """
        if resume:
            rundir, state = read_run(run_dir)
            prepared = resumed_run(self, rundir, state, inputs, force=force)
        else:
            prepared = new_run(self, inputs, run_dir)
        if handle is not None and (task := asyncio.current_task()) is not None:
            handle.bind_task(task)
        try:
            return await execute(
                prepared, engine=engine, events=events or engine.events, handle=handle,
                max_concurrency=max_concurrency, earlier_events=earlier_events,
            )
        finally:
            if handle is not None:
                handle.detach()

    @classmethod
    def from_run_dir(cls, rundir: RunDir, state: RunState, *, allow_modules: Sequence[str] = ()) -> Graph:
        """The graph a run directory holds (its copy), with the model overrides its run was started with."""
        graph = cls.from_yaml(rundir.graph_path, allow_modules=allow_modules)
        return graph.with_model_overrides(state.model, state.sequences)


def _coerce(name: str, value: Any, spec: InputSpec) -> Any:
    if not isinstance(value, str) or spec.type in ("string", "any"):
        return value
    try:
        if spec.type == "integer":
            return int(value)
        if spec.type == "number":
            return float(value)
        if spec.type == "boolean":
            lowered = value.strip().lower()
            if lowered in ("true", "1", "yes", "on"):
                return True
            if lowered in ("false", "0", "no", "off"):
                return False
            raise ValueError(value)
        parsed = json.loads(value)  # list / object inputs from the command line are JSON
    except ValueError as exc:
        raise GraphRunError(f"input {name!r}: {value!r} is not a valid {spec.type}") from exc
    expected = list if spec.type == "list" else dict
    if not isinstance(parsed, expected):
        raise GraphRunError(f"input {name!r}: expected a JSON {spec.type}, got {type(parsed).__name__}")
    return parsed


class GraphBuilder:
    """The same graph as a YAML file, in code. Every method returns the builder; `build()` checks it all."""

    def __init__(self, name: str = "") -> None:
        self._data: dict[str, Any] = {
            "name": name, "imports": [], "agents": {}, "nodes": {}, "inputs": {}, "outputs": {}
        }
        self._classes: dict[str, type] = {}

    def model(
        self,
        model: str = "smollm2",
        *,
        sequences: int = 4,
        n_ctx: int = 2048,
        threads: ThreadsSetting | None = None,
        gpu_layers: GpuLayersSetting | None = None,
        flash_attn: FlashAttnSetting | None = None,
    ) -> GraphBuilder:
        machine = {"threads": threads, "gpu_layers": gpu_layers, "flash_attn": flash_attn}
        self._data["model"] = {"model": model, "sequences": sequences, "n_ctx": n_ctx}
        self._data["model"] |= {k: v for k, v in machine.items() if v is not None}
        return self

    def settings(self, **fields: Any) -> GraphBuilder:
        """Top-level fields: ``max_concurrency``, ``default_agent``, ``description``."""
        self._data.update(fields)
        return self

    def input(self, name: str, *, type: str = "string", default: Any = None, description: str = "") -> GraphBuilder:
        self._data["inputs"][name] = {"type": type, "default": default, "description": description}
        return self

    def agent(self, name: str, cls: type | str, **fields: Any) -> GraphBuilder:
        """An agent: ``cls`` is the class itself or its import path; ``fields`` as in YAML (role, tools...)."""
        path = cls if isinstance(cls, str) else class_path_of(cls)
        if not isinstance(cls, str):
            self._classes[name] = cls
        self._data["agents"][name] = {"class": path, **fields}
        # Code that names a class names its module: the graph (and the run directory's copy of it) imports it.
        module = class_module(path)
        if module is not None and not module_allowed(module, self._data["imports"]):
            self._data["imports"].append(module)
        return self

    def node(self, node_id: str, *, agent: str, input: str = "", **fields: Any) -> GraphBuilder:
        """A node; ``fields`` as in YAML: needs, output_schema, retries, retry_backoff_s, timeout_s, priority."""
        self._data["nodes"][node_id] = {"agent": agent, "input": input, **fields}
        return self

    def map_node(
        self, node_id: str, *, agent: str, over: str, input: str = "{{ item }}", max_concurrency: int | None = None,
        **fields: Any,
    ) -> GraphBuilder:
        """A map node: run ``agent`` once per item of ``over`` (e.g. ``"inputs.files"``)."""
        body = {"agent": agent, "input": input, "map": over, **fields}
        if max_concurrency is not None:
            body["max_concurrency"] = max_concurrency
        self._data["nodes"][node_id] = body
        return self

    def output(self, name: str, ref: str) -> GraphBuilder:
        self._data["outputs"][name] = ref
        return self

    def build(self) -> Graph:
        spec = parse_graph_spec(self._data, SourceMap("<builder>"))
        return Graph.from_spec(spec, agent_classes=self._classes)
