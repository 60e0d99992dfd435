"""The layering holds: the import contracts in pyproject.toml (``lint-imports``), and the runtime above the
engine's interfaces runs with llama_cpp unimportable: a graph run on FakeEngine from the command line, and
``agentrt watch`` replaying that run headlessly. (RemoteEngine's run: tests/remote/test_remote_without_llama_cpp.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from without_llama_cpp import REPO, run_cli

GRAPH_TESTS = REPO / "tests" / "graph"


def test_import_contracts_hold() -> None:
    # In a subprocess from the repository root: lint-imports reads pyproject.toml there and imports this tree.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_blocker_refuses_llama_cpp() -> None:
    # The check below proves something only if llama_cpp really cannot be imported under the launcher.
    done = run_cli("demo", "--tokens", "1")
    assert done.returncode != 0
    assert "refused imports of ['llama_cpp']" in done.stderr


def test_graph_run_and_watch_replay_without_llama_cpp(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    ran = run_cli(
        "run", str(GRAPH_TESTS / "fixtures" / "pipeline.yaml"), "-i", "task=hello", "--run-dir", str(run_dir),
        "--engine-factory", "graph_test_agents:fake_engine_factory", extra_path=GRAPH_TESTS,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "refused" not in ran.stderr
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "succeeded"
    assert state["nodes"]["combine"]["output"].startswith("RE: HELLO")

    screenshot = tmp_path / "replay.svg"
    watched = run_cli(
        "watch", str(run_dir), "--screenshot", str(screenshot), "--headless", "--size", "120x40",
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "refused" not in watched.stderr
    svg = screenshot.read_text()
    assert "pipeline" in svg and "combine" in svg
