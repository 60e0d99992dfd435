"""The example graphs, loaded and run end to end on the scripted fake engine (templates, expansion, maps).

The same graphs run on the real model in test_agents_model.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrt.engine.request import ChatMessage
from agentrt.graph import Graph
from agentrt.testing.fake_engine import FakeEngine

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def act(tool: str, **arguments: object) -> str:
    return json.dumps({"thought": "t", "tool": tool, "arguments": arguments})


@pytest.mark.parametrize("name", ["plan_execute_critique", "parallel_map", "team"])
def test_example_graphs_load_and_check(name: str) -> None:
    graph = Graph.from_yaml(GRAPHS / f"{name}.yaml")
    assert graph.spec.nodes


def critic(result: str, messages: list[ChatMessage]) -> str:
    """A scripted critic: its own result first (the answer is held back), then the comparison."""
    if "Solve this task yourself" in messages[-1].content:
        return json.dumps({"solution": "...", "result": result})
    given = messages[-1].content.split("The answer to review: ")[1].split("\n")[0]
    return json.dumps({"given": given, "feedback": "checked", "verdict": "approve"})


async def test_plan_execute_critique_expands_the_plan_and_runs_steps_concurrently(tmp_path: Path) -> None:
    plan = {"steps": [
        {"id": "add", "task": "Compute 6+6", "needs": []},
        {"id": "mul", "task": "Compute 3*7", "needs": []},
        {"id": "sum", "task": "Add the two results", "needs": ["add", "mul"]},
    ]}

    def reply(owner: str, messages: list[ChatMessage]) -> str:
        node = owner.split("/")[0]
        if node == "plan":
            return json.dumps(plan)
        if node.startswith("plan."):
            steps = sum(1 for m in messages if m.role == "assistant")
            if steps == 0:
                expression = {"plan.add": "6+6", "plan.mul": "3*7", "plan.sum": "12+21"}[node]
                return f"Thought: compute\n```python\nprint({expression})\n```"
            return "Thought: done\n```python\nfinal_answer(" + messages[-1].content.split("\n")[1] + ")\n```"
        if node == "answer":
            assert "Result of step 1: 12" in messages[-1].content and "Result of step 2: 21" in messages[-1].content
            return "12 and 21, 33 in all."
        assert node == "critique"
        if "The answer to review" in messages[-1].content:
            assert "The answer to review: 12 and 21, 33 in all." in messages[-1].content  # the writer's answer
        return critic("33", messages)

    engine = FakeEngine(4, reply=reply, delay=0.05)
    graph = Graph.from_yaml(GRAPHS / "plan_execute_critique.yaml")
    result = await graph.run({"task": "6+6 and 3*7, and their sum"}, engine=engine, run_dir=tmp_path / "run")
    assert result.status == "succeeded", result
    assert result.outputs["steps"] == {"add": "12", "mul": "21", "sum": "33"}
    assert result.outputs["answer"] == "12 and 21, 33 in all."
    assert result.outputs["review"]["verdict"] == "approve"
    assert engine.max_active >= 2  # the independent steps ran at the same time
    # The dependent step saw both results.
    sum_task = next(m for o, ms in engine.requests if o.startswith("plan.sum/") for m in ms if m.role == "user")
    assert "add: 12" in sum_task.content and "mul: 21" in sum_task.content


async def test_parallel_map_keeps_order_and_item_status(tmp_path: Path) -> None:
    def reply(owner: str, messages: list[ChatMessage]) -> str:
        text = messages[-1].content
        if owner.startswith("digest/"):
            return "They are all facts."
        if "Honey bees" in text:
            raise RuntimeError("simulated failure for one item")
        return "summary of " + text.split("\n\n", 1)[1][:12]

    events: list[dict] = []
    engine = FakeEngine(4, reply=reply, delay=0.05)
    engine.events.subscribe(events.append, kinds=["map.item"])
    graph = Graph.from_yaml(GRAPHS / "parallel_map.yaml")
    result = await graph.run(engine=engine, run_dir=tmp_path / "run")
    assert result.status == "succeeded"
    summaries = result.outputs["summaries"]
    docs = graph.spec.inputs["documents"].default
    assert len(summaries) == len(docs)
    for doc, summary in zip(docs, summaries):
        expected = None if doc.startswith("Honey bees") else ("summary of " + doc[:12]).strip()
        assert summary == expected, (summary, expected)
    failed = {e["index"] for e in events if e["status"] == "failed"}
    assert failed == {3}
    assert engine.max_active > 1


async def test_team_plans_solves_and_reviews_the_executors_answer(tmp_path: Path) -> None:
    def reply(owner: str, messages: list[ChatMessage]) -> str:
        agent = owner.split("/")[1]
        if agent == "planner":
            return json.dumps({"steps": [{"id": "s1", "task": "Add 6 and 6", "needs": []}]})
        if agent == "executor":
            assert "A plan for it: 1. Add 6 and 6" in messages[1].content
            return "Thought: add\n```python\nfinal_answer(6 + 6)\n```"
        assert agent == "critic"
        if "The answer to review" in messages[-1].content:
            assert "The answer to review: 12\n" in messages[-1].content  # the executor's actual answer
        return critic("12", messages)

    engine = FakeEngine(3, reply=reply, delay=0.05)
    result = await Graph.from_yaml(GRAPHS / "team.yaml").run(
        {"task": "How much is 6+6?"}, engine=engine, run_dir=tmp_path / "run"
    )
    assert result.status == "succeeded" and result.outputs["answer"] == "12"
    assert result.outputs["plan"] == [{"id": "s1", "task": "Add 6 and 6", "agent": None, "needs": []}]
    assert result.outputs["review"]["verdict"] == "approve" and result.outputs["review"]["expected"] == "12"
    assert [o.split("/")[1] for o in engine.lease_order] == ["planner", "executor", "critic"]
