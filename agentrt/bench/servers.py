"""OpenAI-compatible servers as subprocesses on loopback: `agentrt serve` and llama.cpp's `llama-server` (built
from the same vendored llama.cpp with the same flags by scripts/build-llama-bench.sh). Used by `agentrt bench
serve` and by the tests that run real clients against them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agentrt.engine.openmp import llama_cpp_environment

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-llama-bench.sh"
_LISTENING = re.compile(r"agentrt serve: \S+ on (http://\S+)/v1")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A server subprocess with its log in a file. ``stop()`` is SIGTERM (a user's Ctrl-C), then SIGKILL."""

    name = "server"
    prefill_metric = ""  # the counter of prompt tokens computed (not taken from a cache) in its /metrics

    def __init__(
        self, command: list[str], log_path: Path, env: dict[str, str] | None = None,
        base_env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self.url = ""
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, cwd=log_path.parent,
            env={**(os.environ if base_env is None else base_env), "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _find_url(self) -> str | None:
        return self.url or None

    def wait_ready(self, timeout_s: float = 300.0) -> ServerProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            url = self._find_url()
            if url:
                self.url = url
                try:
                    if httpx.get(f"{url}/health", timeout=10.0).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def metrics(self) -> dict[str, float]:
        """The Prometheus samples by name (with labels): ``{'agentrt_sequences{state="free"}': 4.0, ...}``."""
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


class AgentrtServer(ServerProcess):
    """``agentrt serve --port 0 ARGS`` (the port it picked is read from its "listening" line)."""

    name = "agentrt serve"
    prefill_metric = "agentrt_prefill_tokens_total"

    def __init__(self, log_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        env = {"PYTHONPATH": str(REPO), **(env or {})}
        super().__init__([sys.executable, "-m", "agentrt.cli", "serve", "--port", "0", *args], log_path, env)

    def _find_url(self) -> str | None:
        match = _LISTENING.search(self.log_path.read_text(errors="replace"))
        return match.group(1) if match else None


class LlamaServer(ServerProcess):
    """llama.cpp's ``llama-server -np SLOTS -c SLOTS*N_CTX`` with its metrics on."""

    name = "llama-server"
    prefill_metric = "llamacpp:prompt_tokens_total"

    def __init__(self, binary: Path, model: Path, log_path: Path, *, slots: int, n_ctx: int, threads: int) -> None:
        self.port = free_port()
        super().__init__(
            [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(self.port), "-np", str(slots),
             "-c", str(slots * n_ctx), "-t", str(threads), "-tb", str(threads), "--metrics", "--no-webui"],
            log_path,
            base_env=llama_cpp_environment(),  # as a user starts it, without agentrt's OpenMP spin setting
        )
        self.url = f"http://127.0.0.1:{self.port}"


def llama_server_binary(python: str = sys.executable) -> Path | None:
    """The cached llama-server of this llama-cpp-python's vendored llama.cpp, built when missing (minutes, once).
    None (with the reason on stderr) when it cannot be had."""
    if not BUILD_SCRIPT.exists():
        return None
    done = subprocess.run(["bash", str(BUILD_SCRIPT), python, "llama-server"], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"could not build llama-server:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return Path(done.stdout.strip().splitlines()[-1])
