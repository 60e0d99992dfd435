"""Agent logic on the scripted fake engine: the loop's control flow, plan repair, review rounds, events.

Model behaviour itself is tested on the real model in test_agents_model.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrt.engine.request import ChatMessage
from agentrt.errors import ConfigError, OutputParseError
from agentrt.events import EventBus
from agentrt.graph.contract import AgentOutcome
from agentrt.testing.fake_engine import FakeEngine

from agents import (
    Agent,
    Critic,
    ExecuteWithCritic,
    Executor,
    Planner,
    action_schema,
    default_registry,
    plan_schema,
    repair_plan,
    standalone_context,
    tool,
)
from agents.conversation import close_truncated_json
from agents.critic import VERDICT_SCHEMA, results_agree, split_review
from agents.planner import RawPlan


def act(tool_name: str, thought: str = "t", **arguments: Any) -> str:
    return json.dumps({"thought": thought, "tool": tool_name, "arguments": arguments})


def recorder(engine: FakeEngine) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    engine.events.subscribe(seen.append)
    return seen


# --- executor ---------------------------------------------------------------------------------------------


async def test_executor_calls_a_tool_then_answers(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=[act("calculator", expression="6+6"), act("final_answer", answer="12")])
    events = recorder(engine)
    executor = Executor.create(tools=["calculator"], max_steps=4)
    result = await executor.run("How much is 6+6?", standalone_context(engine, workspace=tmp_path))
    assert (result.status, result.output, result.steps) == ("answered", "12", 2)
    assert result.trace[0]["observation"] == "12" and result.trace[0]["ok"] is True
    # The second turn carried the whole conversation, ending with the observation.
    _, second = engine.requests[1]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[-1].content.startswith("Observation: 12\n")
    kinds = [e["event"] for e in events]
    assert kinds.count("agent.step") == 2 and kinds.count("tool.called") == 1
    called = next(e for e in events if e["event"] == "tool.called")
    assert (called["tool"], called["ok"], called["node"], called["agent"]) == ("calculator", True, "main", "agent")
    assert engine.leases == 1  # one sequence for the whole loop


async def test_executor_recovers_from_schema_invalid_replies_and_tool_errors(tmp_path: Path) -> None:
    script = [
        json.dumps({"answer": 12}),  # JSON, but not an action
        act("calculator", expression="__import__('os')"),  # the tool refuses it
        act("read_file", path="../etc/passwd"),  # a tool this executor does not have
        act("calculator", wrong="6+6"),  # arguments the tool's model rejects
        act("final_answer", answer="12"),
    ]
    engine = FakeEngine(1, reply=script)
    events = recorder(engine)
    result = await Executor.create(tools=["calculator"], max_steps=6).run("6+6?", standalone_context(engine, workspace=tmp_path))
    assert (result.status, result.output) == ("answered", "12")
    observations = [step["observation"] for step in result.trace[:4]]
    assert "does not fit the schema" in observations[0]
    assert "calculator" in observations[1] and "not allowed" in observations[1]
    assert "unknown tool 'read_file'" in observations[2]
    assert "invalid arguments" in observations[3]
    assert [e["ok"] for e in events if e["event"] == "tool.called"] == [False, False, False]
    # Every error went back to the model as an observation.
    assert all(m.content.startswith("Observation: Error:") for m in engine.requests[4][1][3::2])


async def test_executor_at_the_step_limit_gets_a_last_turn_for_the_answer(tmp_path: Path) -> None:
    script = [act("calculator", expression="1+1")] * 3 + [act("final_answer", answer="2")]
    engine = FakeEngine(1, reply=script)
    events = recorder(engine)
    result = await Executor.create(tools=["calculator"], max_steps=3).run("loop", standalone_context(engine, workspace=tmp_path))
    assert (result.status, result.outcome, result.steps, result.output) == ("step_limit", AgentOutcome.STEP_LIMIT, 3, "2")
    assert result.trace[-1]["status"] == "step_limit" and result.trace[-1]["answer"] == "2"
    assert len(engine.requests) == 4
    last_turn = engine.requests[3][1][-1].content
    assert "You have used all 3 steps. Give your final answer" in last_turn
    # The same call is run once; repeats get the earlier result back, with a note that it was not run again.
    assert [e["ok"] for e in events if e["event"] == "tool.called"] == [True]
    repeat = result.trace[1]["observation"]
    assert repeat == "You already did exactly this at step 1, so it was not run again. Its result was:\n2"
    # A repeat of a call that worked means the model has what it needs: the next turn may only answer.
    assert "You have what you need: give your final answer now." in engine.requests[2][1][-1].content
    assert engine.requests[3][1][-1].role == "user"
    assert [e.get("status") for e in events if e["event"] == "agent.step"][-1] == "step_limit"


async def test_a_last_turn_that_gives_no_answer_keeps_the_last_result(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=[act("calculator", expression="2+3"), act("calculator", expression="9")])
    result = await Executor.create(tools=["calculator"], max_steps=1).run("x", standalone_context(engine, workspace=tmp_path))
    assert (result.status, result.outcome, result.output) == ("step_limit", AgentOutcome.STEP_LIMIT, "5")
    assert result.trace[-1]["answer"] is None


def test_action_schema_has_one_branch_per_tool_and_no_length_bounds() -> None:
    registry = default_registry().subset(["calculator", "final_answer"])
    schema = action_schema(registry)
    assert [b["properties"]["tool"]["const"] for b in schema["anyOf"]] == ["calculator", "final_answer"]
    args = schema["anyOf"][0]["properties"]["arguments"]
    assert args["required"] == ["expression"]
    # A length bound cuts a thought or an argument mid-sentence; max_tokens bounds a reply instead.
    assert "maxLength" not in json.dumps(schema)
    assert list(schema["anyOf"][0]["properties"]) == ["thought", "tool", "arguments"]
    loose = action_schema(registry, constrain_arguments=False)
    assert loose["properties"]["tool"] == {"enum": ["calculator", "final_answer"]}


def test_unknown_tools_and_bad_options_fail_at_construction() -> None:
    with pytest.raises(ConfigError, match="unknown tools \\['teleport'\\]"):
        Executor.create(tools=["teleport"])
    with pytest.raises(ConfigError, match="bad options: max_stepz: unknown field"):
        Executor.create(max_stepz=3)
    assert {"calculator", "python", "read_file", "list_files", "search", "final_answer"} <= Executor.available_tools()


@tool
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


class ShoutingExecutor(Executor):
    extra_tools = (shout,)


async def test_a_subclass_brings_its_own_tools(tmp_path: Path) -> None:
    assert "shout" in ShoutingExecutor.available_tools() and "shout" not in Executor.available_tools()
    engine = FakeEngine(1, reply=[act("shout", text="hi"), act("final_answer", answer="HI")])
    result = await ShoutingExecutor.create(tools=["shout"]).run("shout hi", standalone_context(engine, workspace=tmp_path))
    assert result.trace[0]["observation"] == "HI" and result.output == "HI"


# --- planner ----------------------------------------------------------------------------------------------


def raw(*steps: tuple[str, str, list[str]]) -> RawPlan:
    return RawPlan.model_validate({"steps": [{"id": i, "task": t, "needs": n} for i, t, n in steps]})


def test_plan_repair_makes_ids_unique_and_needs_point_backwards() -> None:
    plan = raw(
        ("step 1", "Find facts", []),
        ("step 1", "Find more facts", ["step 1"]),
        ("3", "Combine", ["step 1", "ghost", "later"]),
        ("later", "  ", []),
        ("final", "Answer", ["3", "final"]),
    )
    steps, notes = repair_plan(plan, max_steps=10, agents=[], where="test")
    assert [(s.id, s.needs) for s in steps] == [
        ("step_1", []),
        ("step_1_2", ["step_1"]),
        ("s3", ["step_1"]),
        ("final", ["s3"]),
    ]
    assert any("dropped need 'ghost'" in n for n in notes)
    assert any("empty task" in n for n in notes)
    assert any("dropped need 'final'" in n for n in notes)  # a self-need would be a cycle


def test_plan_repair_truncates_and_rejects_empty_plans() -> None:
    steps, notes = repair_plan(raw(("a", "x", []), ("b", "y", []), ("c", "z", [])), max_steps=2, agents=[], where="t")
    assert [s.id for s in steps] == ["a", "b"] and "kept the first 2 of 3 steps" in notes
    with pytest.raises(OutputParseError, match="node 'p': the plan has no usable step"):
        repair_plan(raw(("a", " ", [])), max_steps=3, agents=[], where="node 'p'")


async def test_planner_returns_plan_steps(tmp_path: Path) -> None:
    reply = json.dumps({"steps": [{"id": "a", "task": "Do A", "needs": []}, {"id": "b", "task": "Do B", "needs": ["a"]}]})
    engine = FakeEngine(1, reply=reply)
    result = await Planner.create(max_steps=3).run("A then B", standalone_context(engine, workspace=tmp_path))
    assert [(s.id, s.task, s.needs, s.agent) for s in result.plan] == [("a", "Do A", [], None), ("b", "Do B", ["a"], None)]
    assert result.output == [s.model_dump() for s in result.plan]
    schema = plan_schema(3, ["writer"])
    assert schema["properties"]["steps"]["maxItems"] == 3
    assert schema["properties"]["steps"]["items"]["properties"]["agent"] == {"enum": ["writer"]}


async def test_planner_schema_invalid_reply_is_an_output_parse_error(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=json.dumps({"plan": []}))
    with pytest.raises(OutputParseError, match="node 'main' agent 'agent' \\(planner\\): reply does not fit the schema"):
        await Planner.create().run("x", standalone_context(engine, workspace=tmp_path))


@pytest.mark.parametrize(
    ("cut", "closed"),
    [
        ('{"verdict": "revise", "feedback": "3.3.3', {"verdict": "revise", "feedback": "3.3.3"}),
        ('{"steps": [{"id": "s1", "task": "do it", "needs": ["s', {"steps": [{"id": "s1", "task": "do it", "needs": ["s"]}]}),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": 1, "b":', {"a": 1, "b": None}),
        ('{"a": 1,', {"a": 1}),
    ],
)
def test_a_truncated_json_reply_is_closed(cut: str, closed: Any) -> None:
    assert json.loads(close_truncated_json(cut) or "null") == closed


def test_an_unclosable_reply_is_left_alone() -> None:
    assert close_truncated_json('{"a": tru') is None


# --- critic and review rounds -----------------------------------------------------------------------------


def critic_reply(result: str, given: str, verdict: str, feedback: str = "looks fine"):  # type: ignore[no-untyped-def]
    """A scripted critic: its own solution first, then the comparison."""

    def reply(owner: str, messages: list[ChatMessage]) -> str:
        if "Solve this task yourself" in messages[-1].content:
            return json.dumps({"solution": f"working that reaches {result}", "result": result})
        return json.dumps({"given": given, "feedback": feedback, "verdict": verdict})

    return reply


async def test_the_critic_solves_before_it_sees_the_answer(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=critic_reply("12", "12", "approve"))
    verdict = await Critic.create().review("How much is 6+6?", "6+6 is 12", standalone_context(engine, workspace=tmp_path))
    assert verdict.approved and (verdict.expected, verdict.given, verdict.solution) == ("12", "12", "working that reaches 12")
    solve, judge = (messages[-1].content for _, messages in engine.requests)
    assert "How much is 6+6?" in solve and "6+6 is 12" not in solve  # the answer is held back
    assert judge.startswith("Your result: 12\nThe answer to review: 6+6 is 12\n")
    result = await Critic.create().run("Task: 6+6?\n\nAnswer: 12", standalone_context(engine, workspace=tmp_path))
    assert result.outcome == AgentOutcome.ANSWERED


async def test_a_verdict_follows_from_the_results_it_compares(tmp_path: Path) -> None:
    # The model approves "13" against its own 12 (as a 0.5B model does): the verdict and feedback are corrected.
    engine = FakeEngine(1, reply=critic_reply("6 + 6 equals 12.", "13", "approve", "The answer is correct."))
    result = await Critic.create().run("Task: 6+6?\n\nAnswer: 13", standalone_context(engine, workspace=tmp_path))
    assert result.outcome == AgentOutcome.REJECTED
    assert result.output["verdict"] == "revise"
    assert result.output["feedback"] == "The answer gives 13, but solving the task gives 6 + 6 equals 12."
    # Results that cannot be compared plainly leave the model's verdict as it is.
    engine = FakeEngine(1, reply=critic_reply("a short poem", "a haiku", "revise", "too long"))
    verdict = await Critic.create().review("Write a poem", "...", standalone_context(engine, workspace=tmp_path))
    assert (verdict.verdict, verdict.feedback) == ("revise", "too long")
    assert results_agree("Tom Brennan, Omar Haddad", "tom brennan, omar haddad") is True


async def test_a_critic_without_a_separate_answer_judges_in_one_turn(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=json.dumps({"given": "", "feedback": "show the sum", "verdict": "revise"}))
    result = await Critic.create().run("Is 6+6=13 right?", standalone_context(engine, workspace=tmp_path))
    assert result.outcome == AgentOutcome.REJECTED and len(engine.requests) == 1


def test_the_critic_compares_before_it_judges() -> None:
    assert list(VERDICT_SCHEMA["properties"]) == ["given", "feedback", "verdict"] == VERDICT_SCHEMA["required"]
    assert split_review("Task: a?\n\nAnswer: b\n\nIs the answer correct and complete for the task?") == ("a?", "b")


async def test_review_rounds_revise_then_approve_on_a_single_sequence(tmp_path: Path) -> None:
    def reply(owner: str, messages: list[ChatMessage]) -> str:
        if owner.endswith(".critic"):
            if "Solve this task yourself" in messages[-1].content:
                return json.dumps({"solution": "6+6", "result": "12"})
            approve = "The answer to review: 12" in messages[-1].content
            return json.dumps({"given": "", "verdict": "approve" if approve else "revise", "feedback": "" if approve else "wrong"})
        revising = "A reviewer asked for changes: wrong" in messages[1].content
        return act("final_answer", answer="12" if revising else "11")

    engine = FakeEngine(1, reply=reply)  # one sequence: executor and critic must take turns, not deadlock
    agent = ExecuteWithCritic.create("solver", tools=["calculator"], max_rounds=3)
    result = await agent.run("6+6?", standalone_context(engine, workspace=tmp_path, agent="solver"))
    assert (result.output, result.approved, result.rounds, result.outcome) == ("12", True, 2, AgentOutcome.ANSWERED)
    assert [r["verdict"] for r in result.trace] == ["revise", "approve"]
    assert engine.lease_order == ["main/solver.executor", "main/solver.critic"] * 2


async def test_review_rounds_stop_at_the_limit(tmp_path: Path) -> None:
    def reply(owner: str, messages: list[ChatMessage]) -> str:
        if owner.endswith(".critic"):
            return critic_reply("12", "11", "revise", "no")(owner, messages)
        return act("final_answer", answer="11")

    result = await ExecuteWithCritic.create(max_rounds=2).run(
        "6+6?", standalone_context(FakeEngine(2, reply=reply), workspace=tmp_path)
    )
    assert (result.approved, result.rounds, result.output) == (False, 2, "11")
    assert result.outcome == AgentOutcome.REJECTED


# --- the base class as an extension point ---------------------------------------------------------------


class Echo(Agent):
    async def respond(self, conv, task, ctx):  # type: ignore[no-untyped-def]
        first = await conv.ask(task)
        second = await conv.ask("again")
        return {"first": first, "second": second, "history": len(conv.messages)}


async def test_a_custom_agent_keeps_its_conversation_between_turns(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply=["one", "two"])
    result = await Echo.create(role="be brief").run("hi", standalone_context(engine, workspace=tmp_path))
    assert result.output == {"first": "one", "second": "two", "history": 5}
    assert [m.content for m in engine.requests[1][1]] == ["be brief", "hi", "one", "again"]
    assert result.tokens == 2


async def test_the_base_agent_honours_a_node_output_schema(tmp_path: Path) -> None:
    engine = FakeEngine(1, reply='{"n": 12}')
    ctx = standalone_context(engine, workspace=tmp_path).model_copy(update={"output_schema": {"type": "object"}})
    assert (await Agent.create().run("n?", ctx)).output == {"n": 12}


def test_standalone_context_uses_the_engine_bus_and_makes_a_workspace() -> None:
    engine = FakeEngine(1)
    ctx = standalone_context(engine, node_id="n", agent="a")
    assert ctx.events is engine.events and ctx.workspace.is_dir() and ctx.owner == "n/a"
    bus = EventBus(forward_to_logging=False)
    assert standalone_context(engine, events=bus).events is bus
