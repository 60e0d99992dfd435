"""Everything checked about a graph beyond its schema, all reported at once as ``file:line: field: message``.

Unknown agents, classes and tools; agent options the class rejects; template errors; references to inputs or
nodes that do not exist; needs on unknown nodes; cycles (printed as ``a -> b -> a``). The result, a
`CompiledGraph`, holds the parsed templates, the resolved agent classes and the networkx DAG the scheduler runs.

Agent classes are imported by path, and importing a module runs its top-level code, so a graph only imports
from modules that were named for the purpose: the ``agents`` package, the graph's own ``imports:`` list, and
whatever the caller allows (``--allow-module``, ``allow_modules=``). Any other class path is refused before
anything is imported.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from pydantic import BaseModel, ValidationError

from agentrt.errors import GraphSpecError, describe_validation_error
from agentrt.graph.dag import bad_needs, build_dag, find_cycle, format_cycle
from agentrt.graph.spec import MODULE_NAME, GraphSpec, NodeSpec
from agentrt.graph.template import Template, TemplateCompiler, TemplateError


@dataclass(frozen=True)
class CompiledNode:
    id: str
    spec: NodeSpec
    input: Template
    map: Template | None
    needs: frozenset[str]  # explicit needs plus every node the templates refer to


@dataclass
class CompiledGraph:
    spec: GraphSpec
    nodes: dict[str, CompiledNode]
    outputs: dict[str, Template]
    agent_classes: dict[str, type]
    dag: nx.DiGraph


AGENT_PACKAGE = "agents"  # agentrt's own agent classes: always allowed


class ClassRefused(ImportError):
    """A class path whose module may not be imported (it was not named for the purpose)."""


def split_class_path(path: str) -> tuple[str, str]:
    """``package.module.Class`` or ``package.module:Class`` → (module, attribute path)."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr or not MODULE_NAME.match(module_name) or not MODULE_NAME.match(attr):
        raise ImportError(f"{path!r} is not a class path like package.module.Class")
    return module_name, attr


def class_module(path: str) -> str | None:
    """The module a class path names, or None when it is not a class path."""
    try:
        return split_class_path(path)[0]
    except ImportError:
        return None


def module_allowed(module: str, allowed: Collection[str]) -> bool:
    """``module`` is ``agents``, one of ``allowed``, or a submodule of one of them."""
    return any(module == name or module.startswith(name + ".") for name in (AGENT_PACKAGE, *allowed))


def resolve_class(path: str, allowed_modules: Collection[str] = ()) -> type:
    """``package.module.Class`` or ``package.module:Class`` → the class. Raises ImportError naming the path;
    `ClassRefused`, before importing anything, when the module is neither ``agents`` nor in ``allowed_modules``."""
    module_name, attr = split_class_path(path)
    if not module_allowed(module_name, allowed_modules):
        raise ClassRefused(
            f"module {module_name!r} is not imported for class {path!r}: agent classes come from the "
            f"{AGENT_PACKAGE!r} package or from modules the graph lists under `imports:` (or that "
            "--allow-module names)"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import module {module_name!r} for class {path!r}: {exc}") from exc
    except Exception as exc:  # the module itself is broken: still a load error, not a crash
        raise ImportError(f"importing {module_name!r} for class {path!r} failed: {type(exc).__name__}: {exc}") from exc
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ImportError(f"module {module_name!r} has no attribute {attr!r} (class {path!r})")
        target = getattr(target, part)
    if not isinstance(target, type):
        raise ImportError(f"{path!r} is not a class")
    return target


def agent_protocol_problem(cls: type) -> str | None:
    """Why ``cls`` does not fit `AgentProtocol` (built as ``cls(spec)``, run as ``await agent.run(task, ctx)``),
    or None when it does. The scheduler relies on exactly that, so a class that does not fit fails here, before
    the run, instead of in the middle of it."""
    run = getattr(cls, "run", None)
    if not callable(run):
        return "has no run() method"
    if not inspect.iscoroutinefunction(run):
        return "does not fit AgentProtocol: run() must be a coroutine (async def run(self, task, ctx))"
    for call, args, expected in ((run, (None, "task", None), "run(self, task, ctx)"), (cls, (None,), "cls(spec)")):
        try:
            inspect.signature(call).bind(*args)
        except TypeError:
            return f"does not fit AgentProtocol: it cannot be called as {expected}"
        except ValueError:  # no signature to read (a class implemented in C): leave it to the run
            pass
    return None


def class_path_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def compile_graph(
    spec: GraphSpec,
    *,
    agent_classes: Mapping[str, type] | None = None,
    check_classes: bool = True,
    allow_modules: Collection[str] = (),
) -> CompiledGraph:
    """Check ``spec`` completely; raise one `GraphSpecError` listing every problem found.

    ``agent_classes`` supplies classes directly (the Python builder); other agents are imported by path, from
    ``agents``, the graph's ``imports:`` or ``allow_modules`` only. With ``check_classes=False`` class paths are
    not imported (``agentrt graph`` only draws the DAG).
    """
    src = spec.source
    errors: list[str] = []
    compiler = TemplateCompiler()
    classes: dict[str, type] = dict(agent_classes or {})
    allowed = (*spec.imports, *allow_modules)

    for name, agent in spec.agents.items():
        if name in classes or not check_classes:
            cls = classes.get(name)
        else:
            try:
                cls = classes[name] = resolve_class(agent.class_path, allowed)
            except ImportError as exc:
                errors.append(src.error(("agents", name, "class"), str(exc)))
                continue
        if cls is None:
            continue
        if problem := agent_protocol_problem(cls):
            errors.append(src.error(("agents", name, "class"), f"{agent.class_path!r} {problem}"))
            continue
        _check_tools(cls, name, agent.tools, errors, src)
        _check_options(cls, name, agent.options, errors, src)

    if spec.default_agent is not None and spec.default_agent not in spec.agents:
        errors.append(src.error(("default_agent",), f"unknown agent {spec.default_agent!r}{_known(spec.agents)}"))

    nodes: dict[str, CompiledNode] = {}
    for node_id, node in spec.nodes.items():
        where = ("nodes", node_id)
        if node.agent not in spec.agents:
            errors.append(src.error((*where, "agent"), f"unknown agent {node.agent!r}{_known(spec.agents)}"))
        input_template = _compile(compiler, node.input, (*where, "input"), node.is_map, errors, src)
        map_template = None
        if node.map is not None:
            map_template = _compile(compiler, node.map, (*where, "map"), False, errors, src)
        elif node.max_concurrency is not None:
            errors.append(src.error((*where, "max_concurrency"), "only map nodes take max_concurrency"))
        needs = set(node.needs)
        for bad in bad_needs({node_id: node.needs}, spec.nodes):
            needs.discard(bad.need)
            why = f"unknown node {bad.need!r}{_known(spec.nodes)}" if bad.unknown else "a node cannot need itself"
            errors.append(src.error((*where, "needs", bad.index), why))
        for field, template in (("input", input_template), ("map", map_template)):
            if template is None:
                continue
            needs |= _check_refs(spec, node_id, template, (*where, field), errors, src)
        if input_template is not None:
            nodes[node_id] = CompiledNode(node_id, node, input_template, map_template, frozenset(needs))

    outputs: dict[str, Template] = {}
    for name, ref in spec.outputs.items():
        template = _compile(compiler, ref, ("outputs", name), False, errors, src)
        if template is not None:
            _check_refs(spec, None, template, ("outputs", name), errors, src)
            outputs[name] = template

    dag = build_dag({node_id: node.needs for node_id, node in nodes.items()})
    cycle = find_cycle(dag)
    if cycle is not None:
        errors.append(src.error(("nodes", cycle[0]), f"dependency cycle: {format_cycle(cycle)}"))
    if errors:
        raise GraphSpecError("\n".join(errors))
    return CompiledGraph(spec, nodes, outputs, classes, dag)


def _check_tools(cls: type, agent: str, tools: list[str], errors: list[str], src: Any) -> None:
    lister = getattr(cls, "available_tools", None)
    if not callable(lister):
        return
    try:
        available = set(lister())
    except Exception as exc:
        errors.append(src.error(("agents", agent, "tools"), f"available_tools() failed: {exc}"))
        return
    for i, tool in enumerate(tools):
        if tool not in available:
            known = ", ".join(sorted(available)) or "none"
            errors.append(src.error(("agents", agent, "tools", i), f"unknown tool {tool!r} (available: {known})"))


def _check_options(cls: type, agent: str, options: dict[str, Any], errors: list[str], src: Any) -> None:
    """Options the class declares as a pydantic model (``Options``, as `agents.Agent` does) are checked here, so
    a typo is a load error with its line, not a failure when the node starts."""
    model = getattr(cls, "Options", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    try:
        model.model_validate(options)
    except ValidationError as exc:
        where = ("agents", agent, "options")
        errors.append(describe_validation_error(exc, lambda path: src.where((*where, *path)), separator="\n"))


def _compile(
    compiler: TemplateCompiler, text: str, where: tuple, allow_item: bool, errors: list[str], src: Any
) -> Template | None:
    try:
        return compiler.compile(text, allow_item=allow_item)
    except TemplateError as exc:
        errors.append(src.error(where, str(exc)))
        return None


def _check_refs(
    spec: GraphSpec, node_id: str | None, template: Template, where: tuple, errors: list[str], src: Any
) -> set[str]:
    for name in sorted(template.input_refs - set(spec.inputs)):
        errors.append(src.error(where, f"unknown input {name!r}{_known(spec.inputs, 'declared inputs')}"))
    refs = set()
    for ref in sorted(template.node_refs):
        if ref not in spec.nodes:
            errors.append(src.error(where, f"unknown node {ref!r}{_known(spec.nodes)}"))
        elif ref == node_id:
            errors.append(src.error(where, "a node cannot refer to its own output"))
        else:
            refs.add(ref)
    return refs


def _known(names: Mapping[str, Any], label: str = "known") -> str:
    shown = ", ".join(sorted(map(str, names))[:12])
    return f" ({label}: {shown})" if shown else f" (no {label})"
