#!/usr/bin/env bash
# Build llama.cpp's `llama-bench`, `llama-embedding`, `llama-quantize`, `llama-perplexity`,
# `llama-tokenize`, `llama-simple` (greedy text) and `llama-server` as *measuring tools* (for
# `loom bench model` / `loom bench embed`, the K-quant goldens, the perplexity comparisons and
# Scripts/bench_serve.py): never a dependency of Loom, never linked, only run as separate processes
# so their figures can be put next to ours.
#
# Source: the PyPI sdist llama-cpp-python==0.3.36 (vendored llama.cpp), fetched and verified by
# Scripts/fetch-llama-cpp-data.sh into the cache. CMake and Ninja come from PyPI into the venv.
# Output: $LOOM_CACHE/llama-cpp/build/bin/llama-{bench,embedding,quantize,perplexity,tokenize,simple,server}
# (default cache: <repo>/.cache). Idempotent. llama-server is built without its web UI (no npm, no
# download of prebuilt assets).
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

tools="llama-bench llama-embedding llama-quantize llama-perplexity llama-tokenize llama-simple llama-server"
missing=0
for t in $tools; do [ -x "$build/bin/$t" ] || missing=1; done
if [ $missing = 0 ]; then echo "llama.cpp tools: $build/bin ($tools)"; exit 0; fi
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
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DBUILD_SHARED_LIBS=OFF >/dev/null
PATH=$venvbin:$PATH cmake --build "$build" --target $tools -j "$(nproc)"
echo "llama.cpp tools: $build/bin ($tools)"
