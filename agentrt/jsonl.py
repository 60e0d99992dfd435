"""JSON Lines files that survive what a run can throw at them: any text, a crash mid-line, a second writer thread.

* `json_line` encodes a value as one line that any UTF-8 reader can read, whatever text it holds: characters
  stay as they are, unless the value holds text UTF-8 cannot encode (a lone surrogate such as ``"\\udcff"``,
  which a file name in Latin-1 bytes gives), in which case the whole line is written with ``\\u`` escapes, which
  `json.loads` turns back into exactly the same text. A value JSON has no form for is written as its ``repr``.
* `JsonlAppender` appends whole lines (a lock serialises threads). A file whose last line was torn by a crash
  gets a newline first, so the torn line stays alone on its line and the new ones are whole.
* `read_jsonl` yields the lines that parse and skips a torn or foreign one with a warning naming ``file:line``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_log = logging.getLogger(__name__)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text that UTF-8 can encode, whatever text it holds (see the module docstring)."""
    text = json.dumps(value, ensure_ascii=False, default=repr, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, default=repr, indent=indent)
    return text


def json_line(value: Any) -> bytes:
    """``value`` as one line of UTF-8 JSON, newline included."""
    return json_text(value).encode("utf-8") + b"\n"


class JsonlAppender:
    """Appends values to a JSONL file, one line each; thread-safe. Open on first write, closed by `close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._closed = False

    def append(self, value: Any, *, sync: bool = False) -> None:
        """Write ``value`` as a whole line and flush it (a process kill loses nothing written); ``sync``
        also fsyncs (a machine crash loses nothing written either)."""
        line = json_line(value)
        with self._lock:
            if self._closed:
                return
            handle = self._open()
            handle.write(line)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())

    def open(self) -> None:
        """Create the file now (it is otherwise created by the first write), e.g. for readers that wait for it."""
        with self._lock:
            if not self._closed:
                self._open()

    def truncate(self) -> None:
        """Empty the file (what it held is saved elsewhere now)."""
        with self._lock:
            if self._file is not None:
                self._file.truncate(0)
                self._file.flush()
            elif self.path.exists():
                self.path.write_bytes(b"")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._file.close()
                self._file = None

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("ab+")
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b"\n"
                handle.seek(0, os.SEEK_END)
                if torn:  # a crash cut the last line: leave it alone on its line
                    handle.write(b"\n")
            self._file = handle
        return self._file


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every line of ``path`` that is JSON; a line that is not (torn by a crash,
    or not ours) is skipped with a warning."""
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw)
            except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
                _log.warning("%s:%d: skipped a line that is not JSON (torn by a crash?): %s", path, number, exc)
