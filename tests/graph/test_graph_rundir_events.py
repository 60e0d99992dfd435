"""A run directory's events.jsonl logs every event of docs/events.md that belongs to a run: all but per-token
events (too many; `request.text` carries the text) and the GAIA benchmark's own (its report has them)."""

from __future__ import annotations

import re
from pathlib import Path

from agentrt.graph.rundir import LOGGED_EVENTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_documented_run_event_is_logged() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE))
    assert len(documented) > 20  # the catalogue was read
    expected = {name for name in documented if name != "request.token" and not name.startswith("gaia.")}
    assert expected - LOGGED_EVENTS == set()
    assert "request.token" not in LOGGED_EVENTS
