"""Redraw a panel at once when its states change, but its ticking counters only a few times a second.

Counters move with every token; redrawing them at the dashboard's full refresh rate costs CPU that, on a small
machine, is taken from the engine's threads (and numbers changing 10 times a second cannot be read anyway). The
app keeps one `CounterClock` so that every panel's counters come due on the same refresh: one larger repaint
twice a second instead of several scattered ones; each panel's `StateWatch` redraws it in between when one of
its states changed.
"""

from __future__ import annotations

import time
from collections.abc import Hashable

# How often the panels' counters are redrawn when nothing else in them changed.
COUNTER_HZ = 2.0


class CounterClock:
    """Whether the counters are due at this refresh: at most ``hz`` times a second."""

    def __init__(self, hz: float = COUNTER_HZ) -> None:
        self.interval = 1.0 / hz
        self._at = float("-inf")

    def due(self, *, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self._at >= self.interval:
            self._at = now
            return True
        return False


class StateWatch:
    """Whether a panel must be redrawn: when the counters are due, or at once when its states (``shape``: the
    rows and their states, without the counters) changed since the last call."""

    def __init__(self) -> None:
        self._shape: Hashable | None = None

    def due(self, shape: Hashable, *, counters: bool) -> bool:
        changed = shape != self._shape
        self._shape = shape
        return counters or changed
