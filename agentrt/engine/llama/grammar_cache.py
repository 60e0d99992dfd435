"""`GrammarCache`: compile each grammar once per engine, hand every request a clone.

An agent sends the same JSON schema with every turn (its action format), and every turn of every agent used to
convert the schema to GBNF (~0.6 ms of Python) and compile the GBNF (~3 ms in llama.cpp for the Executor's
five-tool action grammar) on the owner thread, while every other sequence waited for its next step. Cloning a
compiled, untouched grammar sampler costs ~0.3 ms. Owner thread only, like everything that touches llama.cpp.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import llama_cpp

from agentrt.errors import GrammarError

# Distinct grammars kept compiled: an agent graph uses a handful (one per agent kind and tool set); past this
# the least recently used is freed.
MAX_GRAMMARS = 32


@lru_cache(maxsize=MAX_GRAMMARS)
def _gbnf_of(schema_json: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(schema_json)
    except Exception as exc:
        raise GrammarError(f"JSON schema cannot be turned into a grammar: {exc}") from exc


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """A JSON schema → llama.cpp GBNF, with llama-cpp-python's converter (the one llama.cpp ships, ported)."""
    return _gbnf_of(json.dumps(schema))  # key order kept: it is the order of the properties in the grammar


class GrammarCache:
    def __init__(self, compile_grammar: Any) -> None:
        self._compile = compile_grammar  # gbnf -> a new grammar sampler (raises GrammarError)
        self._pristine: OrderedDict[str, Any] = OrderedDict()

    def sampler(self, gbnf: str) -> Any:
        """A fresh grammar sampler for ``gbnf``: a clone of the compiled one (the caller owns and frees it)."""
        pristine = self._pristine.get(gbnf)
        if pristine is None:
            pristine = self._compile(gbnf)
            self._pristine[gbnf] = pristine
            if len(self._pristine) > MAX_GRAMMARS:
                _, oldest = self._pristine.popitem(last=False)
                llama_cpp.llama_sampler_free(oldest)
        else:
            self._pristine.move_to_end(gbnf)
        return llama_cpp.llama_sampler_clone(pristine)

    def close(self) -> None:
        for pristine in self._pristine.values():
            llama_cpp.llama_sampler_free(pristine)
        self._pristine.clear()
