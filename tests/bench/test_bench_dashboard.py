"""`agentrt bench dashboard`: the figures it reads from a run's events, its run order, its summary and its
argument checks. (The measurement itself runs the real CLI several times: see tui/README.md for its figures.)"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from agentrt.bench.dashboard import (
    TUI_EXIT_ENV,
    TUI_HEADLESS_ENV,
    DashboardRun,
    figures_from_events,
    parse_size,
    read_figures,
    run_in_pty,
    run_order,
    summarise,
)
from agentrt.cli import main
from agentrt.errors import ConfigError


def events(tokens: list[int], start: float = 100.0, end: float = 110.0, status: str = "succeeded") -> list[dict]:
    out: list[dict] = [{"ts": start - 2, "event": "engine.ready"}, {"ts": start, "event": "run.started"}]
    out += [{"ts": start + 1 + i, "event": "request.finished", "completion_tokens": n} for i, n in enumerate(tokens)]
    out.append({"ts": end, "event": "run.finished", "status": status})
    return out


def test_figures_are_generated_tokens_over_the_run_time() -> None:
    figures = figures_from_events(events([10, 20, 30], start=100.0, end=112.0))
    assert (figures.tokens, figures.seconds, figures.status) == (60, 12.0, "succeeded")
    assert figures.tokens_per_s == 5.0


def test_a_log_without_exactly_one_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected one run.started and one run.finished, found 1 and 0"):
        figures_from_events(events([5])[:-1], "x")
    with pytest.raises(ConfigError, match="found 2 and 2"):
        figures_from_events(events([5]) + events([5], 200.0, 210.0))
    with pytest.raises(ConfigError, match="cannot read the run's events"):
        read_figures(tmp_path / "missing")


def test_read_figures_from_a_run_directory(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events([7, 9], end=104.0)))
    assert read_figures(tmp_path).tokens_per_s == 4.0


def test_runs_alternate_in_abba_pairs() -> None:
    assert run_order(3) == ["off", "on", "on", "off", "off", "on"]
    assert run_order(1) == ["off", "on"]


def test_summary_compares_the_medians() -> None:
    def run(mode: str, index: int, rate: float) -> DashboardRun:
        return DashboardRun(
            mode=mode, index=index, status="succeeded", tokens=int(rate * 10), seconds=10.0, tokens_per_s=rate,
            process_s=12.0, cpu_s=20.0, run_dir=f"r{index}",
        )

    runs = [run("off", 0, 100.0), run("on", 1, 96.0), run("on", 2, 90.0), run("off", 3, 104.0), run("off", 4, 80.0), run("on", 5, 99.0)]
    summary = summarise(Path("g.yaml"), runs)
    assert (summary.median_off, summary.median_on) == (100.0, 96.0)
    assert summary.spread_off == (80.0, 104.0) and summary.spread_on == (90.0, 99.0)
    assert summary.ratio == pytest.approx(0.96)
    # pairs (0 off, 1 on), (2 on, 3 off), (4 off, 5 on): 0.96, 90/104, 99/80
    assert summary.paired_ratios == pytest.approx([0.96, 90 / 104, 99 / 80])
    assert summary.paired_ratio == pytest.approx(0.96)
    assert summary.median_cpu_off == summary.median_cpu_on == 20.0


def test_the_dashboard_reads_the_same_variables() -> None:
    from tui.runner import EXIT_ENV, HEADLESS_ENV

    assert TUI_HEADLESS_ENV == HEADLESS_ENV
    assert TUI_EXIT_ENV == EXIT_ENV


def test_a_pty_run_sees_a_terminal_of_the_size_asked_for() -> None:
    script = "import os, sys; print(sys.stdout.isatty(), os.get_terminal_size()); sys.exit(3)"
    code, output, written = run_in_pty([sys.executable, "-c", script], dict(os.environ), (123, 45))
    assert code == 3
    assert "True os.terminal_size(columns=123, lines=45)" in output
    assert written == len(output.encode())


def test_sizes_are_checked() -> None:
    assert parse_size("160x45") == (160, 45)
    with pytest.raises(ConfigError, match="expected WIDTHxHEIGHT"):
        parse_size("big")
    with pytest.raises(ConfigError, match="at least 20x5"):
        parse_size("10x3")


def test_bad_arguments_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "dashboard", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such graph file" in capsys.readouterr().err
    # --runs 0 is refused by argparse, as every count flag is: tests/test_cli_args.py
