#!/usr/bin/env bash
# Install what Loom needs from Debian that is missing: OpenBLAS and libnuma (kernels), Python 3
# with venv (goldens, the model download, interop tests), docker-registry (CNCF Distribution: the
# real registry of the pull/push tests, Tests/Integration/registry.py) and nginx (the load balancer of
# the scale-out test, Tests/Integration/test_scaleout.py; the tests run their own nginx as a child on
# loopback, so the system service is kept from starting). Swift itself is assumed installed.
# Does nothing — and needs no network or root — when everything is already there.
set -euo pipefail

missing=()
for pkg in libopenblas-dev libnuma-dev docker-registry nginx; do
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
# Debian starts a service when its package is installed (nginx would take port 80): unless a
# policy-rc.d already exists (as in Docker images), one that forbids starting services is put in
# place for the install and removed afterwards.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
