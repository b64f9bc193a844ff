#!/usr/bin/env bash
# Install what Loom needs from Debian that is missing: OpenBLAS and libnuma (kernels), Python 3
# with venv (goldens, the model download, interop tests) and docker-registry (CNCF Distribution: the
# real registry of the pull/push tests, Tests/Integration/registry.py). Swift itself is assumed installed.
# Does nothing — and needs no network or root — when everything is already there.
set -euo pipefail

missing=()
for pkg in libopenblas-dev libnuma-dev docker-registry; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-pip)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
command -v sha256sum >/dev/null 2>&1 || missing+=(coreutils)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "system: installing ${missing[*]} with apt-get"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
