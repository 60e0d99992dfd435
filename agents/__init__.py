"""agentrt's agent roles — Planner, Executor (ReAct with tools), Critic — and the tools they call.

Every agent fits `agentrt.graph.contract.AgentProtocol` (``cls(spec)``, ``await agent.run(task, ctx)``), so
graph YAML names them by import path (``class: agents.Executor``). Subclass `Agent` for new roles.
"""

from __future__ import annotations

from agents.base import Agent, standalone_context
from agents.conversation import Conversation, parse_reply
from agents.critic import Critic, Verdict
from agents.executor import Executor, ExecutorResult
from agents.json_actions import Action, action_schema
from agents.planner import Planner, plan_schema, repair_plan
from agents.review_loop import ExecuteWithCritic, ReviewedResult
from agents.tools import Tool, ToolContext, ToolRegistry, default_registry, tool

__all__ = [
    "Action",
    "Agent",
    "Conversation",
    "Critic",
    "ExecuteWithCritic",
    "Executor",
    "ExecutorResult",
    "Planner",
    "ReviewedResult",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "Verdict",
    "action_schema",
    "default_registry",
    "parse_reply",
    "plan_schema",
    "repair_plan",
    "standalone_context",
    "tool",
]
