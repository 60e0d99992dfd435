"""Hostile arguments for the built-in tools, in a hostile workspace: the ``tools`` target of `agentrt bench fuzz`.

The workspace holds what broke the tools before (issue 13): a FIFO, symlink loops, links out, a 3 GiB sparse
file, names in Latin-1 bytes, binary files, device nodes (when root), deep and wide folders. Arguments are drawn
from pools of awkward values (huge numbers, lone surrogates, NUL, ``..``, absolute paths, wrong types, extra
keys) and random arithmetic. A call is clean when it returns valid, bounded text or raises `ToolError` with
valid, bounded text, within `CALL_TIMEOUT_S`; anything else is a crash.
"""

from __future__ import annotations

import asyncio
import os
import random
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from agentrt.bench.fuzzing import FuzzReport
from agentrt.errors import ToolError

from agents.tools import ToolContext, default_registry
from agents.tools.registry import MAX_OBSERVATION_CHARS

CALL_TIMEOUT_S = 60.0
PYTHON_SHARE = 0.02  # each python call starts a sandbox (~0.3 s), so they are a small share of the inputs
LIMIT = MAX_OBSERVATION_CHARS + 200

HOSTILE_TEXT = [
    "", " ", ".", "..", "./", "../", "../../etc/passwd", "/", "/etc/shadow", "~", "~/x", "\0", "a\0b", "\udcff",
    "\ud800", "caf\udce9.txt", "\u202ename.txt", "x" * 5000, "a/" * 300, "notes.txt\n", "%s%n{0}", "${HOME}",
    "pipe", "loop", "a", "b", "sub/up/up/up/notes.txt", "sub/up", "out", "out/passwd", "huge.bin", "zero", "null",
    "binary.dat", "deep/" * 40, "many", "many/f1999.txt", "sub/../notes.txt", "notes.txt/", "NOTES.TXT", "\\",
    "sub\\notes.txt", "?", "*", "sub/*", "file:///etc/passwd", "\n", "\t", "😀", "e\u0301", "\x7f", "-rf",
]
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2**63, -(2**63), 10**100, 1.5, float("inf"), float("nan"), -0.0, [], {}, [1, 2],
    {"path": "x"}, "3", "ten",
]
NUMBERS = ["0", "1", "2", "7", "10", "99", "12345678901234567890", "9" * 400, "1e308", "1e-308", "0.5", "3.14159",
           "1e999", "0x10", "1_000", "pi", "e", "nan", "inf", "x"]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "^", "<<", "&", "@", "==", "and"]
FUNCTIONS = ["sqrt", "abs", "round", "floor", "ceil", "log", "log10", "exp", "sin", "cos", "tan", "min", "max",
             "factorial", "pow", "__import__", "eval", "open"]
PYTHON_SNIPPETS = [
    "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')",
    "import os\nos.kill(-1, 9)",
    "print(open('/etc/shadow').read())",
    "import os\nfor _ in range(100):\n    if os.fork() == 0:\n        import time; time.sleep(30)\nprint('forked')",
    "print('\\udcff')",
    "import sys\nsys.stdout.buffer.write(bytes(range(256)) * 100)",
    "print('x' * 3_000_000)",
    "import sys\nsys.exit(5)",
    "raise SystemExit('\\ud800')",
    "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)",
    "open('made.txt', 'w').write('x' * 10)\nprint(open('made.txt').read())",
    "import os\nos.symlink('/etc/passwd', 'link-out')\nprint('ok')",
    "x = bytearray(2 * 1024**3)",
    "def f(): f()\nf()",
    "print(1/0)",
    "\0",
    "import os\nprint(os.listdir('/'))",
]


def build_workspace(root: Path) -> Path:
    """A workspace holding every kind of entry that has tripped a tool."""
    ws = root / "workspace"
    ws.mkdir()
    (ws / "notes.txt").write_text("The capital of France is Paris.\n\nBananas are yellow.\n")
    (ws / "binary.dat").write_bytes(bytes(range(256)) * 64)
    with (ws / "huge.bin").open("wb") as f:
        f.write(b"start of a large file\n" * 100)
        f.truncate(3 * 1024**3)  # sparse: costs no disk
    with open(os.fsencode(ws) + b"/caf\xe9 \xff.txt", "wb") as f:
        f.write(b"Latin-1 caf\xe9 menu\n")
    os.mkfifo(ws / "pipe")
    (ws / "loop").symlink_to("loop")
    (ws / "a").symlink_to("b")
    (ws / "b").symlink_to("a")
    (ws / "out").symlink_to("/etc", target_is_directory=True)
    (ws / "sub").mkdir()
    (ws / "sub" / "up").symlink_to("..", target_is_directory=True)
    (ws / "sub" / "deep.md").write_text("Paris has the Eiffel tower.\n" * 50)
    deep = ws
    for _ in range(40):
        deep = deep / "deep"
        deep.mkdir()
    (deep / "bottom.txt").write_text("the bottom\n")
    (ws / "many").mkdir()
    for i in range(2000):
        (ws / "many" / f"f{i}.txt").write_text(f"file {i}\n\n" * 3)
    if os.geteuid() == 0:
        os.mknod(ws / "zero", stat.S_IFCHR | 0o666, os.makedev(1, 5))
        os.mknod(ws / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return ws


def _expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice(NUMBERS)
    if roll < 0.7:
        return f"{_expression(rng, depth + 1)} {rng.choice(OPERATORS)} {_expression(rng, depth + 1)}"
    if roll < 0.85:
        args = ", ".join(_expression(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        return f"{rng.choice(FUNCTIONS)}({args})"
    if roll < 0.95:
        return f"({_expression(rng, depth + 1)})"
    return "".join(rng.choice("()+-*/%^.,0123456789eE xj[]{}'\"\\") for _ in range(rng.randint(1, 40)))


def _text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(HOSTILE_TEXT)
    if roll < 0.8:
        return "/".join(rng.choice(HOSTILE_TEXT[:40]) for _ in range(rng.randint(2, 4)))
    return "".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x10FFFF)])) for _ in range(rng.randint(0, 30)))


def _value(rng: random.Random, expected: str) -> Any:
    if rng.random() < 0.12:
        return rng.choice(HOSTILE_VALUES)
    if expected == "integer":
        return rng.choice([0, 1, 3, 10, -5, 10**9, 2**40])
    return _text(rng)


def hostile_call(rng: random.Random, names: list[str], schemas: dict[str, dict[str, Any]]) -> tuple[str, Any]:
    """A tool name and arguments: mostly the right keys with awkward values, sometimes the wrong shape."""
    name = "python" if rng.random() < PYTHON_SHARE else rng.choice([n for n in names if n != "python"])
    if name == "python":
        return name, {"code": rng.choice(PYTHON_SNIPPETS)}
    roll = rng.random()
    if roll < 0.05:
        return name, rng.choice(HOSTILE_VALUES + ["x", ["expression"]])
    properties = schemas[name].get("properties", {})
    arguments = {key: _value(rng, prop.get("type", "string")) for key, prop in properties.items()}
    if name == "calculator" and rng.random() < 0.8:
        arguments["expression"] = _expression(rng)
    if roll < 0.12 and arguments:
        arguments.pop(rng.choice(list(arguments)))
    elif roll < 0.18:
        arguments[rng.choice(["extra", "path", "__class__", ""])] = _text(rng)
    return name, arguments


def _clean(text: str) -> str | None:
    """None if ``text`` is a clean observation; else what is wrong with it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid text (a lone surrogate)"
    if len(text) > LIMIT:
        return f"{len(text)} characters (more than {LIMIT})"
    return None


async def run(inputs: int, seed: int) -> FuzzReport:
    rng = random.Random(seed)
    # Outcomes: "returned" (clean text), "refused" (a clean ToolError), "crash" and "hang" (failures). The calls
    # run in this process, so no "died".
    report = FuzzReport(name="tools", seed=seed, kinds=("returned", "refused", "crash", "hang"))
    registry = default_registry()
    names = registry.names()
    schemas = {tool.name: tool.arguments_schema() for tool in registry}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agentrt-fuzz-tools-") as folder:
        ctx = ToolContext(workspace=build_workspace(Path(folder)))
        for _ in range(inputs):
            name, arguments = hostile_call(rng, names, schemas)
            shown = f"{name}({arguments!r})"[:300].encode("ascii", "backslashreplace").decode()
            begun = time.perf_counter()
            problem: str | None
            try:
                text = await asyncio.wait_for(registry.get(name).invoke(arguments, ctx), CALL_TIMEOUT_S)
                kind, problem = "returned", _clean(text)
            except ToolError as exc:
                kind, problem = "refused", _clean(str(exc))
            except asyncio.TimeoutError:
                kind, problem = "hang", f"no answer within {CALL_TIMEOUT_S:g} s"
            except Exception as exc:  # noqa: BLE001 - this is what the fuzzer is looking for
                kind, problem = "crash", f"{type(exc).__name__}: {exc}"[:300]
            if kind in ("returned", "refused") and problem is not None:
                kind = "crash"  # text that is not clean (a lone surrogate, too long) is a crash either way
            report.record(name, kind, f"{shown}: {problem}" if problem is not None else "",
                          elapsed_ms=(time.perf_counter() - begun) * 1e3, shown=shown[:120])
    report.elapsed_s = time.perf_counter() - started
    return report
