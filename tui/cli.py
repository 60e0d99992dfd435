"""`agentrt watch RUN_DIR`: the dashboard for a run started elsewhere (followed live) or a finished one (replayed).

`agentrt run GRAPH --tui` lives with the run command; it calls `tui.runner.run_dashboard`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from agentrt.errors import ConfigError
from agentrt.terminal_size import parse_terminal_size

# How long a headless screenshot waits after the last event, so the final refresh is on screen.
SETTLE_S = 0.3


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_terminal_size(text, f"--size {text!r}")
    except ConfigError as exc:  # argparse reports this one as a usage error
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    watch = subparsers.add_parser(
        "watch",
        help="dashboard of a run directory: follow a live run, or replay a finished one",
        description=__doc__,
    )
    watch.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (or its events.jsonl)")
    watch.add_argument(
        "--replay-speed",
        type=float,
        default=None,
        metavar="X",
        help="replay recorded events at X times their pace (1 = real time); default: at once",
    )
    watch.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="FILE.svg",
        help="once every event is shown, save an SVG screenshot to FILE.svg and exit",
    )
    watch.add_argument("--headless", action="store_true", help="no terminal output (with --screenshot)")
    watch.add_argument("--size", type=_size, default=None, metavar="WxH", help="terminal size when headless")
    watch.set_defaults(func=_watch)


async def _watch(args: argparse.Namespace) -> int:
    if args.replay_speed is not None and args.replay_speed < 0:
        raise ConfigError(f"--replay-speed {args.replay_speed}: must be 0 (at once) or more")
    if args.headless and args.screenshot is None:
        raise ConfigError("--headless needs --screenshot FILE.svg (otherwise nothing would ever be shown)")
    return await watch_run(
        args.run_dir,
        replay_speed=args.replay_speed,
        screenshot=args.screenshot,
        headless=args.headless,
        size=args.size,
    )


async def watch_run(
    run_dir: Path,
    *,
    replay_speed: float | None = None,
    screenshot: Path | None = None,
    headless: bool = False,
    size: tuple[int, int] | None = None,
) -> int:
    """Show ``run_dir``'s events until the user quits (or, with ``screenshot``, until they are all shown)."""
    # Imported here so that every other `agentrt` command starts without loading Textual.
    from tui.app import DashboardApp
    from tui.feed import EventFeed
    from tui.follow import events_path, follow_events

    path = events_path(run_dir)
    feed = EventFeed()
    app: DashboardApp  # assigned below; `produce` runs only once the app has started

    async def produce() -> None:
        async for event in follow_events(path, replay_speed=replay_speed):
            feed.push(event)
        if screenshot is None:
            app.notify("end of the run's events", timeout=3)
        else:
            await asyncio.sleep(SETTLE_S)
            app.refresh_panels(force=True)
            await asyncio.sleep(SETTLE_S)
            app.save_screenshot(filename=screenshot.name, path=str(screenshot.parent.resolve()))
            app.exit(0)

    app = DashboardApp(feed, producer=produce, clock_rate=replay_speed or 1.0, screenshot_dir=Path.cwd())
    await app.run_async(headless=headless, size=size if headless else None)
    return 0
