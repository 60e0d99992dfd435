"""`EventLog`: the chosen events of one or more buses, appended to a JSONL file as they happen.

A run directory's ``events.jsonl`` and the GAIA benchmark's are both one of these. Lines are whole and
readable whatever text an event holds (`agentrt.jsonl`); the engine's owner thread writes too (the appender
holds a lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from agentrt.events import Event, EventBus
from agentrt.jsonl import JsonlAppender


class EventLog:
    """Appends the events named in ``kinds`` to ``path``. `record` buses, then `close`."""

    def __init__(self, path: Path, kinds: Iterable[str]) -> None:
        self.path = Path(path)
        self.kinds = frozenset(kinds)
        self._file = JsonlAppender(self.path)
        self._buses: list[EventBus] = []
        self._unsubscribes: list[Callable[[], None]] = []

    def record(self, *buses: EventBus, backlog: Iterable[Event] = ()) -> None:
        """Log ``backlog`` (events from before the log existed) and from now on every event of ``buses`` (a bus
        already recorded, or given twice, is recorded once)."""
        self._file.open()
        for event in backlog:
            self.write(event)
        for bus in buses:
            if any(bus is known for known in self._buses):
                continue
            self._buses.append(bus)
            self._unsubscribes.append(bus.subscribe(self.write, kinds=self.kinds))

    def write(self, event: Event) -> None:
        if event.get("event") in self.kinds:
            self._file.append(event)

    def close(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        self._buses.clear()
        self._file.close()
