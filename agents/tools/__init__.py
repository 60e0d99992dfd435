"""Tools agents can call, and the registry that names them."""

from __future__ import annotations

from agents.tools.calculator import calculator
from agents.tools.files import list_files, read_file
from agents.tools.final_answer import FINAL_ANSWER, final_answer
from agents.tools.python_tool import PythonLimits, python, run_python
from agents.tools.registry import Tool, ToolContext, ToolRegistry, tool
from agents.tools.sandbox import SandboxLimits, SandboxUnavailable, sandbox_support
from agents.tools.search import search

BUILTIN_TOOLS: tuple[Tool, ...] = (calculator, python, read_file, list_files, search, final_answer)


def default_registry() -> ToolRegistry:
    """A new registry holding the built-in tools (a fresh one each call: registries are never shared state)."""
    return ToolRegistry(BUILTIN_TOOLS)


__all__ = [
    "BUILTIN_TOOLS",
    "FINAL_ANSWER",
    "PythonLimits",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "calculator",
    "default_registry",
    "final_answer",
    "list_files",
    "python",
    "read_file",
    "run_python",
    "SandboxLimits",
    "SandboxUnavailable",
    "sandbox_support",
    "search",
    "tool",
]
