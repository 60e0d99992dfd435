"""python: run a snippet in the sandbox (agents/tools/sandbox.py) with the run's workspace as its folder.

The sandbox is what keeps the snippet from reaching outside: its own PID and network namespaces, a read-only
view of the system, the workspace the only writable place (with a disk quota), and memory, process, CPU and
wall-time limits on its whole process tree. Where the sandbox cannot start, the tool refuses to run code.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from agentrt.errors import ToolError

from agents.tools.registry import ToolContext, tool
from agents.tools.sandbox import INPUTS, SandboxLimits, SandboxResult, SandboxUnavailable, run_sandboxed

OBSERVATION_CHARS = 2000
PythonLimits = SandboxLimits  # the python tool's limits are its sandbox's


def _tail(output: bytes) -> str:
    text = output.decode("utf-8", errors="replace")  # whatever bytes it printed, the observation is valid text
    return text if len(text) <= OBSERVATION_CHARS else "[... earlier output cut]\n" + text[-OBSERVATION_CHARS:]


def _failure(result: SandboxResult, limits: SandboxLimits, text: str) -> str:
    if result.out_of_memory or "MemoryError" in text:
        return f"ran out of memory (limit {limits.memory_mb} MB for all its processes)"
    if result.hit_process_limit:
        return f"hit the process limit ({limits.max_processes} processes)"
    if result.exit_code > 128:
        name = signal.Signals(result.exit_code - 128).name if result.exit_code - 128 in signal.valid_signals() else ""
        if name == "SIGXCPU":
            return "used up its CPU time and was killed"
        return f"was killed by {name or f'signal {result.exit_code - 128}'}"
    return f"exited with status {result.exit_code}"


async def run_python(code: str, workspace: Path, *, limits: SandboxLimits | None = None) -> str:
    """Run ``code`` in the sandbox with cwd ``workspace``; its stdout and stderr together, as text.

    A non-zero exit, a timeout or a limit raises `ToolError` carrying the tail of the output; a machine where
    the sandbox cannot start raises `SandboxUnavailable` (the code did not run).
    """
    limits = limits or SandboxLimits()
    workspace = workspace.resolve()
    if not workspace.is_dir():
        raise ToolError(f"tool python: workspace {str(workspace)!r} is not a folder")
    # backslashreplace keeps a lone surrogate inside a string literal meaning the same thing ("\udcff").
    snippet = code.encode("utf-8", errors="backslashreplace").decode("utf-8")
    result = await run_sandboxed(
        [sys.executable, "-I", f"{INPUTS}/snippet.py"], workspace, files={"snippet.py": snippet}, limits=limits
    )
    text = _tail(result.output)
    if result.setup_failed:
        raise SandboxUnavailable(f"tool python: the sandbox could not start: {text.strip()}")
    if result.timed_out:
        raise ToolError(
            f"tool python: timed out after {limits.timeout_s:g}s and was killed (with everything it started); "
            f"output so far:\n{text}"
        )
    if result.exit_code != 0:
        raise ToolError(f"tool python: {_failure(result, limits, text)}; output:\n{text}")
    return text if text.strip() else "(no output; print() what you want to see)"


@tool
async def python(code: str, ctx: ToolContext) -> str:
    """Run Python code in the workspace (sandboxed: no network, 10 s, 512 MB) and return what it prints."""
    return await run_python(code, ctx.workspace)
