"""A fuzz test of `Graph.from_yaml`: a fixed seed and a small budget, so it runs in CI (the same fuzzer runs
longer as ``agentrt bench fuzz graphs``). Every input either loads or raises an `AgentrtError`: never another
exception, never a hang (each input has a time limit in a worker process), never a dead worker."""

from __future__ import annotations

import os
import time
from pathlib import Path

from agentrt.bench.fuzz_loader import GENERATORS, check_one, hostile_inputs, load_corpus
from agentrt.bench.fuzzing import run_fuzz

FUZZ_SEED = 20260613
FUZZ_INPUTS = 250


def test_the_loader_survives_hostile_inputs() -> None:
    inputs = list(hostile_inputs(FUZZ_SEED, FUZZ_INPUTS))
    assert inputs == list(hostile_inputs(FUZZ_SEED, FUZZ_INPUTS))  # the seed fixes the inputs
    report = run_fuzz(inputs, target=check_one, per_input_s=30)
    assert not report.failures, report.summary()
    assert report.inputs == FUZZ_INPUTS
    # A fuzzer whose inputs are all refused at the first byte tests little: both outcomes occur, from every generator.
    assert report.counts["loaded"] >= 20 and report.counts["refused"] >= 100, report.summary()
    assert set(report.by_generator) == {maker.__name__ for maker, _ in GENERATORS}


def test_the_corpus_is_the_repositorys_graphs() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 4 and all(b"agents:" in doc for doc in corpus)


def test_a_crash_found_by_the_fuzzer_stays_fixed(tmp_path: Path) -> None:
    # An unknown filter raised TemplateAssertionError (not a GraphSpecError) from Jinja's analysis pass.
    data = b"agents:\n  a: {class: agents.Agent}\nnodes:\n  n: {agent: a, input: '{{ inputs.x | lennullgth }}'}\n"
    kind, detail = check_one(data, tmp_path / "g.yaml")
    assert kind == "refused" and "No filter named 'lennullgth'" in detail


def misbehave(data: bytes, path: Path) -> tuple[str, str]:
    """A stand-in target that does what a broken loader might (the harness must survive each)."""
    if data == b"hang":
        time.sleep(3600)
    if data == b"die":
        os._exit(3)
    if data == b"raise":
        raise RecursionError("deep")
    return "loaded", ""


def test_the_harness_records_hangs_deaths_and_crashes_and_goes_on() -> None:
    inputs = [("t", data) for data in (b"ok", b"hang", b"die", b"raise", b"ok")]
    report = run_fuzz(inputs, per_input_s=2, target=misbehave)
    assert [(f.index, f.kind) for f in report.failures] == [(1, "hang"), (2, "died"), (3, "crash")]
    assert report.counts["loaded"] == 2
    assert "exit code 3" in report.failures[1].detail and "RecursionError: deep" in report.failures[2].detail
    assert report.failures_per_10k == 10_000 * 3 / 5
