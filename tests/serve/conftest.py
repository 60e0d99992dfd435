"""Fixtures for the server tests: one real `agentrt serve` on the default model (SmolLM2-135M), shared by the
session's client tests, with a run directory whose events the tests read."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrt.bench.servers import AgentrtServer

HERE = Path(__file__).parent
if str(HERE) not in sys.path:  # the helpers and test agents import as top-level modules (graph YAML names one)
    sys.path.insert(0, str(HERE))

from serve_helpers import start_server  # noqa: E402

# One compute thread per server: the machine's cores are shared by the test processes.
SERVER_ARGS = ("--model", "smollm2", "--sequences", "4", "--n-ctx", "1024", "--threads", "1")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentrtServer]:
    import uvicorn  # noqa: F401  (the serve extra, installed by `make test`: fail loudly, never skip)

    process = start_server(tmp_path_factory.mktemp("serve"), "server", *SERVER_ARGS)
    yield process
    assert process.stop() == 0, process.log_tail()
