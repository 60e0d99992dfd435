"""`agentrt bench contention`: its rows, its background load and its verdicts (figures are the benchmark's job)."""

from __future__ import annotations

import time
from pathlib import Path

from agentrt.bench.contention import BackgroundLoad, Cell, Toggler, Workload, report, variants


def _state(pid: int, expected: set[str]) -> str:
    """The process's state once it is one of ``expected`` (signals land when the process is next scheduled,
    which on a busy machine takes a while), or whatever it is after 10 s."""
    deadline = time.monotonic() + 10.0
    while True:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in expected or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


def test_rows_cover_auto_every_fixed_count_and_the_alternatives() -> None:
    rows = variants(2, {"auto", "fixed", "omp", "threadpool", "llama"}, Path("/tp/llama-batched-bench"),
                    Path("/omp/llama-batched-bench"))
    names = [r.name for r in rows]
    assert names[:3] == ["agentrt auto", "agentrt 1 thread", "agentrt 2 threads"]
    assert [r.name for r in rows if r.fixed_default] == ["agentrt 1 thread", "agentrt 2 threads"]
    assert {r.library for r in rows if "ggml pool" in r.name} == {"threadpool"}
    assert any(r.env == {"OMP_WAIT_POLICY": "passive"} and r.threads == "auto" for r in rows)
    assert sum(r.kind == "llama.cpp" for r in rows) == 2
    assert not [r for r in variants(2, {"auto", "threadpool"}, None, None) if r.library == "threadpool"]


def test_background_load_stops_and_continues() -> None:
    load = BackgroundLoad(1)
    try:
        (proc,) = load._procs
        assert _state(proc.pid, {"T"}) == "T"  # created stopped
        load.set(True)
        assert _state(proc.pid, {"R", "S"}) in ("R", "S")
        toggler = Toggler(load, 0.1)
        toggler.start()
        time.sleep(0.35)  # a few switches
        toggler.stop()
        assert not load.on and _state(proc.pid, {"T"}) == "T"
    finally:
        load.close()
    assert proc.poll() is not None


def test_report_judges_auto_against_the_best_fixed_count_and_llama_cpp() -> None:
    rows = variants(2, {"auto", "fixed", "llama"}, None, Path("/omp/llama-batched-bench"))
    figures = {
        ("agentrt auto", "quiet"): 110.0, ("agentrt 1 thread", "quiet"): 64.0, ("agentrt 2 threads", "quiet"): 112.0,
        ("agentrt auto", "busy"): 52.0, ("agentrt 1 thread", "busy"): 62.0, ("agentrt 2 threads", "busy"): 29.0,
        ("llama-batched-bench -t 2", "quiet"): 120.0, ("llama-batched-bench -t 2", "busy"): 8.0,
    }
    cells = [Cell(variant=v, phase=p, repeat=0, tokens_per_s=t, threads_share={"1": 0.9, "2": 0.1})
             for (v, p), t in figures.items()]
    text = report(cells, rows, ["quiet", "busy"], Workload("gemma3-270m", 4, 128, 512, 4.0), 2, 1)
    assert "auto / best fixed (2 threads) 0.98x (goal ≥ 0.95: meets)" in text
    assert "auto / best fixed (1 thread) 0.84x (goal ≥ 0.90: MISSES)" in text
    assert "agentrt auto / llama-batched-bench -t 2 6.50x" in text
    assert "1: 90%, 2: 10%" in text
