"""`Critic`: reviews an answer against its task and returns a verdict (approve, or revise with feedback).

It solves the task itself first, in a turn that shows it only the task, and sees the answer only in a second
turn, where it compares the two: feedback first, the verdict last, so the verdict follows from the comparison
the model has just written. (Asked to judge an answer it can see, a small model agrees with anything,
"6 + 6 = 13" included; a verdict written before the feedback is a guess the feedback then argues with.)
A "revise" verdict makes the result's outcome `REJECTED`: the graph runtime and reports show that the answer
was not approved.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

from agentrt.errors import OutputParseError
from agentrt.graph.contract import AgentOutcome, AgentResult, NodeContext

from agents.base import Agent
from agents.conversation import Conversation

REVIEW_QUESTION = "Is the answer correct and complete for the task?"
SOLUTION_MAX_TOKENS = 160  # the critic's own solution: a few lines of working, not an essay
SOLVE_FORMAT = (
    'Reply with JSON: {"solution": "<your working, briefly>", "result": "<the result it reaches, in a few words>"}.'
)
JUDGE_FORMAT = (
    'Reply with JSON: {"given": "<the result the answer under review gives, in a few words>", "feedback": "<does '
    'it agree with your result? if not, what is wrong and how to fix it>", "verdict": "approve" if it agrees and '
    'the answer is complete, else "revise"}.'
)


class Solution(BaseModel):
    solution: str = ""
    result: str = ""


SOLUTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"solution": {"type": "string"}, "result": {"type": "string"}},
    "required": ["solution", "result"],
    "additionalProperties": False,
}


class Verdict(BaseModel):
    solution: str = ""  # the critic's own working, written before it saw the answer
    expected: str = ""  # the result of that working, in a few words
    given: str = ""  # the result the reviewed answer gives: set beside `expected`, a mismatch is plain to see
    feedback: str = ""  # do they agree; what is wrong and how to fix it
    verdict: Literal["approve", "revise"]

    @property
    def approved(self) -> bool:
        return self.verdict == "approve"


VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "given": {"type": "string"},
        "feedback": {"type": "string"},
        "verdict": {"enum": ["approve", "revise"]},
    },
    "required": ["given", "feedback", "verdict"],
    "additionalProperties": False,
}


VERDICT_ONLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"enum": ["approve", "revise"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}
VERDICT_ONLY_REQUEST = 'Your reply was cut off before the verdict. Reply with JSON: {"verdict": "approve" or "revise"}.'
VERDICT_ONLY_MAX_TOKENS = 16


def settle(verdict: Verdict) -> Verdict:
    """The verdict that follows from the two results where they can be compared without judgement.

    Results whose last numbers differ do not agree, and results that are the same words do; only otherwise does
    the model's own verdict stand. (A 0.5B model writes "expected 12, given 13" and then "approve": the
    verdict must follow from the comparison, and the feedback must say the same as the verdict.)
    """
    agree = results_agree(verdict.expected, verdict.given) if verdict.expected and verdict.given else None
    if agree is None or agree == verdict.approved:
        return verdict
    if agree:
        feedback = f"The answer gives {verdict.given.rstrip('.')}, as solving the task does ({verdict.expected.rstrip('.')})."
    else:
        feedback = f"The answer gives {verdict.given.rstrip('.')}, but solving the task gives {verdict.expected.rstrip('.')}."
    return verdict.model_copy(update={"verdict": "approve" if agree else "revise", "feedback": feedback})


def results_agree(expected: str, given: str) -> bool | None:
    """True or False when two short results compare plainly (their last numbers; the same words), else None."""
    numbers = [re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", "")) for text in (expected, given)]
    if numbers[0] and numbers[1]:
        return float(numbers[0][-1]) == float(numbers[1][-1])
    words = [" ".join(re.findall(r"\w+", text.lower())) for text in (expected, given)]
    return True if words[0] and words[0] == words[1] else None


def review_request(task: str, answer: str) -> str:
    """The text a critic reviews: the task and the answer to it."""
    return f"Task: {task}\n\nAnswer: {answer}\n\n{REVIEW_QUESTION}"


def split_review(text: str) -> tuple[str, str] | None:
    """(task, answer) from a `review_request`-shaped text (as graph templates write it), or None."""
    head, found, answer = text.rpartition("\n\nAnswer:")
    if not found:
        return None
    task = head.strip().removeprefix("Task:").strip()
    answer = answer.strip().removesuffix(REVIEW_QUESTION).strip()
    return (task, answer) if task else None


class Critic(Agent):
    """Returns ``{"solution": ..., "feedback": ..., "verdict": "approve" | "revise"}`` (`Verdict`)."""

    default_role = "You are a strict reviewer. You check whether an answer is correct and complete for its task."

    def system_prompt(self, ctx: NodeContext) -> str:
        return f"{self.role}\n\nYou solve the task yourself first; then you compare the answer under review with your solution."

    def constraints(self) -> list[dict[str, Any]]:
        return [{"json_schema": SOLUTION_SCHEMA}, {"json_schema": VERDICT_SCHEMA}, {"json_schema": VERDICT_ONLY_SCHEMA}]

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> AgentResult:
        where = f"node {ctx.node_id!r} agent {ctx.agent!r} (critic)"
        solve, judge, verdict_only = self.constraints()
        parts = split_review(task)
        own = Solution()
        if parts is None:
            request = task  # no separate answer to hold back: judge in one turn
        else:
            own = await conv.ask_json(
                f"Task: {parts[0]}\n\nSolve this task yourself, briefly (the answer to review comes next). "
                f"{SOLVE_FORMAT}",
                Solution,
                **solve,
                max_tokens=SOLUTION_MAX_TOKENS,
                where=f"{where} solution",
            )
            request = f"Your result: {own.result}\nThe answer to review: {parts[1]}\n\nCompare the two."
        try:
            judged = await conv.ask_json(f"{request}\n\n{JUDGE_FORMAT}", Verdict, **judge, where=where)
        except OutputParseError:
            # The grammar makes the reply JSON in this shape, so a reply without a verdict was cut off at max_tokens
            # (a small model can repeat a phrase in its feedback until then): ask for the verdict alone.
            judged = await conv.ask_json(
                VERDICT_ONLY_REQUEST, Verdict, **verdict_only, max_tokens=VERDICT_ONLY_MAX_TOKENS, where=f"{where} verdict"
            )
        verdict = settle(judged.model_copy(update={"solution": own.solution, "expected": own.result}))
        self.emit_step(ctx, 1, thought=verdict.verdict, observation=verdict.feedback or None)
        return AgentResult(
            output=verdict.model_dump(),
            outcome=AgentOutcome.ANSWERED if verdict.approved else AgentOutcome.REJECTED,
            tokens=conv.tokens,
            trace=[{"replies": [m.content for m in conv.messages if m.role == "assistant"], "repairs": conv.repairs}],
        )

    async def review(self, task: str, answer: str, ctx: NodeContext) -> Verdict:
        """Review ``answer`` to ``task`` (a convenience over `run` for Python callers)."""
        result = await self.run(review_request(task, answer), ctx)
        return Verdict.model_validate(result.output)
