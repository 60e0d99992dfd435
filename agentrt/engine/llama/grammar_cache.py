"""`GrammarCache`: compile each grammar once per engine, hand every request a clone.

An agent sends the same JSON schema with every turn (its action format), and every turn of every agent used to
convert the schema to GBNF (~0.6 ms of Python) and compile the GBNF (~3 ms in llama.cpp for the Executor's
five-tool action grammar) on the owner thread, while every other sequence waited for its next step. Cloning a
compiled, untouched grammar sampler costs ~0.3 ms. Owner thread only, like everything that touches llama.cpp.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import llama_cpp

# Distinct grammars kept compiled: an agent graph uses a handful (one per agent kind and tool set); past this
# the least recently used is freed.
MAX_GRAMMARS = 32


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
