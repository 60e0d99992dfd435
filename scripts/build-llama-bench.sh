#!/usr/bin/env bash
# Builds llama.cpp's own tools from the sdist of the installed llama-cpp-python (same vendored llama.cpp, same
# flags as our wheel), so the benchmarks compare against them in the same run: `llama-batched-bench` for
# `agentrt bench throughput`, `llama-server` for `agentrt bench serve` and the tests of the remote engine against
# a real llama.cpp server. Prints the path of each binary asked for, one a line, in the order asked.
# Cached under ~/.cache/agentrt/llama-bench/<version>-<key>/ (a target already built is not built again).
# Usage: scripts/build-llama-bench.sh [PYTHON] [TARGET...]     (default target: llama-batched-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-.venv/bin/python}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(llama-batched-bench)
source scripts/cmake-args.sh
version=$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
out="$cache_root/llama-bench/$version-$build_key"
missing=()
for target in "${targets[@]}"; do
  case "$target" in
    llama-batched-bench|llama-server) ;;
    *) echo "build-llama-bench.sh: unknown target $target (llama-batched-bench, llama-server)" >&2; exit 2 ;;
  esac
  [ -x "$out/build/bin/$target" ] || missing+=("$target")
done
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
        -DLLAMA_CURL=OFF $CMAKE_ARGS" >&2
  cmake --build "$out/build" --target "${missing[@]}" -j "$(nproc)" >&2
fi
for target in "${targets[@]}"; do
  echo "$out/build/bin/$target"
done
