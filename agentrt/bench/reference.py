"""llama.cpp's own tools as the reference the benchmarks measure against: `llama-batched-bench`, found or built
from the same vendored llama.cpp with the same flags (scripts/build-llama-bench.sh), and run for its S_TG figures.

Nothing here loads llama.cpp into this process: the reference runs as its own program.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from agentrt.engine.openmp import llama_cpp_environment


SHORT_PROMPT_TOKENS = 28  # the throughput benchmark's prompts: S_TG of short sequences


def llama_batched_bench(
    binary: Path, model: Path, counts: list[int], tokens: int, threads: int, *,
    prompt_tokens: int = SHORT_PROMPT_TOKENS, extra: tuple[str, ...] = (), env: dict[str, str] | None = None,
) -> dict[int, float]:
    """llama.cpp's own S_TG (generated tokens/s over all sequences) at each batch size in ``counts``, each
    sequence generating after ``prompt_tokens`` of context. A long context is prefilled once and copied to the
    other sequences (``-pps``): the same decode, without minutes of prompt processing."""
    shared = ("-pps",) if prompt_tokens > SHORT_PROMPT_TOKENS else ()
    cmd = [
        str(binary), "-m", str(model), "-c", str(max(counts) * (prompt_tokens + tokens) + 64),
        "-b", "2048", "-ub", "512", "-npp", str(prompt_tokens), "-ntg", str(tokens),
        "-npl", ",".join(map(str, counts)), "-t", str(threads), "-tb", str(threads), "--output-format", "jsonl",
        *shared, *extra,
    ]
    # By default llama.cpp runs as a user would start it, not with the OpenMP settings agentrt gives itself.
    env = env if env is not None else llama_cpp_environment()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    figures: dict[int, float] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            figures[int(row["pl"])] = float(row["speed_tg"])
    return figures


def find_reference(build: bool, variant: str = "openmp") -> Path | None:
    """llama-batched-bench: from PATH (the wheel's variant only), else built by scripts/build-llama-bench.sh.

    ``variant`` ``threadpool`` is the GGML_OPENMP=OFF build, whose directory also holds its shared libraries."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "build-llama-bench.sh"
    on_path = shutil.which("llama-batched-bench")
    if on_path and variant == "openmp":
        return Path(on_path)
    if not script.exists():
        return None
    found = subprocess.run(["bash", str(script), sys.executable, variant], capture_output=True, text=True,
                           env={**os.environ, "AGENTRT_NO_BUILD": "1"})
    if found.returncode == 0 and found.stdout.strip():
        return Path(found.stdout.strip().splitlines()[-1])
    if not build:
        return None
    print(f"preparing llama.cpp's llama-batched-bench ({variant}) for the reference figures (built once: minutes "
          "the first time)", file=sys.stderr)
    done = subprocess.run(["bash", str(script), sys.executable, variant], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"could not build llama-batched-bench:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return Path(done.stdout.strip().splitlines()[-1])
