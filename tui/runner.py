"""`run_dashboard(launch)`: run a graph with the dashboard in the same process (`agentrt run GRAPH --tui`).

The run (`agentrt.graph.launch.launch_run`) is a Textual worker on the app's event loop; the engine's step
loop runs on its own thread and emits into an `EventBus` whose only dashboard subscriber appends to an
`EventFeed` (no widget work on the engine's thread; the app refreshes ~10 times a second). The dashboard acts
on the run through the graph runtime's `RunHandle`: `c` cancels the selected node (its descendants are skipped,
the rest goes on), quitting cancels the whole run, whose state the runtime saves, so ``agentrt resume``
continues it.
"""

from __future__ import annotations

import asyncio
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrt.errors import GraphRunError
from agentrt.events import TOKEN_EVENT, EventBus
from agentrt.graph.handle import RunHandle
from agentrt.graph.launch import EngineFactory, RunLaunch, launch_run
from agentrt.graph.states import RUN_EXIT_CODES, RunStatus
from agentrt.terminal_size import parse_terminal_size
from tui.app import DashboardApp
from tui.feed import EventFeed

if TYPE_CHECKING:
    from agentrt.graph.result import RunResult

# `agentrt run GRAPH --tui` with this set to ``1`` (or to a terminal size such as ``160x45``) runs the dashboard
# without a terminal and leaves it when the run ends: the real command under tests and benchmarks. With
# `SCREENSHOT_ENV` set to a file name too, the last screen is saved there (SVG) as the dashboard closes.
HEADLESS_ENV = "AGENTRT_TUI_HEADLESS"
SCREENSHOT_ENV = "AGENTRT_TUI_SCREENSHOT"
# With this set to ``1`` the dashboard, in a real terminal, leaves when the run ends (benchmarks, scripts).
EXIT_ENV = "AGENTRT_TUI_EXIT_WHEN_FINISHED"


class RunPhase(StrEnum):
    """Where an in-process run is, as the dashboard's worker sees it."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    ENDED = "ended"  # `launch_run` returned: `InProcessRun.result` holds the run's result
    FAILED = "failed"  # `launch_run` raised: `InProcessRun.error` says why (e.g. the engine did not start)
    STOPPED = "stopped"  # stopped from the dashboard, before or while it ran


class InProcessRun:
    """`RunControl` for a run on this process's event loop."""

    def __init__(self, launch: RunLaunch, events: EventBus, *, engine_factory: EngineFactory | None = None) -> None:
        self.launch = launch
        self.events = events
        self.engine_factory = engine_factory
        self.phase = RunPhase.NOT_STARTED
        self.result: RunResult | None = None
        self.error: BaseException | None = None
        self.handle = RunHandle()
        self._done = asyncio.Event()

    @property
    def finished(self) -> bool:
        return self.phase in (RunPhase.ENDED, RunPhase.FAILED, RunPhase.STOPPED)

    @property
    def stopped(self) -> bool:
        return self.phase == RunPhase.STOPPED

    async def run(self) -> RunResult | None:
        """The worker body: the whole run, engine start to close."""
        self.phase = RunPhase.RUNNING
        try:
            self.result = await launch_run(
                self.launch, self.events, engine_factory=self.engine_factory, handle=self.handle
            )
            self.phase = RunPhase.ENDED
            return self.result
        except asyncio.CancelledError:
            self.phase = RunPhase.STOPPED
            raise
        except Exception as exc:  # shown in the dashboard; the exit code says it failed
            self.error, self.phase = exc, RunPhase.FAILED
            raise
        finally:
            self._done.set()

    async def cancel_node(self, node_id: str) -> str:
        try:
            outcome = await self.handle.cancel_node(node_id)
        except GraphRunError as exc:
            return str(exc)
        return outcome.describe()

    async def stop(self) -> None:
        if self.finished:
            return
        if self.phase == RunPhase.NOT_STARTED:  # stopped before the worker got to start the run
            self.phase = RunPhase.STOPPED
            return
        self.handle.cancel()
        await self._done.wait()

    def exit_code(self) -> int:
        """`RUN_EXIT_CODES` for the run's status; stopped from the dashboard: cancelled; failed to run: 1."""
        if self.result is not None:
            return RUN_EXIT_CODES[self.result.status]
        if self.phase == RunPhase.STOPPED:
            return RUN_EXIT_CODES[RunStatus.CANCELLED]
        return RUN_EXIT_CODES[RunStatus.FAILED]


def build_dashboard(
    launch: RunLaunch,
    *,
    engine_factory: EngineFactory | None = None,
    exit_when_finished: bool = False,
    screenshot_dir: Path | None = None,
    screenshot_on_exit: Path | None = None,
) -> tuple[DashboardApp, InProcessRun, EventBus]:
    """The app wired to an in-process run, not started (tests drive it with ``app.run_test()``)."""
    bus = EventBus(forward_to_logging=False)
    feed = EventFeed()
    # The text as `request.text` (a few events a second per request, as a watched run's events.jsonl has it), not
    # one event per token: the dashboard draws 10 times a second, and the engine builds no per-token events.
    bus.subscribe(feed.push, exclude={TOKEN_EVENT})
    control = InProcessRun(launch, bus, engine_factory=engine_factory)
    app = DashboardApp(
        feed,
        producer=control.run,
        control=control,
        clock_rate=1.0,
        exit_when_finished=exit_when_finished,
        screenshot_dir=screenshot_dir,
        screenshot_on_exit=screenshot_on_exit,
    )
    return app, control, bus


def headless_options(value: str | None, screenshot: str | None = None) -> dict[str, Any]:
    """The `run_dashboard_async` options that `HEADLESS_ENV` (``value``) and `SCREENSHOT_ENV` ask for: none
    when ``value`` is unset, empty or ``0``."""
    if not value or value.strip() == "0":
        return {}
    size: tuple[int, int] | None = None
    if value.strip() != "1":
        size = parse_terminal_size(
            value, f"{HEADLESS_ENV}={value!r}", expected="1 or a terminal size WIDTHxHEIGHT, e.g. 120x36"
        )
    return {
        "headless": True, "exit_when_finished": True, "size": size,
        "screenshot_on_exit": Path(screenshot) if screenshot else None,
    }


def run_dashboard(launch: RunLaunch, **options: Any) -> int:
    """Run ``launch`` under the dashboard on a new event loop (what `agentrt run --tui` calls); the exit code.

    Options are those of `run_dashboard_async`; `HEADLESS_ENV` in the environment adds headless ones, and
    `EXIT_ENV` ``exit_when_finished``.
    """
    options = {**headless_options(os.environ.get(HEADLESS_ENV), os.environ.get(SCREENSHOT_ENV)), **options}
    if os.environ.get(EXIT_ENV, "").strip() == "1":
        options.setdefault("exit_when_finished", True)
    return asyncio.run(run_dashboard_async(launch, **options))


async def run_dashboard_async(
    launch: RunLaunch,
    *,
    engine_factory: EngineFactory | None = None,
    exit_when_finished: bool = False,
    headless: bool = False,
    size: tuple[int, int] | None = None,
    screenshot_dir: Path | None = None,
    screenshot_on_exit: Path | None = None,
) -> int:
    """Run ``launch`` under the dashboard until the user quits (or, with ``exit_when_finished``, the run ends).

    Returns the exit code (`RUN_EXIT_CODES`: 0 succeeded, 1 failed, 3 incomplete, 130 stopped from the
    dashboard). An error that ended the run
    (e.g. the engine could not start) is raised once the dashboard has closed and the terminal is back, as
    `launch_run` raises it without the dashboard.
    """
    app, control, _bus = build_dashboard(
        launch, engine_factory=engine_factory, exit_when_finished=exit_when_finished, screenshot_dir=screenshot_dir,
        screenshot_on_exit=screenshot_on_exit,
    )
    await app.run_async(headless=headless, size=size if headless else None)
    # Leaving the app any other way than `q` (e.g. an exception in the app) must still stop the run cleanly.
    await control.stop()
    if control.error is not None:
        raise control.error
    return control.exit_code()
