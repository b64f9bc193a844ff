#!/usr/bin/env python3
"""Soak: mixed traffic from N client threads against a real `serve` for a given time, sampling each
server's resident memory, open file descriptors and threads from /proc; a CSV of the samples, the
curve and a verdict.

    .venv/bin/python Scripts/soak.py                   # 30 minutes, 8 clients, one server
    .venv/bin/python Scripts/soak.py --duration 5m --every 5
    .venv/bin/python Scripts/soak.py --instances 3     # three --read-only servers behind nginx

Traffic (each client picks at random, seeded): generate streamed and not, chat with tools (the Qwen
template on SmolLM2, so calls are parsed), chat with a JSON-schema `format` (the answer must parse),
embed (SmolLM2, and all-MiniLM-L6-v2 when its GGUF is in .cache/models), create → show → copy →
generate once (keep_alive 0: load and unload) → delete ×2, tags/ps/show/version, requests that must be
refused (unknown model 404, bad JSON 400), and clients that disconnect mid-stream (raw socket, closed
after a few objects, sometimes with a TCP reset). Behind nginx (--instances > 1) the store is
read-only, so create/copy/delete are left out.

The servers run with LOOM_PROMPT_CACHE=--prompt-cache (default 64 MiB per loaded model), so the
bounded prompt cache is full by the end of warm-up and the measured run includes its evictions; each
sample also records the sum of /api/ps sizes (weights, KV caches and what the prompt caches hold).

Verdict (exit status 1 when any fails):
- errors: 0 — no 5xx, no error object in a stream, no failed client call other than the expected
  404/400 and the deliberate disconnects, no 5xx or "(error" line in the server's log;
- memory flat: after warm-up (the first fifth, at most 5 min), the median RSS of the last third of
  samples exceeds that of the first third by at most max(5 %, 16 MiB);
- no fd or thread growth: with traffic paused and client connections closed, the server's fds and
  threads after the run are at most those measured the same way right after warm-up (+2 threads of
  slack for Dispatch's idle workers).
"""

import argparse
import csv
import http.client
import json
import os
import random
import re
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import ollama

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaleout  # noqa: E402

ROOT = scaleout.ROOT
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_FILE = ROOT / ".cache/models/all-MiniLM-L6-v2.F16.gguf"
QWEN = ROOT / "Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja"
MODEL, TOOLS_MODEL, MINILM = "smollm2:135m", "smoltools:135m", "minilm:f16"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
PET = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 16}, "species": {"enum": ["cat", "dog", "rabbit"]},
                                         "age": {"type": "integer", "minimum": 0, "maximum": 30}},
       "required": ["name", "species", "age"], "additionalProperties": False}
TOPICS = ["cats", "the sea", "a lighthouse", "bread", "winter", "a robot", "trains", "the moon", "gardens", "rain"]


def duration(text):
    """'90', '90s', '5m', '1h' → seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text}")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def ps_bytes(url):
    """Sum of /api/ps sizes (weights + KV caches + what the prompt caches hold now), or -1."""
    try:
        with urllib.request.urlopen(url + "/api/ps", timeout=10) as r:
            return sum(m.get("size", 0) for m in json.load(r).get("models", []))
    except Exception:
        return -1


def unload_all(url, wait=20.0):
    """Unloads every model /api/ps lists (keep_alive 0; /api/embed for embedding models) and waits
    until none is loaded, so quiescent samples compare the same state: each loaded model holds its
    thread pool's worker thread, and which models happen to be loaded varies with the traffic."""
    def post(path, body):
        req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=30).read()
        except Exception:
            pass
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/ps", timeout=10) as r:
                models = [m["name"] for m in json.load(r).get("models", [])]
        except Exception:
            return
        if not models:
            return
        for name in models:
            post("/api/generate", {"model": name, "keep_alive": 0})
            post("/api/embed", {"model": name, "input": [], "keep_alive": 0})
        time.sleep(0.5)


def proc_stats(pid):
    """(rss KiB, threads, open fds) of a live process."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))


class Failure(Exception):
    """A response that counts as a server error."""


class Soak:
    def __init__(self, url, host_port, servers, clients, manage, seed):
        self.url, self.host_port, self.servers, self.manage = url, host_port, servers, manage
        self.nclients, self.seed = clients, seed
        self.ops = {}            # name → count done
        self.errors = []         # (time, op, message)
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.pause = threading.Event()
        self.idle = threading.Semaphore(0)
        self.embed_models = [MODEL] + ([MINILM] if MINILM_FILE.exists() else [])

    # -- traffic ----------------------------------------------------------------------------------

    def op_generate_stream(self, c, rng):
        last = None
        for last in c.generate(model=MODEL, prompt=f"Write two sentences about {rng.choice(TOPICS)}.", stream=True,
                               options={"num_predict": rng.randint(8, 64), "temperature": 0.8, "seed": rng.randrange(1 << 30)}):
            pass
        if not (last and last.done):
            raise Failure("stream ended without done")

    def op_generate(self, c, rng):
        r = c.generate(model=MODEL, prompt=f"Name three things about {rng.choice(TOPICS)}.",
                       options={"num_predict": rng.randint(4, 48), "seed": rng.randrange(1 << 30)})
        if not r.done:
            raise Failure("not done")

    def op_chat_tools(self, c, rng):
        city = rng.choice(["Paris", "Oslo", "Lima", "Kyoto"])
        history = [{"role": "user", "content": "What is the weather in Rome?"},
                   {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
                   {"role": "tool", "content": "sunny, 24 C"},
                   {"role": "user", "content": f"What is the weather in {city}?"}]
        stream = rng.random() < 0.5
        out = c.chat(model=TOOLS_MODEL, messages=history, tools=[WEATHER], stream=stream,
                     options={"num_predict": 64, "temperature": 0.7, "seed": rng.randrange(1 << 30)})
        parts = list(out) if stream else [out]
        if not parts[-1].done:
            raise Failure("chat did not finish")
        for p in parts:
            for call in p.message.tool_calls or []:
                if not isinstance(call.function.arguments, dict):
                    raise Failure(f"tool call arguments not an object: {call}")

    def op_chat_format(self, c, rng):
        r = c.chat(model=MODEL, messages=[{"role": "user", "content": f"Describe a pet called {rng.choice(TOPICS)} as JSON."}],
                   format=PET, options={"num_predict": 96, "temperature": 0.7, "seed": rng.randrange(1 << 30)})
        if r.done_reason == "stop":
            value = json.loads(r.message.content)
            if set(value) != {"name", "species", "age"}:
                raise Failure(f"format not followed: {r.message.content}")

    def op_embed(self, c, rng):
        model = rng.choice(self.embed_models)
        texts = [f"{rng.choice(TOPICS)} number {rng.randrange(100)}" for _ in range(rng.randint(1, 6))]
        r = c.embed(model=model, input=texts)
        if len(r.embeddings) != len(texts) or not r.embeddings[0]:
            raise Failure("wrong number of embeddings")

    def op_manage(self, c, rng):
        name = f"soak-{rng.randrange(1 << 40):010x}:latest"
        c.create(model=name, from_=MODEL, system=f"You talk about {rng.choice(TOPICS)}.", parameters={"num_ctx": 512})
        if "You talk about" not in (c.show(name).modelfile or ""):
            raise Failure("created model's Modelfile has no SYSTEM")
        c.copy(name, name.replace("soak-", "soakcopy-"))
        if rng.random() < 0.3:
            c.generate(model=name, prompt="Hi", keep_alive=0, options={"num_predict": 4})
        c.delete(name.replace("soak-", "soakcopy-"))
        c.delete(name)

    def op_read(self, c, rng):
        c.list()
        c.ps()
        c.show(MODEL)
        if c._client.get("/api/version").status_code != 200:
            raise Failure("version")

    def op_refused(self, c, rng):
        try:
            c.generate(model="no-such-model:1", prompt="hi")
            raise Failure("unknown model answered")
        except ollama.ResponseError as e:
            if e.status_code != 404:
                raise Failure(f"unknown model: {e.status_code} {e}")
        r = c._client.post("/api/chat", content=b'{"model": "smollm2:135m", "messages": [')
        if r.status_code != 400:
            raise Failure(f"bad JSON: {r.status_code}")

    def op_disconnect(self, c, rng):
        host, port = self.host_port
        sock = socket.create_connection((host, port), timeout=60)
        try:
            path = rng.choice(["/api/generate", "/api/chat"])
            body = {"model": MODEL, "options": {"num_predict": 400, "ignore_eos": True}}
            if path == "/api/generate":
                body["prompt"] = "Write a long story."
            else:
                body["messages"] = [{"role": "user", "content": "Write a long story."}]
            data = json.dumps(body)
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(data)}\r\n\r\n{data}".encode())
            want, got = rng.randint(1, 20), b""
            while got.count(b'"done":false') < want:
                chunk = sock.recv(65536)
                if not chunk:
                    raise Failure(f"stream closed early: {got[-300:]!r}")
                if b'"error"' in chunk or (got == b"" and not chunk.startswith(b"HTTP/1.1 200")):
                    raise Failure(f"error in stream: {chunk[:300]!r}")
                got += chunk
            if rng.random() < 0.5:   # a reset instead of an orderly close
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            sock.close()

    WEIGHTS = {"generate_stream": 22, "generate": 10, "chat_tools": 14, "chat_format": 10, "embed": 14,
               "manage": 6, "read": 8, "refused": 4, "disconnect": 12}

    def client(self, i):
        rng = random.Random(self.seed * 1000 + i)
        names = [n for n in self.WEIGHTS if self.manage or n != "manage"]
        weights = [self.WEIGHTS[n] for n in names]
        c = ollama.Client(host=self.url, timeout=300)
        while not self.stop_event.is_set():
            if self.pause.is_set():
                c._client.close()             # no keep-alive connection survives a pause
                self.idle.release()
                while self.pause.is_set() and not self.stop_event.is_set():
                    time.sleep(0.05)
                c = ollama.Client(host=self.url, timeout=300)
                continue
            name = rng.choices(names, weights)[0]
            try:
                getattr(self, "op_" + name)(c, rng)
                with self.lock:
                    self.ops[name] = self.ops.get(name, 0) + 1
            except Exception as e:   # noqa: BLE001 — every failure is counted and reported
                with self.lock:
                    self.errors.append((time.time(), name, f"{type(e).__name__}: {str(e)[:200]}"))
        c._client.close()
        self.idle.release()

    # -- measurement ------------------------------------------------------------------------------

    def quiescent(self, settle=3.0, resume=True):
        """Pauses every client (each finishes its request and closes its connections), waits `settle`
        seconds, samples each server, resumes (else stops them); returns [(rss, threads, fds, connections)]
        per server."""
        self.pause.set()
        for _ in range(self.nclients):
            if not self.idle.acquire(timeout=600):
                with self.lock:
                    self.errors.append((time.time(), "pause", "a client did not finish its request within 10 min"))
                break
        for s in self.servers:
            unload_all(s.url)
        time.sleep(settle)
        # Behind nginx, its idle keep-alive connections to the instances outlive the clients'; those
        # sockets are counted apart (fds = other fds + connections).
        stats = [proc_stats(s.pid) + (s.connections(),) for s in self.servers]
        if not resume:
            self.stop_event.set()
        self.pause.clear()
        return stats

    def server_errors(self):
        bad = []
        for s in self.servers:
            for line in s.lines:
                m = re.match(r"(GET|POST|DELETE|HEAD) (\S+) (\d{3})", line)
                if (m and m.group(3).startswith("5")) or "(error" in line or "fatal" in line.lower():
                    bad.append(line)
        return bad


def curve(rows, width=40):
    """Text chart of (minute, rss MiB) rows."""
    lo, hi = min(r[1] for r in rows), max(r[1] for r in rows)
    out = []
    for t, mib in rows:
        bar = int((mib - lo) / (hi - lo) * width) if hi > lo else 0
        out.append(f"  {t:6.1f} min  {mib:8.1f} MiB  |{'#' * bar}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=duration, default=duration("30m"), help="e.g. 30m (default), 5m, 90s")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--every", type=duration, default=duration("10s"), help="sampling period (default 10s)")
    ap.add_argument("--warmup", type=duration, default=None, help="default: a fifth of the duration, at most 5m")
    ap.add_argument("--instances", type=int, default=1, help=">1: read-only servers behind nginx")
    ap.add_argument("--csv", default=None, help="default .cache/soak/soak-<time>.csv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prompt-cache", type=int, default=64,
                    help="LOOM_PROMPT_CACHE MiB per loaded model (default 64: full by the end of warm-up, so "
                         "the run measures a cache that evicts; the server's own default, 512, would still be filling)")
    ap.add_argument("--serve", default=str(scaleout.SERVE))
    args = ap.parse_args()
    warnings.simplefilter("ignore", ResourceWarning)
    warmup = args.warmup if args.warmup is not None else min(300.0, args.duration / 5)
    out = Path(args.csv or ROOT / f".cache/soak/soak-{time.strftime('%Y%m%d-%H%M%S')}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)

    env = {"LOOM_PROMPT_CACHE": str(args.prompt_cache)}
    tmp = tempfile.TemporaryDirectory(prefix="loom-soak-")
    imports = [f"{MODEL}={MODEL_FILE}"] + ([f"{MINILM}={MINILM_FILE}"] if MINILM_FILE.exists() else [])
    cluster = None
    if args.instances > 1:
        scaleout.prepare_store(tmp.name, imports, serve=args.serve)
        # The tools model is made by a writable server before the read-only ones start.
        w = scaleout.Instance(tmp.name, read_only=False, serve=args.serve).start()
        ollama.Client(host=w.url).create(model=TOOLS_MODEL, from_=MODEL, template=QWEN.read_text())
        w.stop()
        cluster = scaleout.Cluster(args.instances, tmp.name, env=env, serve=args.serve)
        servers, url, host_port = cluster.instances, cluster.url, ("127.0.0.1", cluster.nginx.port)
    else:
        args_import = [a for spec in imports for a in ("--import", spec)]
        server = scaleout.Instance(tmp.name, read_only=False, args=args_import, env=env, serve=args.serve).start(timeout=600)
        ollama.Client(host=server.url).create(model=TOOLS_MODEL, from_=MODEL, template=QWEN.read_text())
        servers, url, host_port = [server], server.url, ("127.0.0.1", server.port)

    try:
        run(args, warmup, out, url, host_port, servers)
    finally:
        if cluster:
            cluster.stop()
        else:
            servers[0].stop()
        tmp.cleanup()


def run(args, warmup, out, url, host_port, servers):
    """The traffic, the samples and the report; exits 1 when the verdict fails."""
    soak = Soak(url, host_port, servers, args.clients, manage=len(servers) == 1, seed=args.seed)
    print(f"soak: {args.duration / 60:.1f} min, {args.clients} clients, {len(servers)} server(s) "
          f"(pids {[s.pid for s in servers]}) at {url}; warm-up {warmup / 60:.1f} min; samples every {args.every:.0f} s -> {out}",
          flush=True)
    start = time.time()
    threads = [threading.Thread(target=soak.client, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()
    samples = []   # (t, server index, rss, threads, fds, ops, errors)
    baseline = None
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seconds", "server", "pid", "rss_kib", "threads", "fds", "requests", "errors", "phase", "ps_bytes"])
        next_sample, reported = start, 0
        while time.time() - start < args.duration:
            now = time.time()
            if baseline is None and now - start >= warmup:
                baseline = soak.quiescent()
                for k, (rss, th, fd, _) in enumerate(baseline):
                    w.writerow([round(time.time() - start, 1), k, servers[k].pid, rss, th, fd, sum(soak.ops.values()), len(soak.errors), "quiescent-baseline"])
                print(f"  warm-up done: quiescent baseline {[(round(r / 1024, 1), th, fd, c) for r, th, fd, c in baseline]} "
                      "(MiB, threads, fds, of which connections)", flush=True)
            if now >= next_sample:
                done, errs = sum(soak.ops.values()), len(soak.errors)
                for k, s in enumerate(servers):
                    if not s.alive:
                        raise SystemExit(f"server {s.pid} died:\n" + "\n".join(s.lines[-30:]))
                    rss, th, fd = proc_stats(s.pid)
                    ps = ps_bytes(s.url)
                    samples.append((now - start, k, rss, th, fd, done, errs, ps))
                    w.writerow([round(now - start, 1), k, s.pid, rss, th, fd, done, errs, "warm-up" if baseline is None else "run", ps])
                f.flush()
                last = samples[-1]
                print(f"  {last[0] / 60:6.1f} min  rss {last[2] / 1024:7.1f} MiB  (/api/ps {last[7] / 2**20:7.1f} MiB)  "
                      f"threads {last[3]:3d}  fds {last[4]:3d}  requests {done}  errors {errs}", flush=True)
                for e in soak.errors[reported:errs]:
                    print(f"    error at {e[0] - start:.1f}s in {e[1]}: {e[2]}", flush=True)
                reported = errs
                next_sample += args.every
            time.sleep(0.2)
        if baseline is None:
            baseline = soak.quiescent()
        final = soak.quiescent(resume=False)
        for k, (rss, th, fd, _) in enumerate(final):
            w.writerow([round(time.time() - start, 1), k, servers[k].pid, rss, th, fd, sum(soak.ops.values()), len(soak.errors), "quiescent-final"])
    for t in threads:
        t.join(330)
    hung = sum(t.is_alive() for t in threads)
    server_errors = soak.server_errors()
    for k, s in enumerate(servers):   # the servers' request logs, beside the CSV
        out.with_name(out.stem + f"-server{k}.log").write_text("\n".join(s.lines) + "\n")

    # -- report -----------------------------------------------------------------------------------
    ok = True
    print(f"\nrequests: {sum(soak.ops.values())} done in {(time.time() - start) / 60:.1f} min: "
          + ", ".join(f"{k} {v}" for k, v in sorted(soak.ops.items())))
    print(f"errors: {len(soak.errors)} client-side, {len(server_errors)} in the server logs, {hung} clients hung")
    for e in soak.errors[:15]:
        print(f"  {e[0] - start:7.1f}s {e[1]}: {e[2]}")
    for line in server_errors[:15]:
        print(f"  server: {line}")
    ok &= not soak.errors and not server_errors and hung == 0
    for k, s in enumerate(servers):
        mine = [x for x in samples if x[1] == k]
        after = [x for x in mine if x[0] >= warmup]
        step = max(1, len(mine) // 30)
        print(f"\nserver {k} (pid {s.pid}) resident memory, every {args.every * step:.0f} s (warm-up ends at {warmup / 60:.1f} min):")
        print(curve([(x[0] / 60, x[2] / 1024) for x in mine[::step]]))
        if len(after) >= 6:
            third = len(after) // 3
            first, last = statistics.median(x[2] for x in after[:third]), statistics.median(x[2] for x in after[-third:])
            growth, allowed = (last - first) / 1024, max(0.05 * first / 1024, 16.0)
            flat = growth <= allowed
            print(f"  after warm-up: median of the first third {first / 1024:.1f} MiB, of the last third {last / 1024:.1f} MiB "
                  f"→ {growth:+.1f} MiB (allowed {allowed:.1f}): {'flat' if flat else 'GROWING'}; "
                  f"min {min(x[2] for x in after) / 1024:.1f}, max {max(x[2] for x in after) / 1024:.1f} MiB")
            ok &= flat
        else:
            print("  too few samples after warm-up to judge the memory curve")
            ok = False
        b, fin = baseline[k], final[k]
        fd_ok, th_ok = fin[2] - fin[3] <= b[2] - b[3], fin[1] <= b[1] + 2
        print(f"  quiescent (no traffic, clients' connections closed): after warm-up {b[2]} fds ({b[3]} connections), "
              f"{b[1]} threads, {b[0] / 1024:.1f} MiB; at the end {fin[2]} fds ({fin[3]} connections), {fin[1]} threads, "
              f"{fin[0] / 1024:.1f} MiB → fds other than connections {'ok' if fd_ok else 'GREW'}, "
              f"threads {'ok' if th_ok else 'GREW'}; during traffic fds {min(x[4] for x in mine)}–{max(x[4] for x in mine)}, "
              f"threads {min(x[3] for x in mine)}–{max(x[3] for x in mine)}")
        ok &= fd_ok and th_ok
    print(f"\nCSV: {out} (server logs: {out.stem}-server*.log beside it)")
    print("verdict: PASS" if ok else "verdict: FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
