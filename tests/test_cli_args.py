"""Numbers on the command line: a count (or a list of counts) that must be positive is refused by argparse, naming
the flag, in every command (`agentrt serve` checks its flags with its settings model: tests/serve/test_serve_cli.py)."""

from __future__ import annotations

import pytest

from agentrt.cli import build_parser


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--tokens", "0"],
        ["demo", "--timed-tokens", "-3"],
        ["run", "graphs/team.yaml", "--sequences", "0"],
        ["bench", "gaia", "benchmarks/gaia-mini", "--concurrency", "0"],
        ["bench", "dashboard", "graphs/team.yaml", "--runs", "0"],
        ["bench", "fuzz", "tools", "--inputs", "0"],
        ["bench", "serve", "--rounds", "x"],
        ["bench", "throughput", "--sequences", "1,0,4"],
        ["bench", "serve", "--clients", ","],
    ],
)
def test_a_count_below_one_is_refused_with_its_flag(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    flag = next(arg for arg in argv if arg.startswith("--"))
    assert flag in error and any(
        words in error for words in ("must be at least 1", "expected a whole number", "expected counts like")
    )


def test_count_lists_are_sorted_once_each() -> None:
    args = build_parser().parse_args(["bench", "throughput", "--sequences", "8, 1,4,1"])
    assert args.sequences == [1, 4, 8]
    assert build_parser().parse_args(["bench", "serve"]).clients == [1, 4, 8, 16]  # the default string, converted


def test_the_demo_shows_long_answers_and_times_short_equal_ones() -> None:
    args = build_parser().parse_args(["demo"])
    assert args.tokens > args.timed_tokens  # answers end on their own; timed passes stop at the same cap
