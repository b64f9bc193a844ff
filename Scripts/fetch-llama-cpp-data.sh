#!/usr/bin/env bash
# Fetch llama.cpp's tokenizer test vocabularies (models/ggml-vocab-*.gguf plus their .inp/.out test
# files, MIT license) into the git-ignored cache, for Tests/LoomTokenizersTests/VocabFileTests.swift.
#
# Source: the PyPI sdist llama-cpp-python==0.3.36, which vendors llama.cpp. The tarball is downloaded
# with the venv's Python (urllib; `pip download` of an sdist would try to build it), checked against
# its sha256, kept in the cache, and only vendor/llama.cpp/models/ggml-vocab-*.gguf* is extracted.
# Idempotent: with the verified tarball cached and the files extracted there is no network at all.
#
# Environment: LOOM_CACHE (default: <repo>/.cache), PYTHON (default: .venv/bin/python, else python3),
# PYPI_JSON_URL (default: https://pypi.org/pypi; the JSON API base of PyPI or a mirror).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOOM_CACHE:-$root/.cache}
dest=$cache/llama-cpp/models
sdists=$cache/sdists
project=llama-cpp-python
version=0.3.36
tarball=$sdists/llama_cpp_python-$version.tar.gz
prefix=llama_cpp_python-$version/vendor/llama.cpp/models
sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
api=${PYPI_JSON_URL:-https://pypi.org/pypi}
# The vocabularies the tests require; extraction takes every ggml-vocab-* member. `required` ship
# .inp/.out test files; `measured` are only .gguf (their goldens are in Fixtures/tokenizers/llama-cpp-vocab).
required="llama-spm llama-bpe qwen2 gpt-2 phi-3 bert-bge starcoder deepseek-llm deepseek-coder falcon command-r mpt qwen35 refact gemma-4"
measured="aquila baichuan gpt-neox nomic-bert-moe"

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON=$root/.venv/bin/python; else PYTHON=python3; fi
fi

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

extracted() {
  local name
  for name in $required; do
    for ext in "" .inp .out; do
      [ -s "$dest/ggml-vocab-$name.gguf$ext" ] || return 1
    done
  done
  for name in $measured; do
    [ -s "$dest/ggml-vocab-$name.gguf" ] || return 1
  done
  [ -f "$dest/.sha256" ] && [ "$(cat "$dest/.sha256")" = "$sha" ]
}

if extracted; then
  echo "llama.cpp vocabs: $dest (cached)"
  exit 0
fi

mkdir -p "$sdists" "$dest"

if verified "$tarball"; then
  echo "llama.cpp vocabs: using cached $tarball (sha256 ok)"
else
  echo "llama.cpp vocabs: downloading $project==$version sdist from PyPI (about 77 MB) ..."
  tmp=$(mktemp "$sdists/.download.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  if ! "$PYTHON" - "$api" "$project" "$version" "$tmp" <<'PY'
import hashlib, json, shutil, sys, urllib.error, urllib.request
from urllib.parse import urljoin

api, project, version, out = sys.argv[1:]

def get_json(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.load(r), r.geturl()

def sdist_url():
    # The per-version endpoint first; some mirrors only serve the project endpoint.
    errors = []
    for url in (f"{api}/{project}/{version}/json", f"{api}/{project}/json"):
        try:
            data, base = get_json(url)
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"  {url}: {e}")
            continue
        files = data.get("urls") if url.endswith(f"/{version}/json") else None
        if not files:
            files = data.get("releases", {}).get(version, [])
        for f in files:
            if f.get("packagetype") == "sdist" or f.get("filename", "").endswith(".tar.gz"):
                return urljoin(base, f["url"])  # mirrors may give relative URLs
    print("\n".join(errors), file=sys.stderr)
    return None

url = sdist_url()
if url is None:
    sys.exit(f"no sdist of {project}=={version} found")
print(f"  {url}", file=sys.stderr)
try:
    with urllib.request.urlopen(url, timeout=180) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
except (urllib.error.URLError, OSError) as e:
    sys.exit(f"download failed: {e}")
PY
  then
    echo "error: could not download $project==$version from PyPI ($api)." >&2
    echo "       Is PyPI reachable from this machine (or PYPI_JSON_URL set to a mirror's JSON API)?" >&2
    echo "       Alternatively copy a verified llama_cpp_python-$version.tar.gz (sha256 $sha) to $tarball" >&2
    exit 1
  fi
  if ! verified "$tmp"; then
    echo "error: the downloaded $project==$version sdist does not have sha256 $sha; it is corrupt or was changed." >&2
    exit 1
  fi
  mv -f "$tmp" "$tarball"
  trap - EXIT
fi

# Extract into a scratch folder first so an interrupted run never leaves half a set in place.
scratch=$(mktemp -d "$cache/llama-cpp/.extract.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$tarball" -C "$scratch" --wildcards --no-anchored --strip-components=4 \
  "$prefix/ggml-vocab-*.gguf*"
count=0
for f in "$scratch"/ggml-vocab-*; do
  mv -f "$f" "$dest/"
  count=$((count + 1))
done
echo "$sha" > "$dest/.sha256"
if ! extracted; then
  echo "error: $tarball lacks some of the required vocabularies ($required $measured)." >&2
  exit 1
fi
echo "llama.cpp vocabs: $dest ($count files extracted, sha256 ok)"
