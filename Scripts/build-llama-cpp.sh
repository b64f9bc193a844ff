#!/usr/bin/env bash
# Build llama.cpp's `llama-bench` and `llama-embedding` as *measuring tools* for `loom bench model`
# and `loom bench embed`: never a dependency of Loom, never linked, only run as a separate process so
# its figures can be printed next to ours in the same run.
#
# Source: the PyPI sdist llama-cpp-python==0.3.36 (vendored llama.cpp), fetched and verified by
# Scripts/fetch-llama-cpp-data.sh into the cache. CMake and Ninja come from PyPI into the venv.
# Output: $LOOM_CACHE/llama-cpp/build/bin/llama-bench (default cache: <repo>/.cache). Idempotent.
#
# Environment: LOOM_CACHE, PYTHON (default .venv/bin/python).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOOM_CACHE:-$root/.cache}
version=0.3.36
tarball=$cache/sdists/llama_cpp_python-$version.tar.gz
src=$cache/llama-cpp/src
build=$cache/llama-cpp/build
PYTHON=${PYTHON:-$root/.venv/bin/python}

if [ -x "$build/bin/llama-bench" ] && [ -x "$build/bin/llama-embedding" ]; then
  echo "llama-bench: $build/bin/llama-bench, llama-embedding: $build/bin/llama-embedding"; exit 0
fi
[ -f "$tarball" ] || PYTHON=$PYTHON "$root/Scripts/fetch-llama-cpp-data.sh"
venvbin=$(dirname "$PYTHON")
if [ ! -x "$venvbin/cmake" ] || [ ! -x "$venvbin/ninja" ]; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check cmake ninja
fi
if [ ! -f "$src/CMakeLists.txt" ]; then
  rm -rf "$src.tmp" && mkdir -p "$src.tmp"
  tar -xzf "$tarball" -C "$src.tmp" --strip-components=3 "llama_cpp_python-$version/vendor/llama.cpp"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi
PATH=$venvbin:$PATH cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DBUILD_SHARED_LIBS=OFF >/dev/null
PATH=$venvbin:$PATH cmake --build "$build" --target llama-bench llama-embedding -j "$(nproc)"
echo "llama-bench: $build/bin/llama-bench, llama-embedding: $build/bin/llama-embedding"
