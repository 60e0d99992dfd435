"""search: ranked keyword search over the text files in the workspace (no index, no network), within bounds.

The walk visits at most `MAX_ENTRIES` entries and `MAX_FILES` files, reads at most `MAX_FILE_BYTES` of each
and `MAX_TOTAL_BYTES` in all, and ranks at most `MAX_PASSAGES` paragraphs. It never follows a folder link (so
a symlink loop cannot trap it), skips links out of the workspace and anything that is not a regular file, and
keeps per paragraph only its length, the query words' counts and a short snippet.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agentrt.errors import ToolError

from agents.tools.files import open_regular, read_head
from agents.tools.registry import ToolContext, tool
from agents.tools.workspace import is_inside, real_path

TEXT_SUFFIXES = {".txt", ".md", ".rst", ".csv", ".json", ".yaml", ".yml", ".py", ".html", ".xml", ".log", ""}
MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 16_000_000
MAX_FILES = 2000
MAX_ENTRIES = 20_000
MAX_PASSAGES = 100_000
SNIPPET_CHARS = 240
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class _Passage:
    path: str
    snippet: str
    length: int  # in words
    counts: dict[str, int]  # the query's words only


def _text_files(root: Path) -> list[Path]:
    """Candidate files in a bounded, link-safe walk, in a stable order."""
    found: list[Path] = []
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda _: None):
        dirs.sort()
        for name in sorted(files):
            seen += 1
            path = Path(folder) / name
            if seen > MAX_ENTRIES or len(found) >= MAX_FILES:
                return found
            if path.suffix.lower() not in TEXT_SUFFIXES:
                continue
            if path.is_symlink() and not is_inside(root, path):
                continue
            found.append(path)
        seen += len(dirs)
    return found


def _passages(root: Path, terms: set[str]) -> list[_Passage]:
    passages: list[_Passage] = []
    budget = MAX_TOTAL_BYTES
    for path in _text_files(root):
        if budget <= 0:
            break
        try:
            fd, info = open_regular(path, str(path), "search")
        except ToolError:  # FIFOs, devices, loops, unreadable files: not text to search
            continue
        try:
            if info.st_size > MAX_FILE_BYTES:
                continue
            data = read_head(fd, min(MAX_FILE_BYTES, budget))
        finally:
            os.close(fd)
        budget -= len(data)
        relative = os.path.relpath(path, root)
        for paragraph in re.split(r"\n\s*\n", data.decode("utf-8", errors="replace")):
            if len(passages) >= MAX_PASSAGES:
                return passages
            if paragraph.strip():
                words = _words(paragraph)
                counts = Counter(word for word in words if word in terms)
                snippet = " ".join(paragraph[: SNIPPET_CHARS * 4].split())[:SNIPPET_CHARS]
                passages.append(_Passage(relative, snippet, len(words), dict(counts)))
    return passages


def rank_passages(root: Path, query: str, top_k: int) -> list[tuple[float, str, str]]:
    """(score, relative path, snippet) of the best paragraphs, by a BM25-like score over the query's words."""
    terms = set(_words(query))
    if not terms:
        raise ToolError(f"tool search: the query {query!r} has no words to search for")
    passages = _passages(root, terms)
    if not passages:
        return []
    n = len(passages)
    avg_len = sum(p.length for p in passages) / n or 1.0
    doc_freq = {t: sum(1 for p in passages if t in p.counts) for t in terms}
    scored: list[tuple[float, str, str]] = []
    for passage in passages:
        score = 0.0
        for term, tf in passage.counts.items():
            idf = math.log(1 + (n - doc_freq[term] + 0.5) / (doc_freq[term] + 0.5))
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * passage.length / avg_len))
        if score > 0:
            scored.append((score, passage.path, passage.snippet))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored[:top_k]


@tool
def search(query: str, ctx: ToolContext, top_k: int = 3) -> str:
    """Search the text files in the workspace for passages matching the query's keywords."""
    hits = rank_passages(real_path(ctx.workspace), query[:2000], max(1, min(top_k, 10)))
    if not hits:
        return f"no passages match {query!r}"
    return "\n".join(f"[{rel}] {snippet}" for _, rel, snippet in hits)
