"""`agentrt serve` refuses bad flags before loading anything, naming the flag."""

from __future__ import annotations

import pytest

from agentrt.cli import main


def test_bad_flags_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--sequences", "0", "--max-queue", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--sequences 0: Input should be greater than or equal to 1" in err
    assert "--max-queue -1" in err


def test_a_missing_model_is_named(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["serve", "--model", str(tmp_path / "nope.gguf"), "--port", "0"]) == 2
    assert "nope.gguf" in capsys.readouterr().err


def test_machine_flags_reach_the_engine_config(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from agentrt.serve.cli import register, settings_from

    monkeypatch.setenv("AGENTRT_GPU_LAYERS", "0")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--threads", "1", "--flash-attn", "off", "--sequences", "3"])
    config = settings_from(args).engine_config()
    assert (config.threads, config.gpu_layers, config.flash_attn, config.sequences) == (1, 0, "off", 3)
    assert settings_from(parser.parse_args(["serve"])).engine_config().flash_attn == "auto"
