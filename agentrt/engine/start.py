"""`start_engine`: the one place an engine is chosen and started (graph runs from the CLI and the dashboard,
the GAIA benchmark, the Ray workers).

Each implementation is imported when it is started, so llama.cpp loads only for in-process runs and httpx only
for remote ones.
"""

from __future__ import annotations

from agentrt.engine.protocol import EngineProtocol
from agentrt.engine.remote.config import RemoteEngineConfig
from agentrt.engine.settings import EngineSettings
from agentrt.events import EventBus


async def start_engine(settings: EngineSettings, *, events: EventBus | None = None) -> EngineProtocol:
    """Start the engine ``settings`` describe: a `RemoteEngine` for a `RemoteEngineConfig`, else the in-process
    llama.cpp `Engine`. Bad settings raise `ConfigError` (subclasses) before anything is loaded."""
    if isinstance(settings, RemoteEngineConfig):
        from agentrt.engine.remote.engine import RemoteEngine

        return await RemoteEngine.start(settings, events=events)
    from agentrt.engine.llama.engine import Engine

    return await Engine.start(settings, events=events)
