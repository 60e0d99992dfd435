"""`Batch`: a `llama_batch` whose arrays are numpy buffers, so a step is filled with slice assignments.

`llama_batch_init` allocates C arrays that Python can only fill one element at a time through ctypes. Here the
struct points into numpy arrays we own, and every token's `seq_id` pointer is fixed once to its own slot of
`seq`, so adding a 256-token prompt chunk is five slice writes instead of ~1,300 ctypes calls.
"""

from __future__ import annotations

import ctypes

import llama_cpp
import numpy as np


class Batch:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.token = np.zeros(capacity, dtype=np.int32)
        self.pos = np.zeros(capacity, dtype=np.int32)
        self.n_seq_id = np.ones(capacity, dtype=np.int32)
        self.seq = np.zeros(capacity, dtype=np.int32)
        self.logits = np.zeros(capacity, dtype=np.int8)
        int32_p = ctypes.POINTER(ctypes.c_int32)
        base = self.seq.ctypes.data
        self._seq_ptrs = (int32_p * capacity)(*(ctypes.cast(base + 4 * i, int32_p) for i in range(capacity)))
        self.struct = llama_cpp.llama_batch(
            n_tokens=0,
            token=self.token.ctypes.data_as(ctypes.POINTER(llama_cpp.llama_token)),
            embd=None,
            pos=self.pos.ctypes.data_as(ctypes.POINTER(llama_cpp.llama_pos)),
            n_seq_id=self.n_seq_id.ctypes.data_as(int32_p),
            seq_id=self._seq_ptrs,
            logits=self.logits.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
        )
        self.n_tokens = 0
        self.n_outputs = 0

    def clear(self) -> None:
        self.n_tokens = 0
        self.n_outputs = 0

    @property
    def free(self) -> int:
        return self.capacity - self.n_tokens

    def add(self, token: int, pos: int, seq: int, *, logits: bool) -> int:
        """Add one token; returns its batch index (what `llama_sampler_sample` takes)."""
        i = self.n_tokens
        self.token[i] = token
        self.pos[i] = pos
        self.seq[i] = seq
        self.logits[i] = logits
        self.n_tokens = i + 1
        self.n_outputs += logits
        self.struct.n_tokens = self.n_tokens
        return i

    def add_span(self, tokens: list[int], pos0: int, seq: int, *, logits_last: bool) -> int:
        """Add consecutive prompt tokens of one sequence; returns the batch index of the last one."""
        i, n = self.n_tokens, len(tokens)
        self.token[i : i + n] = tokens
        self.pos[i : i + n] = np.arange(pos0, pos0 + n, dtype=np.int32)
        self.seq[i : i + n] = seq
        self.logits[i : i + n] = 0
        if logits_last:
            self.logits[i + n - 1] = 1
            self.n_outputs += 1
        self.n_tokens = i + n
        self.struct.n_tokens = self.n_tokens
        return i + n - 1
