"""Path confinement: every file a tool touches must lie inside the run's workspace.

Refused: absolute paths, any ``..`` component, and paths whose real location (after following symlinks,
anywhere along the path) is outside the workspace. The check resolves the real path, so a symlink that
points back inside the workspace is fine and one that points out is not. A symlink loop resolves to a path
inside the workspace that cannot be opened (ELOOP), which the tools report; it never raises here.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from agentrt.errors import ToolError


def confine(workspace: Path, relative: str, *, tool_name: str) -> Path:
    """``relative`` (as the model wrote it) → a real path inside ``workspace``, or a `ToolError` saying why not."""
    text = relative.strip() or "."
    if "\0" in text:
        raise ToolError(f"tool {tool_name}: path {relative!r} contains a NUL character")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise ToolError(f"tool {tool_name}: path {relative!r} is not a valid file name") from None
    pure = PurePosixPath(text)
    if pure.is_absolute() or text.startswith("~") or Path(text).is_absolute():
        raise ToolError(f"tool {tool_name}: path {relative!r} is absolute; give a path relative to the workspace")
    if ".." in pure.parts:
        raise ToolError(f"tool {tool_name}: path {relative!r} contains '..'; paths must stay inside the workspace")
    root = real_path(workspace)
    real = real_path(root / pure)
    if real != root and not real.is_relative_to(root):
        raise ToolError(f"tool {tool_name}: path {relative!r} leads outside the workspace (through a symlink)")
    return real


def is_inside(workspace: Path, path: Path) -> bool:
    """Whether ``path``'s real location is inside ``workspace`` (for walks that meet symlinks)."""
    root = real_path(workspace)
    real = real_path(path)
    return real == root or real.is_relative_to(root)


def files_in(workspace: Path) -> list[Path]:
    """The regular files directly in ``workspace`` whose real location is inside it, by name; [] if it is none."""
    if not workspace.is_dir():
        return []
    return sorted(path for path in workspace.iterdir() if path.is_file() and is_inside(workspace, path))


def real_path(path: Path) -> Path:
    """The path with every symlink resolved; unlike `Path.resolve` on Python 3.11, never raises on a loop."""
    return Path(os.path.realpath(path))
