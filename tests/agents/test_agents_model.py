"""The agents on the tiny SmolLM2-135M (fast, cannot reason): structure, not smartness.

Each agent's output is schema-valid; the ReAct loop recovers from a malformed reply and from a failing tool
(both injected deterministically, then the real model carries on); the example scripts run. Nothing here
checks an answer: that is test_agents_qwen.py's job, on the default agent model. Generations are kept short
so the module stays well under a few minutes on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import pytest_asyncio

from agentrt.engine import Engine, EngineConfig
from agentrt.graph.contract import AgentOutcome

from agents import (
    Action,
    Critic,
    ExecuteWithCritic,
    Executor,
    Planner,
    action_schema,
    default_registry,
    plan_schema,
    standalone_context,
)
from agents.code_actions import CODE_GRAMMAR, parse_code_reply
from agents.critic import Verdict
from injecting import InjectingEngine

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="module")
async def engine() -> AsyncIterator[Engine]:
    async with await Engine.start(EngineConfig(model="smollm2", sequences=4, n_ctx=2048)) as eng:
        yield eng


def model_replies(trace: list[dict[str, Any]], skip: int = 0) -> list[str]:
    return [step["reply"] for step in trace if "reply" in step][skip:]


async def test_executor_actions_are_schema_valid(engine: Engine, tmp_path: Path) -> None:
    executor = Executor.create(tools=["calculator"], max_tokens=160, max_steps=3)
    seen: list[dict[str, Any]] = []
    unsubscribe = engine.events.subscribe(seen.append, kinds=["agent.step", "tool.called"])
    try:
        result = await executor.run("How much is 6+6?", standalone_context(engine, workspace=tmp_path))
    finally:
        unsubscribe()
    assert result.status in ("answered", "step_limit")
    assert 1 <= result.steps <= 3
    replies = model_replies(result.trace)
    assert replies
    for reply in replies:
        jsonschema.validate(json.loads(reply), executor.schema)  # the grammar held
        Action.model_validate_json(reply)
    assert len([e for e in seen if e["event"] == "agent.step"]) >= len(replies)
    if result.status == "answered":
        assert isinstance(result.output, str)


async def test_react_loop_recovers_from_garbage_to_a_final_answer(engine: Engine, tmp_path: Path) -> None:
    # A reply cut off mid-JSON, then the real model. With no tools but final_answer, the grammar leaves it
    # one valid action, so recovery must end in an answer on the next step.
    injected = [('{"thought": "I will comp', "length")]
    executor = Executor.create(max_tokens=96, max_steps=3)
    result = await executor.run("Say hello.", standalone_context(InjectingEngine(engine, injected), workspace=tmp_path))
    first = result.trace[0]
    assert first["ok"] is False and "not valid JSON (the reply was cut off before it ended" in first["observation"]
    assert result.status == "answered" and result.steps == 2
    assert isinstance(result.output, str)
    assert json.loads(result.trace[1]["reply"])["tool"] == "final_answer"


async def test_react_loop_recovers_from_a_failing_tool(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("The meeting is on Tuesday.")
    bad_action = json.dumps({"thought": "read it", "tool": "read_file", "arguments": {"path": "../notes.txt"}})
    injected = [("not json at all", "stop"), (bad_action, "stop")]
    executor = Executor.create(tools=["read_file", "list_files"], max_tokens=128, max_steps=4)
    result = await executor.run(
        "On which day is the meeting? The file notes.txt says.",
        standalone_context(InjectingEngine(engine, injected), workspace=tmp_path),
    )
    assert "not valid JSON" in result.trace[0]["observation"]
    assert result.trace[1]["ok"] is False and "contains '..'" in result.trace[1]["observation"]
    assert result.status in ("answered", "step_limit") and result.steps <= 4
    later = model_replies(result.trace, skip=2)
    assert later  # the model took over after the failures
    for reply in later:
        jsonschema.validate(json.loads(reply), executor.schema)


async def test_planner_plan_is_schema_valid_and_a_dag(engine: Engine, tmp_path: Path) -> None:
    planner = Planner.create(max_tokens=256, max_steps=3)
    result = await planner.run(
        "Find the population of France and of Spain, then add them.", standalone_context(engine, workspace=tmp_path)
    )
    raw = json.loads(result.trace[0]["reply"])
    jsonschema.validate(raw, plan_schema(3, []))
    assert result.plan and len(result.plan) <= 3
    ids = [s.id for s in result.plan]
    assert len(set(ids)) == len(ids)
    for index, step in enumerate(result.plan):
        assert set(step.needs) <= set(ids[:index])  # dependencies only point backwards: a DAG
        assert step.task


async def test_critic_verdict_is_schema_valid(engine: Engine, tmp_path: Path) -> None:
    critic = Critic.create(max_tokens=96)
    ctx = standalone_context(engine, workspace=tmp_path)
    verdict = await critic.review("How much is 6+6?", "6+6 is 13.", ctx)
    assert verdict.verdict in ("approve", "revise")
    result = await critic.run("Task: Say hi.\n\nAnswer: Hi!", ctx)
    # The output is a Verdict, even when a rambling reply was cut off before its verdict (SmolLM2 does that here:
    # the critic then asks for the verdict alone).
    assert Verdict.model_validate(result.output).verdict == result.output["verdict"]
    assert result.outcome == (AgentOutcome.ANSWERED if result.output["verdict"] == "approve" else AgentOutcome.REJECTED)


async def test_execute_with_critic_runs_bounded_rounds(engine: Engine, tmp_path: Path) -> None:
    agent = ExecuteWithCritic.create(tools=["calculator"], max_tokens=128, max_steps=2, max_rounds=2)
    result = await agent.run("How much is 6+6?", standalone_context(engine, workspace=tmp_path))
    assert 1 <= result.rounds <= 2 and len(result.trace) == result.rounds
    assert all(r["verdict"] in ("approve", "revise") for r in result.trace)
    assert result.approved == (result.trace[-1]["verdict"] == "approve")


async def test_every_builtin_tool_action_grammar_compiles(engine: Engine) -> None:
    # llama.cpp refuses some schemas (e.g. very long maxLength repetitions); catch that here, not mid-run.
    registry = default_registry()
    for name in registry.names():
        schema = action_schema(registry.subset(sorted({name, "final_answer"})))
        result = await engine.chat([{"role": "user", "content": "hi"}], max_tokens=2, json_schema=schema)
        assert result.completion_tokens >= 1, name
    await engine.chat([{"role": "user", "content": "hi"}], max_tokens=2, json_schema=action_schema(registry))


async def test_a_code_block_closes_only_at_the_start_of_a_line(engine: Engine) -> None:
    # Examples whose fences sit at the end of the code line: a model that copies them believes the block closed,
    # and a grammar that allowed backticks in a code line let it write on until max_tokens (a GAIA pass lost
    # minutes to one such reply). The code grammar makes it put the fence on a line of its own.
    shot = "Thought: I answer {n}.\n```python\nfinal_answer({n})```\n\n"
    prompt = "".join(shot.format(n=n) for n in range(1, 7))
    result = await engine.complete(prompt, grammar=CODE_GRAMMAR, max_tokens=96)
    assert result.finish_reason == "stop" and result.text.count("```") == 2, result.text
    assert result.text.endswith("\n```") and parse_code_reply(result.text, where="t").code.startswith("final_answer(")


@pytest.mark.parametrize("script", ["two_questions.py", "custom_agent.py", "custom_tool.py", "graph_in_python.py"])
def test_examples_run(script: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()
    if script == "two_questions.py":
        assert "together (two sequences)" in done.stdout and "one after the other" in done.stdout
        # Four passes (two together, two apart), each answering 6+6 on the default agent model: all right.
        assert done.stdout.count("6+6      -> ") == 4 and "WRONG" not in done.stdout, done.stdout
    if script == "graph_in_python.py":
        # Ran to the end: succeeded, or incomplete when the solver stopped at its step limit (honest outcomes).
        assert "status: succeeded" in done.stdout or "status: incomplete" in done.stdout
