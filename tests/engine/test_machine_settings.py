"""``threads``, ``gpu_layers`` and ``flash_attn``: from the graph YAML, the command line or the environment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from agentrt.engine import Engine, EngineConfig
from agentrt.engine.config import parse_flash_attn, parse_gpu_layers
from agentrt.engine.cpu_cores import OtherLoad, UsableCores, cgroup_cpu_quota
from agentrt.engine.llama.thread_governor import initial_threads
from agentrt.engine.machine_options import add_machine_options, machine_overrides
from agentrt.engine.openmp import DEFAULTED_MARK, SPIN_ENV, apply_openmp_defaults, llama_cpp_environment
from agentrt.errors import ConfigError, GraphSpecError
from agentrt.events import EventBus
from agentrt.graph import Graph

GRAPH = """\
model: {{model: smollm2, sequences: 2, n_ctx: 256{extra}}}
agents:
  up: {{class: graph_test_agents.UpperAgent}}
nodes:
  a: {{agent: up, input: hi}}
"""


def test_defaults_are_auto_and_the_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTRT_THREADS", raising=False)
    monkeypatch.delenv("AGENTRT_GPU_LAYERS", raising=False)
    assert (EngineConfig().threads, EngineConfig().gpu_layers) == ("auto", "auto")
    monkeypatch.setenv("AGENTRT_THREADS", "3")
    monkeypatch.setenv("AGENTRT_GPU_LAYERS", "-1")
    assert (EngineConfig().threads, EngineConfig().gpu_layers) == (3, -1)
    assert EngineConfig(threads="auto").threads == "auto"  # anything explicit wins over the environment
    monkeypatch.setenv("AGENTRT_THREADS", "many")
    with pytest.raises(ConfigError, match="AGENTRT_THREADS='many'"):
        EngineConfig()


@pytest.mark.parametrize(("value", "expected"), [("auto", "auto"), ("-1", -1), (0, 0), ("12", 12)])
def test_gpu_layers_values(value: object, expected: object) -> None:
    assert parse_gpu_layers(value) == expected


def test_bad_values_name_the_setting() -> None:
    with pytest.raises(ValueError, match="threads=0"):
        EngineConfig(threads=0)
    with pytest.raises(ValueError, match="gpu_layers=-2"):
        EngineConfig(gpu_layers=-2)


def test_graph_yaml_and_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTRT_THREADS", raising=False)
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(extra=", threads: 1, gpu_layers: 0"))
    spec = Graph.from_yaml(path, check_classes=False).spec
    assert spec.model.engine_overrides() == {"model": "smollm2", "sequences": 2, "n_ctx": 256, "threads": 1,
                                             "gpu_layers": 0}
    assert spec.with_model_overrides(threads="auto").model.threads == "auto"
    path.write_text(GRAPH.format(extra=""))
    assert "threads" not in Graph.from_yaml(path, check_classes=False).spec.model.engine_overrides()  # unset: environment, then auto
    path.write_text(GRAPH.format(extra=", threads: none"))
    with pytest.raises(GraphSpecError, match=r"g\.yaml:1: model\.threads: .*expected 'auto' or a whole number"):
        Graph.from_yaml(path, check_classes=False)

    parser = argparse.ArgumentParser()
    add_machine_options(parser)
    assert machine_overrides(parser.parse_args([])) == {}
    assert machine_overrides(parser.parse_args(["--threads", "auto", "--gpu-layers", "-1"])) == {
        "threads": "auto", "gpu_layers": -1}
    with pytest.raises(SystemExit):
        parser.parse_args(["--threads", "0"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "auto"), ("auto", "auto"), ("on", "on"), ("OFF", "off"), (True, "on"), (False, "off"), ("false", "off"),
     ("measured", "measured")],
)
def test_flash_attn_values(value: object, expected: str) -> None:
    # YAML reads an unquoted on/off as a boolean: both spellings mean the same setting.
    assert parse_flash_attn(value) == expected
    assert EngineConfig(flash_attn=value).flash_attn == expected


def test_flash_attn_from_the_graph_and_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(extra=", flash_attn: off"))
    spec = Graph.from_yaml(path, check_classes=False).spec
    assert spec.model.engine_overrides()["flash_attn"] == "off"
    assert spec.with_model_overrides(flash_attn="auto").model.engine_overrides()["flash_attn"] == "auto"
    path.write_text(GRAPH.format(extra=", flash_attn: sometimes"))
    with pytest.raises(GraphSpecError, match=r"g\.yaml:1: model\.flash_attn: .*expected 'auto', 'on', 'off' or 'measured'"):
        Graph.from_yaml(path, check_classes=False)

    parser = argparse.ArgumentParser()
    add_machine_options(parser)
    assert machine_overrides(parser.parse_args(["--flash-attn", "off"])) == {"flash_attn": "off"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--flash-attn", "maybe"])


async def test_engine_runs_with_flash_attention_off_and_on() -> None:
    replies = []
    for setting in ("off", "on"):
        async with await Engine.start(model="smollm2", sequences=1, n_ctx=256, threads=1, flash_attn=setting) as engine:
            result = await engine.complete("One, two, three,", max_tokens=6, ignore_eos=True)
        assert result.completion_tokens == 6
        replies.append(result.text)
    assert all(" four" in reply for reply in replies), replies


def test_usable_cores_respect_quota_and_smt() -> None:
    assert UsableCores(cpus=(0, 1, 2, 3), quota_cores=None, physical=2).threads == 4
    assert UsableCores(cpus=(0, 1, 2, 3), quota_cores=None, physical=2).start_threads == 2
    assert UsableCores(cpus=tuple(range(64)), quota_cores=2.5, physical=32).threads == 2
    assert UsableCores(cpus=(0, 1), quota_cores=0.5, physical=2).threads == 1


def _stat(busy_jiffies: int) -> str:
    # user nice system idle iowait ...: cpu0 carries the busy jiffies, both CPUs some idle
    return f"cpu  0 0 0 0 0\ncpu0 {busy_jiffies} 0 0 500 0 0 0\ncpu1 0 0 0 500 0 0 0\n"


def test_auto_starts_below_the_cores_other_processes_keep_busy_now(tmp_path: Path) -> None:
    """The starting count follows the load of the last quarter second, not the 1-minute load average (which
    right after a benchmark or a build still counts cores that are free again)."""
    cores = UsableCores(cpus=(0, 1), quota_cores=None, physical=2)
    stat = tmp_path / "stat"
    stat.write_text(_stat(0))
    load = OtherLoad(cores, stat)
    load.sample()  # the first reading, taken before the model loads
    hz = os.sysconf("SC_CLK_TCK")
    stat.write_text(_stat(hz // 4))  # other processes then use a quarter second of CPU time...
    # ...within the quarter second initial() waits for: a core busy (less our own CPU time), so one thread
    assert initial_threads("auto", cores, load) == 1
    quiet = OtherLoad(cores, stat)
    assert initial_threads("auto", cores, quiet) == 2  # nothing changed between its two readings
    assert initial_threads(3, cores, quiet) == 3


def test_cgroup_quota_v1_and_v2(tmp_path: Path) -> None:
    proc = tmp_path / "cgroup"
    (tmp_path / "cpu" / "job").mkdir(parents=True)
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    (tmp_path / "cpu" / "job" / "cpu.cfs_quota_us").write_text("150000\n")
    (tmp_path / "cpu" / "job" / "cpu.cfs_period_us").write_text("100000\n")
    proc.write_text("4:memory:/job\n1:cpu:/job\n")
    assert cgroup_cpu_quota(tmp_path, proc) == 1.5
    proc.write_text("0::/\n")
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path, proc) is None
    (tmp_path / "cpu.max").write_text("300000 100000\n")
    assert cgroup_cpu_quota(tmp_path, proc) == 3.0


async def test_engine_reports_its_threads_and_a_fixed_count_never_moves() -> None:
    events = EventBus(forward_to_logging=False)
    seen: list[dict] = []
    events.subscribe(seen.append, kinds={"engine.threads", "engine.step"})
    async with await Engine.start(model="smollm2", sequences=2, n_ctx=256, threads=1, events=events) as engine:
        await engine.complete("One, two,", max_tokens=8, ignore_eos=True)
        stats = engine.stats().threads
    assert stats is not None and (stats.mode, stats.threads, stats.max_threads, stats.probes) == ("fixed", 1, 1, 0)
    start = [e for e in seen if e["event"] == "engine.threads"]
    assert [e["action"] for e in start] == ["start"] and start[0]["threads"] == 1
    assert {e["threads"] for e in seen if e["event"] == "engine.step"} == {1}


def test_agentrts_openmp_spin_stays_out_of_the_environment_llama_cpps_reference_runs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (SPIN_ENV, "OMP_WAIT_POLICY", DEFAULTED_MARK):
        monkeypatch.delenv(name, raising=False)
    apply_openmp_defaults()
    assert os.environ[SPIN_ENV] == "10000"
    assert SPIN_ENV not in llama_cpp_environment() and DEFAULTED_MARK not in llama_cpp_environment()
    # The user's own setting is kept, for agentrt and for the reference alike.
    monkeypatch.delenv(DEFAULTED_MARK)
    monkeypatch.setenv(SPIN_ENV, "5")
    apply_openmp_defaults()
    assert os.environ[SPIN_ENV] == "5" and llama_cpp_environment()[SPIN_ENV] == "5"


@pytest.mark.parametrize(("command", "target"), [(["run"], "graphs/parallel_map.yaml"),
                                                  (["bench", "gaia"], "benchmarks/gaia-mini")])
def test_ray_refuses_this_machines_settings_rather_than_ignoring_them(
    command: list[str], target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentrt.cli import main

    path = Path(__file__).resolve().parents[2] / target
    assert main([*command, str(path), "--ray", "--threads", "1", "--flash-attn", "off"]) == 2
    err = capsys.readouterr().err
    assert "--ray: --threads, --flash-attn set this machine's engine; each Ray actor sizes its own" in err
