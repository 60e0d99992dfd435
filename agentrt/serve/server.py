"""`serve(settings, events)`: the whole life of a server — start the engine, listen, answer, shut down cleanly.

uvicorn runs the app on this process's event loop, the engine's step loop on its own thread. On SIGINT/SIGTERM
(or ``stop`` being set, which is how the dashboard quits) the server stops accepting connections, gives running
requests a few seconds to finish, cancels the rest (their sequences are freed) and closes the engine.

With a run directory, every event (the engine's start, steps, sequences, requests, and one `serve.request` per
HTTP answer) goes to its ``events.jsonl``, as in a graph run, so ``agentrt watch RUN_DIR`` follows the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

from agentrt.engine import start_engine
from agentrt.events import Event, EventBus
from agentrt.graph.rundir import RunDir
from agentrt.serve.app import create_app
from agentrt.serve.context import ServeContext
from agentrt.serve.settings import ServeSettings

if TYPE_CHECKING:
    from agentrt.engine.llama.engine import Engine

DEFAULT_RUNS_DIR = Path("runs")
# How long running requests may go on once the server is asked to stop; then they are cancelled.
GRACEFUL_S = 5
ENGINE_START_EVENTS = frozenset({"engine.loading", "engine.memory_plan", "engine.ready"})


def new_run_id() -> str:
    return "serve-" + time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


async def start_server_engine(settings: ServeSettings, events: EventBus) -> Engine:
    """The engine a server runs on: the in-process engine, through the one `start_engine`."""
    return await start_engine(settings.engine_config(), events=events)  # type: ignore[return-value]


async def serve(
    settings: ServeSettings,
    events: EventBus,
    *,
    stop: asyncio.Event | None = None,
    on_listening: Callable[[str], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve until a signal (``handle_signals``) or ``stop``. Raises `ConfigError`s before listening."""
    run_id = settings.run_dir.name if settings.run_dir is not None else new_run_id()
    run_dir = RunDir(settings.run_dir).create() if settings.run_dir is not None else None
    began = time.time()
    starting: list[Event] = []
    unsubscribe = events.subscribe(starting.append, kinds=ENGINE_START_EVENTS)
    try:
        engine = await start_server_engine(settings, events)
    finally:
        unsubscribe()
    context = ServeContext(engine, settings, events)
    status = "failed"
    try:
        if run_dir is not None:
            run_dir.record_events(events, backlog=starting)
        config = uvicorn.Config(
            create_app(context), host=settings.host, port=settings.port, lifespan="off", access_log=False,
            log_level="warning", timeout_graceful_shutdown=GRACEFUL_S,
        )
        server = _Server(config, handle_signals=handle_signals, on_exit=context.stop_accepting)
        serving = asyncio.create_task(server.serve(), name="agentrt-serve-http")
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if serving.done():  # could not bind (port in use...): uvicorn logged why
            serving.result()
            raise OSError(f"could not listen on {settings.host}:{settings.port}")
        url = _url(server, settings)
        events.emit("run.started", run_id=run_id, run_dir=str(run_dir.path) if run_dir else None,
                    graph=f"agentrt serve {url}", inputs={}, nodes=[], resumed=False)
        events.emit("serve.started", url=url, model=context.model_id, sequences=engine.pool_size,
                    n_ctx=context.n_ctx, max_queue=settings.max_queue)
        if on_listening is not None:
            on_listening(url)
        watcher = asyncio.create_task(_stop_when(stop, server, context)) if stop is not None else None
        try:
            await serving
        finally:
            if watcher is not None:
                watcher.cancel()
        status = "succeeded"
    finally:
        context.close()
        await engine.close()
        events.emit("run.finished", run_id=run_id, status=status, outputs={}, elapsed_s=time.time() - began)
        if run_dir is not None:
            run_dir.close()


async def _stop_when(stop: asyncio.Event, server: uvicorn.Server, context: ServeContext) -> None:
    await stop.wait()
    context.stop_accepting()
    server.should_exit = True


def _url(server: uvicorn.Server, settings: ServeSettings) -> str:
    port = settings.port
    for listener in server.servers:
        for sock in listener.sockets:
            port = sock.getsockname()[1]
            break
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    return f"http://{host}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server, but a signal only asks it to stop: uvicorn re-raises the signal after a graceful stop,
    which would end the process before the engine is closed and the run directory is written."""

    def __init__(self, config: uvicorn.Config, *, handle_signals: bool, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._handle_signals = handle_signals
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self._handle_signals or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
