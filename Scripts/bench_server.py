#!/usr/bin/env python3
"""Streaming overhead of the server: generation tokens/s seen by a client streaming /api/generate
through `serve`, next to the Engine library's own rate (`loom bench generate`) for the same model,
raw prompt, seed and token count, measured in the same run.

    .venv/bin/python Scripts/bench_server.py [--serve .build/release/serve] [--loom .build/release/loom]

Client rate = (chunks − 1) / (time of last chunk − time of first chunk), i.e. decode only, as the
library's eval_count / eval_duration is. Mean of 3 runs after a warm-up. A benchmark, not a test.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import http.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT, N, SEED, REPEATS = "Once upon a time", 256, 7, 3


def client_rate(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    body = {"model": "smollm2:135m", "prompt": PROMPT, "raw": True,
            "options": {"num_predict": N, "seed": SEED, "temperature": 0.8}}
    conn.request("POST", "/api/generate", json.dumps(body))
    r = conn.getresponse()
    times, final = [], None
    while True:
        line = r.readline()
        if not line:
            break
        obj = json.loads(line)
        if obj.get("done"):
            final = obj
        elif obj.get("response"):
            times.append(time.perf_counter())
    conn.close()
    return (len(times) - 1) / (times[-1] - times[0]), final


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", default=str(ROOT / ".build/release/serve"))
    ap.add_argument("--loom", default=str(ROOT / ".build/release/loom"))
    args = ap.parse_args()
    lib = subprocess.run([args.loom, "bench", "generate", str(MODEL_FILE), "--prompt", PROMPT, "-n", str(N),
                          "--seed", str(SEED), "-r", str(REPEATS)], capture_output=True, text=True, check=True).stdout
    library = float(re.search(r"([\d.]+) tokens/s", lib).group(1))
    with tempfile.TemporaryDirectory() as models:
        os.symlink(MODEL_FILE, Path(models) / "smollm2:135m.gguf")
        proc = subprocess.Popen([args.serve, "--host", "127.0.0.1:0", "--models", models],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        try:
            port = None
            for line in proc.stderr:
                m = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    port = int(m.group(1))
                    break
            client_rate(port)                                  # warm-up (loads the model)
            runs = [client_rate(port) for _ in range(REPEATS)]
        finally:
            proc.terminate()
            proc.wait(20)
    server = sum(r for r, _ in runs) / len(runs)
    engine_side = sum(f["eval_count"] / f["eval_duration"] * 1e9 for _, f in runs) / len(runs)
    print(lib.strip())
    print(f"server, client side: {server:.1f} tokens/s streamed ({runs[-1][1]['eval_count']} tokens; "
          f"the engine inside the server reports {engine_side:.1f})")
    print(f"streaming through the server = {server / library * 100:.1f}% of the library's tokens/s")


if __name__ == "__main__":
    sys.exit(main())
