"""``agentrt bench gaia`` argument handling: bad input fails early with a message naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cli import main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(["bench", "gaia", *argv])
    except SystemExit as exc:  # argparse rejects bad values by exiting with 2
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_resume_needs_an_out_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(REPO / "benchmarks" / "gaia-mini"), "--resume")
    assert code == 2 and "--resume: name the results folder" in err


def test_missing_graph_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = _run(capsys, str(REPO / "benchmarks" / "gaia-mini"), "--graph", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err and "no such file" in err


def test_missing_task_set(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = _run(capsys, str(tmp_path / "absent"), "--out", str(tmp_path / "out"))
    assert code == 2 and "absent" in err and "no such file or folder" in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--concurrency", "0", "must be at least 1"), ("--limit", "x", "expected a whole number"), ("--level", "4", "invalid choice")],
)
def test_bad_numbers_are_rejected(capsys: pytest.CaptureFixture[str], option: str, value: str, message: str) -> None:
    code, err = _run(capsys, str(REPO / "benchmarks" / "gaia-mini"), option, value)
    assert code == 2 and message in err


def test_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(REPO / "benchmarks" / "gaia-mini"), "--task-timeout", "0")
    assert code == 2 and "--task-timeout" in err


def test_unmeasured_batching_gain_names_what_would_measure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without llama-batched-bench, the short-sequence limit can be given with --batching-gain; the gain at the
    workload's context cannot, so its note does not point there."""
    from agentrt.bench import reference
    from agentrt.bench.gaia.cli import measure_batching_gain

    monkeypatch.setattr(reference, "find_reference", lambda build: None)
    gain, note = measure_batching_gain("smollm2", 4, 2)
    assert gain is None and "build llama-batched-bench" in note and "--batching-gain" in note
    gain, note = measure_batching_gain("smollm2", 4, 2, context=870)
    assert gain is None and "build llama-batched-bench" in note and "--batching-gain" not in note
