#!/usr/bin/env bash
# Builds llama.cpp's own tools from the sdist of the installed llama-cpp-python (same vendored llama.cpp, same
# flags as our wheel), so the benchmarks compare against them in the same run: `llama-batched-bench` for
# `agentrt bench throughput` / `contention` / `gaia`, `llama-server` for `agentrt bench serve` and the tests of
# the remote engine against a real llama.cpp server. Prints the path of each binary asked for, one a line, in the
# order asked. Cached under ~/.cache/agentrt/llama-bench/<version>-<key>[-<variant>]/ (a target already built is
# not built again).
#
# VARIANT openmp (the default) is the wheel's own build. VARIANT threadpool adds -DGGML_OPENMP=OFF: ggml runs its
# own thread pool (with polling settings) instead of OpenMP's. Its build/bin also holds the shared libraries
# (libllama.so, libggml*.so), which the engine loads instead of the wheel's with LLAMA_CPP_LIB_PATH=<that dir>;
# `agentrt bench contention` uses both to compare the two ways of running compute threads.
#
# Usage: scripts/build-llama-bench.sh [PYTHON] [VARIANT] [TARGET...]
#        (default target: llama-batched-bench; AGENTRT_NO_BUILD=1: print the paths if built, else exit 3)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-.venv/bin/python}
shift || true
variant=openmp
targets=()
for arg in "$@"; do
  case "$arg" in
    openmp|threadpool) variant=$arg ;;
    llama-batched-bench|llama-server) targets+=("$arg") ;;
    *) echo "build-llama-bench.sh: unknown variant or target '$arg' (openmp, threadpool; llama-batched-bench, llama-server)" >&2
       exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(llama-batched-bench)
source scripts/cmake-args.sh
version=$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
case "$variant" in
  openmp) out="$cache_root/llama-bench/$version-$build_key"; extra="" ;;
  threadpool) out="$cache_root/llama-bench/$version-$build_key-threadpool"; extra="-DGGML_OPENMP=OFF" ;;
esac
missing=()
for target in "${targets[@]}"; do
  [ -x "$out/build/bin/$target" ] || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ] && [ "${AGENTRT_NO_BUILD:-0}" = 1 ]; then
  exit 3
fi
if [ ${#missing[@]} -gt 0 ]; then
  mkdir -p "$out"
  if [ ! -d "$out/src" ]; then
    "$py" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$out" >&2
    mkdir -p "$out/src" && tar xzf "$out"/llama_cpp_python-*.tar.gz -C "$out/src" --strip-components=1
  fi
  # CMAKE_ARGS holds escaped spaces inside flag values: let the shell split it the way pip's build does.
  # The server is configured in too (its web UI is a file in the source tree; no download, no OpenSSL).
  eval "cmake -S '$out/src/vendor/llama.cpp' -B '$out/build' -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_OPENSSL=OFF \
        -DLLAMA_CURL=OFF $CMAKE_ARGS $extra" >&2
  cmake --build "$out/build" --target "${missing[@]}" -j "$(nproc)" >&2
fi
for target in "${targets[@]}"; do
  echo "$out/build/bin/$target"
done
