"""``flash_attn: measured``: on or off, timed once per model and machine on a CPU (real llama.cpp, SmolLM2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrt.engine import Engine
from agentrt.engine.config import EngineConfig
from agentrt.engine.llama import attention_choice
from agentrt.engine.llama.model import LlamaModel
from agentrt.events import EventBus
from agentrt.models import resolve_model


def test_the_choice_is_measured_once_then_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRT_CACHE", str(tmp_path))
    path = resolve_model("smollm2")
    probes: list[int] = []
    real_probe = attention_choice._probe

    def counting_probe(model, threads):  # type: ignore[no-untyped-def]
        probes.append(threads)
        costs = real_probe(model, threads)
        assert set(costs) == {True, False} and all(p > 0 and d > 0 for p, d in costs.values())
        return costs

    monkeypatch.setattr(attention_choice, "_probe", counting_probe)
    first = LlamaModel(path, EngineConfig(model=str(path), sequences=2, n_ctx=256, threads=1, flash_attn="measured"))
    try:
        assert probes == [1]  # both settings timed on this machine
        assert first.attention is not None and "flash attention on: prefill" in first.attention.reason
        assert "flash attention off: prefill" in first.attention.reason
        saved = json.loads((tmp_path / "attention.json").read_text())
        (entry,) = saved.values()
        assert entry["flash_attn"] is first.attention.flash_attn
    finally:
        first.close()
    again = LlamaModel(path, EngineConfig(model=str(path), sequences=2, n_ctx=256, threads=1, flash_attn="measured"))
    try:
        assert probes == [1]  # not measured again
        assert again.attention is not None and again.attention.flash_attn is first.attention.flash_attn
        assert again.attention.reason.endswith("(cached)")
    finally:
        again.close()
    # Another thread count is another measurement (the kernels' balance changes with it).
    other = LlamaModel(path, EngineConfig(model=str(path), sequences=2, n_ctx=256, threads=2, flash_attn="measured"))
    other.close()
    assert probes == [1, 2] and len(json.loads((tmp_path / "attention.json").read_text())) == 2


def test_a_setting_the_user_gave_is_kept_without_measuring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRT_CACHE", str(tmp_path))

    def no_probe(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("measured although flash_attn was set")

    monkeypatch.setattr(attention_choice, "_probe", no_probe)
    path = resolve_model("smollm2")
    model = LlamaModel(path, EngineConfig(model=str(path), sequences=1, n_ctx=256, threads=1, flash_attn="off"))
    try:
        assert model.attention is None and model.flash_attn == "off"
    finally:
        model.close()


def test_a_cheaper_setting_wins_only_by_the_margin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRT_CACHE", str(tmp_path))
    path = resolve_model("smollm2")
    timings = {True: (0.003, 0.010), False: (0.003, 0.0099)}  # off 1% cheaper per token: below the margin
    monkeypatch.setattr(attention_choice, "_probe", lambda model, threads: dict(timings))
    assert attention_choice.choose_flash_attn(None, path, 1).flash_attn is True
    timings[False] = (0.003, 0.006)  # 25% cheaper: off
    assert attention_choice.choose_flash_attn(None, path, 2).flash_attn is False
    cached = attention_choice.cached_flash_attn(path, 2)
    assert cached is not None and cached.flash_attn is False and cached.reason.endswith("(cached)")
    assert attention_choice.cached_flash_attn(path, 3) is None  # never measured: nothing


async def test_the_engine_says_which_attention_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRT_CACHE", str(tmp_path))
    bus = EventBus(forward_to_logging=False)
    ready: list[dict] = []
    bus.subscribe(ready.append, kinds={"engine.ready"})
    async with await Engine.start(model="smollm2", sequences=1, n_ctx=256, flash_attn="measured", events=bus):
        pass
    (event,) = ready
    assert event["flash_attn"] in ("on", "off")
    assert "flash attention on: prefill" in event["flash_attn_measured"]


def test_benchmarks_learn_the_engines_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench throughput gives llama-batched-bench the setting a `measured` engine takes: from the cache, or
    measured once with the model's weights loaded for it."""
    monkeypatch.setenv("AGENTRT_CACHE", str(tmp_path))
    probes: list[int] = []

    def off_is_cheaper(model, threads):  # type: ignore[no-untyped-def]
        probes.append(threads)
        return {True: (0.003, 0.010), False: (0.003, 0.006)}

    monkeypatch.setattr(attention_choice, "_probe", off_is_cheaper)
    path = resolve_model("smollm2")
    assert attention_choice.measured_flash_attn(path, 1) == "off"
    assert attention_choice.measured_flash_attn(path, 1) == "off" and probes == [1]  # the second read the cache
