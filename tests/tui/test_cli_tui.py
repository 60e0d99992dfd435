"""`agentrt run GRAPH --tui` end to end: the real CLI in a subprocess, the real engine and default model
(SmolLM2-135M), the dashboard headless (``AGENTRT_TUI_HEADLESS``) until the run ends; and the headless options."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentrt.errors import ConfigError
from tui.runner import HEADLESS_ENV, SCREENSHOT_ENV, headless_options

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


def svg_text(path: Path) -> str:
    """The text of a Textual SVG screenshot, its spans joined in order (enough to find words and short runs)."""
    spans = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))
    return html.unescape("".join(spans)).replace("\xa0", " ")


@pytest.mark.slow
def test_real_graph_with_tui_headless_runs_to_completion(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])  # tui_test_agents
    env[HEADLESS_ENV] = "100x30"
    env[SCREENSHOT_ENV] = str(tmp_path / "last.svg")
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "run", str(FIXTURES / "three_and_join.yaml"), "--tui",
         "--run-dir", str(run_dir)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]

    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "succeeded"
    for node in ("colour", "animal", "fish", "join"):
        record = state["nodes"][node]
        assert record["state"] == "succeeded" and record["tokens"] > 0, (node, record)
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    names = [e["event"] for e in events]
    assert names.index("engine.loading") < names.index("engine.ready") < names.index("run.started")  # logged too
    assert [e["status"] for e in events if e["event"] == "run.finished"] == ["succeeded"]
    finished = [e for e in events if e["event"] == "request.finished"]
    assert sum(e["completion_tokens"] for e in finished) > 0
    # The text is in the log too, coalesced (what `agentrt watch` shows from another process), never per token.
    texts = [e for e in events if e["event"] == "request.text"]
    assert "request.token" not in names
    assert sum(e["tokens"] for e in texts) == sum(e["completion_tokens"] for e in finished)
    assert len(texts) < sum(e["completion_tokens"] for e in finished)

    # The dashboard saw the whole run: its last screen, saved as it closed, shows every node done.
    screen = svg_text(tmp_path / "last.svg")
    assert "three-and-join" in screen and re.search(r"4✔\s*0✘\s*/4", screen) and "succeeded" in screen
    assert all(node in screen for node in ("colour", "animal", "fish", "join"))

def test_headless_options_from_the_environment(tmp_path: Path) -> None:
    assert headless_options(None) == {} and headless_options("") == {} and headless_options("0") == {}
    assert headless_options("1") == {"headless": True, "exit_when_finished": True, "size": None, "screenshot_on_exit": None}
    options = headless_options("160x45", str(tmp_path / "s.svg"))
    assert options["size"] == (160, 45) and options["screenshot_on_exit"] == tmp_path / "s.svg"
    with pytest.raises(ConfigError, match="AGENTRT_TUI_HEADLESS='big': expected 1 or a terminal size"):
        headless_options("big")
    with pytest.raises(ConfigError, match="at least 20x5"):
        headless_options("10x3")
