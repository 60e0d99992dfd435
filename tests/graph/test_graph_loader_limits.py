"""The graph loader as a target: every hostile file is refused with a ``file:line`` error, never a hang, a
traceback or gigabytes of memory (issue 13: alias bombs, deep nesting, duplicate keys, encodings, control
characters, Jinja constant folding, template loops, class imports).

Inputs that could hang or exhaust memory if the limits regressed run in a subprocess under an address-space
limit, so a regression fails its test instead of taking pytest down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from agentrt.errors import GraphSpecError, describe_validation_error
from agentrt.graph import Graph, load_graph_spec
from agentrt.graph.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_GRAPH_NODES, MAX_VALUES
from agentrt.graph.spec import load_graph_spec_text
from graph_test_agents import UpperAgent

HERE = Path(__file__).parent
REPO = HERE.parent.parent
GRAPH = """\
agents:
  up: {class: agents.Agent}
nodes:
  n: {agent: up, input: "{{ inputs.task }}"}
inputs: [task]
"""


def isolated(code: str, *, memory_mib: int = 768, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter limited to ``memory_mib`` of address space. The timeout only guards
    against a hang (a regression); nothing here measures speed."""
    limit = memory_mib << 20
    prelude = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, env=env,
        timeout=timeout_s, cwd=REPO, check=False,
    )


def isolated_load_error(path: Path) -> str:
    """The `GraphSpecError` that loading ``path`` raises, loaded in a subprocess under `isolated`'s limits."""
    done = isolated(f"""
        from agentrt.errors import GraphSpecError
        from agentrt.graph import Graph
        try:
            Graph.from_yaml({str(path)!r})
        except GraphSpecError as exc:
            print(exc)
        else:
            print("loaded")
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def load_error(path: Path) -> str:
    with pytest.raises(GraphSpecError) as info:
        Graph.from_yaml(path)
    return str(info.value)


def alias_bomb(levels: int, width: int = 9) -> str:
    """The classic billion laughs: each level refers ``width`` times to the one before."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + GRAPH


# --- alias bombs and nesting (in a subprocess: a regression must not take pytest down) -----------------------


@pytest.mark.parametrize("levels", [6, 9])
def test_alias_bombs_are_refused_while_composing(tmp_path: Path, levels: int) -> None:
    # 6 levels: 531,441 values once expanded, about 550 bytes (main took seconds and >1 GB to load it);
    # 9 levels: 387 million (main never finished). Both stop at the alias that crosses the limit.
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(levels))
    assert path.stat().st_size < 1000
    error = isolated_load_error(path)
    assert f"{path}:6: alias *a4 expands to" in error
    assert f"more than {MAX_VALUES} values once aliases are expanded" in error


def test_a_value_that_contains_itself_is_refused(tmp_path: Path) -> None:
    for text, line in (("x: &a [1, *a]\n", 1), ("x:\n  y: &a {z: *a}\n", 2), ("x: &a {<<: *a}\n", 1)):
        path = tmp_path / "cycle.yaml"
        path.write_text(text + GRAPH)
        assert f"{path}:{line}: alias *a is inside the value it refers to" in load_error(path)


@pytest.mark.parametrize("style", ["flow lists", "flow mappings", "block mappings", "aliases"])
def test_deep_nesting_is_an_error_with_a_line_not_a_recursion_error(tmp_path: Path, style: str) -> None:
    depth = 3000
    if style == "flow lists":
        value = "[" * depth + "]" * depth
    elif style == "flow mappings":
        value = "{a: " * depth + "1" + "}" * depth
    elif style == "block mappings":  # (fewer levels: indentation makes each one longer)
        value = "\n" + "".join("  " * (i + 2) + "a:\n" for i in range(300)) + "  " * 302 + "1"
    else:  # each level only one deeper than the last, but the alias chain nests them all
        value = "\n" + "".join(f"    l{i}: &l{i} [{f'*l{i - 1}' if i else 1}]\n" for i in range(depth // 30))
    path = tmp_path / "deep.yaml"
    path.write_text(GRAPH + f"description: {value}\n")
    error = isolated_load_error(path)
    # where the nesting goes past the limit: the alias that does it, the first line too deep, or the flow's line
    line = {"aliases": MAX_DEPTH + 4, "block mappings": MAX_DEPTH + 5}.get(style, 6)
    assert error.startswith(f"{path}:{line}: "), error
    assert "levels deep" in error or "nesting depth" in error  # ours, or libyaml's own limit


def test_nesting_within_the_limit_loads(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 6  # root mapping, nodes, n, output_schema, then the nested lists
    path = tmp_path / "ok.yaml"
    path.write_text(GRAPH.replace('{agent: up, input: "{{ inputs.task }}"}',
                                  "{agent: up, output_schema: {x: " + "[" * depth + "]" * depth + "}}"))
    assert Graph.from_yaml(path).spec.nodes["n"].output_schema is not None


# --- duplicate keys ------------------------------------------------------------------------------------------


def test_duplicate_node_ids_agent_names_and_fields_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("agents:\n  up: {class: agents.Agent}\nnodes:\n  n: {agent: up}\n  m: {agent: up}\n  n: {agent: up}\n")
    assert load_error(path) == f"{path}:6: duplicate key 'n' (first at line 4): YAML would keep only the last one"
    path.write_text("agents:\n  up: {class: agents.Agent}\n  up: {class: agents.Critic}\nnodes:\n  n: {agent: up}\n")
    assert load_error(path).startswith(f"{path}:3: duplicate key 'up' (first at line 2)")
    path.write_text("agents:\n  up: {class: agents.Agent}\nnodes:\n  n:\n    agent: up\n    input: a\n    input: b\n")
    assert load_error(path).startswith(f"{path}:7: duplicate key 'input' (first at line 6)")
    path.write_text(GRAPH + "nodes: {}\n")
    assert load_error(path).startswith(f"{path}:6: duplicate key 'nodes' (first at line 3)")


def test_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "agents:\n  base: &base {class: agents.Agent, max_tokens: 7, role: base}\n"
        "  up: {<<: *base, role: mine}\nnodes:\n  n: {agent: up}\n"
    )
    up = Graph.from_yaml(path).spec.agents["up"]
    assert (up.role, up.max_tokens) == ("mine", 7)


# --- encodings and control characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "message"),
    [
        (lambda t: t.encode("utf-16"), ":1: the file is UTF-16 (it starts with a UTF-16 byte order mark)"),
        (lambda t: t.encode("utf-32"), ":1: the file is UTF-32"),
        (lambda t: t.encode("utf-16-le"), ":1:2: a NUL byte: this is binary data or UTF-16, not a UTF-8 graph file"),
        (lambda t: t.encode() + b"# caf\xe9\n", ":6:6: not valid UTF-8 (byte 0xe9)"),
        (lambda t: t.encode().replace(b"up:", b"u\xc0\xafp:", 1), ":2:4: not valid UTF-8 (byte 0xc0)"),
        (lambda t: t.encode() + b"# \xed\xa0\x80\n", ":6:3: not valid UTF-8 (byte 0xed)"),  # an encoded surrogate
        (lambda t: bytes(range(256)), ":1:1: a NUL byte"),
    ],
)
def test_other_encodings_and_binary_data_are_refused_with_the_place(tmp_path: Path, encode, message: str) -> None:
    path = tmp_path / "enc.yaml"
    path.write_bytes(encode(GRAPH))
    assert load_error(path).startswith(f"{path}{message}")


def test_a_utf8_byte_order_mark_and_non_ascii_text_load(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GRAPH.replace("agents.Agent}", "agents.Agent, role: 'Réponds en 漢字 😀'}").encode())
    assert Graph.from_yaml(path).spec.agents["up"].role == "Réponds en 漢字 😀"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\ufffe"])
def test_raw_control_characters_are_refused_with_line_and_column(tmp_path: Path, char: str) -> None:
    path = tmp_path / "ctrl.yaml"
    path.write_bytes(GRAPH.replace("up: {class", f"u{char}p: {{class", 1).encode())
    expected = "a NUL byte" if char == "\x00" else f"control character U+{ord(char):04X} is not allowed"
    assert load_error(path).startswith(f"{path}:2:4: {expected}")


@pytest.mark.parametrize("escape", ["\\x00", "\\e", "\\x7f", "\\x9b", "\\ud800", "\\udcff"])
def test_control_characters_written_as_escapes_are_refused(escape: str) -> None:
    # libyaml refuses a surrogate escape itself; PyYAML's pure-Python parser lets it through to our check
    message = r"(control character U\+[0-9A-F]{4} \(written as an escape\)|invalid YAML: found invalid Unicode)"
    with pytest.raises(GraphSpecError, match=r"^<t>:2: " + message):
        load_graph_spec_text(GRAPH.replace("agents.Agent}", f'agents.Agent, role: "a{escape}b"}}'), "<t>")


def test_tabs_and_newlines_in_escapes_are_fine() -> None:
    spec = load_graph_spec_text(GRAPH.replace("agents.Agent}", 'agents.Agent, role: "a\\tb\\nc"}'))
    assert spec.agents["up"].role == "a\tb\nc"


# --- values and sizes ----------------------------------------------------------------------------------------


def test_tags_that_do_not_give_json_values_are_refused_or_kept_as_text() -> None:
    for value, message in (
        ("!!binary aGk=", "binary values (!!binary) are not supported"),
        ("!!int abc", "invalid int value: invalid literal"),
        ("9" * 5000, "invalid int value: Exceeds the limit"),
        ("!!python/object:os.system x", "could not determine a constructor"),
        ("!!set {a: null}", "tag 'tag:yaml.org,2002:set' is not supported"),
    ):
        with pytest.raises(GraphSpecError, match=rf"^<t>:6: .*{re.escape(message)}"):
            load_graph_spec_text(GRAPH.replace("inputs: [task]", f"inputs:\n  task: {{default: {value}}}"), "<t>")
    spec = load_graph_spec_text(GRAPH.replace("inputs: [task]", "inputs:\n  task: {default: 2024-01-02}"))
    assert spec.inputs["task"].default == "2024-01-02"  # a date stays the text it was written as


def test_mapping_keys_must_be_scalars() -> None:
    with pytest.raises(GraphSpecError, match=r"^<t>:6: mapping keys must be names or numbers"):
        load_graph_spec_text(GRAPH + "? [a, b]\n: 1\n", "<t>")


def test_file_size_node_count_and_template_length_are_limited(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(GRAPH + "description: " + "x" * MAX_FILE_BYTES + "\n")
    assert load_error(path) == f"{path}: the file is larger than {MAX_FILE_BYTES // 1024} KiB, the limit for a graph file"
    nodes = "".join(f"  n{i}: {{agent: up}}\n" for i in range(MAX_GRAPH_NODES + 1))
    path.write_text("agents:\n  up: {class: agents.Agent}\nnodes:\n" + nodes)
    assert load_error(path) == f"{path}:3: nodes: {MAX_GRAPH_NODES + 1} nodes; a graph file holds at most " \
        f"{MAX_GRAPH_NODES} (the limit for a graph file)"
    path.write_text(GRAPH.replace('"{{ inputs.task }}"', "'{{ inputs.task }}" + " " * 70_000 + "'"))
    assert "nodes.n.input: the template is longer than" in load_error(path)


def test_a_directory_or_a_missing_file_is_an_error(tmp_path: Path) -> None:
    assert load_error(tmp_path).startswith(f"{tmp_path}: cannot read the graph file")
    assert load_error(tmp_path / "nope.yaml").startswith(f"{tmp_path / 'nope.yaml'}: cannot read the graph file")


# --- templates -----------------------------------------------------------------------------------------------


def test_validating_folds_no_constants_and_rendering_refuses_them(tmp_path: Path) -> None:
    # main folded these into constants while compiling: `validate` itself never finished (or ate the memory).
    path = tmp_path / "fold.yaml"
    path.write_text(
        "agents:\n  up: {class: agents.Agent}\nnodes:\n"
        "  a: {agent: up, input: '{{ 7 ** 99999999 }}'}\n"
        "  b: {agent: up, input: \"{{ 'a' * 4000000000 }}\"}\n"
        "  c: {agent: up, input: \"x {{ 'x' | center(4000000000) }} y\"}\n"
        "  d: {agent: up, input: \"{{ '%0999999999d' % 1 }}\"}\n"
    )
    done = isolated(f"""
        from agentrt.errors import TemplateLimitError
        from agentrt.graph import Graph
        graph = Graph.from_yaml({str(path)!r})
        print("loaded", len(graph.spec.nodes))
        for node in graph.compiled.nodes.values():
            try:
                node.input.text({{"inputs": None, "nodes": None}})
            except TemplateLimitError as exc:
                print(node.id, "refused:", exc)
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "loaded 4"
    assert lines[1].startswith("a refused: 3-bit ** 99999999 would be an integer of more than")
    assert lines[2].startswith("b refused: repeating a value 4000000000 times")
    assert lines[3].startswith("c refused: center width 4000000000")
    assert lines[4].startswith("d refused: the formatted text would be larger than")
    # Jinja evaluates an autoescape block's option while compiling: such blocks are refused outright.
    path.write_text("agents:\n  up: {class: agents.Agent}\nnodes:\n"
                    "  e: {agent: up, input: '{% autoescape 7 ** 99999999 %}x{% endautoescape %}'}\n")
    assert isolated_load_error(path) == f"{path}:4: nodes.e.input: autoescape blocks are not supported"


COSTLY_TEMPLATES = {
    "nested loops": ("{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}",
                     "steps"),
    "exponential macro": ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
                          "steps"),
    "recursive loop": (
        "{% for x in range(9) recursive %}{% if loop.depth < 60 %}{{ loop(range(99999)) }}{% endif %}{% endfor %}",
        "steps"),
    "doubling text": (
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "joined with ~ would be larger"),
    "doubling list": (
        "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
        "the sum would be larger"),
    "captured loop": ("{% set x %}{% for i in range(99999) %}" + "y" * 1000 + "{% endfor %}{% endset %}{{ x | length }}",
                      "output is larger"),
    "replace": ("{{ ('x' * 1000000).replace('', 'y' * 100000) }}", "replaced text would be larger"),
    "sum of lists": ("{{ [[1] * 1000] * 1000 | sum(start=[]) }}", "sum adds numbers only"),
    "round": ("{{ 1 | round(-100000000) }}", "round precision is limited"),
    "batch": ("{{ range(10) | batch(1000000000, 'x') | list }}", "linecount=1000000000"),
    "range": ("{{ range(1000000) }}", "range of 1000000 items"),
}


@pytest.fixture(scope="module")
def costly_template_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each costly template rendered once, all in one subprocess under a memory limit (on main, the doubling
    ones alone took 21 GB): name -> the error it raised."""
    cases = tmp_path_factory.mktemp("templates") / "cases.json"
    cases.write_text(json.dumps({name: template for name, (template, _) in COSTLY_TEMPLATES.items()}))
    done = isolated(f"""
        import json
        from agentrt.graph.template import TemplateCompiler
        compiler = TemplateCompiler()
        for name, template in json.loads(open({str(cases)!r}).read()).items():
            try:
                compiler.compile(template).text({{"inputs": {{"task": "t"}}, "nodes": {{}}}})
                print(json.dumps([name, "rendered"]))
            except Exception as exc:
                print(json.dumps([name, f"{{type(exc).__name__}}: {{exc}}"]))
    """, timeout_s=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(line) for line in done.stdout.splitlines())


@pytest.mark.parametrize("name", list(COSTLY_TEMPLATES))
def test_template_cost_is_bounded(costly_template_errors: dict[str, str], name: str) -> None:
    # Whichever bound a slow machine meets first: the specific one, or the wall-clock backstop.
    assert re.match(f"TemplateLimitError: .*({COSTLY_TEMPLATES[name][1]}|took longer than)",
                    costly_template_errors[name]), costly_template_errors[name]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ lipsum(5) }}", "unknown name(s) in template: lipsum"),
        ("{% include 'other' %}", "templates cannot include other templates"),
        ("{% autoescape false %}x{% endautoescape %}", "autoescape blocks are not supported"),
        ("{{ inputs.task | nosuchfilter }}", "No filter named 'nosuchfilter'"),  # was a TemplateAssertionError
        ("{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "nested too deeply"),
        ("{{ " + "9" * 5000 + " }}", "cannot be parsed: ValueError"),
    ],
)
def test_templates_that_cannot_be_bounded_are_load_errors(template: str, message: str) -> None:
    quoted = "'" + template.replace("'", "''") + "'"
    with pytest.raises(GraphSpecError, match=r"^<t>:4: nodes\.n\.input: .*" + re.escape(message)):
        Graph.from_spec(load_graph_spec_text(GRAPH.replace('"{{ inputs.task }}"', quoted), "<t>"))


def test_ordinary_templates_still_render() -> None:
    spec = load_graph_spec_text(GRAPH.replace(
        '"{{ inputs.task }}"',
        "'{% for s in inputs.task.split() %}{{ loop.index }}={{ s | upper }};{% endfor %} "
        "{{ inputs.task ~ \"!\" }} {{ \"%05.1f\" % 2.5 }} {{ [1, 2] * 2 }} {{ range(3) | join(\",\") }} {{ 2 ** 10 }}'",
    ))
    node = Graph.from_spec(spec).compiled.nodes["n"]
    assert node.input.text({"inputs": {"task": "a b"}, "nodes": {}}) == "1=A;2=B; a b! 002.5 [1, 2, 1, 2] 0,1,2 1024"


def test_a_costly_template_fails_its_node_not_the_run(tmp_path: Path) -> None:
    # End to end through `agentrt run` (in a subprocess: on main this hung the event loop, outside timeout_s).
    path = tmp_path / "loops.yaml"
    path.write_text(
        "imports: [graph_test_agents]\nagents:\n  up: {class: graph_test_agents.UpperAgent}\nnodes:\n"
        "  slow:\n    agent: up\n    timeout_s: 5\n"
        "    input: '{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}'\n"
        "  fine: {agent: up, input: hello}\n"
    )
    done = isolated(f"""
        import sys
        from agentrt.cli import main
        sys.exit(main(["run", {str(path)!r}, "--run-dir", {str(tmp_path / "run")!r},
                       "--engine-factory", "graph_test_agents:fake_engine_factory"]))
    """, timeout_s=300)
    assert done.returncode == 1, done.stderr[-2000:]
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["nodes"]["fine"]["state"] == "succeeded"
    assert state["nodes"]["slow"]["state"] == "failed"
    assert "TemplateLimitError: the template took more than 100000 steps" in state["nodes"]["slow"]["error"]


# --- where agent classes come from -----------------------------------------------------------------------------


@pytest.fixture
def side_effect_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module whose import leaves a mark (as any module's top-level code could do anything)."""
    package = tmp_path / "sidefx"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "agents.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(tmp_path / 'imported')!r}).write_text('yes')\n"
        "class Worker:\n    def __init__(self, spec): pass\n    async def run(self, task, ctx): return task\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / "imported"


def test_a_class_from_an_unnamed_module_is_refused_before_import(tmp_path: Path, side_effect_module: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("agents:\n  w: {class: sidefx.agents.Worker}\nnodes:\n  n: {agent: w}\n")
    assert load_error(path) == (
        f"{path}:2: agents.w.class: module 'sidefx.agents' is not imported for class 'sidefx.agents.Worker': agent "
        "classes come from the 'agents' package or from modules the graph lists under `imports:` (or that "
        "--allow-module names)"
    )
    assert not side_effect_module.exists()


def test_the_graphs_imports_list_names_the_module(tmp_path: Path, side_effect_module: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("imports: [sidefx]\nagents:\n  w: {class: sidefx.agents.Worker}\nnodes:\n  n: {agent: w}\n")
    assert Graph.from_yaml(path).compiled.agent_classes["w"].__name__ == "Worker"  # a submodule of a listed one
    assert side_effect_module.read_text() == "yes"


def test_allow_module_names_the_module_from_outside(tmp_path: Path, side_effect_module: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("agents:\n  w: {class: 'sidefx.agents:Worker'}\nnodes:\n  n: {agent: w}\n")
    assert Graph.from_yaml(path, allow_modules=["sidefx.agents"]).compiled.agent_classes["w"].__name__ == "Worker"
    with pytest.raises(GraphSpecError, match="module 'sidefx.agents' is not imported"):
        Graph.from_yaml(path, allow_modules=["sidefx.agent"])  # a name prefix is not a parent package


def test_validate_refuses_and_allow_module_accepts_on_the_command_line(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "noisy_agents.py").write_text(
        f"open({str(marker)!r}, 'w').write('yes')\n"
        "class Worker:\n    def __init__(self, spec): pass\n    async def run(self, task, ctx): return task\n"
    )
    path = tmp_path / "g.yaml"
    path.write_text("agents:\n  w: {class: noisy_agents.Worker}\nnodes:\n  n: {agent: w}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(tmp_path)])}

    def validate(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agentrt.cli", "validate", str(path), *extra],
                              capture_output=True, text=True, env=env, timeout=120, cwd=REPO, check=False)

    refused = validate()
    assert refused.returncode == 1 and "module 'noisy_agents' is not imported" in refused.stderr
    assert not marker.exists()
    allowed = validate("--allow-module", "noisy_agents")
    assert allowed.returncode == 0, allowed.stderr
    assert marker.exists()


def test_imports_must_be_module_names() -> None:
    with pytest.raises(GraphSpecError, match=r"^<t>:1: imports\.0: Value error, '\.x' is not a module name"):
        load_graph_spec_text("imports: ['.x']\n" + GRAPH, "<t>")


def test_builder_graphs_record_the_modules_of_their_classes(tmp_path: Path) -> None:
    graph = Graph.builder().agent("up", UpperAgent).node("n", agent="up", input="x").build()
    assert graph.spec.imports == ["graph_test_agents"]
    # The run directory's copy of the graph names the module too, so `agentrt resume` may import it again.
    path = tmp_path / "copy.yaml"
    path.write_text(json.dumps(graph.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)))
    assert Graph.from_yaml(path).compiled.agent_classes["up"] is UpperAgent


# --- errors read alike -----------------------------------------------------------------------------------------


def test_agent_options_are_checked_at_load_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("agents:\n  ex:\n    class: agents.Executor\n    options:\n      max_stepz: 3\n"
                    "      max_steps: many\nnodes:\n  n: {agent: ex}\n")
    assert load_error(path).splitlines() == [
        (f"{path}:6: agents.ex.options.max_steps: Input should be a valid integer, unable to parse string as an "
         "integer (got 'many')"),
        f"{path}:5: agents.ex.options.max_stepz: unknown field",
    ]


def test_one_description_of_validation_errors() -> None:
    with pytest.raises(GraphSpecError) as info:
        load_graph_spec(HERE / "fixtures" / "bad_types.yaml")
    src = HERE / "fixtures" / "bad_types.yaml"
    assert str(info.value).splitlines()[0] == (
        f"{src}:4: agents.up.sampling.temperature: Input should be a valid number, unable to parse string as a "
        "number (got 'hot')"
    )

    class Point(BaseModel):
        model_config = ConfigDict(extra="forbid")
        x: int

    with pytest.raises(ValidationError) as info:
        Point.model_validate({"x": "a" * 100, "y": 1})
    assert describe_validation_error(info.value, "point") == (
        f"point: x: Input should be a valid integer, unable to parse string as an integer (got '{'a' * 59}...)"
        "; point: y: unknown field"
    )
    assert describe_validation_error(info.value, lambda path: f"at {path}", separator="|").startswith("at ('x',): ")
