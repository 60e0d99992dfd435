"""read_file and list_files: look at the run's workspace, and nothing outside it, within fixed bounds.

read_file never reads more than `READ_LIMIT_BYTES` (a 3 GiB file costs what a 64 KiB one does) and opens only
regular files: FIFOs, sockets and device nodes are refused from their metadata, and the file is opened
non-blocking, so nothing in the workspace can make it wait. list_files looks at no more than `SCAN_LIMIT_ENTRIES`
entries of a folder. Symlink loops and names that are not valid UTF-8 are shown, never fatal.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agentrt.errors import ToolError

from agents.tools.registry import ToolContext, safe_text, tool
from agents.tools.workspace import confine, is_inside

READ_LIMIT_CHARS = 4000
READ_LIMIT_BYTES = 64 * 1024
LIST_LIMIT_ENTRIES = 200
SCAN_LIMIT_ENTRIES = 10_000


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(target: Path, shown: str, tool_name: str) -> tuple[int, os.stat_result]:
    """Open ``target`` for reading if it is a regular file (fd, its stat), else a `ToolError` naming what it is."""
    try:
        info = target.stat()
    except FileNotFoundError:
        raise ToolError(f"tool {tool_name}: no file {shown!r} in the workspace") from None
    except OSError as exc:  # ELOOP from a symlink loop, EACCES, ...
        raise ToolError(f"tool {tool_name}: cannot open {shown!r}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ToolError(f"tool {tool_name}: {shown!r} is a directory; use list_files")
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"tool {tool_name}: {shown!r} is {_kind(info.st_mode)}, not a file; it is not read")
    try:  # non-blocking and re-checked, in case it was swapped for a FIFO since the stat
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ToolError(f"tool {tool_name}: cannot open {shown!r}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ToolError(f"tool {tool_name}: {shown!r} is {_kind(info.st_mode)}, not a file; it is not read")
    return fd, info


def read_head(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit and (chunk := os.read(fd, min(limit - size, 1 << 16))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@tool
def read_file(path: str, ctx: ToolContext) -> str:
    """Read a text file in the workspace. `path` is relative to the workspace."""
    target = confine(ctx.workspace, path, tool_name="read_file")
    fd, info = open_regular(target, path, "read_file")
    try:
        data = read_head(fd, READ_LIMIT_BYTES)
    finally:
        os.close(fd)
    if b"\0" in data[:1024]:
        raise ToolError(f"tool read_file: {path!r} is a binary file")
    text = data.decode("utf-8", errors="replace")
    if len(text) > READ_LIMIT_CHARS or info.st_size > len(data):
        return text[:READ_LIMIT_CHARS] + f"\n[... truncated: the file has {info.st_size} bytes]"
    return text


@tool
def list_files(ctx: ToolContext, path: str = ".") -> str:
    """List the files and folders in a workspace folder (relative path, default the workspace itself)."""
    target = confine(ctx.workspace, path, tool_name="list_files")
    if not target.exists():
        raise ToolError(f"tool list_files: no folder {path!r} in the workspace")
    if not target.is_dir():
        raise ToolError(f"tool list_files: {path!r} is a file; use read_file")
    entries, more = [], False
    with os.scandir(target) as scan:
        for entry in scan:
            if len(entries) >= SCAN_LIMIT_ENTRIES:
                more = True
                break
            entries.append(entry)
    lines = []
    for entry in sorted(entries, key=lambda e: e.name):
        if len(lines) >= LIST_LIMIT_ENTRIES:
            more = True
            break
        line = _describe(entry, ctx.workspace)
        if line is not None:
            lines.append(safe_text(line))
    if more:
        lines.append("[... more entries not shown]")
    return "\n".join(lines) if lines else "(empty folder)"


def _describe(entry: os.DirEntry[str], workspace: Path) -> str | None:
    """One line for a folder entry; None for a link out of the workspace (neither listed nor followed)."""
    if entry.is_symlink():
        if not is_inside(workspace, Path(entry.path)):
            return None
        try:
            os.stat(entry.path)
        except OSError as exc:
            return f"{entry.name} (broken link: {exc.strerror})"
    try:
        return entry.name + ("/" if entry.is_dir() else "")
    except OSError:
        return entry.name
