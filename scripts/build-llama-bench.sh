#!/usr/bin/env bash
# Builds llama.cpp's own `llama-batched-bench` from the sdist of the installed llama-cpp-python (same vendored
# llama.cpp, same flags as our wheel), so `agentrt bench throughput` compares against it in the same run.
# Prints the binary's path. Cached under ~/.cache/agentrt/llama-bench/<version>-<key>[-<variant>]/.
#
# VARIANT openmp (the default) is the wheel's own build. VARIANT threadpool adds -DGGML_OPENMP=OFF: ggml runs its
# own thread pool (with polling settings) instead of OpenMP's. Its build/bin also holds the shared libraries
# (libllama.so, libggml*.so), which the engine loads instead of the wheel's with LLAMA_CPP_LIB_PATH=<that dir>;
# `agentrt bench contention` uses both to compare the two ways of running compute threads.
# Usage: scripts/build-llama-bench.sh [PYTHON] [VARIANT]      (AGENTRT_NO_BUILD=1: print the path if built, else exit 3)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-.venv/bin/python}
variant=${2:-openmp}
source scripts/cmake-args.sh
version=$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
case "$variant" in
  openmp) out="$cache_root/llama-bench/$version-$build_key"; extra="" ;;
  threadpool) out="$cache_root/llama-bench/$version-$build_key-threadpool"; extra="-DGGML_OPENMP=OFF" ;;
  *) echo "build-llama-bench.sh: unknown variant '$variant' (openmp, threadpool)" >&2; exit 2 ;;
esac
bin="$out/build/bin/llama-batched-bench"
if [ ! -x "$bin" ] && [ "${AGENTRT_NO_BUILD:-0}" = 1 ]; then
  exit 3
fi
if [ ! -x "$bin" ]; then
  mkdir -p "$out"
  if [ ! -d "$out/src" ]; then
    "$py" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$out" >&2
    mkdir -p "$out/src" && tar xzf "$out"/llama_cpp_python-*.tar.gz -C "$out/src" --strip-components=1
  fi
  # CMAKE_ARGS holds escaped spaces inside flag values: let the shell split it the way pip's build does.
  eval "cmake -S '$out/src/vendor/llama.cpp' -B '$out/build' -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF $CMAKE_ARGS $extra" >&2
  cmake --build "$out/build" --target llama-batched-bench -j "$(nproc)" >&2
fi
echo "$bin"
