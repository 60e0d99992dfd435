"""`run_service_dashboard(body)`: a long-running service (`agentrt serve --tui`) under the dashboard, in this
process.

The service is the app's producer worker, as a graph run is in `tui.runner`: it gets the dashboard's event bus
and an `asyncio.Event` that asks it to stop. Quitting (`q`, or SIGINT/SIGTERM) sets it and waits until the
service has stopped cleanly. A service has no nodes, so `c` says so.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agentrt.events import TOKEN_EVENT, EventBus
from tui.app import DashboardApp
from tui.feed import EventFeed
from tui.runner import EXIT_ENV, HEADLESS_ENV, SCREENSHOT_ENV, headless_options

ServiceBody = Callable[[EventBus, asyncio.Event], Awaitable[Any]]


class ServiceRun:
    """`RunControl` for a service on this process's event loop."""

    def __init__(self, body: ServiceBody, events: EventBus) -> None:
        self.body = body
        self.events = events
        self.error: BaseException | None = None
        self._stop = asyncio.Event()
        self._done = asyncio.Event()
        self._started = False
        self._finished = False

    @property
    def finished(self) -> bool:
        return self._finished

    async def run(self) -> None:
        self._started = True
        try:
            await self.body(self.events, self._stop)
        except Exception as exc:  # shown in the dashboard; raised again once it has closed
            self.error = exc
            raise
        finally:
            self._finished = True
            self._done.set()

    async def cancel_node(self, node_id: str) -> str:
        return "a server has no nodes to cancel; q stops it"

    async def stop(self) -> None:
        if self._finished:
            return
        if not self._started:
            self._finished = True
            return
        self._stop.set()
        await self._done.wait()


def run_service_dashboard(body: ServiceBody, **options: Any) -> int:
    """Run ``body`` under the dashboard on a new event loop; `HEADLESS_ENV` / `SCREENSHOT_ENV` / `EXIT_ENV` as for
    `tui.runner.run_dashboard`. The exit code: 0 once the service stopped cleanly, 1 if it failed."""
    options = {**headless_options(os.environ.get(HEADLESS_ENV), os.environ.get(SCREENSHOT_ENV)), **options}
    if os.environ.get(EXIT_ENV, "").strip() == "1":
        options.setdefault("exit_when_finished", True)
    return asyncio.run(run_service_dashboard_async(body, **options))


async def run_service_dashboard_async(
    body: ServiceBody,
    *,
    exit_when_finished: bool = False,
    headless: bool = False,
    size: tuple[int, int] | None = None,
    screenshot_on_exit: Path | None = None,
) -> int:
    bus = EventBus(forward_to_logging=False)
    feed = EventFeed()
    bus.subscribe(feed.push, exclude={TOKEN_EVENT})
    control = ServiceRun(body, bus)
    app = DashboardApp(
        feed, producer=control.run, control=control, clock_rate=1.0, exit_when_finished=exit_when_finished,
        screenshot_on_exit=screenshot_on_exit,
    )
    loop = asyncio.get_running_loop()
    quitting: list[asyncio.Task[None]] = []

    def quit_on_signal() -> None:
        if not quitting:
            quitting.append(loop.create_task(app.action_quit_run()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, quit_on_signal)
    try:
        await app.run_async(headless=headless, size=size if headless else None)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    await control.stop()
    if control.error is not None:
        raise control.error
    return 0
