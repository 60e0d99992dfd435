"""The start of the files in an agent's workspace, shown with its task.

A small model that has to find out what a file holds first guesses instead (a column named "rain" that is
"rain_mm", the length of a JSON object taken for the number of its records). Showing the first lines of each
file with the task gives it the names and the shape before it writes any code; a line after them names the
file's format and the reader that fits it (`agents.file_shapes`). Only the workspace is read, and
links that lead out of it are skipped, as the file tools do.
"""

from __future__ import annotations

from pathlib import Path

from agents.file_shapes import file_shape
from agents.tools.workspace import files_in

PREVIEW_LINES = 6
PREVIEW_CHARS = 500  # per file
READ_WHOLE_UP_TO_BYTES = 1_000_000


def workspace_preview(workspace: Path, *, files: int) -> str:
    """``Files in the working folder ...`` with the first lines of up to ``files`` files; "" when there are none."""
    if files <= 0:
        return ""
    entries = [path for path in files_in(workspace) if not path.name.startswith(".")]
    if not entries:
        return ""
    parts = [f"Files in the working folder ({len(entries)}), with the start of each:"]
    for path in entries[:files]:
        parts.append(_describe(path))
    if len(entries) > files:
        parts.append(f"... and {len(entries) - files} more (list them with Python).")
    return "\n".join(parts)


def _describe(path: Path) -> str:
    size = path.stat().st_size
    whole = size <= READ_WHOLE_UP_TO_BYTES  # small files are read whole: their lines counted, their format named
    with path.open("rb") as f:
        data = f.read(READ_WHOLE_UP_TO_BYTES if whole else PREVIEW_CHARS * 4)
    if b"\0" in data[:1024]:
        return f"--- {path.name} ({size} bytes, binary)"
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    shown = "\n".join(lines[:PREVIEW_LINES])
    cut = len(shown) > PREVIEW_CHARS or len(lines) > PREVIEW_LINES or size > len(data)
    shown = shown[:PREVIEW_CHARS]
    header = f"--- {path.name} ({len(lines)} lines)" if whole else f"--- {path.name} ({size} bytes)"
    shape = file_shape(path, text) if whole else None
    return f"{header}\n{shown}" + ("\n..." if cut else "") + (f"\n({shape})" if shape else "")
