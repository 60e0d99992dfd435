"""Fixtures for the server tests: one real `agentrt serve` on the default model (SmolLM2-135M), shared by the
session's client tests, with a run directory whose events the tests read."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:  # servers.py and the test agents import as top-level modules
    sys.path.insert(0, str(HERE))

from servers import ServeProcess, start  # noqa: E402

# One compute thread per server: the machine's cores are shared by the test processes.
SERVER_ARGS = ("--model", "smollm2", "--sequences", "4", "--n-ctx", "1024", "--threads", "1")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    import uvicorn  # noqa: F401  (the serve extra, installed by `make test`: fail loudly, never skip)

    root = tmp_path_factory.mktemp("serve")
    process = start(root, "server", *SERVER_ARGS, "--run-dir", str(root / "run"))
    process.run_dir = root / "run"  # type: ignore[attr-defined]
    yield process
    assert process.stop() == 0, process.log_tail()
