#!/usr/bin/env python3
"""Pull throughput: Loom's /api/pull next to curl, from the same real registry on loopback.

    LOOM_SERVE=.build-test/release/serve .venv/bin/python Scripts/bench_pull.py [--model FILE.gguf] [--runs 5]

A plain CNCF Distribution registry (Tests/Integration/registry.py) gets the model (default the
SmolLM2 F16 GGUF, 271 MB) as an Ollama-style manifest. Then, each best of `--runs`:
- curl: `curl -s -o FILE BLOB_URL` into a new file each run (the old one removed untimed, as Loom's
  blob is deleted untimed between its runs), timed with time.perf_counter around the subprocess;
- Loom: a server on an empty store, `POST /api/pull` with stream:false (download, SHA-256
  verification, manifest), the model deleted (`DELETE /api/delete`, which removes the blob) between
  runs; best and median.
A third line times curl followed by hashing the file (download, then verify, as Ollama does).
It prints MB/s (10^6 bytes) of each, the ratio Loom/curl (best to best), and two references: reading
the file from the page cache (`dd`) and single-core SHA-256 (Python's hashlib), which bound what a
verifying download can reach. Not a test: it asserts only that every run succeeded and the pulled
blob hashes to its digest.
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests/Integration"))
import registry  # noqa: E402
import requests  # noqa: E402
from test_server import SERVE, Server  # noqa: E402

DEFAULT_MODEL = ROOT / ".cache/models/SmolLM2-135M-Instruct.F16.gguf"


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def mbps(size, seconds):
    return size / seconds / 1e6


def bench_curl(url, out, runs):
    times = []
    for _ in range(runs):
        out.unlink(missing_ok=True)   # a fresh file each run, as Loom's pull writes a new blob (unlink untimed on both)
        times.append(timed(lambda: subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True)))
    out.unlink(missing_ok=True)
    return times


def bench_curl_verified(url, out, runs):
    """curl into a file, then its SHA-256 (hashlib: OpenSSL, SHA-NI) — download then verify, as
    Ollama's pull does; coreutils' sha256sum in a pipe is ~4x slower here and would flatter Loom."""
    times = []
    for _ in range(runs):
        out.unlink(missing_ok=True)
        times.append(timed(lambda: (subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True), registry.sha256_file(out))))
    out.unlink(missing_ok=True)
    return times


def bench_loom(server, name, digest, runs):
    times = []
    blob = Path(server.models) / "blobs" / digest.replace(":", "-")
    for _ in range(runs):
        def pull():
            r = requests.post(server.url + "/api/pull", json={"model": name, "insecure": True, "stream": False}, timeout=600)
            if r.status_code != 200 or r.json() != {"status": "success"}:
                raise SystemExit(f"pull failed: {r.status_code} {r.text}")
        times.append(timed(pull))
        if registry.sha256_file(blob) != digest:
            raise SystemExit(f"the pulled blob does not hash to {digest}")
        r = requests.delete(server.url + "/api/delete", json={"model": name}, timeout=60)
        if r.status_code != 200 or blob.exists():
            raise SystemExit(f"delete failed: {r.status_code} {r.text} (blob left: {blob.exists()})")
    return times


def read_reference(path, size):
    """MB/s of `dd` reading the file from the page cache (best of 3, after one warm-up read)."""
    cmd = ["dd", f"if={path}", "of=/dev/null", "bs=1M", "status=none"]
    subprocess.run(cmd, check=True)
    return max(mbps(size, timed(lambda: subprocess.run(cmd, check=True))) for _ in range(3))


def sha256_reference(path, size):
    """MB/s of one-core SHA-256 over the file (from the page cache)."""
    def digest():
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(4 << 20):
                h.update(chunk)
    return mbps(size, timed(digest))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="GGUF file to serve (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for path, what in ((SERVE, "serve (LOOM_SERVE)"), (args.model, "model")):
        if not Path(path).exists():
            sys.exit(f"missing {what}: {path}")
    if not registry.available():
        sys.exit(f"missing {registry.REGISTRY_BIN}: Scripts/install-system-deps.sh installs docker-registry")

    size = args.model.stat().st_size
    with tempfile.TemporaryDirectory(prefix="loom-bench-pull-") as work, registry.Registry() as reg:
        manifest, blobs = registry.model_manifest(args.model, work)
        digest = next(d for d, p in blobs.items() if Path(p) == args.model)
        reg.upload_model("library/bench", "latest", manifest, blobs)
        name = f"{reg.host}/library/bench:latest"
        print(f"model {args.model.name}: {size / 1e6:.1f} MB, registry {reg.url}, {os.cpu_count()} CPUs")

        curl = bench_curl(f"{reg.url}/v2/library/bench/blobs/{digest}", Path(work) / "curl.out", args.runs)
        verified = bench_curl_verified(f"{reg.url}/v2/library/bench/blobs/{digest}", Path(work) / "curl.out", args.runs)
        server = Server(empty=True, env={"LOOM_REGISTRY_AUTH": "/nonexistent/loom-registry-auth.json"})
        try:
            reg.wait_idle(quiet=0.2)
            before = reg.bytes_served(digest)
            loom = bench_loom(server, name, digest, args.runs)
            reg.wait_idle(quiet=0.2)
            per_run = (reg.bytes_served(digest) - before) / args.runs
        finally:
            server.stop()
        read = read_reference(args.model, size)
        sha = sha256_reference(args.model, size)

    best_curl, best_loom, median_loom = min(curl), min(loom), statistics.median(loom)
    print(f"curl  best of {args.runs}: {best_curl:.3f} s  {mbps(size, best_curl):8.1f} MB/s   (runs: {', '.join(f'{t:.3f}' for t in curl)})")
    print(f"curl, then SHA-256  best of {args.runs}: {min(verified):.3f} s  {mbps(size, min(verified)):8.1f} MB/s   "
          f"(runs: {', '.join(f'{t:.3f}' for t in verified)})")
    print(f"Loom  best of {args.runs}: {best_loom:.3f} s  {mbps(size, best_loom):8.1f} MB/s   median {median_loom:.3f} s "
          f"{mbps(size, median_loom):.1f} MB/s   (runs: {', '.join(f'{t:.3f}' for t in loom)})")
    print(f"Loom / curl (best):   {best_curl / best_loom:.2f}   Loom / verifying curl: {min(verified) / best_loom:.2f}   "
          f"(registry served {per_run / 1e6:.1f} MB per Loom pull)")
    print(f"reference: dd read from page cache {read:.0f} MB/s; SHA-256 one core {sha:.0f} MB/s")


if __name__ == "__main__":
    main()
