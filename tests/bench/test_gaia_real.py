"""A short real ``agentrt bench gaia`` run on SmolLM2-135M (fast), through the CLI.

SmolLM2 is too weak to answer these reliably, so this checks the run, not the model: it finishes, every task
gets a status, and the report is complete. It runs in a child process so an engine crash fails this test
instead of taking the test session down with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentrt.bench.gaia.results import TASK_STATUSES

REPO = Path(__file__).resolve().parents[2]

# graphs/gaia.yaml with fewer steps and tokens, so two tasks finish in well under two minutes on 2 CPUs.
SMALL_GAIA_GRAPH = (REPO / "graphs" / "gaia.yaml").read_text().replace(
    "max_tokens: 512", "max_tokens: 96"
).replace("options: {max_steps: 6,", "options: {max_steps: 2,")


@pytest.mark.slow
def test_short_real_run_writes_a_complete_report(tmp_path: Path, smollm2_path: Path) -> None:
    graph = tmp_path / "gaia-small.yaml"
    graph.write_text(SMALL_GAIA_GRAPH)
    assert "max_steps: 2" in SMALL_GAIA_GRAPH
    # Three gaia-mini tasks: plain arithmetic, a JSON lookup and a CSV aggregate (Levels 1, 1, 2).
    tasks = _subset(tmp_path / "tasks", ["mini-l1-01", "mini-l1-07", "mini-l2-01"])
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "agentrt.cli", "bench", "gaia", str(tasks),
        "--graph", str(graph), "--model", "smollm2", "--concurrency", "2", "--n-ctx", "2048", "--task-timeout", "150", "--out", str(out),
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "accuracy" in done.stdout and "report:" in done.stdout

    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in results) == ["mini-l1-01", "mini-l1-07", "mini-l2-01"]
    # Accuracy may be 0, but the model must have been asked: a run where every task failed proves nothing.
    asked = [r for r in results if r["tokens"]["requests"] >= 1]
    assert asked, [r["error"] for r in results]
    for result in results:
        assert result["status"] in TASK_STATUSES
        if result["status"] in ("completed", "step_limit"):
            assert result["tokens"]["requests"] >= 1 and result["tokens"]["completion"] > 0
            assert result["trace"], result["task_id"]
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["tasks"] == 3 and report["run"]["concurrency"] == 2
    assert report["run"]["tasks_per_min"] > 0 and report["run"]["latency_p50_s"] > 0
    assert report["meta"]["model"] == "smollm2"
    assert "## Accuracy" in (out / "report.md").read_text()
    assert set(report["run"]["per_level"]) == {"1", "2"}
    assert (out / "runs" / "mini-l1-07" / "workspace" / "inventory.json").is_file()


def _subset(folder: Path, task_ids: list[str]) -> Path:
    """A GAIA folder holding only ``task_ids`` of gaia-mini, with their attachments."""
    source = REPO / "benchmarks" / "gaia-mini"
    folder.mkdir()
    rows = [json.loads(line) for line in (source / "metadata.jsonl").read_text().splitlines()]
    chosen = [row for row in rows if row["task_id"] in task_ids]
    (folder / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in chosen))
    for row in chosen:
        if row["file_name"]:
            shutil.copy(source / row["file_name"], folder / row["file_name"])
    return folder
