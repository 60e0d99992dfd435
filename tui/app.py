"""`DashboardApp`: the Textual app that shows one run, live or replayed.

Events arrive through an `EventFeed` (pushed from the engine's thread, the run's task, or a file follower);
a timer drains it ~10 times a second, folds the batch into a `RunView` and re-renders the visible panels. The
app drives the run only through its `RunControl` (cancel the selected node; stop on quit).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.css.query import NoMatches
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tui.control import RunControl
from tui.feed import EventFeed
from tui.state import RunView
from tui.widgets import DagPanel, EventLogPanel, HelpLine, PoolPanel, RunHeader, StreamPanel, ThroughputPanel
from tui.widgets.eventlog import LogLines
from tui.widgets.rowtable import RowTable
from tui.widgets.throttle import COUNTER_HZ, CounterClock

REFRESH_HZ = 10.0

Producer = Callable[[], Awaitable[Any]]

CSS = """
Screen { layout: vertical; }
#body { height: 1fr; layout: grid; }

/* 80 columns and up: panels stacked, top borders only (every row counts) */
Screen.-narrow #body { grid-size: 2; grid-columns: 1fr 1fr; grid-rows: auto auto auto 1fr; }
Screen.-narrow DagPanel, Screen.-narrow PoolPanel, Screen.-narrow EventLogPanel { column-span: 2; }
Screen.-narrow DagPanel, Screen.-narrow PoolPanel, Screen.-narrow ThroughputPanel,
Screen.-narrow StreamPanel, Screen.-narrow EventLogPanel {
    border: none; border-top: solid $panel-lighten-2;
}
Screen.-narrow DagPanel:focus, Screen.-narrow PoolPanel:focus { border: none; border-top: solid $accent; }
Screen.-narrow DagPanel { height: auto; max-height: 12; }
Screen.-narrow PoolPanel { height: auto; max-height: 8; }
Screen.-narrow ThroughputPanel { max-height: 5; }
Screen.-narrow StreamPanel { height: 5; }
Screen.-narrow EventLogPanel { min-height: 3; }

/* 120 columns and up: the graph on the left, the pool and throughput on the right, stream and log below */
Screen.-wide #body { grid-size: 2 3; grid-columns: 1fr 64; grid-rows: 1fr auto 1fr; }
Screen.-wide DagPanel { row-span: 2; }

DagPanel, PoolPanel, StreamPanel, EventLogPanel { height: 1fr; }
.-hidden { display: none; }
"""


class DashboardApp(App[int]):
    """The dashboard. ``producer`` (optional) is started as a worker: it feeds events (a follower, a run)."""

    TITLE = "agentrt"
    CSS = CSS
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_run", "quit"),
        Binding("ctrl+c", "quit_run", "quit", show=False, priority=True),
        Binding("c", "cancel_node", "cancel node"),
        Binding("slash", "filter", "filter"),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("d", "toggle('dag')", "graph", show=False),
        Binding("p", "toggle('pool')", "pool", show=False),
        Binding("s", "toggle('stream')", "stream", show=False),
        Binding("t", "toggle('throughput')", "throughput", show=False),
        Binding("l", "toggle('log')", "log", show=False),
        Binding("S", "save_screenshot", "screenshot", show=False),
        Binding("j", "cursor('down')", show=False),
        Binding("k", "cursor('up')", show=False),
    ]

    def __init__(
        self,
        feed: EventFeed,
        *,
        producer: Producer | None = None,
        control: RunControl | None = None,
        clock_rate: float = 0.0,
        refresh_hz: float = REFRESH_HZ,
        screenshot_dir: Path | None = None,
        exit_when_finished: bool = False,
        screenshot_on_exit: Path | None = None,
    ) -> None:
        super().__init__()
        self.feed = feed
        self.view = RunView()
        self.producer = producer
        self.control = control
        # While the run goes on, times shown advance between events at this many event-seconds per wall
        # second: 1 for a live run, the replay speed for a replay, 0 to show event time only (tests).
        self.clock_rate = clock_rate
        self._anchor: tuple[float, float] | None = None  # (newest event ts, monotonic time it was folded)
        self.refresh_hz = refresh_hz
        self.screenshot_dir = screenshot_dir
        self.exit_when_finished = exit_when_finished
        self.screenshot_on_exit = screenshot_on_exit
        self.producer_worker: Worker[Any] | None = None
        self.refreshes = 0
        self._counters = CounterClock(COUNTER_HZ)
        self._redraw_pending = False
        self._quitting = False

    # --- layout ----------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield RunHeader(id="header")
        with Container(id="body"):
            yield DagPanel(id="dag")
            yield PoolPanel(id="pool")
            yield ThroughputPanel(id="throughput")
            yield StreamPanel(id="stream")
            yield EventLogPanel(id="log")
        yield HelpLine(id="help")

    def on_mount(self) -> None:
        self.query_one(DagPanel).focus()
        self.refresh_panels()
        self.set_interval(1.0 / self.refresh_hz, self.refresh_panels, name="refresh")
        if self.producer is not None:
            self.producer_worker = self.run_worker(self.producer(), name="producer", exit_on_error=False)

    def on_line_panel_resized(self) -> None:
        # Panels cut what they show to their size (the token stream, the sparklines): redo it at the new size,
        # once for however many panels resized together.
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_after_refresh(self._redraw_all)

    def _redraw_all(self) -> None:
        self._redraw_pending = False
        self.refresh_panels(force=True)

    # --- the refresh loop ------------------------------------------------------------------------------------

    def now(self) -> float:
        if self.clock_rate > 0 and self._anchor is not None and self.view.live:
            last_ts, at = self._anchor
            return last_ts + (time.monotonic() - at) * self.clock_rate
        return self.view.now()

    def refresh_panels(self, force: bool = False) -> None:
        """Fold whatever arrived since the last call and re-render the visible panels."""
        events = self.feed.drain()
        if events:
            self.view.apply_all(events)
            self._anchor = (self.view.now(), time.monotonic())
        elif self.refreshes and not self.clock_rate and not force:
            return
        try:
            header = self.query_one(RunHeader)
        except NoMatches:  # a tick while the app closes: its widgets are already gone
            return
        self.refreshes += 1
        now = self.now()
        header.update_view(self.view, now)
        dag = self.query_one(DagPanel)
        first_rows = not dag.row_count
        # The header and the token stream follow every refresh; the tables, throughput and log redraw when the
        # counters are due (`COUNTER_HZ`, all on the same refresh) or at once when something changed state (a
        # node, a lease, an error), and all of it when asked to or once the run has ended, so the final figures
        # are exact. Each panel repaints only the lines that changed (`LinePanel`).
        exact = force or not self.view.live
        counters = self._counters.due(force=exact)
        for panel in (dag, self.query_one(PoolPanel), self.query_one(ThroughputPanel), self.query_one(EventLogPanel)):
            if panel.display:
                panel.update_view(self.view, now, counters=counters)
        stream = self.query_one(StreamPanel)
        if stream.selection is None and first_rows and dag.selected_node:
            stream.selection = ("node", dag.selected_node)
        if stream.display:
            stream.update_view(self.view, now)
        # With a producer, `exit_when_finished` waits for it to return instead (see `on_worker_state_changed`):
        # a run's events end before its engine has closed.
        finished = not self.view.live
        if self.exit_when_finished and self.producer_worker is None and finished and not self._quitting:
            self.call_later(self.action_quit_run)

    # --- selection -------------------------------------------------------------------------------------------

    @on(RowTable.Highlighted)
    def _row_highlighted(self, message: RowTable.Highlighted) -> None:
        if message.table.has_focus:  # a table getting its first rows in the background does not take the stream
            self._select_from(message.table)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, RowTable):
            self._select_from(event.widget)

    def _select_from(self, table: RowTable) -> None:
        stream = self.query_one(StreamPanel)
        if isinstance(table, DagPanel) and table.selected_node is not None:
            stream.selection = ("node", table.selected_node)
        elif isinstance(table, PoolPanel) and table.selected_sequence is not None:
            stream.selection = ("seq", str(table.selected_sequence))
        else:
            return
        stream.update_view(self.view, self.now())

    def action_cursor(self, direction: str) -> None:
        focused = self.focused
        if isinstance(focused, RowTable):
            focused.action_cursor_down() if direction == "down" else focused.action_cursor_up()
        elif isinstance(focused, LogLines):
            focused.action_scroll(-1 if direction == "down" else 1)

    # --- panels and filter -----------------------------------------------------------------------------------

    def action_toggle(self, panel_id: str) -> None:
        panel = self.query_one(f"#{panel_id}")
        panel.set_class(not panel.has_class("-hidden"), "-hidden")
        if panel.has_class("-hidden"):
            return
        if isinstance(panel, (DagPanel, PoolPanel, ThroughputPanel, EventLogPanel)):
            panel.update_view(self.view, self.now(), counters=True)  # shown again: all of it, not just what is due
        elif hasattr(panel, "update_view"):
            panel.update_view(self.view, self.now())

    def action_filter(self) -> None:
        log = self.query_one(EventLogPanel)
        log.remove_class("-hidden")
        log.add_class("-filtering")
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        log = self.query_one(EventLogPanel)
        self.query_one("#filter", Input).value = ""
        log.remove_class("-filtering")
        log.set_filter("", self.view)
        self.query_one(DagPanel).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        self.query_one(EventLogPanel).set_filter(message.value.strip(), self.view)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        self.query_one(DagPanel).focus()

    # --- acting on the run -----------------------------------------------------------------------------------

    async def action_cancel_node(self) -> None:
        node_id = self.query_one(DagPanel).selected_node
        if node_id is None:
            self.notify("no node selected", severity="warning")
            return
        if self.control is None:
            self.notify("watching a run from outside: cancel it where it runs", severity="warning")
            return
        message = await self.control.cancel_node(node_id)
        self.notify(message)

    async def action_quit_run(self) -> None:
        """Stop the run (its state is saved) and leave. A watched run is left alone; only the following stops."""
        if self._quitting:
            return
        self._quitting = True
        if self.control is not None and not self.control.finished:
            self.query_one(RunHeader).say("stopping the run and saving its state…")
            await self.control.stop()
        self.refresh_panels(force=True)
        if self.screenshot_on_exit is not None:
            target = self.screenshot_on_exit
            self.save_screenshot(filename=target.name, path=str(target.parent.resolve()))
        self.exit(0)

    def action_save_screenshot(self) -> None:
        path = self.save_screenshot(path=str(self.screenshot_dir) if self.screenshot_dir else None)
        self.notify(f"screenshot saved to {path}")

    # --- the producer ----------------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.producer_worker:
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = f"{type(error).__name__}: {error}"
            self.view.note("dashboard.error", text, is_error=True)
            self.notify(text, severity="error", timeout=10)
            self.refresh_panels(force=True)
        ended = event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
        if self.exit_when_finished and ended and not self._quitting:
            self.call_later(self.action_quit_run)

