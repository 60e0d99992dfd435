"""`TextEvents`: a request's generated text as `request.text` events, a few per second instead of one per token.

Per-token events (`request.token`) are what an in-process reader that wants every token subscribes to; but a run
directory's `events.jsonl`, which `agentrt watch` follows from another process, cannot take one line per token
(it would be mostly tokens, and the engine would build an event for every token of every sequence). Coalesced,
the text still arrives at the dashboard's 10 Hz, the log grows by about the generated text, and the engine's hot
path only appends a string per token.
"""

from __future__ import annotations

from agentrt.events import TEXT_EVENT, EventBus

# At most one `request.text` per request this often (seconds); the rest comes with the request's end.
TEXT_INTERVAL_S = 0.1


class TextEvents:
    """Collects one request's text piece by piece and emits it as `request.text` events (text, tokens, index)."""

    def __init__(self, events: EventBus, *, request: int, seq: int, owner: str, now: float) -> None:
        self._events = events
        self._fields = {"request": request, "seq": seq, "owner": owner}
        self._pieces: list[str] = []
        self._tokens = 0  # tokens collected since the last event
        self._index = 0  # index of the first of them in the request's output
        self._sent_at = now

    def add(self, text: str, now: float, *, tokens: int = 1) -> None:
        """One more token's (or streamed piece's) text; emits what was collected once `TEXT_INTERVAL_S` passed."""
        if text:
            self._pieces.append(text)
        self._tokens += tokens
        if now - self._sent_at >= TEXT_INTERVAL_S:
            self.flush(now)

    def flush(self, now: float) -> None:
        """Emit whatever was collected (the request's end, or its text so far)."""
        self._sent_at = now
        if not self._pieces and not self._tokens:
            return
        text = "".join(self._pieces)
        self._events.emit(TEXT_EVENT, **self._fields, text=text, tokens=self._tokens, index=self._index)
        self._index += self._tokens
        self._pieces.clear()
        self._tokens = 0
