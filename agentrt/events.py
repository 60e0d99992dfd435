"""One stream of structured events, many readers.

Every state change in agentrt (a sequence leased, an engine step, a node finished) is a structlog event. Each
`EventBus` owns its own structlog logger (no global structlog configuration is touched), whose last processor
fans the event dict out to subscribers: the run directory's ``events.jsonl`` writer, the dashboard, tests.
Events are plain dicts: ``{"ts": <unix seconds>, "event": "<noun>.<verb>", ...fields}``.

The engine's owner thread emits too, so subscribing and emitting are thread-safe; a subscriber callback runs
on the emitting thread and must be quick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog

Event = dict[str, Any]
Subscriber = Callable[[Event], None]

# High-volume events that are only produced when somebody listens for them (see `EventBus.wants`): one per
# generated token, and a request's text coalesced to a few events a second (`agentrt.engine.text_events`).
TOKEN_EVENT = "request.token"
TEXT_EVENT = "request.text"

_stdlib_log = logging.getLogger("agentrt.events")


class _FanOut:
    """structlog's final 'logger': whatever the level method, deliver the event dict to the bus."""

    def __init__(self, deliver: Callable[[Event], None]) -> None:
        self._deliver = deliver

    def __getattr__(self, _level: str) -> Callable[..., None]:
        return self._call

    def _call(self, **event: Any) -> None:
        self._deliver(event)


def _add_timestamp(_logger: Any, _method: str, event: Event) -> Event:
    event.setdefault("ts", time.time())
    return event


def _as_kwargs(_logger: Any, _method: str, event: Event) -> Event:
    # structlog passes a returned dict to the logger method as keyword arguments.
    return event


def _takes(kinds: frozenset[str] | None, exclude: frozenset[str], event: str) -> bool:
    return event in kinds if kinds is not None else event not in exclude


class EventBus:
    """Thread-safe fan-out of structlog events to subscribers."""

    def __init__(self, *, forward_to_logging: bool = True) -> None:
        self._lock = threading.Lock()
        # (callback, the events it takes (None: all), the events it does not take when it takes all)
        self._subscribers: list[tuple[Subscriber, frozenset[str] | None, frozenset[str]]] = []
        self._forward = forward_to_logging
        self.logger: structlog.typing.FilteringBoundLogger = structlog.wrap_logger(
            _FanOut(self._deliver),
            processors=[_add_timestamp, _as_kwargs],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
            cache_logger_on_first_use=False,
        )

    # --- producing ------------------------------------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> None:
        """Record one state change. ``event`` is ``noun.verb`` (``seq.acquired``, ``node.state``...)."""
        self.logger.info(event, **fields)

    def wants(self, event: str) -> bool:
        """Whether any subscriber takes ``event``: lets hot paths skip building events nobody reads."""
        with self._lock:
            subs = list(self._subscribers)
        return any(_takes(kinds, exclude, event) for _, kinds, exclude in subs) or (
            self._forward and _stdlib_log.isEnabledFor(logging.DEBUG)
        )

    def _deliver(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subscribers)
        name = event.get("event", "")
        for callback, kinds, exclude in subs:
            if _takes(kinds, exclude, name):
                try:
                    callback(event)
                except Exception:  # a broken reader must never break the engine or a run
                    _stdlib_log.exception("event subscriber %r failed on %s", callback, name)
        if self._forward and _stdlib_log.isEnabledFor(logging.DEBUG):
            _stdlib_log.debug("%s", event)

    # --- consuming ------------------------------------------------------------------------------------------

    def subscribe(
        self, callback: Subscriber, *, kinds: Iterable[str] | None = None, exclude: Iterable[str] = ()
    ) -> Callable[[], None]:
        """Call ``callback(event)`` for every event but those in ``exclude`` (or only those named in ``kinds``).
        Returns an unsubscribe."""
        entry = (callback, frozenset(kinds) if kinds is not None else None, frozenset(exclude))
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe
