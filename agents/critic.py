"""`Critic`: reviews an answer against its task and returns a verdict (approve, or revise with feedback).

The feedback comes first in the reply and the verdict last, so the verdict follows from the review the model
has just written (a verdict written first is a guess that the feedback then argues with). A "revise" verdict
makes the result's outcome `REJECTED`: the graph runtime and reports show that the answer was not approved.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from agentrt.graph.contract import AgentOutcome, AgentResult, NodeContext

from agents.base import Agent
from agents.conversation import Conversation


class Verdict(BaseModel):
    feedback: str = ""  # the review: what is right or wrong with the answer, and how to fix it
    verdict: Literal["approve", "revise"]

    @property
    def approved(self) -> bool:
        return self.verdict == "approve"


VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"feedback": {"type": "string"}, "verdict": {"enum": ["approve", "revise"]}},
    "required": ["feedback", "verdict"],
    "additionalProperties": False,
}


def review_request(task: str, answer: str) -> str:
    """The text a critic reviews: the task and the answer to it."""
    return f"Task: {task}\n\nAnswer: {answer}\n\nIs the answer correct and complete for the task?"


class Critic(Agent):
    """Returns ``{"feedback": ..., "verdict": "approve" | "revise"}``; `Verdict` is the parsed form."""

    default_role = "You are a strict reviewer. You check whether an answer is correct and complete for its task."

    def system_prompt(self, ctx: NodeContext) -> str:
        return (
            f"{self.role}\n\n"
            "Work the task out yourself, compare your result with the answer, then reply with JSON: "
            '{"feedback": "<your check, in one or two sentences: what is right, or what is wrong and how to fix '
            'it>", "verdict": "approve"} when the answer is correct and complete, or the same with "verdict": '
            '"revise" when it is not.'
        )

    def constraints(self) -> list[dict[str, Any]]:
        return [{"json_schema": VERDICT_SCHEMA}]

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> AgentResult:
        verdict = await conv.ask_json(
            task, Verdict, json_schema=VERDICT_SCHEMA, where=f"node {ctx.node_id!r} agent {ctx.agent!r} (critic)"
        )
        self.emit_step(ctx, 1, thought=verdict.verdict, observation=verdict.feedback or None)
        return AgentResult(
            output=verdict.model_dump(),
            outcome=AgentOutcome.ANSWERED if verdict.approved else AgentOutcome.REJECTED,
            tokens=conv.tokens,
            trace=[{"reply": conv.messages[-1].content, "repairs": conv.repairs}],
        )

    async def review(self, task: str, answer: str, ctx: NodeContext) -> Verdict:
        """Review ``answer`` to ``task`` (a convenience over `run` for Python callers)."""
        result = await self.run(review_request(task, answer), ctx)
        return Verdict.model_validate(result.output)
