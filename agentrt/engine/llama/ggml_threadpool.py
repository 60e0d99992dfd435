"""ggml's own thread pool, for llama.cpp builds without OpenMP (``-DGGML_OPENMP=OFF``).

The wheel agentrt installs runs llama.cpp's compute threads on OpenMP. A build without OpenMP (see
scripts/build-llama-bench.sh, variant ``threadpool``; loaded with ``LLAMA_CPP_LIB_PATH``) runs them on ggml's
pool instead — but only when a pool is attached: otherwise ggml creates and joins every thread for every
`llama_decode` (a "disposable" pool). llama-cpp-python does not bind ``llama_attach_threadpool``, so this module
does, with ctypes, from the same libraries llama-cpp-python loaded.

The pool's ``poll`` level (0-100, ggml's default 50) is how long an idle worker spins waiting for the next graph
before it sleeps: spinning saves the wake-up latency on a quiet machine and takes a core from everybody else on
a busy one. `agentrt bench contention` measures both; AGENTRT_THREADPOOL_POLL sets it.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Any

import llama_cpp

from agentrt.errors import ConfigError

POLL_ENV = "AGENTRT_THREADPOOL_POLL"
DEFAULT_POLL = 50  # ggml_threadpool_params_init's default ("hybrid polling")
_GGML_MAX_N_THREADS = 512  # GGML_MAX_N_THREADS in ggml.h: the size of the cpumask array


class _ThreadpoolParams(ctypes.Structure):
    # struct ggml_threadpool_params (ggml.h)
    _fields_ = [
        ("cpumask", ctypes.c_bool * _GGML_MAX_N_THREADS),
        ("n_threads", ctypes.c_int),
        ("prio", ctypes.c_int),
        ("poll", ctypes.c_uint32),
        ("strict_cpu", ctypes.c_bool),
        ("paused", ctypes.c_bool),
    ]


def compute_backend() -> str:
    """``openmp`` when llama.cpp's CPU backend runs its threads on OpenMP, else ``ggml-threadpool``."""
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    return "openmp" if "OPENMP = 1" in info else "ggml-threadpool"


def poll_level() -> int:
    raw = os.environ.get(POLL_ENV, "").strip()
    if not raw:
        return DEFAULT_POLL
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        raise ConfigError(f"environment: {POLL_ENV}={raw!r}: expected a polling level from 0 (sleep) to 100 (spin)")
    return value


class GgmlThreadpool:
    """A ggml thread pool of ``n_threads`` workers attached to a llama.cpp context (owner thread only).

    `llama_set_n_threads` may then choose any count up to ``n_threads`` per decode; workers above the count
    stay idle (polling, then asleep). Free it after the context (`close`).
    """

    def __init__(self, ctx: Any, n_threads: int, poll: int) -> None:
        lib_dir = Path(llama_cpp.llama_cpp._lib._name).resolve().parent
        self._base = ctypes.CDLL(str(lib_dir / "libggml-base.so"))
        self._cpu = ctypes.CDLL(str(lib_dir / "libggml-cpu.so"))
        self._llama = llama_cpp.llama_cpp._lib
        self._base.ggml_threadpool_params_init.argtypes = [ctypes.POINTER(_ThreadpoolParams), ctypes.c_int]
        self._base.ggml_threadpool_params_init.restype = None
        self._cpu.ggml_threadpool_new.argtypes = [ctypes.POINTER(_ThreadpoolParams)]
        self._cpu.ggml_threadpool_new.restype = ctypes.c_void_p
        self._cpu.ggml_threadpool_free.argtypes = [ctypes.c_void_p]
        self._cpu.ggml_threadpool_free.restype = None
        self._llama.llama_attach_threadpool.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self._llama.llama_attach_threadpool.restype = None
        params = _ThreadpoolParams()
        self._base.ggml_threadpool_params_init(ctypes.byref(params), n_threads)
        params.poll = poll
        self.n_threads = n_threads
        self.poll = poll
        self._pool: int | None = self._cpu.ggml_threadpool_new(ctypes.byref(params))
        if not self._pool:
            raise ConfigError(f"ggml could not start a thread pool of {n_threads} threads")
        self._llama.llama_attach_threadpool(ctx, self._pool, self._pool)

    def close(self) -> None:
        """Free the pool; call after `llama_free` (or `llama_detach_threadpool`) released the context."""
        if self._pool:
            self._cpu.ggml_threadpool_free(self._pool)
            self._pool = None
