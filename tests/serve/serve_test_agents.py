"""An agent for the graph-over-HTTP tests: two turns on one leased sequence (the second resends the first)."""

from __future__ import annotations

from agentrt.graph.contract import AgentResult, AgentSpec, NodeContext


class TwoTurns:
    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        messages = [{"role": "system", "content": "You answer in a few words."}, {"role": "user", "content": task}]
        async with ctx.engine.sequence(owner=ctx.owner, priority=ctx.priority) as seq:
            first = await seq.chat(messages, max_tokens=self.spec.max_tokens)
            messages += [{"role": "assistant", "content": first.text}, {"role": "user", "content": "And why?"}]
            second = await seq.chat(messages, max_tokens=self.spec.max_tokens)
        output = {"first": first.text, "second": second.text, "first_prompt": first.prompt_tokens,
                  "second_cached": second.cached_tokens}
        return AgentResult(output=output, tokens=first.completion_tokens + second.completion_tokens)
