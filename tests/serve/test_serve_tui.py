"""`agentrt serve --tui`: the server under the dashboard (headless here), its events in a run directory that
`agentrt watch` replays; SIGTERM stops it cleanly."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai import OpenAI

from tui.runner import HEADLESS_ENV, SCREENSHOT_ENV

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def svg_text(path: Path) -> str:
    spans = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))
    return html.unescape("".join(spans)).replace("\xa0", " ")


def read_events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_serve_under_the_dashboard_and_watch_replays_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), HEADLESS_ENV: "120x36", SCREENSHOT_ENV: str(tmp_path / "last.svg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentrt.cli", "serve", "--tui", "--port", "0", "--run-dir", str(run_dir),
         "--model", "smollm2", "--sequences", "2", "--n-ctx", "512", "--threads", "1"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            url = next((e["url"] for e in read_events(run_dir) if e["event"] == "serve.started"), None)
            time.sleep(0.2)
        assert url, proc.stderr.read().decode() if proc.poll() is not None else "serve.started never came"
        client = OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=600)
        answer = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "Hi"}],
                                                max_tokens=6, temperature=0)
        assert answer.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()[-3000:]
    assert "Traceback" not in stderr.decode()

    events = read_events(run_dir)
    names = [e["event"] for e in events]
    assert names.index("engine.ready") < names.index("run.started") < names.index("serve.started")
    served = [e for e in events if e["event"] == "serve.request"]
    assert [(e["path"], e["status"]) for e in served] == [("/v1/chat/completions", 200)]
    owner = served[0]["owner"]
    assert any(e["event"] == "request.finished" and e["owner"] == owner for e in events)
    assert [e["status"] for e in events if e["event"] == "run.finished"] == ["succeeded"]
    assert url.split("//")[1] in svg_text(tmp_path / "last.svg")  # the header names the server

    shot = tmp_path / "watch.svg"
    watched = subprocess.run(
        [sys.executable, "-m", "agentrt.cli", "watch", str(run_dir), "--headless", "--screenshot", str(shot),
         "--size", "120x36"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert watched.returncode == 0, watched.stderr[-3000:]
    assert owner in svg_text(shot)
