"""Compute threads that follow the free cores: `ThreadController` picks llama.cpp's thread count from step times.

Every decode step is a chain of barriers (one per graph node, hundreds per step): when one compute thread loses
its core to another process, the other threads wait for it at each barrier, and the step takes several times as
long (2 threads on 2 cores beside one busy process: about 4x; one thread fewer: no loss at all). A fixed thread
count that uses every core is therefore the fastest choice on a quiet machine and the slowest as soon as anything
else wants a core — and an agent runtime makes that load itself (tools, its event loop, a dashboard).

The controller is pure Python (no llama.cpp, no clock of its own), so it is tested on synthetic step timings:

- It keeps a *quiet cost* per (batch shape, thread count): what a step of that shape takes when nothing
  interferes. Shapes are compared like with like — decode tokens, prompt tokens and attended context length
  change a step's cost by orders of magnitude — so every step is judged as a *slowdown* against the estimate for
  its own shape at its own count. The estimate follows fast steps at once and slower ones only slowly and only
  when they are not much slower (contexts grow during a run; contention is a jump, not a drift).
- Contention: when the median slowdown of the last `WINDOW` steps reaches `DEGRADED`, it *probes* one thread
  fewer for a few steps and keeps that count if it was cheaper (by `SWITCH_MARGIN`, for hysteresis) than the
  current count for the same shapes, else goes back.
  When one thread fewer is no faster or still contended (more than one core taken), the probe goes on down,
  twice as far each time.
- Recovery: a count it left (or never tried) is probed again periodically, first after `PROBE_INTERVAL_MIN_S`,
  doubling after each probe it loses up to `PROBE_INTERVAL_MAX_S`, so the count returns when the load goes and a
  persistent load costs one short probe every few seconds. A probe step `PROBE_ABORT` times as costly as the
  current steps ends the probe at once, and a lost probe's own cost stretches the wait so that losing probes
  stay under `PROBE_OVERHEAD_SHARE` of the time however slow they are. A probe that wins upward moves on up at
  once, so a machine that frees several cores is followed quickly. When the `OtherLoad` hint (``/proc/stat``)
  shows the other processes' load dropping, the higher count is probed at once instead of waiting.

All decisions compare measured steps (a probe's steps against the current count's recent ones, each normalised
by its own shape's quiet cost at the count the probe started from), never assumptions about how threads scale.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

# --- constants, each chosen from what a step physically does --------------------------------------------------

# A step with a descheduled compute thread takes several times as long (see the module doc); on a quiet machine
# step times scatter by ~10-20%. Half again as slow as the quiet estimate is far outside the noise and well
# below what a lost core costs.
DEGRADED = 1.5
# Recent steps whose median judges the current count: one stray slow step (a page fault, a timer interrupt, a
# garbage collection) is not contention; three of five are. Decisions start once three steps are in.
WINDOW = 5
# Measured steps of a probe. Median of three, ending after two when they agree: a probe costs two or three
# steps at the other count.
PROBE_STEPS = 3
# The first step after a change is not measured (threads joining or leaving the team, caches refilling)...
SETTLE_STEPS = 1
# ...but any probe step this many times as costly as the current count's steps ends the probe at once: no noise
# does that, a descheduled thread does (on a loaded 2-core machine a probe of 2 threads measured 10-20x).
PROBE_ABORT = 3.0
# A probed count must beat the current count by this much to be kept: noise never flips the count back and forth.
# Between many threads one more gains less than that even when it is free (the 16th thread: ~6%), so the margin
# is at most half of what perfect scaling would gain from the change (16 -> 15: 3%).
SWITCH_MARGIN = 0.10
# A probe whose steps find no quiet estimate to compare with (shapes never seen at the starting count) gives up
# after this many steps (or `PROBE_BUDGET_S`), without penalty.
PROBE_MAX_UNMATCHED = 6
# A probe decides on what it has measured once its steps have taken this long: prompt steps take seconds each,
# and the count it tries may cost twice as much. A step this long is measured even as the settling step (threads
# joining cost milliseconds), and one such step is a fair measurement (it spans thousands of barriers).
PROBE_BUDGET_S = 1.0
# How long a count that lost a probe is left alone: this after the first loss, doubling to the maximum, so the
# count returns within 16 s of the load going (sooner with the hint) and a steady load costs one short probe
# per 16 s (~2 steps at a few times the cost: ~1% of the run)...
PROBE_INTERVAL_MIN_S = 1.0
PROBE_INTERVAL_MAX_S = 16.0
# ...and never more than this share of the time goes to losing probes: a probe that cost 1 s more than the
# current count would have taken waits at least 50 s, however the doubling stands. On a badly overloaded
# machine one probe step can cost 10 s (measured: 2 threads 15-30x slower than 1 beside a parallel build), so
# the cap is long; the `OtherLoad` hint brings the count back sooner when the load goes.
PROBE_OVERHEAD_SHARE = 0.02
PROBE_INTERVAL_CAP_S = 240.0
# Quiet estimates follow slower (not contended) steps by this share per step: contexts grow by one token per
# step, a drift of well under 1% per step, which this follows within tens of steps.
QUIET_DRIFT = 0.05
# ... but never from a step this much slower than the estimate: that is contention, not drift.
DRIFT_LIMIT = 1.25
# Quiet estimates follow faster steps by this share per step (a fast step is what the shape really costs; half
# the gap keeps one measurement glitch from setting the floor).
QUIET_FOLLOW_DOWN = 0.5
# A probe starts after a step without prompt tokens: prompt chunks come in runs of long steps, and a probe that
# began among them would hold a count that may be worse for seconds before it could tell. After this many prompt
# steps in a row (a server that only prefills), it starts anyway.
PROMPT_RUN_MAX = 8
# The other processes' load dropping by this many cores since a higher count lost its probe: probe it again now.
HINT_FREED_CORES = 0.5
# Attention over fewer cached tokens than this per batch token is a small part of a step (a 135M model reads
# ~90 MB of weights and ~6 MB of KV cache per sequence at 256 tokens): such contexts count as one shape.
KV_SHAPE_FLOOR = 256


@dataclass(frozen=True)
class StepShape:
    """What a step computed: decode tokens, prompt tokens, and the KV cells its tokens attend over in total."""

    n_decode: int
    n_prefill: int
    kv: int = 0

    def key(self) -> tuple[int, int, int]:
        """Shapes whose quiet cost is alike: exact decode count (1..N sequences differ a lot), prompt tokens in
        quarter-octaves (≤19% apart: inside `DRIFT_LIMIT`), mean context per token in half-octaves above
        `KV_SHAPE_FLOOR` (attention is a part of the step, so ≤41% apart in context is much less apart in time)."""
        per_token = self.kv // max(1, self.n_decode + self.n_prefill)
        kv = 0 if per_token < KV_SHAPE_FLOOR else 1 + round(2 * math.log2(per_token / KV_SHAPE_FLOOR))
        return (self.n_decode, _bucket(self.n_prefill, 4), kv)


def switch_margin(current: int, other: int) -> float:
    """How much cheaper a step at ``other`` threads must be for the count to move there (see `SWITCH_MARGIN`)."""
    return min(SWITCH_MARGIN, 0.5 * abs(other - current) / max(other, current))


def _bucket(n: int, per_octave: int) -> int:
    return 0 if n <= 0 else 1 + round(per_octave * math.log2(n))


Reason = Literal["contention", "periodic", "cores_freed", "momentum"]


@dataclass(frozen=True)
class ThreadChange:
    """A decision to use another thread count from the next step on."""

    threads: int
    previous: int
    action: Literal["probe", "keep", "revert"]  # try a count / keep the probed count / go back
    reason: str  # why the probe started (a `Reason`), or how it ended
    slowdown: float  # the starting count's recent median slowdown (1.0 = its quiet cost)
    probe_cost: float | None = None  # the probe's median cost relative to the starting count's quiet cost


@dataclass
class _Schedule:
    """When a count may be probed again."""

    interval: float = PROBE_INTERVAL_MIN_S
    periodic_at: float = 0.0  # probed when this time has passed
    retry_at: float = 0.0  # no probe at all before this (after a loss), not even for contention
    lost_at: float | None = None  # when it last lost a probe
    cost_at_loss: float = math.inf  # what that probe cost, relative to the current count's quiet cost
    load_at_loss: float | None = None  # the other processes' load then


@dataclass
class _Probe:
    count: int
    origin: int
    origin_cost: float
    reason: str
    settle: int = SETTLE_STEPS
    descent: int = 1  # threads the last step down dropped (a descent doubles it each time)
    wasted: float = 0.0  # decode time the probe cost beyond what the starting count would have taken
    costs: list[float] = field(default_factory=list)
    steps: list[tuple[tuple[int, int, int], float]] = field(default_factory=list)
    unmatched: int = 0
    elapsed: float = 0.0  # seconds of its steps, the settling one included


@dataclass
class ControllerStats:
    threads: int
    max_threads: int
    probes: int
    switches: int
    slowdown: float | None  # the current count's recent median slowdown
    seconds_at: dict[int, float]  # decode seconds spent at each count


class ThreadController:
    """Chooses the compute thread count between ``min_threads`` and ``max_threads`` from observed steps.

    Call `observe` after every decode with the step's shape, the thread count it ran with, its llama_decode
    seconds and the current monotonic time; apply the returned `ThreadChange` (if any) before the next decode.
    """

    def __init__(
        self,
        max_threads: int,
        start: int | None = None,
        *,
        min_threads: int = 1,
        other_load: Callable[[], float | None] | None = None,
        now: float = 0.0,
    ) -> None:
        if not 1 <= min_threads <= max_threads:
            raise ValueError(f"thread range {min_threads}..{max_threads} is empty")
        self.min_threads = min_threads
        self.max_threads = max_threads
        self.threads = max(min_threads, min(max_threads, start or max_threads))
        self._other_load = other_load
        self._quiet: dict[tuple[tuple[int, int, int], int], float] = {}
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._prompt_run = 0  # steps with prompt tokens since the last one without
        self._probe: _Probe | None = None
        self._settle = 0
        self._schedule: dict[int, _Schedule] = {}
        self._reset_neighbours(now)
        self.probes = 0
        self.switches = 0
        self._seconds_at: dict[int, float] = {}

    # --- the one entry point ------------------------------------------------------------------------------

    def observe(self, shape: StepShape, threads: int, seconds: float, now: float) -> ThreadChange | None:
        self._seconds_at[threads] = self._seconds_at.get(threads, 0.0) + seconds
        if threads != self.threads or seconds <= 0.0 or self.max_threads == self.min_threads:
            return None
        key = shape.key()
        if self._probe is not None:
            return self._observe_probe(self._probe, key, seconds, now)
        if self._settle > 0:
            self._settle -= 1
            return None
        quiet = self._quiet.get((key, threads))
        if quiet is None:
            # A shape first seen now: assume it suffers what the recent steps suffer, so a shape that appears
            # under contention does not take the contended time for its quiet cost.
            quiet = seconds / (median(self._recent) if self._recent else 1.0)
            self._quiet[(key, threads)] = quiet
        self._recent.append(seconds / quiet)
        self._learn(key, threads, seconds)
        self._prompt_run = self._prompt_run + 1 if shape.n_prefill else 0
        if len(self._recent) < PROBE_STEPS or 0 < self._prompt_run < PROMPT_RUN_MAX:
            return None
        return self._maybe_probe(median(self._recent), now)

    def stats(self) -> ControllerStats:
        return ControllerStats(
            threads=self.threads, max_threads=self.max_threads, probes=self.probes, switches=self.switches,
            slowdown=median(self._recent) if self._recent else None, seconds_at=dict(self._seconds_at),
        )

    # --- deciding -----------------------------------------------------------------------------------------

    def _maybe_probe(self, slowdown: float, now: float) -> ThreadChange | None:
        down = self.threads - 1 if self.threads > self.min_threads else None
        up = self.threads + 1 if self.threads < self.max_threads else None
        target, reason = None, ""
        if down is not None and slowdown >= DEGRADED and self._worth_retrying(self._schedule[down], slowdown, now):
            target, reason = self._descent_start(down), "contention"
        elif up is not None and self._cores_freed(self._schedule[up], now):
            target, reason = up, "cores_freed"
        else:
            due = [t for t in (down, up) if t is not None and now >= self._due_at(t)]
            if due:
                target = min(due, key=self._due_at)
                reason = "momentum" if self._schedule[target].periodic_at < 0 and self.switches else "periodic"
                if target == down:
                    target = self._descent_start(down)
        if target is None:
            return None
        self._probe = _Probe(count=target, origin=self.threads, origin_cost=slowdown, reason=reason)
        self.probes += 1
        previous, self.threads = self.threads, target
        return ThreadChange(threads=target, previous=previous, action="probe", reason=reason, slowdown=slowdown)

    def _due_at(self, count: int) -> float:
        schedule = self._schedule[count]
        return max(schedule.periodic_at, schedule.retry_at)

    def _descent_start(self, down: int) -> int:
        """One thread fewer, or as many fewer as the hint says other processes keep cores busy."""
        load = self._other_load() if self._other_load is not None else None
        if load is None:
            return down
        return max(self.min_threads, min(down, math.floor(self.max_threads - load + 0.5)))

    @staticmethod
    def _worth_retrying(schedule: _Schedule, slowdown: float, now: float) -> bool:
        """A count that lost a probe is tried again before its time only if the current count has become so slow
        that what the probe measured would now win."""
        return now >= schedule.retry_at or slowdown * (1.0 - SWITCH_MARGIN) > schedule.cost_at_loss

    def _cores_freed(self, schedule: _Schedule, now: float) -> bool:
        if self._other_load is None or schedule.load_at_loss is None or schedule.lost_at is None:
            return False
        if now < schedule.lost_at + PROBE_INTERVAL_MIN_S:
            return False
        load = self._other_load()
        return load is not None and load <= schedule.load_at_loss - HINT_FREED_CORES

    def _observe_probe(
        self, probe: _Probe, key: tuple[int, int, int], seconds: float, now: float
    ) -> ThreadChange | None:
        base = self._base(key, probe.origin)
        cost = seconds / base if base is not None else None
        if base is not None:
            probe.wasted += max(0.0, seconds - base * probe.origin_cost)
        if cost is not None and cost >= PROBE_ABORT * probe.origin_cost:
            probe.costs.append(cost)
            return self._end_probe(probe, now, keep=False, reason="much_slower", penalise=True)
        probe.elapsed += seconds
        out_of_time = probe.elapsed >= PROBE_BUDGET_S
        if probe.settle > 0:
            probe.settle -= 1
            if seconds < PROBE_BUDGET_S:
                return None
        self._learn(key, probe.count, seconds)
        if cost is None:
            probe.unmatched += 1
            if probe.unmatched >= PROBE_MAX_UNMATCHED or (out_of_time and not probe.costs):
                return self._end_probe(probe, now, keep=False, reason="no_comparable_steps", penalise=False)
            if not out_of_time:
                return None
        else:
            probe.costs.append(cost)
            probe.steps.append((key, seconds))
        margin = switch_margin(probe.origin, probe.count)
        better = [c < probe.origin_cost * (1.0 - margin) for c in probe.costs]
        if len(probe.costs) < PROBE_STEPS and not (len(better) == 2 and better[0] == better[1]) and not out_of_time:
            return None
        cost = median(probe.costs)
        if cost < probe.origin_cost * (1.0 - margin):
            return self._end_probe(probe, now, keep=True, reason="faster", penalise=False)
        # Go on down, twice as far each time, without returning to the starting count, when the fewer threads
        # were still contended (slower than even perfect scaling would explain: more cores are taken), or cost no
        # more than perfect scaling says they must (and not much more than now): then the starting count's
        # steps may have been contended all along, their "quiet" cost with them, and a count further down that
        # has its cores to itself would show it.
        contended = cost >= DEGRADED * probe.origin / probe.count
        cheap = cost <= probe.origin_cost * min(DEGRADED, probe.origin / probe.count)
        if probe.count < probe.origin and (contended or cheap) and probe.count > self.min_threads:
            previous = probe.count
            probe.descent *= 2
            probe.count = max(self.min_threads, probe.count - probe.descent)
            probe.costs, probe.steps, probe.unmatched, probe.settle, probe.elapsed = [], [], 0, SETTLE_STEPS, 0.0
            self.threads = probe.count
            return ThreadChange(threads=probe.count, previous=previous, action="probe", reason=probe.reason,
                                slowdown=probe.origin_cost, probe_cost=cost)
        return self._end_probe(probe, now, keep=False, reason="slower", penalise=True)

    def _end_probe(self, probe: _Probe, now: float, *, keep: bool, reason: str, penalise: bool) -> ThreadChange:
        self._probe = None
        cost = median(probe.costs) if probe.costs else None
        if keep:
            self.switches += 1
            self.threads = probe.count
            self._recent.clear()
            for key, seconds in probe.steps:
                self._recent.append(seconds / self._quiet[(key, probe.count)])
            self._reset_neighbours(now, came_from=probe.origin)
            return ThreadChange(threads=probe.count, previous=probe.origin, action="keep", reason=reason,
                                slowdown=probe.origin_cost, probe_cost=cost)
        self.threads, self._settle = probe.origin, SETTLE_STEPS
        if penalise:
            # The neighbour on the probe's side is what waits (a descent may have gone further than one).
            schedule = self._schedule[probe.origin + (1 if probe.count > probe.origin else -1)]
            wait = max(schedule.interval, min(PROBE_INTERVAL_CAP_S, probe.wasted / PROBE_OVERHEAD_SHARE))
            schedule.retry_at = schedule.periodic_at = now + wait
            schedule.interval = min(PROBE_INTERVAL_MAX_S, schedule.interval * 2)
            schedule.lost_at = now
            schedule.cost_at_loss = cost if cost is not None else math.inf
            schedule.load_at_loss = self._other_load() if self._other_load is not None else None
        return ThreadChange(threads=probe.origin, previous=probe.count, action="revert", reason=reason,
                            slowdown=probe.origin_cost, probe_cost=cost)

    def _reset_neighbours(self, now: float, came_from: int | None = None) -> None:
        """Fresh schedules around the current count, each first due after the shortest interval. At the start
        both neighbours are due at once: the machine may be busy already, and the quiet estimates learned from
        contended steps would then see no contention. After a move up, the next count up is due at once
        (momentum: freed cores often come more than one at a time); after a move down, the next count down needs
        no such push (it is probed as soon as the steps show contention)."""
        self._schedule = {}
        for count in (self.threads - 1, self.threads + 1):
            if not self.min_threads <= count <= self.max_threads:
                continue
            if came_from is None or came_from < self.threads < count:
                self._schedule[count] = _Schedule(periodic_at=-1.0)  # due now
            else:
                self._schedule[count] = _Schedule(periodic_at=now + PROBE_INTERVAL_MIN_S)

    # --- quiet estimates ----------------------------------------------------------------------------------

    def _base(self, key: tuple[int, int, int], threads: int) -> float | None:
        """The quiet cost of a shape at a count, or of the same batch at the next shorter or longer context."""
        quiet = self._quiet.get((key, threads))
        if quiet is None:
            n_decode, n_prefill, kv = key
            quiet = self._quiet.get(((n_decode, n_prefill, kv - 1), threads)) or self._quiet.get(
                ((n_decode, n_prefill, kv + 1), threads)
            )
        return quiet

    def _learn(self, key: tuple[int, int, int], threads: int, seconds: float) -> None:
        quiet = self._quiet.get((key, threads))
        if quiet is None:
            self._quiet[(key, threads)] = seconds
        elif seconds < quiet:
            self._quiet[(key, threads)] = quiet + QUIET_FOLLOW_DOWN * (seconds - quiet)
        elif seconds < quiet * DRIFT_LIMIT:
            self._quiet[(key, threads)] = quiet + QUIET_DRIFT * (seconds - quiet)
