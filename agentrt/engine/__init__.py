"""The engine layer: the interface every engine implements, and the implementations beside it.

The interfaces (`EngineProtocol`, requests, `Sampling`, `EngineConfig`, the sequence pool, `start_engine`) import
neither llama.cpp nor an HTTP client. The implementations load on first use: `Engine` (`agentrt.engine.llama`,
one llama.cpp model in this process) and `RemoteEngine` (`agentrt.engine.remote`, OpenAI-compatible servers).
``from agentrt.engine import Engine`` loads llama.cpp; ``import agentrt.engine`` does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentrt.engine.config import EngineConfig, make_config
from agentrt.engine.protocol import EngineProtocol, SequenceHandle
from agentrt.engine.request import ChatMessage, GenerationRequest, GenerationResult, TokenChunk
from agentrt.engine.sampling import Sampling
from agentrt.engine.settings import EngineSettings
from agentrt.engine.start import start_engine

if TYPE_CHECKING:
    from agentrt.engine.llama.engine import Engine, EngineStats, Sequence, SequenceStats, TokenStream
    from agentrt.engine.remote.engine import RemoteEngine

# Implementation classes, by the module that defines them: imported when first asked for.
_IMPLEMENTATIONS = {
    "Engine": "agentrt.engine.llama.engine",
    "EngineStats": "agentrt.engine.llama.engine",
    "Sequence": "agentrt.engine.llama.engine",
    "SequenceStats": "agentrt.engine.llama.engine",
    "TokenStream": "agentrt.engine.llama.engine",
    "RemoteEngine": "agentrt.engine.remote.engine",
}

__all__ = [
    "ChatMessage",
    "Engine",
    "EngineConfig",
    "EngineProtocol",
    "EngineSettings",
    "EngineStats",
    "GenerationRequest",
    "GenerationResult",
    "RemoteEngine",
    "Sampling",
    "Sequence",
    "SequenceHandle",
    "SequenceStats",
    "TokenChunk",
    "TokenStream",
    "make_config",
    "start_engine",
]


def __getattr__(name: str) -> Any:
    module = _IMPLEMENTATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_IMPLEMENTATIONS))
