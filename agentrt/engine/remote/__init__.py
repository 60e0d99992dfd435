"""Remote engines: the engine interface served by OpenAI-compatible HTTP servers (llama.cpp, vLLM,
llama-cpp-python). ``from agentrt.remote import RemoteEngine`` needs httpx; the config models do not."""

from agentrt.remote.config import EndpointConfig, RemoteEngineConfig, ServerKind
from agentrt.remote.errors import EndpointError, UnsupportedByServerError

__all__ = [
    "EndpointConfig",
    "EndpointError",
    "RemoteEngine",
    "RemoteEngineConfig",
    "ServerKind",
    "UnsupportedByServerError",
]


def __getattr__(name: str) -> object:
    # The engine imports httpx; keep `agentrt.remote.config` importable (graph specs) without loading it.
    if name == "RemoteEngine":
        from agentrt.remote.engine import RemoteEngine

        return RemoteEngine
    raise AttributeError(name)
