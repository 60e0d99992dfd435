"""Remote engines: the engine interface served by OpenAI-compatible HTTP servers (llama.cpp, vLLM,
llama-cpp-python). ``from agentrt.engine.remote import RemoteEngine`` needs httpx; the config models do not."""

from agentrt.engine.remote.config import EndpointConfig, RemoteEngineConfig, ServerKind
from agentrt.engine.remote.errors import EndpointError, UnsupportedByServerError

__all__ = [
    "EndpointConfig",
    "EndpointError",
    "RemoteEngine",
    "RemoteEngineConfig",
    "ServerKind",
    "UnsupportedByServerError",
]


def __getattr__(name: str) -> object:
    # The engine imports httpx; keep the config models importable (`agentrt.engine.settings`) without it.
    if name == "RemoteEngine":
        from agentrt.engine.remote.engine import RemoteEngine

        return RemoteEngine
    raise AttributeError(name)
