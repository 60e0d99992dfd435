"""`agentrt bench serve` at small sizes: both servers start, take the load, and report figures (no speed is
asserted; only what must hold on any machine: every request ran to its token count, and with a shared system
prompt agentrt computed fewer prompt tokens than llama-server, which prefills it once per slot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_bench_serve_small(tmp_path: Path) -> None:
    out = tmp_path / "serve.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "bench", "serve", "--model", "smollm2", "--clients", "3",
         "--tokens", "4", "--shared-prompt", "120", "--threads", "1", "--rounds", "2", "--json", str(out)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {(r["server"], r["shared_prompt_tokens"]) for r in records} == {
        ("agentrt", 0), ("agentrt", 120), ("llama-server", 0), ("llama-server", 120)}
    for r in records:
        assert r["completion_tokens"] == 3 * 4 and r["tokens_per_s"] > 0 and r["ttft_p95_ms"] >= r["ttft_p50_ms"]
        assert r["rounds"] == 2 and len(r["round_tokens_per_s"]) == 2  # the servers took turns, round by round
    shared = {r["server"]: r["prefill_tokens"] for r in records if r["shared_prompt_tokens"]}
    assert shared["agentrt"] < shared["llama-server"] - 120  # the shared prompt computed once, not three times
    assert "a shared system prompt of 120 tokens" in done.stdout
