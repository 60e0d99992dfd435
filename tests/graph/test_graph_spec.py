"""Loading and checking graph definitions: every error names the file, the line and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentrt.errors import GraphSpecError
from agentrt.graph import Graph, load_graph_spec
from agentrt.graph.spec import load_graph_spec_text
from graph_test_agents import ToolAgent, UpperAgent

HERE = Path(__file__).parent


def errors_of(path: Path) -> list[str]:
    with pytest.raises(GraphSpecError) as info:
        Graph.from_yaml(path)
    return str(info.value).splitlines()


def test_bad_references_are_reported_with_file_line_and_field(fixtures: Path) -> None:
    lines = errors_of(fixtures / "bad_refs.yaml")
    src = str(fixtures / "bad_refs.yaml")
    assert f"{src}:6: agents.ghost.class: module 'graph_test_agents' has no attribute 'NoSuchAgent'" in lines[0]
    assert any(line.startswith(f"{src}:7: agents.tooly.tools.1: unknown tool 'rm_rf'") for line in lines)
    assert any(line.startswith(f"{src}:11: nodes.first.input: unknown input 'tsk'") for line in lines)
    assert any(line.startswith(f"{src}:13: nodes.second.agent: unknown agent 'writer'") for line in lines)
    assert any(line.startswith(f"{src}:17: nodes.third.needs.1: unknown node 'nowhere'") for line in lines)
    assert any(line.startswith(f"{src}:18: nodes.third.input: unknown node 'missing'") for line in lines)
    assert len(lines) == 6


def test_cycle_is_printed_with_its_location(fixtures: Path) -> None:
    (line,) = errors_of(fixtures / "cycle.yaml")
    assert line == f"{fixtures / 'cycle.yaml'}:6: nodes.a: dependency cycle: a -> b -> c -> a"


def test_bad_types_and_unknown_fields(fixtures: Path) -> None:
    lines = errors_of(fixtures / "bad_types.yaml")
    src = str(fixtures / "bad_types.yaml")
    assert lines[0].startswith(f"{src}:4: agents.up.sampling.temperature: Input should be a valid number")
    assert lines[1].startswith(f"{src}:8: nodes.only.retries: Input should be greater than or equal to 0")
    assert lines[2].startswith(f"{src}:9: nodes.only.timeout_s:")
    assert lines[3] == f"{src}:10: nodes.only.colour: unknown field"


def test_unknown_class_module_and_invalid_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "g.yaml"
    bad.write_text("agents:\n  a: {class: no_such_module.Agent}\nnodes:\n  n: {agent: a}\nimports: [no_such_module]\n")
    (line,) = errors_of(bad)
    assert line.startswith(f"{bad}:2: agents.a.class: cannot import module 'no_such_module'")
    bad.write_text("agents:\n  a: {class: x\nnodes: [\n")
    with pytest.raises(GraphSpecError, match=rf"^{bad}:\d+: invalid YAML"):
        load_graph_spec(bad)


def test_agent_classes_that_do_not_fit_the_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "misfits.py").write_text(
        "class SyncRun:\n    def __init__(self, spec): pass\n    def run(self, task, ctx): return task\n"
        "class NoCtx:\n    def __init__(self, spec): pass\n    async def run(self, task): return task\n"
        "class NoSpec:\n    async def run(self, task, ctx): return task\n"
        "class NoRun:\n    def __init__(self, spec): pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bad = tmp_path / "g.yaml"
    bad.write_text(
        "agents:\n  a: {class: misfits.SyncRun}\n  b: {class: misfits.NoCtx}\n  c: {class: misfits.NoSpec}\n"
        "  d: {class: misfits.NoRun}\nnodes:\n  n: {agent: a}\nimports: [misfits]\n"
    )
    assert errors_of(bad) == [
        f"{bad}:2: agents.a.class: 'misfits.SyncRun' does not fit AgentProtocol: run() must be a coroutine "
        "(async def run(self, task, ctx))",
        f"{bad}:3: agents.b.class: 'misfits.NoCtx' does not fit AgentProtocol: it cannot be called as "
        "run(self, task, ctx)",
        f"{bad}:4: agents.c.class: 'misfits.NoSpec' does not fit AgentProtocol: it cannot be called as cls(spec)",
        f"{bad}:5: agents.d.class: 'misfits.NoRun' has no run() method",
    ]


def test_template_errors_name_the_field(tmp_path: Path) -> None:
    text = (
        "agents:\n  up: {class: graph_test_agents.UpperAgent}\nnodes:\n"
        "  a:\n    agent: up\n    input: \"{{ item }}\"\n"
        "  b:\n    agent: up\n    input: \"{{ nodes.a.output \"\n"
        "imports: [graph_test_agents]\n"
    )
    path = tmp_path / "t.yaml"
    path.write_text(text)
    lines = errors_of(path)
    assert lines[0].startswith(f"{path}:6: nodes.a.input: unknown name(s) in template: item")
    assert lines[1].startswith(f"{path}:9: nodes.b.input: template syntax error")


def test_dependencies_come_from_needs_and_templates(fixtures: Path) -> None:
    graph = Graph.from_yaml(fixtures / "pipeline.yaml")
    assert set(graph.dag.predecessors("combine")) == {"draft", "research"}
    assert graph.spec.inputs["topics"].default == ["alpha", "beta", "gamma"]
    assert graph.spec.outputs["answer"] == "{{ nodes.combine.output }}"
    text = graph.to_text()
    assert "combine (up)  <- draft, research" in text
    assert "research (echo, map)" in text
    mermaid = graph.to_mermaid()
    assert mermaid.startswith("flowchart TD") and mermaid.count("-->") == 2


def test_builder_checks_like_yaml() -> None:
    graph = (
        Graph.builder("b")
        .input("task")
        .agent("up", UpperAgent)
        .node("one", agent="up", input="{{ inputs.task }}")
        .node("two", agent="up", input="{{ nodes.one.output }}!")
        .output("result", "two")
        .build()
    )
    assert list(graph.dag.edges) == [("one", "two")]
    with pytest.raises(GraphSpecError, match=r"<builder>: nodes.two.input: unknown node 'zero'"):
        Graph.builder().agent("up", UpperAgent).node("two", agent="up", input="{{ nodes.zero.output }}").build()
    with pytest.raises(GraphSpecError, match=r"unknown tool 'shell'"):
        Graph.builder().agent("t", ToolAgent, tools=["shell"]).node("n", agent="t").build()


def test_node_and_input_named_like_dict_methods_still_resolve() -> None:
    spec = load_graph_spec_text(
        "inputs: [items]\nagents:\n  up: {class: graph_test_agents.UpperAgent}\n"
        "nodes:\n  keys: {agent: up, input: '{{ inputs.items }}'}\n  n: {agent: up, input: '{{ nodes.keys.output }}'}\n"
        "imports: [graph_test_agents]\n"
    )
    graph = Graph.from_spec(spec)
    assert set(graph.dag.predecessors("n")) == {"keys"}


def test_validate_command_prints_every_error_and_fails(fixtures: Path) -> None:
    env_path = f"{HERE}"
    proc = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "validate", str(fixtures / "pipeline.yaml"), str(fixtures / "cycle.yaml")],
        capture_output=True, text=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert proc.returncode == 1
    assert "pipeline.yaml: ok (3 nodes, 2 agents)" in proc.stdout
    assert "cycle.yaml:6: nodes.a: dependency cycle: a -> b -> c -> a" in proc.stderr
