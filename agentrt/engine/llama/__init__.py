"""The in-process engine: one llama.cpp model shared by many sequences, continuously batched on one owner
thread. The only package that imports ``llama_cpp``; everything else reaches it through `agentrt.engine`."""

from agentrt.engine.llama.engine import Engine, EngineStats, Sequence, SequenceStats, TokenStream

__all__ = ["Engine", "EngineStats", "Sequence", "SequenceStats", "TokenStream"]
