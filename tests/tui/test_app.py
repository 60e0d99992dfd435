"""Pilot tests: the dashboard driven by the recorded research run, at 80x24 and at 160x45."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_helpers import events_until, screen_text

from tui.app import DashboardApp
from tui.feed import EventFeed
from tui.widgets import DagPanel, EventLogPanel, PoolPanel, StreamPanel
from tui.widgets.eventlog import LogLines
from tui.widgets.throttle import CounterClock, StateWatch

SIZES = [(80, 24), (160, 45)]


def app_with(events: list[dict[str, Any]], **options: Any) -> DashboardApp:
    feed = EventFeed()
    feed.extend(events)
    return DashboardApp(feed, **options)


def row_of(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


@pytest.mark.parametrize("size", SIZES)
async def test_finished_run_shows_states_and_counts(research_events: list[dict[str, Any]], size: tuple[int, int]) -> None:
    app = app_with(research_events)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        header = text.splitlines()[0]
        assert "research.yaml" in header and "smollm2" in header and "failed" in header
        assert "3✔ 1✘ /5" in header
        assert "✘ " in text.splitlines()[1] and "OutputParseError" in text.splitlines()[1]  # the last error
        assert "✔ plan" in row_of(text, "planner")
        fetch = row_of(text, "fetch ")
        assert "✔ fetch" in fetch and "3✔ 1✘/4" in fetch and "76" in fetch
        assert "✘ critique #2" in text
        assert "⊘ report" in text
        for seq, owner in ((0, "fetch[3]/executor"), (1, "summarize/executor"), (2, "critique/critic")):
            assert owner in text
        assert "total 164" in text
        assert "q quit" in text.splitlines()[-1]


async def test_mid_run_shows_running_nodes_and_busy_sequences(research_events: list[dict[str, Any]]) -> None:
    events = events_until(research_events, lambda e: e["event"] == "request.token" and e["owner"] == "fetch[2]/executor")
    app = app_with(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "running" in text.splitlines()[0] and "1▶" in text.splitlines()[0]
        assert "▶ fetch" in text and "0✔/4" in row_of(text, "fetch ")
        assert row_of(text, "fetch[0]/executor").split()[2] == "decode"
        assert app.query_one(PoolPanel).border_subtitle == "3/3 busy"  # bottom border: shown when wide


async def test_selection_drives_the_stream_panel(research_events: list[dict[str, Any]]) -> None:
    app = app_with(research_events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dag = app.query_one(DagPanel)
        stream = app.query_one(StreamPanel)
        assert app.focused is dag and dag.selected_node == "plan"
        assert stream.selection == ("node", "plan")
        await pilot.press("down", "down", "down")
        assert dag.selected_node == "critique"
        await pilot.pause()
        text = screen_text(app)
        assert "stream · critique" in text and "✘ OutputParseError: critique" in text
        await pilot.press("tab")  # to the pool
        assert isinstance(app.focused, PoolPanel)
        await pilot.press("down")
        await pilot.pause()
        assert app.query_one(PoolPanel).selected_sequence == 1
        assert stream.selection == ("seq", "1")
        assert "stream · seq 1 · summarize/executor" in screen_text(app)


async def test_filter_and_toggles(research_events: list[dict[str, Any]]) -> None:
    app = app_with(research_events)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"error")
        await pilot.pause()
        log = app.query_one(EventLogPanel)
        assert log.filter_text == "error"
        lines = log.query_one(LogLines).texts
        assert lines and all("error" in l.lower() or "failed" in l.lower() or "Error" in l for l in lines)
        assert any("bear.md" in l for l in lines)
        await pilot.press("escape")
        assert log.filter_text == "" and app.focused is app.query_one(DagPanel)
        await pilot.press("p")
        await pilot.pause()
        assert not app.query_one(PoolPanel).display
        assert "summarize/executor" not in screen_text(app).split("stream")[0]
        await pilot.press("p")
        await pilot.pause()
        assert app.query_one(PoolPanel).display


class RecordingControl:
    """Stands in for a run: remembers what the dashboard asked of it."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []
        self.stops = 0
        self._finished = False

    async def cancel_node(self, node_id: str) -> str:
        self.cancelled.append(node_id)
        return f"cancelling {node_id}"

    async def stop(self) -> None:
        self.stops += 1
        self._finished = True

    @property
    def finished(self) -> bool:
        return self._finished


async def test_cancel_goes_to_the_selected_node_and_quit_stops_the_run(research_events: list[dict[str, Any]]) -> None:
    control = RecordingControl()
    events = events_until(research_events, lambda e: e["event"] == "node.state" and e["node"] == "summarize")
    app = app_with(events, control=control)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "c")
        await pilot.pause()
        assert control.cancelled == ["summarize"]
        await pilot.press("q")
        await pilot.pause()
    assert control.stops == 1
    assert app.return_code == 0


async def test_cancel_without_control_only_warns(research_events: list[dict[str, Any]]) -> None:
    app = app_with(research_events)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert any("cancel it where it runs" in n.message for n in app._notifications)


def test_counters_come_due_on_the_clock_and_states_at_once() -> None:
    never_due = CounterClock(hz=1e-9)  # its interval is longer than any test
    assert never_due.due()  # the first time
    assert not never_due.due()
    assert never_due.due(force=True)
    always_due = CounterClock(hz=1e9)
    assert always_due.due() and always_due.due()
    watch = StateWatch()
    assert watch.due(("a", "running"), counters=False)  # the first time
    assert not watch.due(("a", "running"), counters=False)  # only counters moved, and they are not due: wait
    assert watch.due(("a", "running"), counters=True)
    assert watch.due(("a", "succeeded"), counters=False)  # a state changed: now


async def test_states_show_at_once_while_counters_wait_for_their_turn(research_events: list[dict[str, Any]]) -> None:
    def is_plan_token(e: dict[str, Any]) -> bool:
        return e["event"] == "request.token" and e["owner"] == "plan/planner"

    first = next(i for i, e in enumerate(research_events) if is_plan_token(e))
    tokens = [e for e in research_events[first + 1 :] if is_plan_token(e)][:5]
    done = next(e for e in research_events if e["event"] == "node.state" and e["node"] == "plan" and e["state"] == "succeeded")
    feed = EventFeed()
    app = DashboardApp(feed, clock_rate=1.0)
    async with app.run_test(size=(100, 30)) as pilot:
        feed.extend(research_events[: first + 1])
        await pilot.pause(0.15)
        dag = app.query_one(DagPanel)
        app._counters.interval = 3600.0  # counters alone never come due from here on
        shown = [str(cell) for cell in dag.get_row("plan")]
        assert shown[3] == "1" and "▶" in shown[0]

        feed.extend(tokens)
        await pilot.pause(0.15)
        assert app.view.nodes["plan"].tokens == 6
        assert [str(cell) for cell in dag.get_row("plan")] == shown  # only a counter moved: not redrawn yet

        feed.push(done)
        await pilot.pause(0.15)
        row = [str(cell) for cell in dag.get_row("plan")]
        assert "✔" in row[0] and row[3] == str(done["tokens"])  # a state changed: redrawn at once, counters too
