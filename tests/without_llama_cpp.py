"""``python tests/without_llama_cpp.py MODULE ARGS...``: run ``python -m MODULE ARGS...`` with llama_cpp made
unimportable (a meta-path finder that refuses it, installed before anything else is imported), as on a
machine without the native build. Any import of llama_cpp fails the command; at exit it says so on stderr too.
Tests call `run_cli`.
"""

from __future__ import annotations

import atexit
import os
import runpy
import subprocess
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, extra_path: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m agentrt.cli ARGS`` in a fresh interpreter where importing llama_cpp fails; ``extra_path``
    goes first on PYTHONPATH (the test agents' folder)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra_path, REPO, env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, __file__, "agentrt.cli", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout,
    )


class RefuseLlamaCpp(MetaPathFinder):
    def __init__(self) -> None:
        self.refused: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "llama_cpp" or name.startswith("llama_cpp."):
            self.refused.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (refused by tests/without_llama_cpp.py)")
        return None


def _report(finder: RefuseLlamaCpp) -> None:
    if finder.refused:
        print(f"without_llama_cpp: refused imports of {sorted(set(finder.refused))}", file=sys.stderr)


if __name__ == "__main__":
    finder = RefuseLlamaCpp()
    sys.meta_path.insert(0, finder)
    sys.modules.pop("llama_cpp", None)
    atexit.register(_report, finder)
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
