"""A custom agent: subclass `Agent`, declare its options, override `respond`.

`Describer` asks the model for facts about a topic as grammar-constrained JSON (a list of short strings),
then, in a second turn on the same sequence (the first turn stays in the KV cache), for a one-line summary.

    .venv/bin/python examples/custom_agent.py [topic]

The same class can be named in graph YAML: ``class: examples.custom_agent.Describer``, with
``imports: [examples.custom_agent]`` in the graph (run from the repo root).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentrt.engine import Engine, EngineConfig
from agentrt.graph.contract import AgentResult, NodeContext

from agents import Agent, Conversation, standalone_context


class DescriberOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: int = Field(3, ge=1, le=8, description="how many facts to ask for")


class Facts(BaseModel):
    facts: list[str]


class Describer(Agent):
    default_role = "You are an encyclopedia. You answer with short, simple facts."
    Options = DescriberOptions
    options: DescriberOptions

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> AgentResult:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                "facts": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 120},
                    "minItems": 1,
                    "maxItems": self.options.facts,
                }
            },
            "required": ["facts"],
            "additionalProperties": False,
        }
        facts = await conv.ask_json(
            f"Give {self.options.facts} facts about {task} as JSON.", Facts, json_schema=schema,
            where=f"node {ctx.node_id!r} (Describer)",
        )
        self.emit_step(ctx, 1, thought="facts", observation=facts.facts)
        summary = await conv.ask("Now summarise these facts in one sentence.", max_tokens=48)
        self.emit_step(ctx, 2, thought="summary", observation=summary)
        return AgentResult(output={"facts": facts.facts, "summary": summary.strip()}, tokens=conv.tokens)


async def main(topic: str) -> None:
    async with await Engine.start(EngineConfig(model="smollm2", sequences=1, n_ctx=2048)) as engine:
        agent = Describer.create("describer", facts=3, max_tokens=160)
        result = await agent.run(topic, standalone_context(engine, node_id="describe", agent="describer"))
        for fact in result.output["facts"]:
            print(f"- {fact}")
        print(f"summary: {result.output['summary']}")
        print(f"({result.tokens} tokens generated)")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "the Moon"))
