"""`ThreadGovernor`: the compute thread count of one loaded model — fixed, or following the free cores.

It lives on the engine's owner thread beside the `LlamaModel`: after every decode the step loop hands it the
step's shape and its `llama_decode` time; with ``threads: auto`` it asks the `ThreadController` and applies a
change with `llama_set_n_threads` before the next decode (the only safe moment: no graph is running). Each change
is an ``engine.threads`` event; `Engine.stats()` shows the current count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from agentrt.engine.config import ThreadsSetting
from agentrt.engine.cpu_cores import OtherLoad, UsableCores, usable_cores
from agentrt.engine.threads import StepShape, ThreadChange, ThreadController
from agentrt.events import EventBus

if TYPE_CHECKING:
    from agentrt.engine.llama.ggml_threadpool import GgmlThreadpool
    from agentrt.engine.llama.model import LlamaModel

THREADS_EVENT = "engine.threads"


class ThreadStats(BaseModel):
    mode: Literal["auto", "fixed"]
    threads: int  # the count the next decode uses
    max_threads: int
    probes: int  # other counts tried (auto)
    changes: int  # probes that won: the count moved
    slowdown: float | None  # recent steps against their quiet cost at this count (auto; 1.0 = quiet)
    backend: str  # openmp or ggml-threadpool


def initial_threads(setting: ThreadsSetting, cores: UsableCores | None = None, load: OtherLoad | None = None) -> int:
    """The count a model is loaded with: the fixed number, or where ``auto`` starts — the physical cores, less
    the cores other processes keep busy now (``load``: readings around the model's loading; the controller checks
    both neighbours at once anyway, but starting right saves its first steps, which can be long prompt steps or,
    on a busy machine, cost seconds each)."""
    if setting != "auto":
        return setting
    cores = cores or usable_cores()
    busy = (load or OtherLoad(cores)).initial()
    # Rounded: a process that spins a core reads a little under 1 (jiffies, our own time subtracted).
    return max(1, cores.start_threads - (math.floor(busy + 0.5) if busy is not None else 0))


class ThreadGovernor:
    def __init__(
        self,
        model: LlamaModel,
        setting: ThreadsSetting,
        events: EventBus,
        *,
        cores: UsableCores | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from agentrt.engine.llama.ggml_threadpool import GgmlThreadpool, compute_backend, poll_level

        self._model = model
        self._events = events
        self._clock = clock
        cores = cores or usable_cores()
        self.mode: Literal["auto", "fixed"] = "auto" if setting == "auto" else "fixed"
        self.threads = model.threads
        self.max_threads = cores.threads if setting == "auto" else self.threads
        self.backend = compute_backend()
        self._pool: GgmlThreadpool | None = None
        if self.backend == "ggml-threadpool":
            # Without OpenMP, ggml would start and join every thread for every decode unless a pool is attached.
            self._pool = GgmlThreadpool(model.ctx, max(self.max_threads, self.threads), poll_level())
        self._controller: ThreadController | None = None
        if self.mode == "auto":
            hint = OtherLoad(cores)
            self._controller = ThreadController(
                self.max_threads, self.threads, other_load=hint.sample if hint.trusted else None, now=clock()
            )
        events.emit(
            THREADS_EVENT, action="start", threads=self.threads, previous=None, reason=self.mode,
            mode=self.mode, max_threads=self.max_threads, backend=self.backend, cores=cores.describe(),
            poll=self._pool.poll if self._pool else None,
        )

    def after_decode(self, n_decode: int, n_prefill: int, kv: int, seconds: float) -> None:
        """One decode is done (``kv``: the KV cells its tokens attended over). Owner thread only."""
        if self._controller is None:
            return
        change = self._controller.observe(StepShape(n_decode, n_prefill, kv), self.threads, seconds, self._clock())
        if change is not None:
            self._apply(change)

    def _apply(self, change: ThreadChange) -> None:
        if change.threads != self.threads:
            self._model.set_threads(change.threads)
            self.threads = change.threads
        self._events.emit(
            THREADS_EVENT, action=change.action, threads=change.threads, previous=change.previous,
            reason=change.reason, slowdown=round(change.slowdown, 3),
            probe_cost=None if change.probe_cost is None else round(change.probe_cost, 3),
        )

    def stats(self) -> ThreadStats:
        controller = self._controller.stats() if self._controller is not None else None
        return ThreadStats(
            mode=self.mode, threads=self.threads, max_threads=self.max_threads,
            probes=controller.probes if controller else 0, changes=controller.switches if controller else 0,
            slowdown=controller.slowdown if controller else None, backend=self.backend,
        )

    def close(self) -> None:
        """Free what the governor attached; after the model's context is freed."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
