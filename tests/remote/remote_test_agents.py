"""A one-call agent for the remote graph tests (graph YAML names it as ``remote_test_agents.ShortAnswer``), and
the two-node graph those tests run."""

from __future__ import annotations

from agentrt.graph.contract import AgentResult, AgentSpec, NodeContext


class ShortAnswer:
    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        async with ctx.engine.sequence(owner=ctx.owner, priority=ctx.priority) as seq:
            result = await seq.chat([{"role": "user", "content": task}], max_tokens=self.spec.max_tokens)
        return AgentResult(output=result.text, tokens=result.completion_tokens)


# Two independent one-call nodes: the remote tests run it on llama-server and through the CLI without llama.cpp.
TWO_SHORT_ANSWERS_GRAPH = """
name: two-short-answers
imports: [remote_test_agents]
model: {sequences: 2}
agents:
  short: {class: remote_test_agents.ShortAnswer, max_tokens: 6}
nodes:
  one: {agent: short, input: "Name a colour."}
  two: {agent: short, input: "Name a fruit."}
outputs:
  colour: one
  fruit: two
"""
