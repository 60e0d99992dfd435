"""`agentrt bench fuzz graphs`: the graph loader against hostile input. Figure: crashes per 10,000 inputs (goal 0).

Inputs come from a seeded generator (the same seed gives the same inputs): mutations of real graphs (the
repository's ``graphs/*.yaml``: bytes flipped, lines moved, hostile tokens spliced in) and hostile YAML made on
purpose (alias bombs, deep nesting, other encodings, control characters, duplicate keys, tags, costly
templates, class paths outside ``agents``). Each input is written to a file and given to `Graph.from_yaml`;
when it loads, every template is rendered once, as the scheduler would.

What counts as a failure: loading raised anything but `AgentrtError` (`GraphSpecError` is one); rendering
raised `MemoryError` (a render may fail, the scheduler reports that as the node's error, but it must not run out
of memory); an input took longer than 10 s; the worker died. Inputs run in a worker process with a
memory limit (`agentrt.bench.fuzzing`), so a failure is recorded and the next input runs in a fresh worker;
nothing takes the benchmark down.

    agentrt bench fuzz graphs --inputs 10000 --seed 1
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from agentrt.bench.fuzzing import FuzzReport, describe_exception, run_fuzz

REPO_GRAPHS = Path(__file__).resolve().parents[2] / "graphs"

# A graph to build hostile variants on when no corpus is at hand (and the base of the structured generators).
BASE_GRAPH = """\
name: fuzz
inputs:
  task: {type: string, default: hello}
  items: {type: list, default: [a, b]}
agents:
  writer: {class: agents.Agent, role: You write., max_tokens: 16}
nodes:
  first: {agent: writer, input: "{{ inputs.task }}"}
  each: {agent: writer, map: inputs.items, input: "{{ item }} of {{ nodes.first.output }}"}
outputs:
  answer: each
"""

# Spliced into real graphs at random places.
TOKENS = [
    "&a ", "*a", "<<: *a", "? ", "- ", ": ", "{", "}", "[", "]", ",", "'", '"', "|", ">", "!!binary ", "!!python/object:os.system ",
    "!!timestamp ", "!!int ", "!!set ", "!!omap ", "!foo ", "%YAML 1.1\n", "---\n", "...\n", "\t", "\r", "\x85", "\u2028",
    "\ufeff", "\x00", "\x07", "\x1b", "\x7f", "\ud800", "{{ ", " }}", "{% ", " %}", "{# ", "{{ 7 ** 99999 }}",
    "{{ 'a' * 999999999 }}", "{% for i in range(99999) %}", "{% endfor %}", "nodes.", "inputs.", "item", "~", "|center(99999999)",
    "null", "~", "1e999", "0x" + "f" * 40, "9" * 5000, "class: os.system", "class: this.X", "agent: ", "needs: [", "map: ",
]

# Template fragments the hostile templates are assembled from (each is valid on its own).
TEMPLATE_PARTS = [
    "{{ inputs.task }}", "{{ 7 ** 99999999 }}", "{{ 'a' * 4000000000 }}", "{{ inputs.task * 99999999 }}",
    "{{ 'x' | center(1000000000) }}", "{{ 'x' | indent(1000000000) }}", "{{ '%0999999999d' % 1 }}",
    "{{ 'ab' | replace('', 'c' * 100000) }}", "{{ range(100000) | join('x' * 1000) }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% macro g() %}{{ g() }}{% endmacro %}{{ g() }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
    "{% for x in range(3) recursive %}{{ loop(range(3)) }}{% endfor %}",
    "{% for x in range(9) recursive %}{% if loop.depth < 60 %}{{ loop(range(99999)) }}{% endif %}{% endfor %}", "{{ 1 | round(-100000000) }}",
    "{{ [[1] * 1000] * 1000 | sum(start=[]) }}", "{{ range(10) | batch(1000000000, 'x') | list }}",
    "{{ inputs.__class__.__mro__ }}", "{{ ''.format }}", "{{ cycler(1, 2).next() }}", "{{ dict(a=1) | tojson(99999) }}",
    "{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "{{ " + "[" * 400 + "]" * 400 + " }}", "{{ " + "9" * 5000 + " }}",
    "{{ nodes.first.output }}", "{{ item }}", "{% include 'x' %}", "{% autoescape 7 ** 99999999 %}x{% endautoescape %}",
    "{{ lipsum(999999999) }}", "{% raw %}{{ x }}{% endraw %}", "{{ inputs.task | list | sort | unique | join }}",
]

CLASS_PATHS = [
    "agents.Agent", "agents.Executor", "agents.Nope", "os.system", "this.X", "antigravity.Browser", "subprocess.Popen",
    ".relative.X", "agents..X", "agents:Agent", "agents:Agent:X", "agents.Agent.__init__", "builtins.object",
    "agents.tools.registry.ToolRegistry", "", "x" * 300, "fuzz_no_such_module.X", "agents.__class__",
]


# --- the inputs ------------------------------------------------------------------------------------------


def load_corpus() -> list[bytes]:
    """The graphs mutations start from: the repository's ``graphs/*.yaml`` (a built-in graph without them)."""
    corpus = [path.read_bytes() for path in sorted(REPO_GRAPHS.glob("*.yaml"))] if REPO_GRAPHS.is_dir() else []
    return corpus or [BASE_GRAPH.encode()]


def _pick(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    return rng.choice(corpus)


def mutate_bytes(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    data = bytearray(_pick(rng, corpus))
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        at = rng.randrange(len(data))
        op = rng.randrange(5)
        if op == 0:
            data[at] = rng.randrange(256)
        elif op == 1:
            data[at:at] = bytes([rng.randrange(256)])
        elif op == 2:
            del data[at : at + rng.randint(1, 64)]
        elif op == 3:
            end = min(len(data), at + rng.randint(1, 200))
            data[at:at] = data[at:end] * rng.randint(1, 20)
        else:
            data[at] ^= 1 << rng.randrange(8)
    return bytes(data)


def mutate_lines(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    lines = _pick(rng, corpus).decode("utf-8", "replace").split("\n")
    for _ in range(rng.randint(1, 6)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(5)
        if op == 0:
            lines.insert(j, lines[i])  # a duplicated line: duplicate keys, duplicate nodes
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines[i] = " " * rng.choice([0, 1, 2, 3, 4, 8]) + lines[i].lstrip()
        else:
            lines.insert(i, lines[i].split(":")[0] + ": " + rng.choice(TOKENS))
        if not lines:
            lines = [""]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def splice_tokens(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    text = _pick(rng, corpus).decode("utf-8", "replace")
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(TOKENS) + text[at:]
    return text.encode("utf-8", "surrogatepass")


def alias_bomb(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    """Billion laughs: each level refers ``width`` times to the one before (sometimes through a merge key)."""
    levels, width = rng.randint(3, 12), rng.randint(2, 12)
    anchors = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        if rng.random() < 0.8:
            anchors.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
        else:
            anchors.append(f"a{level}: &a{level} {{<<: [{', '.join(f'*a{i}' for i in range(level))}], k{level}: 1}}")
    last = f"*a{levels - 1}"
    if rng.random() < 0.5:  # at the top level: refused as unknown fields, but only after composing
        return ("\n".join(anchors) + "\n" + BASE_GRAPH).encode()
    nested = "".join(f"      {line}\n" for line in anchors)
    use = rng.choice([f"input: {last}", f"output_schema: {{x: {last}}}", f"retries: {last}", f"needs: {last}"])
    return (f"inputs:\n  bomb:\n    default:\n{nested}agents:\n  writer: {{class: agents.Agent}}\n"
            f"nodes:\n  first: {{agent: writer, {use}}}\n").encode()


def deep_nesting(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    depth = rng.choice([50, 63, 64, 65, 100, 1000, 5000, 20000])
    style = rng.randrange(4)
    if style == 0:
        value = "[" * depth + "]" * depth
    elif style == 1:
        value = "{a: " * depth + "1" + "}" * depth
    elif style == 2:
        value = "\n" + "".join(" " * (2 * i + 4) + "a:\n" for i in range(min(depth, 3000))) + " " * (2 * depth + 4) + "1"
    else:
        value = "\n" + "".join(" " * (2 * i + 4) + "-\n" for i in range(min(depth, 3000)))
    return BASE_GRAPH.replace("outputs:", f"description: {value}\noutputs:" if style < 2 else f"inputs2: {value}\noutputs:").encode()


def other_encoding(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    text = _pick(rng, corpus).decode("utf-8", "replace") + "\n# é ü 漢字 😀\n"
    choice = rng.randrange(8)
    if choice == 0:
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]))
    if choice == 1:
        return text.encode("latin-1", "replace")
    if choice == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
    if choice == 3:  # a multi-byte character cut short, an overlong form, an encoded surrogate
        bad = rng.choice([b"\xc3", b"\xe6\xbc", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xff\xfe"])
        data = text.encode()
        at = rng.randrange(len(data) + 1)
        return data[:at] + bad + data[at:]
    if choice == 4:
        return b"\xef\xbb\xbf" + text.encode()
    if choice == 5:
        return text.encode()[: rng.randrange(len(text.encode()) + 1)]
    if choice == 6:
        return b"\x00" * rng.randint(1, 100) + text.encode()
    return text.encode("utf-8").replace(b"\n", rng.choice([b"\r\n", b"\r", "\u2028".encode(), b"\xc2\x85"]))


def control_characters(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    text = BASE_GRAPH
    escape = rng.choice(["\\x00", "\\x07", "\\e", "\\x1b", "\\x7f", "\\x85", "\\ud800", "\\udcff", "\\U0010ffff",
                         "\\u2028", "\\t", "\\N", "\\_", "\\L", "\\P", "\\uffff", "\\ufffe"])
    raw = rng.choice(["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x9f", "\ufffe", "\uffff"])
    if rng.random() < 0.5:
        text = text.replace("You write.", f'"You {escape} write."')
    else:
        at = rng.randrange(len(text))
        text = text[:at] + raw + text[at:]
    return text.encode("utf-8", "surrogatepass")


def hostile_template(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    template = "".join(rng.choice(TEMPLATE_PARTS) for _ in range(rng.randint(1, 3)))
    quoted = "'" + template.replace("'", "''") + "'"
    where = rng.randrange(3)
    if where == 0:
        return BASE_GRAPH.replace('input: "{{ inputs.task }}"', f"input: {quoted}").encode()
    if where == 1:
        return BASE_GRAPH.replace("map: inputs.items", f"map: {quoted}").encode()
    return BASE_GRAPH.replace("answer: each", f"answer: {quoted}").encode()


def structure(rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    choice = rng.randrange(14)
    base = BASE_GRAPH
    if choice == 0:  # a node written twice
        return base.replace("outputs:", '  first: {agent: writer, input: "again"}\noutputs:').encode()
    if choice == 1:
        return base.replace("agents:\n", "agents:\n  writer: {class: agents.Critic}\n").encode()
    if choice == 2:
        count = rng.choice([10, 999, 1000, 1001, 3000])
        nodes = "".join(f"  n{i}: {{agent: writer, input: 'x{i}'}}\n" for i in range(count))
        return base.replace("outputs:", nodes + "outputs:").encode()
    if choice == 3:
        tag = rng.choice(["!!binary aGk=", "!!python/object:os.system x", "!!timestamp 2020-99-99", "!!int abc",
                          "!!float x", "!!set {a, b}", "!!omap [a: 1]", "!foo bar", "!!map [1]", "!!str [1]",
                          "!!python/name:os.system ''", "2001-12-14t21:59:43.10-05:00", "!!null x", "!!bool maybe"])
        return base.replace("default: hello", f"default: {tag}").encode()
    if choice == 4:
        return base.replace("agents:", "? [a, b]\n: 1\nagents:").encode()
    if choice == 5:
        return (base + rng.choice(["---\n" + base, "---\n", "...\n---\nx: 1\n", "--- !!str\n"])).encode()
    if choice == 6:
        return rng.choice([b"", b"\n", b"null\n", b"[]\n", b"1\n", b"'x'\n", b"~", b"---", b"- a\n- b\n", b"{}"])
    if choice == 7:
        path = rng.choice(CLASS_PATHS)
        return base.replace("class: agents.Agent", f"class: {path!r}").encode()
    if choice == 8:
        imports = rng.choice(["[fuzz_no_such_module]", "[1, 2]", "['a b']", "[agents]", "x", "[.x]", "{a: 1}"])
        return base.replace("agents:", f"imports: {imports}\nagents:").encode()
    if choice == 9:
        node_id = rng.choice(["a b", "a.b", "1x", "", "x" * 1000, "é", "a/b", "[x]", "nodes", "-x", "null", "true"])
        return base.replace("first:", f"{node_id!r}:").replace("nodes.first", f"nodes.{node_id}").encode()
    if choice == 10:
        number = rng.choice(["1" * 4300, "1" * 4301, "1e999", "-1e999", ".nan", "0x" + "f" * 100, "0o777", "1_000",
                             "0b" + "1" * 10000, "190:20:30", "-0", "+.inf"])
        return base.replace("max_tokens: 16", f"max_tokens: {number}").replace("default: hello", f"default: {number}").encode()
    if choice == 11:  # many aliases, each small
        count = rng.choice([500, 1001, 5000])
        return (base.replace("agents:", "x: &x 1\nagents:") + "extra: [" + ", ".join(["*x"] * count) + "]\n").encode()
    if choice == 12:  # a recursive alias
        return rng.choice([b"a: &a [*a]\n", b"a: &a {b: *a}\n", b"a: &a {<<: *a}\n", b"&a [*a, *a]\n"]) + base.encode()
    long_text = "x" * rng.choice([1000, 100_000, 300_000])
    return base.replace("You write.", long_text).encode()


GENERATORS: list[tuple[Callable[[random.Random, Sequence[bytes]], bytes], int]] = [
    (mutate_bytes, 4),
    (mutate_lines, 3),
    (splice_tokens, 3),
    (alias_bomb, 1),
    (deep_nesting, 1),
    (other_encoding, 2),
    (control_characters, 2),
    (hostile_template, 3),
    (structure, 3),
]


def hostile_inputs(seed: int, count: int, corpus: Sequence[bytes] | None = None) -> Iterator[tuple[str, bytes]]:
    """``count`` inputs, the same for the same seed: (the generator's name, the file's bytes)."""
    rng = random.Random(seed)
    docs = list(corpus) if corpus else load_corpus()
    makers, weights = zip(*GENERATORS, strict=True)
    for _ in range(count):
        maker = rng.choices(makers, weights=weights)[0]
        yield maker.__name__, maker(rng, docs)


# --- one input -------------------------------------------------------------------------------------------


def check_one(data: bytes, path: Path) -> tuple[str, str]:
    """Load ``data`` as the graph file ``path``, render its templates if it loads: (outcome, detail)."""
    from agentrt.errors import AgentrtError
    from agentrt.graph.graph import Graph
    from agentrt.graph.scheduler import (
        Lookup,  # what templates see as inputs/nodes in a run
    )

    path.write_bytes(data)
    try:
        graph = Graph.from_yaml(path)
    except AgentrtError as exc:
        return "refused", str(exc).split("\n", 1)[0][:300]
    except Exception as exc:  # noqa: BLE001 (the point of the benchmark: any other exception is a crash)
        return "crash", describe_exception(exc)
    compiled = graph.compiled
    inputs = {name: spec.default if spec.default is not None else "x" for name, spec in graph.spec.inputs.items()}
    nodes = Lookup({node_id: {"output": "x", "id": node_id} for node_id in compiled.nodes})
    context = {"inputs": Lookup(inputs), "nodes": nodes}
    templates = [(n.input, {"item": "x", "index": 0}) for n in compiled.nodes.values()]
    templates += [(n.map, {}) for n in compiled.nodes.values() if n.map is not None]
    templates += [(t, {}) for t in compiled.outputs.values()]
    for template, extra in templates:
        try:
            template.text({**context, **extra})
        except MemoryError as exc:
            return "crash", "render: " + describe_exception(exc)
        except Exception:  # noqa: BLE001, S110 (a render may fail: the scheduler reports it as the node's error)
            pass
    return "loaded", ""


def _warm_up() -> None:
    from agentrt.graph.graph import Graph  # noqa: F401


check_one.warm_up = _warm_up  # type: ignore[attr-defined]  (the harness calls it before the first input)


# --- the target of `agentrt bench fuzz graphs` ------------------------------------------------------------


async def run(inputs: int, seed: int) -> FuzzReport:
    """``inputs`` hostile graph files (seeded) through `check_one` in a worker process, 10 s and 2 GiB each."""
    return await asyncio.to_thread(
        run_fuzz, hostile_inputs(seed, inputs), target=check_one, name="graphs", seed=seed,
        outcomes=("loaded", "refused"),
    )
