"""`EventFeed`: the hand-off between whoever emits events (the engine's thread, a file follower) and the app.

Emitters only append to a deque (`deque.append` and `popleft` are thread-safe, so no lock and no wait on the
engine's hot path); the app drains it on its ~10 Hz refresh timer and folds the batch into its `RunView`. Nothing
else is written from two threads: the count of events ever pushed is worked out from the app's side (drained so
far plus waiting), not counted by the emitters, whose ``+= 1`` from two threads could lose one. Widgets are never
touched per event, and never from another thread.
"""

from __future__ import annotations

from collections import deque
from typing import Any

Event = dict[str, Any]


class EventFeed:
    """A thread-safe inbox of events. `push` from any thread; `drain` from the app's thread."""

    def __init__(self) -> None:
        self._events: deque[Event] = deque()
        self._drained = 0  # written by `drain` only, on the app's thread

    @property
    def pushed(self) -> int:
        """Events ever pushed (exact when read from the draining thread)."""
        return self._drained + len(self._events)

    def push(self, event: Event) -> None:
        self._events.append(event)

    def extend(self, events: list[Event]) -> None:
        for event in events:
            self.push(event)

    def drain(self, limit: int | None = None) -> list[Event]:
        """Everything waiting (at most ``limit``), oldest first."""
        out: list[Event] = []
        pop = self._events.popleft
        while self._events and (limit is None or len(out) < limit):
            try:
                out.append(pop())
            except IndexError:  # emptied between the check and the pop
                break
        self._drained += len(out)
        return out

    def __len__(self) -> int:
        return len(self._events)
