"""Every tool is bounded in time and size, never blocks the event loop, and always answers valid text (issue 13).

Regressions here would hang or eat memory, so each risky call runs under a bound of the test's own: a
``wait_for`` (a blocked thread does not hold the GIL) or a child process with an address-space limit.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentrt.errors import ToolError

from agents.tools import ToolContext, default_registry, tool
from agents.tools.registry import safe_text

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("The capital of France is Paris.\n\nBananas are yellow.\n")
    return ws


async def call(name: str, workspace: Path, **arguments: object) -> str:
    invocation = default_registry().get(name).invoke(arguments, ToolContext(workspace=workspace))
    return await asyncio.wait_for(invocation, timeout=30)  # a regression fails here instead of hanging


# --- calculator -------------------------------------------------------------------------------------------


COSTLY = [
    "(10**10000)**10000",
    "round(1, -10**8)",
    "9**9999 * 9**9999 * 9**9999",
    "(2**9000) ** 3",
    "10**4000 * 10**4000",
    "max(7**9000, 3) ** 2",
    "-(((99**5000))**2)",
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("expression", COSTLY)
async def test_costly_arithmetic_is_refused_before_it_runs_and_the_loop_keeps_ticking(
    workspace: Path, expression: str
) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(20):
            await asyncio.sleep(0.001)
            ticks += 1

    ticking = asyncio.ensure_future(ticker())
    with pytest.raises(ToolError, match="too large|are supported|larger than"):
        await call("calculator", workspace, expression=expression)
    await asyncio.wait_for(ticking, timeout=10)
    assert ticks == 20


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("3**8000 % 1000", "1"), ("round(10**3000 + 7, -1) % 100", "10"), ("2**-10000", "0"),
     ("round(1.5, 10**9)", "1.5"), ("10**3000 // 10**2999", "10")],
)
async def test_big_but_bounded_arithmetic_still_works(workspace: Path, expression: str, expected: str) -> None:
    assert await call("calculator", workspace, expression=expression) == expected


@pytest.mark.parametrize("expression", ["1\0+1", "\udcff", "(" * 300 + "1" + ")" * 300, "-" * 499 + "1"])
async def test_odd_expressions_are_clean_errors_or_answers(workspace: Path, expression: str) -> None:
    try:
        text = await call("calculator", workspace, expression=expression)
    except ToolError as exc:
        text = str(exc)
    text.encode("utf-8")


# --- read_file --------------------------------------------------------------------------------------------


def test_a_sparse_3_gib_file_is_read_only_at_its_head(workspace: Path) -> None:
    with (workspace / "huge.log").open("wb") as f:
        f.write(b"first line\n" * 400)
        f.truncate(3 * 1024**3)
    # In a child with 1 GiB of address space: loading the file whole would fail there, not eat this machine.
    code = textwrap.dedent(
        """
        import asyncio, resource, sys
        from pathlib import Path
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))
        from agents.tools import ToolContext, default_registry
        tool = default_registry().get("read_file")
        print(asyncio.run(tool.invoke({"path": "huge.log"}, ToolContext(workspace=Path(sys.argv[1])))))
        """
    )
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("first line\n")
    assert "[... truncated: the file has 3221225472 bytes]" in done.stdout


async def test_a_fifo_is_refused_without_blocking(workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    with pytest.raises(ToolError, match="'pipe' is a FIFO"):
        await call("read_file", workspace, path="pipe")


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
async def test_a_device_node_is_refused(workspace: Path) -> None:
    os.mknod(workspace / "zero", stat.S_IFCHR | 0o666, os.makedev(1, 5))  # like /dev/zero: endless
    with pytest.raises(ToolError, match="'zero' is a device"):
        await call("read_file", workspace, path="zero")
    assert "zero" in await call("list_files", workspace)
    assert "Paris" in await call("search", workspace, query="Paris")


async def test_symlink_loops_do_not_break_listing_or_search(workspace: Path) -> None:
    (workspace / "loop").symlink_to("loop")
    (workspace / "a").symlink_to("b")
    (workspace / "b").symlink_to("a")
    (workspace / "sub").mkdir()
    (workspace / "sub" / "up").symlink_to("..", target_is_directory=True)  # a folder loop through a link
    listing = await call("list_files", workspace)
    assert "notes.txt" in listing and "loop (broken link" in listing and "sub/" in listing
    assert "Paris" in await call("search", workspace, query="Paris")
    with pytest.raises(ToolError, match="cannot open 'loop'"):
        await call("read_file", workspace, path="loop")
    assert "up/" in await call("list_files", workspace, path="sub")


# --- text at the tool boundary ----------------------------------------------------------------------------


async def test_file_names_that_are_not_utf8_come_back_as_valid_text(workspace: Path) -> None:
    name = os.fsencode(workspace) + b"/caf\xe9 \xff.txt"
    with open(name, "wb") as f:
        f.write(b"Latin-1 caf\xe9 menu\n")
    listing = await call("list_files", workspace)
    listing.encode("utf-8")
    assert "caf\ufffd \ufffd.txt" in listing
    hits = await call("search", workspace, query="menu")
    hits.encode("utf-8")
    assert "caf\ufffd menu" in hits
    with pytest.raises(ToolError) as caught:
        await call("read_file", workspace, path="\ud800.txt")
    str(caught.value).encode("utf-8")


async def test_every_observation_is_capped_valid_text(workspace: Path) -> None:
    @tool
    def noisy(n: int) -> str:
        """Returns a lot of awkward text."""
        return "\udcff\ud800" * n

    text = await noisy.invoke({"n": 50_000}, ToolContext(workspace=workspace))
    text.encode("utf-8")
    assert text.startswith("\ufffd\ufffd") and "[... cut: 100000 characters in all]" in text
    assert safe_text("plain") == "plain"


async def test_a_tool_that_does_not_answer_in_time_is_an_error(workspace: Path) -> None:
    @tool(timeout_s=0.2)
    async def stuck(x: int) -> str:
        """Never answers."""
        await asyncio.sleep(3600)
        return "never"

    with pytest.raises(ToolError, match="tool stuck: no result within 0.2s"):
        await stuck.invoke({"x": 1}, ToolContext(workspace=workspace))
