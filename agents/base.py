"""`Agent`: the base class every agent role derives from, and the extension point for new ones.

An agent is a role prompt, sampling settings and (optionally) tools. Each `run()` leases one sequence from the
shared engine and keeps one `Conversation` on it until the run ends; the graph runtime may call `run()` many
times, even concurrently (map items), so nothing run-specific is stored on the instance.

To write a new agent, subclass `Agent` and override `respond(conv, task, ctx)`; put its settings in an
``Options`` pydantic model (they arrive as ``options:`` in graph YAML, or as keyword arguments of `create`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.sampling import Sampling
from agentrt.errors import ConfigError, OutputParseError, describe_validation_error
from agentrt.events import EventBus
from agentrt.graph.contract import AgentResult, AgentSpec, NodeContext

from agents.conversation import Conversation
from agents.tools import Tool, ToolContext, ToolRegistry, default_registry

EVENT_TEXT_LIMIT = 500  # event fields carry previews, not whole observations


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def preview(value: Any, limit: int = EVENT_TEXT_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Agent:
    """A role on the shared model. Subclasses override `respond`; `run` handles the lease and accounting."""

    default_role: ClassVar[str] = "You are a helpful assistant. Answer briefly and precisely."
    Options: ClassVar[type[BaseModel]] = NoOptions
    # Tools a subclass brings on top of the built-ins (e.g. ``extra_tools = (my_tool,)``); graphs name them.
    extra_tools: ClassVar[tuple[Tool, ...]] = ()

    def __init__(self, spec: AgentSpec, *, registry: ToolRegistry | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.role = spec.role or self.default_role
        self.sampling = spec.sampling
        self.max_tokens = spec.max_tokens
        try:
            self.options = self.Options.model_validate(spec.options)
        except ValidationError as exc:
            problems = describe_validation_error(exc)
            raise ConfigError(f"agent {spec.name!r} ({type(self).__name__}): bad options: {problems}") from exc
        known = registry if registry is not None else self.tool_registry()
        unknown = [name for name in spec.tools if name not in known]
        if unknown:
            raise ConfigError(
                f"agent {spec.name!r}: unknown tools {unknown}; available: {', '.join(known.names())}"
            )
        self.tools = known.subset(spec.tools)

    # --- construction -------------------------------------------------------------------------------------

    @classmethod
    def tool_registry(cls) -> ToolRegistry:
        """The tools this class can be given: the built-ins plus ``extra_tools``."""
        registry = default_registry()
        for item in cls.extra_tools:
            registry.register(item, replace=True)
        return registry

    @classmethod
    def available_tools(cls) -> set[str]:
        """Tool names a graph may list for this class (the graph loader rejects others at load time)."""
        return set(cls.tool_registry().names())

    @classmethod
    def create(
        cls,
        name: str | None = None,
        *,
        role: str = "",
        tools: list[str] | tuple[str, ...] = (),
        sampling: Sampling | None = None,
        max_tokens: int = 512,
        registry: ToolRegistry | None = None,
        **options: Any,
    ) -> Self:
        """Build an agent without a graph: ``Executor.create(role=..., tools=["calculator"], max_steps=4)``."""
        spec = AgentSpec(
            name=name or cls.__name__.lower(),
            **{"class": f"{cls.__module__}.{cls.__qualname__}"},
            role=role,
            sampling=sampling or Sampling(),
            tools=list(tools),
            max_tokens=max_tokens,
            options=options,
        )
        return cls(spec, registry=registry)

    # --- running ------------------------------------------------------------------------------------------

    async def run(self, task: str, ctx: NodeContext) -> AgentResult:
        """Lease a sequence, hold one conversation on it for the whole run, and return the result."""
        async with ctx.engine.sequence(owner=ctx.owner, priority=ctx.priority) as seq:
            conv = Conversation(seq, self.system_prompt(ctx), sampling=self.sampling, max_tokens=self.max_tokens)
            outcome = await self.respond(conv, task, ctx)
        result = outcome if isinstance(outcome, AgentResult) else AgentResult(output=outcome)
        if not result.tokens:
            result.tokens = conv.tokens
        return result

    def system_prompt(self, ctx: NodeContext) -> str:
        """The first message of every conversation. Subclasses add format instructions to the role."""
        return self.role

    def constraints(self) -> list[dict[str, Any]]:
        """The grammars this agent's requests use, as request arguments (``{"json_schema": ...}`` or
        ``{"grammar": ...}``), so they can be compiled before a run; a node ``output_schema`` comes on top."""
        return []

    async def respond(self, conv: Conversation, task: str, ctx: NodeContext) -> AgentResult | Any:
        """The agent's behaviour: the extension point. The default answers in one turn.

        With a node ``output_schema`` the answer is grammar-constrained JSON, parsed before it is returned.
        """
        if ctx.output_schema is not None:
            text = await conv.ask(task, json_schema=ctx.output_schema)
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise OutputParseError(
                    f"node {ctx.node_id!r} agent {ctx.agent!r}: output is not JSON ({exc.msg}): {text[:200]!r}"
                ) from exc
        text = await conv.ask(task)
        self.emit_step(ctx, 1, observation=text)
        return text.strip()

    # --- helpers for subclasses -----------------------------------------------------------------------------

    def emit_step(self, ctx: NodeContext, step: int, **fields: Any) -> None:
        """An ``agent.step`` event (docs/events.md); text fields are truncated previews."""
        shown = {
            key: value if isinstance(value, (bool, int, float)) else preview(value)
            for key, value in fields.items()
            if value is not None
        }
        ctx.events.emit("agent.step", node=event_node(ctx), agent=ctx.agent, step=step, **shown)

    def tool_context(self, ctx: NodeContext) -> ToolContext:
        return ToolContext(workspace=ctx.workspace, node_id=ctx.node_id, agent=ctx.agent)


def event_node(ctx: NodeContext) -> str:
    """The node name events carry: ``node`` or ``node[3]`` for a map item (as in sequence owners)."""
    return ctx.label


def standalone_context(
    engine: EngineProtocol,
    *,
    workspace: Path | str | None = None,
    node_id: str = "main",
    agent: str = "agent",
    events: EventBus | None = None,
    run_dir: Path | str | None = None,
    priority: int = 0,
) -> NodeContext:
    """A `NodeContext` for using agents without a graph (scripts, notebooks, tests).

    Events go to the engine's bus unless ``events`` is given; without a ``workspace`` a new temporary folder
    is made (file tools are confined to it) and removed with the context (garbage collection or exit): pass a
    ``workspace`` to keep what the agent wrote.
    """
    temporary = workspace is None
    work = Path(tempfile.mkdtemp(prefix="agentrt-workspace-")) if temporary else Path(workspace)
    work.mkdir(parents=True, exist_ok=True)
    ctx = NodeContext(
        engine=engine,
        events=events if events is not None else engine.events,
        run_dir=Path(run_dir) if run_dir is not None else work,
        workspace=work,
        node_id=node_id,
        agent=agent,
        priority=priority,
    )
    if temporary:
        weakref.finalize(ctx, shutil.rmtree, work, ignore_errors=True)
    return ctx
