"""Starting `agentrt serve` for a test: a real process with its log and run directory under a temporary folder."""

from __future__ import annotations

from pathlib import Path

from agentrt.bench.servers import AgentrtServer


def start_server(root: Path, name: str, *args: str) -> AgentrtServer:
    """`agentrt serve ARGS` with its log and run directory under ``root`` (``server.run_dir``)."""
    server = AgentrtServer(root / f"{name}.log", *args, "--run-dir", str(root / name))
    server.run_dir = root / name  # type: ignore[attr-defined]
    return server.wait_ready()  # type: ignore[return-value]
