"""The in-process engine: one llama.cpp model shared by many sequences, continuously batched on one owner
thread. The only package that imports ``llama_cpp``; everything else reaches it through `agentrt.engine`."""

from agentrt.engine.openmp import apply_openmp_defaults

apply_openmp_defaults()  # before llama_cpp (and libgomp with it) is loaded by the modules below

from agentrt.engine.llama.engine import Engine, EngineStats, Sequence, SequenceStats, TokenStream  # noqa: E402

__all__ = ["Engine", "EngineStats", "Sequence", "SequenceStats", "TokenStream"]
