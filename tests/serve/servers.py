"""Real `agentrt serve` processes for the server tests: ``python -m agentrt.cli serve --port 0`` (the port it
picks is read from its "listening" line), stopped with SIGTERM as a user's Ctrl-C would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"agentrt serve: \S+ on (http://\S+)/v1")


class ServeProcess:
    def __init__(self, log_dir: Path, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.url = ""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agentrt.cli", "serve", "--port", "0", *args],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=log_dir,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO), **(env or {})},
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def wait_ready(self, timeout_s: float = 180.0) -> ServeProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"agentrt serve exited with {self.process.returncode}:\n{self.log_tail()}")
            match = _LISTENING.search(self.log_path.read_text(errors="replace"))
            if match:
                self.url = match.group(1)
                if httpx.get(f"{self.url}/health", timeout=10.0).status_code == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"agentrt serve not ready after {timeout_s} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def metrics(self) -> dict[str, float]:
        """The Prometheus samples, by name with labels (``agentrt_sequences{state="free"}``)."""
        text = httpx.get(f"{self.url}/metrics", timeout=30.0).text
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def stop(self, timeout_s: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode


def start(log_dir: Path, name: str, *args: str, **kwargs: object) -> ServeProcess:
    return ServeProcess(log_dir, name, *args, **kwargs).wait_ready()  # type: ignore[arg-type]
