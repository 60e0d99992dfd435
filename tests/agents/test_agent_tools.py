"""Built-in tools and the registry: calculator whitelist, workspace confinement, python tool basics.

The python tool's sandbox (escapes, limits) is tested in test_sandbox.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from agentrt.errors import ToolError

from agents.tools import (
    PythonLimits,
    ToolContext,
    ToolRegistry,
    default_registry,
    run_python,
    tool,
)
from agents.tools.calculator import evaluate


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("The capital of France is Paris.\n\nBananas are yellow.\n")
    (ws / "sub").mkdir()
    (ws / "sub" / "deep.md").write_text("Paris has the Eiffel tower. Paris is big.")
    return ws


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "password.txt").write_text("hunter2")
    return secret


async def call(name: str, workspace: Path, **arguments: object) -> str:
    return await default_registry().get(name).invoke(arguments, ToolContext(workspace=workspace))


# --- calculator -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("6+6", 12), ("2 ** 10", 1024), ("7 // 2", 3), ("7 % 4", 3), ("-(3 - 5) * 1.5", 3.0), ("sqrt(16)", 4.0),
     ("2^3", 8), ("max(1, 9, 4)", 9), ("round(pi, 2)", 3.14)],
)
def test_calculator_evaluates_arithmetic(expression: str, expected: float) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('true')", "open('x')", "(1).__class__", "[1, 2]", "x + 1", "'a' * 3",
     "lambda: 1", "sqrt(x=4)", "9 ** 99999", "1 +"],
)
def test_calculator_refuses_everything_else(expression: str) -> None:
    with pytest.raises(ToolError, match="calculator"):
        evaluate(expression)


async def test_calculator_tool_formats_and_reports_division_by_zero(workspace: Path) -> None:
    assert await call("calculator", workspace, expression="6+6") == "12"
    assert await call("calculator", workspace, expression="1/4") == "0.25"
    with pytest.raises(ToolError, match="division by zero"):
        await call("calculator", workspace, expression="1/0")


# --- registry and decorator -------------------------------------------------------------------------------


class GreetArgs(BaseModel):
    name: str
    times: int = 1


@tool
def greet(args: GreetArgs) -> str:
    """Greet someone."""
    return " ".join([f"hello {args.name}"] * args.times)


@tool(name="where")
def where_am_i(ctx: ToolContext, suffix: str = "") -> str:
    """Say the workspace folder's name."""
    return ctx.workspace.name + suffix


async def test_decorator_accepts_a_pydantic_model_or_typed_parameters(workspace: Path) -> None:
    registry = ToolRegistry([greet, where_am_i])
    assert registry.names() == ["greet", "where"]
    ctx = ToolContext(workspace=workspace)
    assert await registry.get("greet").invoke({"name": "Ada", "times": 2}, ctx) == "hello Ada hello Ada"
    assert await registry.get("where").invoke({"suffix": "!"}, ctx) == "ws!"
    assert "greet(name: string, times: integer): Greet someone." in registry.describe()


async def test_invalid_arguments_and_unknown_tools_are_tool_errors(workspace: Path) -> None:
    registry = ToolRegistry([greet])
    ctx = ToolContext(workspace=workspace)
    with pytest.raises(ToolError, match="greet: invalid arguments: name: Field required"):
        await registry.get("greet").invoke({"times": 2}, ctx)
    with pytest.raises(ToolError, match="must be a JSON object"):
        await registry.get("greet").invoke(["Ada"], ctx)
    with pytest.raises(ToolError, match="unknown tool 'nope'; known tools: greet"):
        registry.get("nope")
    with pytest.raises(ToolError, match="already registered"):
        registry.register(greet)


async def test_an_exception_inside_a_tool_becomes_a_tool_error(workspace: Path) -> None:
    @tool
    def broken(x: int) -> str:
        """Always fails."""
        raise RuntimeError("kaput")

    with pytest.raises(ToolError, match="tool broken: RuntimeError: kaput"):
        await broken.invoke({"x": 1}, ToolContext(workspace=workspace))


def test_a_tool_needs_a_description_and_type_hints() -> None:
    with pytest.raises(ToolError, match="docstring"):

        @tool
        def silent(x: int) -> str:
            return str(x)

    with pytest.raises(ToolError, match="type hint"):

        @tool
        def untyped(x) -> str:  # type: ignore[no-untyped-def]
            """Has no hint."""
            return str(x)


def test_default_registries_are_independent() -> None:
    first = default_registry()
    first.register(greet)
    assert "greet" not in default_registry()
    assert set(default_registry().names()) == {
        "calculator", "python", "read_file", "list_files", "search", "final_answer"
    }


# --- files: confinement -----------------------------------------------------------------------------------


async def test_read_and_list_inside_the_workspace(workspace: Path) -> None:
    assert "Paris" in await call("read_file", workspace, path="notes.txt")
    assert "Eiffel" in await call("read_file", workspace, path="sub/deep.md")
    assert "Eiffel" in await call("read_file", workspace, path="./sub/../sub/deep.md".replace("/../sub", ""))
    assert (await call("list_files", workspace)).splitlines() == ["notes.txt", "sub/"]
    assert await call("list_files", workspace, path="sub") == "deep.md"


@pytest.mark.parametrize("tool_name", ["read_file", "list_files"])
async def test_absolute_paths_are_refused(workspace: Path, outside: Path, tool_name: str) -> None:
    target = str(outside / "password.txt") if tool_name == "read_file" else str(outside)
    with pytest.raises(ToolError, match="is absolute"):
        await call(tool_name, workspace, path=target)


@pytest.mark.parametrize("path", ["../secret/password.txt", "sub/../../secret/password.txt", "sub/../notes.txt"])
async def test_dot_dot_is_refused(workspace: Path, outside: Path, path: str) -> None:
    with pytest.raises(ToolError, match=r"contains '\.\.'"):
        await call("read_file", workspace, path=path)


async def test_symlinks_out_of_the_workspace_are_refused(workspace: Path, outside: Path) -> None:
    (workspace / "link_file").symlink_to(outside / "password.txt")
    (workspace / "link_dir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ToolError, match="outside the workspace"):
        await call("read_file", workspace, path="link_file")
    with pytest.raises(ToolError, match="outside the workspace"):
        await call("read_file", workspace, path="link_dir/password.txt")
    with pytest.raises(ToolError, match="outside the workspace"):
        await call("list_files", workspace, path="link_dir")
    # Links out are not even listed, and search does not follow them.
    assert "link" not in await call("list_files", workspace)
    assert (await call("search", workspace, query="hunter2 password")).startswith("no passages match")


async def test_symlinks_inside_the_workspace_are_fine(workspace: Path) -> None:
    (workspace / "alias.txt").symlink_to(workspace / "notes.txt")
    assert "Paris" in await call("read_file", workspace, path="alias.txt")


async def test_read_file_errors_name_the_problem(workspace: Path) -> None:
    with pytest.raises(ToolError, match="no file 'missing.txt'"):
        await call("read_file", workspace, path="missing.txt")
    with pytest.raises(ToolError, match="is a directory"):
        await call("read_file", workspace, path="sub")


# --- search -----------------------------------------------------------------------------------------------


async def test_search_ranks_passages_by_keywords(workspace: Path) -> None:
    hits = (await call("search", workspace, query="Paris Eiffel")).splitlines()
    assert hits[0].startswith("[sub/deep.md]")
    assert any(h.startswith("[notes.txt] The capital of France") for h in hits)
    assert not any("Bananas" in h for h in hits)  # paragraphs without the words do not match
    assert "no passages match" in await call("search", workspace, query="zeppelin")


# --- python sandbox ---------------------------------------------------------------------------------------


async def test_python_runs_in_the_workspace(workspace: Path) -> None:
    out = await call("python", workspace, code="import os\nprint(os.getcwd())\nopen('made.txt', 'w').write('x')")
    assert out.strip() == str(workspace.resolve())
    assert (workspace / "made.txt").read_text() == "x"


async def test_python_errors_and_timeouts_are_tool_errors(workspace: Path) -> None:
    with pytest.raises(ToolError, match="exited with status 1(.|\n)*ValueError: boom"):
        await run_python("raise ValueError('boom')", workspace)
    with pytest.raises(ToolError, match="timed out after 1s and was killed"):
        await run_python("print('started', flush=True)\nwhile True: pass", workspace, limits=PythonLimits(timeout_s=1))


async def test_python_memory_limit(workspace: Path) -> None:
    with pytest.raises(ToolError, match="out of memory|memory limit"):
        await run_python("x = bytearray(1024 ** 3)\nprint(len(x))", workspace, limits=PythonLimits(memory_mb=256))
    # ...while a modest allocation under the limit works.
    assert (await run_python("print(len(bytearray(10 ** 7)))", workspace, limits=PythonLimits(memory_mb=256))).strip() == "10000000"
