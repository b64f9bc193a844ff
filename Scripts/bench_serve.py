#!/usr/bin/env python3
"""Serving throughput under concurrency: Loom's real server next to llama.cpp's llama-server, both
serving the same GGUF with 2 threads to N concurrent streaming clients.

    LOOM_SERVE=.build/release/serve .venv/bin/python Scripts/bench_serve.py \
        [--model F.gguf] [--streams 1,4,8,16] [--tokens 128] [--prompts long,short] [--runs 1] \
        [--loom-only] [--llama-server PATH] [--llama-arg ARG]... [--json OUT.json]

For each N in --streams, each server is started fresh and measured alone:
- Loom: `serve --host 127.0.0.1:0 --models TMP --import smol=MODEL` with OLLAMA_NUM_PARALLEL=N,
  OLLAMA_CONTEXT_LENGTH=2048; clients POST /api/generate with raw:true, stream:true and options
  num_predict=--tokens, num_ctx=2048, num_thread=2, temperature=0, ignore_eos=true (NDJSON).
  Loom has no ignore-EOS option yet (unknown options are ignored), so the prompts end mid-sentence
  and requests that stop early anyway are counted in the «short» column (with greedy decoding of
  SmolLM2 Q4_0, 3 of the 58 prompts of --streams 1,4,8,16 end early).
- llama-server (built by Scripts/build-llama-cpp.sh as a measuring tool): `-m MODEL -t 2 -tb 2
  -np N -c 2048*N --no-webui` (continuous batching, flash-attn, prompt cache: its defaults);
  clients POST /completion with n_predict=--tokens, ignore_eos, temperature 0, stream (SSE).
Prompts: «long» ≈ 500 tokens of Fixtures/text/GPL-3.txt, «short» ≈ 12 tokens, the same for both
servers; every prompt (client, kind, run, warm-up) starts at its own word of the text, so no prompt
cache can serve one from another.
Per server start: a warm-up (N concurrent 8-token requests, which also loads the model), then for
each prompt kind and run, the server is waited idle (its CPU time still for 1 s, llama-server's
/slots all idle) before the N clients start together (a barrier; connections open beforehand).
Reported per N and prompt kind, for both servers and as Loom/llama-server:
- tok/s: all generated tokens of all clients / (last token − first request sent);
- TTFT p50/p99: per request, request sent → first streamed token;
- ITL p50/p99: gaps between consecutive streamed tokens, pooled over all requests;
- fail: requests without a complete stream (HTTP error, error object, exception);
  short: complete but fewer tokens than asked.
And each server's rate at N over its own single stream (N=1 is always measured; Loom's is the
reference of the «≥ 3× Loom's single stream» aim). With --runs R,
tok/s is the median run, latencies are pooled over the runs. The load average is printed with
every figure: it is a benchmark for a quiet machine, not a test; it asserts nothing.
"""

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_0.gguf"
DEFAULT_LLAMA_SERVER = ROOT / ".cache/llama-cpp/build/bin/llama-server"
TEXT = ROOT / "Fixtures/text/GPL-3.txt"
THREADS, CTX = 2, 2048
LOOM_NAME = "smol"
LONG_WORDS, SHORT_WORDS = 410, 10         # ≈ 500 and ≈ 12 tokens with SmolLM2's tokenizer
WARMUP_TOKENS = 8
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- prompts ----------------------------------------------------------------------------------------

def prompts(kind, n, run=0):
    """n prompts of `kind` (long, short, warmup) for measured run `run`: runs of words of the GPL,
    each from its own offset (client, kind and run all move it), so no two prompts share more than
    a chance first word or two and no prompt cache can serve one from another. Each ends
    mid-sentence (Loom has no ignore-EOS option). The same for both servers."""
    words = TEXT.read_text().split()
    count = LONG_WORDS if kind == "long" else SHORT_WORDS
    stride = len(words) // n
    shift = {"long": 0, "short": stride // 2, "warmup": stride // 2 + 2 * SHORT_WORDS}[kind] + 17 * run
    out = []
    for i in range(n):
        start = (i * stride + shift) % len(words)
        chunk = [words[(start + j) % len(words)] for j in range(count)]
        while chunk[-1][-1] in ".,;:)!?" and len(chunk) > 1:   # end mid-sentence: no invitation to stop
            chunk.pop()
        out.append(" ".join(chunk))
    return out


# -- servers ----------------------------------------------------------------------------------------

class Process:
    """A server process whose merged stdout/stderr lines are kept (the last 200)."""

    def __init__(self, cmd, env, ready_pattern=None):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **env}, start_new_session=True)
        self.lines, self.match = [], None
        self._ready = threading.Event()

        def drain():
            for line in self.proc.stdout:
                self.lines = (self.lines + [line.rstrip("\n")])[-200:]
                m = ready_pattern and re.search(ready_pattern, line)
                if m and not self.match:
                    self.match = m
                    self._ready.set()
            self._ready.set()

        threading.Thread(target=drain, daemon=True).start()

    def wait_match(self, timeout):
        self._ready.wait(timeout)
        return self.match

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_tail(self, n=30):
        return "\n".join(self.lines[-n:])


def http_json(port, method, path, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body))
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data.strip() else None)
    finally:
        conn.close()


class LoomServer:
    name = "loom"

    def __init__(self, serve, models_dir, model, n):
        env = {"OLLAMA_NUM_PARALLEL": str(n), "OLLAMA_CONTEXT_LENGTH": str(CTX), "OLLAMA_KEEP_ALIVE": "30m"}
        self.p = Process([str(serve), "--host", "127.0.0.1:0", "--models", str(models_dir),
                          "--import", f"{LOOM_NAME}={model}"], env, r"Listening on http://127\.0\.0\.1:(\d+)")
        m = self.p.wait_match(300)
        if not m:
            self.p.stop()
            raise RuntimeError("serve did not start:\n" + self.p.log_tail())
        self.port = int(m.group(1))

    def request(self, prompt, tokens):
        body = {"model": LOOM_NAME, "prompt": prompt, "raw": True, "stream": True,
                "options": {"num_predict": tokens, "num_ctx": CTX, "num_thread": THREADS, "temperature": 0,
                            "ignore_eos": True}}      # not an option yet: ignored (Options.merge) until Loom has it
        return "POST", "/api/generate", body

    @staticmethod
    def events(response):
        """(kind, tokens, obj) per NDJSON line: kind token/done/error."""
        for line in response:
            if not line.strip():
                continue
            obj = json.loads(line)
            if "error" in obj:
                yield "error", 0, obj
            elif obj.get("done"):
                yield "done", obj.get("eval_count"), obj
            elif obj.get("response"):
                yield "token", 1, obj

    @staticmethod
    def prompt_tokens(done):
        return done.get("prompt_eval_count")

    def busy(self):
        return False                      # no per-slot view; the CPU-time check decides

    def stop(self):
        self.p.stop()


class LlamaServer:
    name = "llama-server"

    def __init__(self, binary, model, n, extra=()):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [str(binary), "-m", str(model), "-t", str(THREADS), "-tb", str(THREADS), "-np", str(n),
               "-c", str(CTX * n), "--host", "127.0.0.1", "--port", str(self.port), "--no-webui", *extra]
        self.p = Process(cmd, {})
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.p.proc.poll() is not None:
                raise RuntimeError("llama-server exited:\n" + self.p.log_tail())
            try:
                if http_json(self.port, "GET", "/health", timeout=5)[0] == 200:
                    return
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.2)
        self.p.stop()
        raise RuntimeError("llama-server did not become healthy:\n" + self.p.log_tail())

    def request(self, prompt, tokens):
        body = {"prompt": prompt, "n_predict": tokens, "ignore_eos": True, "temperature": 0, "stream": True}
        return "POST", "/completion", body

    @staticmethod
    def events(response):
        """(kind, tokens, obj) per SSE event: kind token/done/error."""
        for line in response:
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            obj = json.loads(line[5:])
            if "error" in obj:
                yield "error", 0, obj
            elif obj.get("stop"):
                yield "done", obj.get("tokens_predicted"), obj
            elif obj.get("tokens") or obj.get("content"):
                yield "token", max(1, len(obj.get("tokens") or [])), obj

    @staticmethod
    def prompt_tokens(done):
        return (done.get("timings") or {}).get("prompt_n") or done.get("tokens_evaluated")

    def busy(self):
        try:
            status, slots = http_json(self.port, "GET", "/slots")
            return status == 200 and any(s.get("is_processing") for s in slots)
        except (OSError, http.client.HTTPException, ValueError):
            return False

    def stop(self):
        self.p.stop()


def wait_idle(server, timeout=60):
    """Until the server process used < 2% of a core for 1 s and reports no busy slot; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.p.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.p.proc.returncode}):\n" + server.p.log_tail())
        before = server.p.cpu_seconds()
        time.sleep(1.0)
        if server.p.cpu_seconds() - before < 0.02 and not server.busy():
            return True
    return False


# -- clients ----------------------------------------------------------------------------------------

def one_request(server, prompt, tokens, barrier, out):
    """One streaming request; fills `out` with send time, token arrival times, counts, error."""
    method, path, body = server.request(prompt, tokens)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=900)
    out.update(times=[], error=None, generated=None, prompt_tokens=None, done_reason=None)
    try:
        conn.connect()
        barrier.wait()
        out["sent"] = time.perf_counter()
        conn.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        if r.status != 200:
            out["error"] = f"HTTP {r.status}: {r.read()[:200]!r}"
            return
        chunks = 0
        for kind, n, obj in server.events(r):
            now = time.perf_counter()
            if kind == "token":
                out["times"].extend([now] * n)
                chunks += 1
            elif kind == "error":
                out["error"] = str(obj.get("error"))[:200]
                return
            else:
                out["generated"] = n if n is not None else len(out["times"])
                out["prompt_tokens"] = server.prompt_tokens(obj)
                out["done_reason"] = obj.get("done_reason") or obj.get("stop_type")
                out["chunks"] = chunks
                return
        out["error"] = "stream ended without a final object"
    except Exception as e:                                    # noqa: BLE001 — any failure is a failed request
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def run_clients(server, prompt_list, tokens):
    """All prompts at once (one thread each, released together); the per-request result dicts."""
    barrier = threading.Barrier(len(prompt_list))
    results = [{} for _ in prompt_list]
    threads = [threading.Thread(target=one_request, args=(server, p, tokens, barrier, res))
               for p, res in zip(prompt_list, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(runs, tokens):
    """Figures of one (server, N, prompt kind) over its runs (each a list of request results)."""
    rates, ttft, itl, fail, short, ptoks = [], [], [], 0, 0, []
    for results in runs:
        ok = [r for r in results if not r["error"] and r["times"]]
        fail += len(results) - len(ok)
        if ok:
            start = min(r["sent"] for r in results if "sent" in r)
            end = max(r["times"][-1] for r in ok)
            rates.append(sum(r["generated"] for r in ok) / (end - start))
        for r in ok:
            ttft.append(r["times"][0] - r["sent"])
            itl.extend(b - a for a, b in zip(r["times"], r["times"][1:]))
            short += r["generated"] < tokens
            if r["prompt_tokens"]:
                ptoks.append(r["prompt_tokens"])
    return {"tok_s": statistics.median(rates) if rates else 0.0, "tok_s_runs": rates,
            "ttft_p50": percentile(ttft, .5), "ttft_p99": percentile(ttft, .99),
            "itl_p50": percentile(itl, .5), "itl_p99": percentile(itl, .99),
            "fail": fail, "short": short, "requests": sum(len(r) for r in runs),
            "prompt_tokens": round(statistics.mean(ptoks)) if ptoks else None,
            "errors": sorted({r["error"] for rs in runs for r in rs if r["error"]})[:3]}


# -- the benchmark ----------------------------------------------------------------------------------

def measure(server, n, kinds, tokens, runs):
    """Warm-up, then each prompt kind `runs` times with n clients; {kind: summary}."""
    warm = run_clients(server, prompts("warmup", n), WARMUP_TOKENS)
    bad = [r["error"] for r in warm if r["error"]]
    if bad:
        print(f"  {server.name}: warm-up failures: {bad[:3]}", flush=True)
    out = {}
    for kind in kinds:
        per_run = []
        for run in range(runs):
            if not wait_idle(server):
                print(f"  {server.name}: not idle after 60 s, measuring anyway", flush=True)
            load = os.getloadavg()[0]
            per_run.append(run_clients(server, prompts(kind, n, run), tokens))
            s = summarize(per_run[-1:], tokens)
            print(f"  {server.name:12s} N={n:<3d} {kind:5s} run {run + 1}: {s['tok_s']:7.1f} tok/s, "
                  f"TTFT p50 {s['ttft_p50'] * 1e3:7.0f} ms, fail {s['fail']}, short {s['short']} "
                  f"(load avg {load:.1f})", flush=True)
        out[kind] = summarize(per_run, tokens) | {"load_avg": os.getloadavg()[0]}
    return out


def bench_server(make, n, kinds, tokens, runs):
    server = make(n)
    try:
        return measure(server, n, kinds, tokens, runs)
    finally:
        server.stop()


def ms(x):
    return f"{x * 1e3:8.1f}"


def ratio(a, b):
    return f"{a / b:.3g}×" if b and b == b and a == a else "–"


def report(results, streams, kinds, tokens, have_llama):
    for kind in kinds:
        pt = {s: results[s][1][kind]["prompt_tokens"] for s in results}
        print(f"\n== {kind} prompt (prompt tokens evaluated at N=1: " + ", ".join(f"{s} {pt[s]}" for s in pt) +
              f"), {tokens} generated tokens per request, {THREADS} threads")
        print(f"{'N':>3}  {'server':14s} {'tok/s':>8} {'TTFT p50':>9} {'p99 ms':>8} {'ITL p50':>8} {'p99 ms':>8}"
              f" {'fail':>5} {'short':>5}  {'load':>5}  {'× own N=1':>9}")
        single = results["loom"][1][kind]["tok_s"]
        for n in streams:
            rows = [("loom", results["loom"][n][kind])]
            if have_llama:
                rows.append(("llama-server", results["llama-server"][n][kind]))
            for name, r in rows:
                extra = ratio(r["tok_s"], results[name][1][kind]["tok_s"])
                print(f"{n:3d}  {name:14s} {r['tok_s']:8.1f} {ms(r['ttft_p50']):>9} {ms(r['ttft_p99'])} "
                      f"{ms(r['itl_p50'])} {ms(r['itl_p99'])} {r['fail']:5d} {r['short']:5d}  {r['load_avg']:5.1f}  {extra:>9}")
                for e in r["errors"]:
                    print(f"{'':5}error: {e}")
            if have_llama:
                lo, ll = rows[0][1], rows[1][1]
                print(f"{'':5}{'loom/llama':14s} {ratio(lo['tok_s'], ll['tok_s']):>8} "
                      f"{ratio(lo['ttft_p50'], ll['ttft_p50']):>9} {ratio(lo['ttft_p99'], ll['ttft_p99']):>8} "
                      f"{ratio(lo['itl_p50'], ll['itl_p50']):>8} {ratio(lo['itl_p99'], ll['itl_p99']):>8}")
        print(f"Loom single stream ({kind}): {single:.1f} tok/s; the aim at N≥4 is ≥ 3× that "
              f"({3 * single:.1f} tok/s).")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--streams", default="1,4,8,16", help="comma-separated client counts")
    ap.add_argument("--tokens", type=int, default=128, help="generated tokens per request")
    ap.add_argument("--prompts", default="long,short", help="prompt kinds: long (~500 tokens), short (~12)")
    ap.add_argument("--runs", type=int, default=1, help="measured runs per (server, N, prompt kind)")
    ap.add_argument("--loom-only", action="store_true", help="measure Loom alone (llama-server may be missing)")
    ap.add_argument("--llama-server", type=Path, default=Path(os.environ.get("LLAMA_SERVER", DEFAULT_LLAMA_SERVER)))
    ap.add_argument("--llama-arg", action="append", default=[], metavar="ARG",
                    help="one more llama-server argument (repeatable), e.g. --llama-arg=--poll --llama-arg=0")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    serve = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
    streams = sorted({int(s) for s in args.streams.split(",")})
    kinds = [k for k in args.prompts.split(",") if k]
    if any(k not in ("long", "short") for k in kinds) or not streams or min(streams) < 1:
        ap.error("--prompts takes long,short; --streams positive integers")
    if 1 not in streams:
        streams = [1] + streams                     # Loom's single stream is the reference
    for f, what in ((serve, "LOOM_SERVE"), (args.model, "--model")):
        if not f.exists():
            sys.exit(f"{what}: {f} not found")
    have_llama = args.llama_server.exists() and not args.loom_only
    if not args.llama_server.exists():
        hint = f"llama-server not found at {args.llama_server}; build it with `PYTHON=.venv/bin/python Scripts/build-llama-cpp.sh`"
        if not args.loom_only:
            sys.exit(hint + " (or pass --loom-only)")
        print(hint, flush=True)

    print(f"model {args.model.name}, streams {streams}, {args.tokens} tokens, prompts {kinds}, "
          f"{THREADS} threads, num_ctx {CTX}; load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    results = {"loom": {}, **({"llama-server": {}} if have_llama else {})}
    with tempfile.TemporaryDirectory(prefix="loom-bench-serve-") as models:
        for n in streams:
            results["loom"][n] = bench_server(lambda k: LoomServer(serve, models, args.model.resolve(), k),
                                              n, kinds, args.tokens, args.runs)
            if have_llama:
                results["llama-server"][n] = bench_server(lambda k: LlamaServer(args.llama_server, args.model.resolve(), k, args.llama_arg),
                                                          n, kinds, args.tokens, args.runs)
    report(results, streams, kinds, args.tokens, have_llama)
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "tokens": args.tokens, "threads": THREADS,
                                         "results": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
