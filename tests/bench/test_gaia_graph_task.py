"""GAIA tasks as real graph runs (graphs/gaia.yaml, the real Executor and tools) on the scripted fake engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrt.bench.gaia.benchmark import GaiaBenchConfig, run_gaia_benchmark
from agentrt.bench.gaia.graph_task import GraphTaskRunner
from agentrt.engine.protocol import EngineProtocol
from agentrt.errors import GraphSpecError
from agentrt.testing.fake_engine import FakeEngine

from tests.bench.gaia_helpers import write_tasks

REPO = Path(__file__).resolve().parents[2]
GAIA_GRAPH = REPO / "graphs" / "gaia.yaml"


def _block(code: str) -> str:
    return f"Thought: next\n```python\n{code}\n```"


def scripted_solver(owner: str, messages) -> str:  # type: ignore[no-untyped-def]
    """Plays the executor (code actions, as graphs/gaia.yaml asks): reads the attachment when there is one, then
    answers from what it read."""
    task = next(m.content for m in messages if m.role == "user")
    last = messages[-1].content
    if "stuck" in task:
        return _block("print(1 + 1)")  # never answers, not even in the last turn: the step limit ends it
    if "broken" in task:
        raise RuntimeError("decode failed on this sequence")
    if "numbers.csv" in task and not last.startswith("Observation"):
        return _block("print(open('numbers.csv').read())")
    if last.startswith("Observation"):
        total = sum(int(x) for x in last.split() if x.isdigit())
        return _block(f"final_answer('FINAL ANSWER: {total}')")
    return _block("final_answer('Paris.')")


@pytest.fixture
def task_set(tmp_path: Path) -> Path:
    rows = [
        {"task_id": "csv", "Question": "Sum the numbers in the file.", "Level": 2, "Final answer": "60",
         "file_name": "numbers.csv"},
        {"task_id": "capital", "Question": "Capital of France?", "Level": 1, "Final answer": "paris", "file_name": ""},
        {"task_id": "loop", "Question": "You are stuck.", "Level": 3, "Final answer": "2", "file_name": ""},
        {"task_id": "crash", "Question": "This one is broken.", "Level": 1, "Final answer": "1", "file_name": ""},
    ]
    folder = tmp_path / "set"
    write_tasks(folder, rows)
    (folder / "numbers.csv").write_text("value\n10\n20\n30\n")
    return folder


async def test_tasks_run_as_graph_runs_with_their_attachments(tmp_path: Path, task_set: Path) -> None:
    engines: list[FakeEngine] = []

    async def start(pool_size: int) -> EngineProtocol:
        engines.append(FakeEngine(pool_size=pool_size, reply=scripted_solver))
        return engines[-1]

    out = tmp_path / "out"
    report = await run_gaia_benchmark(
        GaiaBenchConfig(tasks=task_set, out=out, concurrency=2),
        engine_factory=start,
        task_runner_factory=lambda: GraphTaskRunner(GAIA_GRAPH),
    )
    results = {json.loads(line)["task_id"]: json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()}

    csv = results["csv"]
    assert csv["status"] == "completed" and csv["model_answer"] == "60" and csv["correct"]
    assert (out / "runs" / "csv" / "workspace" / "numbers.csv").read_text() == "value\n10\n20\n30\n"
    assert [step["action"] for step in csv["trace"]] == ["python", "final_answer"]
    assert csv["tokens"]["requests"] == 2 and csv["tokens"]["completion"] > 0
    assert (out / "runs" / "csv" / "events.jsonl").exists()
    # The task's own events only: no other task's steps leak into its run directory.
    logged = [json.loads(line) for line in (out / "runs" / "csv" / "events.jsonl").read_text().splitlines()]
    assert all("capital" not in json.dumps(e) for e in logged)

    assert results["capital"]["model_answer"] == "Paris." and results["capital"]["correct"]
    loop = results["loop"]
    assert loop["status"] == "step_limit" and loop["model_answer"] is None and not loop["correct"]
    assert [step.get("action") for step in loop["trace"][:6]] == ["python"] * 6
    assert loop["trace"][-1] == {"status": "step_limit", "unscored_output": "2"}
    assert results["crash"]["status"] == "failed" and results["crash"]["error_type"] == "RuntimeError"
    assert "decode failed on this sequence" in results["crash"]["error"]
    assert report.run.misses == {"failed: RuntimeError": 1, "step_limit": 1}
    assert report.run.correct == 2 and report.run.tasks == 4


def test_a_graph_without_a_question_input_is_refused(tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(
        "inputs: {task: {type: string}}\n"
        "agents: {solver: {class: agents.Executor, tools: [calculator]}}\n"
        "nodes: {answer: {agent: solver, input: '{{ inputs.task }}'}}\n"
        "outputs: {answer: answer}\n"
    )
    with pytest.raises(GraphSpecError, match="needs an input named 'question'"):
        GraphTaskRunner(graph)
