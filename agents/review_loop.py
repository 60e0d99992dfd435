"""`ExecuteWithCritic`: executor ↔ critic rounds inside one graph node, up to a limit.

Round 1 runs the executor on the task; the critic reviews the answer; on "revise" the executor runs again
with its previous answer and the feedback, until the critic approves or ``max_rounds`` is reached (then the
last answer is returned with ``approved=False`` and the outcome `REJECTED`). Executor and critic lease their
sequences one after the other, never both at once, so this works even with a pool of one sequence.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentrt.graph.contract import AgentOutcome, AgentResult, AgentSpec, NodeContext

from agents.base import Agent
from agents.critic import Critic, Verdict, review_request
from agents.executor import ActionFormat, Executor, ExecutorResult
from agents.tools import ToolRegistry


class ReviewOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_rounds: int = Field(2, ge=1, le=10, description="most executor runs (each but the first after a 'revise')")
    max_steps: int = Field(6, ge=1, le=50, description="the executor's ReAct step limit per round")
    action_format: ActionFormat = Field("auto", description="the executor's action format (see Executor)")
    critic_role: str = Field("", description="the critic's role prompt (default: Critic's)")
    critic_max_tokens: int = Field(160, ge=16)


class ReviewedResult(AgentResult):
    approved: bool = False
    rounds: int = 0


def revision_request(task: str, answer: str, feedback: str) -> str:
    return (
        f"{task}\n\nYour previous answer was: {answer}\nA reviewer asked for changes: {feedback or '(no details)'}\n"
        "Give an improved answer."
    )


class ExecuteWithCritic(Agent):
    """An executor whose answer a critic reviews; the spec's role, tools and sampling are the executor's."""

    Options = ReviewOptions
    options: ReviewOptions
    default_role = Executor.default_role

    def __init__(self, spec: AgentSpec, *, registry: ToolRegistry | None = None) -> None:
        super().__init__(spec, registry=registry)
        executor_spec = spec.model_copy(
            update={
                "name": f"{spec.name}.executor",
                "options": {"max_steps": self.options.max_steps, "action_format": self.options.action_format},
            }
        )
        critic_spec = AgentSpec(
            name=f"{spec.name}.critic",
            role=self.options.critic_role,
            sampling=spec.sampling,
            max_tokens=self.options.critic_max_tokens,
        )
        self.executor = Executor(executor_spec, registry=registry if registry is not None else self.tool_registry())
        self.critic = Critic(critic_spec)

    def constraints(self) -> list[dict[str, Any]]:
        return self.executor.constraints() + self.critic.constraints()

    async def run(self, task: str, ctx: NodeContext) -> ReviewedResult:
        executor_ctx = ctx.model_copy(update={"agent": f"{ctx.agent}.executor"})
        critic_ctx = ctx.model_copy(update={"agent": f"{ctx.agent}.critic"})
        trace: list[dict[str, Any]] = []
        tokens = 0
        request = task
        answer: Any = None
        for round_number in range(1, self.options.max_rounds + 1):
            result: ExecutorResult = await self.executor.run(request, executor_ctx)  # type: ignore[assignment]
            answer = result.output
            tokens += result.tokens
            critique = await self.critic.run(review_request(task, str(answer)), critic_ctx)
            tokens += critique.tokens
            verdict = Verdict.model_validate(critique.output)
            trace.append(
                {
                    "round": round_number,
                    "answer": answer,
                    "executor_status": result.status,
                    "executor_steps": result.trace,
                    "verdict": verdict.verdict,
                    "feedback": verdict.feedback,
                }
            )
            self.emit_step(ctx, round_number, thought=f"critic: {verdict.verdict}", observation=verdict.feedback or None)
            if verdict.approved:
                return ReviewedResult(output=answer, trace=trace, tokens=tokens, approved=True, rounds=round_number)
            request = revision_request(task, str(answer), verdict.feedback)
        return ReviewedResult(
            output=answer,
            outcome=AgentOutcome.REJECTED,
            trace=trace,
            tokens=tokens,
            approved=False,
            rounds=self.options.max_rounds,
        )
