"""The event log with a filter: every event as one line, errors in red with their message."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from itertools import islice
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input

from tui.state import LogEntry, RunView
from tui.widgets.lines import Line, LinePanel, line_text
from tui.widgets.throttle import StateWatch

# The log keeps this many lines to scroll back through; the RunView keeps more.
SHOWN_LINES = 500


def _line(entry: LogEntry) -> Line:
    stamp = time.strftime("%H:%M:%S", time.gmtime(entry.ts)) if entry.ts else "--:--:--"
    return (
        (f"{stamp} ", "grey50"),
        (f"{entry.event:<16} ", "bold red" if entry.is_error else "cyan"),
        (entry.text, "red" if entry.is_error else ""),
    )


class LogLines(LinePanel, can_focus=True):
    """The newest lines at the bottom. Scrolled back (keys or wheel) it holds its place as lines arrive.

    Not a scrolling widget on purpose: growing a scroll view's virtual height makes Textual lay out and repaint
    the whole screen, at every write.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll(1)", show=False),
        Binding("down", "scroll(-1)", show=False),
        Binding("pageup", "page(1)", show=False),
        Binding("pagedown", "page(-1)", show=False),
        Binding("home", "scroll(1000000)", show=False),
        Binding("end", "scroll(-1000000)", show=False),
    ]

    def __init__(self, max_lines: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._entries: deque[Line] = deque(maxlen=max_lines)
        self.back = 0  # how many of the newest lines are below the view

    @property
    def texts(self) -> list[str]:
        """Every line held (not only those in view), oldest first, as plain text."""
        return [line_text(line) for line in self._entries]

    def write(self, lines: Iterable[Line]) -> None:
        before = len(self._entries)
        self._entries.extend(lines)
        if self.back:  # stay on the lines being read
            self.back = min(self.back + len(self._entries) - before, self._max_back())
        self._show()

    def clear(self) -> None:
        self._entries.clear()
        self.back = 0
        self._show()

    def _height(self) -> int:
        return self.size.height or len(self._entries)

    def _max_back(self) -> int:
        return max(0, len(self._entries) - self._height())

    def _show(self) -> None:
        end = len(self._entries) - self.back
        self.set_lines(list(islice(self._entries, max(0, end - self._height()), end)))
        self.post_message(self.Scrolled(self))

    def action_scroll(self, lines: int) -> None:
        back = max(0, min(self.back + lines, self._max_back()))
        if back != self.back:
            self.back = back
            self._show()

    def action_page(self, pages: int) -> None:
        self.action_scroll(pages * max(1, self._height() - 1))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.action_scroll(3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.action_scroll(-3)

    def on_resize(self) -> None:
        super().on_resize()
        self.back = min(self.back, self._max_back())
        self._show()

    class Scrolled(Message):
        def __init__(self, log: LogLines) -> None:
            super().__init__()
            self.log = log


class EventLogPanel(Vertical):
    """The newest events at the bottom. ``/`` focuses the filter: only lines containing its words are shown
    (``error`` shows errors only); engine steps are left out unless the filter names them."""

    DEFAULT_CSS = """
    EventLogPanel { border: round $panel-lighten-2; }
    EventLogPanel:focus-within { border: round $accent; }
    EventLogPanel Input { height: 1; border: none; padding: 0 1; display: none; }
    EventLogPanel.-filtering Input { display: block; }
    EventLogPanel LogLines { height: 1fr; background: $surface; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "events"
        self.filter_text = ""
        self._rendered = 0  # how many of view.log_count entries have been considered
        self._watch = StateWatch()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter events (e.g. error, fetch, seq 2); esc clears", compact=True, id="filter")
        yield LogLines(SHOWN_LINES, id="log-lines")

    def matches(self, entry: LogEntry) -> bool:
        words = self.filter_text.lower().split()
        if not words:
            return entry.event != "engine.step"  # ~25 a second: they would drown everything else
        haystack = f"{entry.event} {entry.text}".lower()
        return all(("error" in entry.text.lower() or entry.is_error) if w == "error" else w in haystack for w in words)

    def set_filter(self, text: str, view: RunView) -> None:
        self.filter_text = text
        self.query_one(LogLines).clear()
        self._rendered = 0
        self.update_view(view, 0.0)
        self._subtitle()

    def _subtitle(self) -> None:
        back = self.query_one(LogLines).back
        parts = ([f"filter: {self.filter_text}"] if self.filter_text else []) + ([f"{back} newer ↓"] if back else [])
        subtitle = " · ".join(parts)
        if subtitle != self.border_subtitle:  # setting it repaints the panel, even to the same text
            self.border_subtitle = subtitle

    def on_log_lines_scrolled(self, message: LogLines.Scrolled) -> None:
        self._subtitle()

    def update_view(self, view: RunView, now: float, *, counters: bool = True) -> None:
        new = view.log_count - self._rendered
        if new <= 0:
            return
        # New lines are written in batches when the counters are due, an error at once.
        if not self._watch.due(len(view.errors), counters=counters):
            return
        entries = list(view.log)[-min(new, len(view.log)) :]
        self._rendered = view.log_count
        shown = [entry for entry in entries if self.matches(entry)][-SHOWN_LINES:]
        self.query_one(LogLines).write(_line(entry) for entry in shown)
