"""`agentrt serve`: the shared engine behind an OpenAI-compatible HTTP API."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentrt.engine.machine_options import add_machine_options, machine_overrides
from agentrt.errors import ConfigError
from agentrt.models import DEFAULT_MODEL

API_KEY_ENV = "AGENTRT_API_KEY"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the model over an OpenAI-compatible HTTP API (chat, completions, tools, metrics)",
        description="Serve one model to many clients at once: each request runs on one of the engine's sequences "
        "(continuous batching); requests wait for a free one (header X-Priority first, then in order), at most "
        "--max-queue of them, beyond which they get 429 with Retry-After.",
    )
    p.add_argument("--model", default=DEFAULT_MODEL, help="a named model (agentrt models) or a .gguf path")
    p.add_argument("--sequences", type=int, default=4, help="requests generating at the same time (default 4)")
    p.add_argument("--n-ctx", type=int, default=4096, help="context of each sequence in tokens (default 4096)")
    add_machine_options(p, graph=False)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--api-key", default=None,
                   help=f"clients must send `Authorization: Bearer KEY` (default: ${API_KEY_ENV} if set, else none)")
    p.add_argument("--max-queue", type=int, default=64, help="requests that may wait for a sequence (default 64)")
    p.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024, help="largest request body (default 4 MiB)")
    p.add_argument("--name", default=None, help="the model id clients send (default: the model's name)")
    p.add_argument("--run-dir", type=Path, default=None,
                   help="write events.jsonl here for `agentrt watch` (default: none; runs/<id> with --tui)")
    p.add_argument("--tui", action="store_true", help="show the live dashboard while serving (q stops the server)")
    p.set_defaults(func=_serve)


def settings_from(args: argparse.Namespace) -> Any:
    from agentrt.serve.settings import ServeSettings

    run_dir = args.run_dir
    if run_dir is None and args.tui:
        from agentrt.serve.server import DEFAULT_RUNS_DIR, new_run_id

        run_dir = DEFAULT_RUNS_DIR / new_run_id()
    try:
        return ServeSettings(
            model=args.model, sequences=args.sequences, n_ctx=args.n_ctx, host=args.host,
            port=args.port, api_key=args.api_key or os.environ.get(API_KEY_ENV) or None, max_queue=args.max_queue,
            max_body_bytes=args.max_body_bytes, name=args.name, run_dir=run_dir, **machine_overrides(args),
        )
    except ValidationError as exc:
        problems = [f"--{'.'.join(map(str, e['loc'])).replace('_', '-')} {e['input']!r}: {e['msg']}"
                    for e in exc.errors(include_url=False)]
        raise ConfigError("agentrt serve: " + "; ".join(problems)) from exc


def _serve(args: argparse.Namespace) -> Any:
    try:
        from agentrt.serve.server import serve
    except ImportError as exc:
        raise ConfigError(f"agentrt serve needs Starlette and uvicorn: pip install 'agentrt[serve]' ({exc})") from exc
    settings = settings_from(args)
    if args.tui:
        try:
            runner = importlib.import_module("tui.service")
        except ImportError as exc:
            raise ConfigError(f"--tui needs the dashboard package (tui.service): {exc}") from exc
        print(f"agentrt serve: events in {settings.run_dir}", file=sys.stderr)
        return int(runner.run_service_dashboard(
            lambda events, stop: serve(settings, events, stop=stop, handle_signals=False)
        ))
    return _serve_plain(settings, serve)


async def _serve_plain(settings: Any, serve: Any) -> int:
    from agentrt.events import EventBus

    def listening(url: str) -> None:
        print(f"agentrt serve: {settings.served_name} on {url}/v1 ({settings.sequences} sequences of "
              f"{settings.n_ctx} tokens)", file=sys.stderr, flush=True)
        if settings.run_dir is not None:
            print(f"agentrt serve: events in {settings.run_dir} (agentrt watch {settings.run_dir})", file=sys.stderr,
                  flush=True)

    await serve(settings, EventBus(), on_listening=listening)
    print("agentrt serve: stopped", file=sys.stderr, flush=True)
    return 0
