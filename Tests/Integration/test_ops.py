#!/usr/bin/env python3
"""Production readiness of the real `serve` binary on loopback (issue 21, items 3 and 5):

* hostile HTTP — bodies over the limit (413, by Content-Length before the body is read, and chunked
  once the limit is passed; a 200 MB body as a new user would send it), blob uploads above the limit
  still accepted, deeply nested / huge JSON, invalid UTF-8, malformed chunked encoding, slow headers
  and slow bodies (closed after the idle timeout), hundreds of idle connections — each answered with
  a 4xx or a closed connection while the server keeps answering others, with bounded memory (RSS);
* operations — GET /metrics read by Prometheus' own parser (`prometheus_client`), its counts checked
  against the requests made; `GET /` / `HEAD /` health; JSON request logs; the drain on SIGTERM (new
  connections refused, the stream in flight finishes, exit 0; past the deadline the generation ends
  with «server shutting down»).

    LOOM_SERVE=path/to/serve .venv/bin/python Tests/Integration/test_ops.py
"""

import hashlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent.parent
SERVE = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2:135m"
IDLE = 2            # LOOM_IDLE_TIMEOUT of the shared server, seconds
MAX_BODY = 64 << 20  # the default LOOM_MAX_BODY


class Server:
    """`serve --host 127.0.0.1:0` over a temporary models directory holding the default model; keeps
    its stderr lines. Finds its port in text or JSON logs."""

    def __init__(self, env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="loom-ops-")
        os.symlink(MODEL_FILE, Path(self.dir.name) / f"{MODEL}.gguf")
        self.proc = subprocess.Popen([str(SERVE), "--host", "127.0.0.1:0", "--models", self.dir.name],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines, self.port = [], None
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError("serve did not start:\n" + "\n".join(self.lines))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self.dir.cleanup()

    def rss(self):
        """Resident memory of the server process, bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def raw(self, data, timeout=10):
        """Sends `data` on a new connection and reads until the server closes it (or `timeout`
        passes: then None for the bytes). Returns (status code or None, all bytes read)."""
        sock = self.connect(timeout)
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            return None, None
        finally:
            sock.close()
        m = re.match(rb"HTTP/1\.1 (\d{3})", got)
        return (int(m.group(1)) if m else None), got

    def healthy(self):
        r = requests.get(self.url + "/", timeout=10)
        return r.status_code == 200 and r.text == "Ollama is running"


def ndjson(response):
    return [json.loads(line) for line in response.iter_lines() if line]


def metrics(server):
    """{family name: family} of one scrape, and the response."""
    r = requests.get(server.url + "/metrics", timeout=30)
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    return families, r


def sample(families, family, name, **labels):
    """The value of one sample (0 when absent)."""
    f = families.get(family)
    for s in (f.samples if f else []):
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0


class HostileTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.server = Server(env={"LOOM_IDLE_TIMEOUT": str(IDLE)})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tearDown(self):
        self.assertIsNone(self.server.proc.poll(), "the server died")
        self.assertTrue(self.server.healthy())

    def test_health_as_ollama(self):
        r = requests.get(self.server.url + "/", timeout=10)
        self.assertEqual((r.status_code, r.text), (200, "Ollama is running"))
        h = requests.head(self.server.url + "/", timeout=10)
        self.assertEqual((h.status_code, h.content), (200, b""))

    def test_a_200_mb_body_is_413_and_memory_stays_bounded(self):
        before = self.server.rss()
        body = b'{"model": "' + b"a" * (200 << 20) + b'"}'
        r = requests.post(self.server.url + "/api/chat", data=body, timeout=120)
        self.assertEqual(r.status_code, 413, r.text[:200])
        self.assertIn(f"the limit is {MAX_BODY} bytes", r.json()["error"])
        del body
        grown = self.server.rss() - before
        print(f"\n  200 MB body → 413; server RSS grew {grown / 2**20:.1f} MiB", end=" ")
        self.assertLess(grown, 32 << 20)   # discarded as it arrives, never held

    def test_a_declared_length_above_the_limit_is_refused_before_the_body(self):
        head = (f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {MAX_BODY + 1}\r\n\r\n").encode()
        sock = self.server.connect()
        sock.sendall(head)                                     # and not one byte of the body
        reply = sock.recv(65536)
        sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        # The /v1 routes answer in their own error shape.
        r = requests.post(self.server.url + "/v1/chat/completions", data=b"x" * (MAX_BODY + 1), timeout=60)
        self.assertEqual(r.status_code, 413)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")

    def test_a_chunked_body_past_the_limit_is_413(self):
        def chunks():
            piece = b" " * (1 << 20)
            for _ in range((MAX_BODY >> 20) + 2):
                yield piece
        r = requests.post(self.server.url + "/api/embed", data=chunks(), timeout=120)   # Transfer-Encoding: chunked
        self.assertEqual(r.status_code, 413, r.text[:200])

    def test_blob_uploads_are_not_limited(self):
        data = os.urandom(MAX_BODY + (4 << 20))
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        r = requests.post(f"{self.server.url}/api/blobs/{digest}", data=data, timeout=120)
        self.assertEqual(r.status_code, 201, r.text)
        self.assertEqual(requests.head(f"{self.server.url}/api/blobs/{digest}", timeout=10).status_code, 200)

    def test_deeply_nested_json_is_400(self):
        for body in [b"[" * 100_000, b'{"a":' * 100_000, b'{"model": "m", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"]:
            r = requests.post(self.server.url + "/api/chat", data=body, timeout=30)
            self.assertEqual(r.status_code, 400, r.text[:200])
            self.assertIn("error", r.json())

    def test_huge_json_is_parsed_and_answered(self):
        junk = ",".join(["1.5"] * 4_000_000)
        body = '{"model": "no-such-model", "junk": [' + junk + ']}'
        self.assertGreater(len(body), 15 << 20)
        r = requests.post(self.server.url + "/api/show", data=body, timeout=60)
        self.assertEqual(r.status_code, 404, r.text[:200])

    def test_invalid_utf8_is_400(self):
        for body in [b'{"model": "\xff\xfe", "messages": []}', b'{"model": "' + MODEL.encode() + b'", "prompt": "\xc3\x28"}',
                     b'\xef\xbb\xbf{"model": 1}', b"\x80\x81"]:
            r = requests.post(self.server.url + "/api/generate", data=body, timeout=30)
            self.assertEqual(r.status_code, 400, (body, r.text[:200]))
        # Raw bytes in the request target or a header: refused or not found, never a crash.
        status, _ = self.server.raw(b"GET /\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertIn(status, (400, 404))
        status, _ = self.server.raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: \xff\xfe\r\nConnection: close\r\n\r\n")
        self.assertTrue(status is None or 200 <= status < 500, status)

    def test_malformed_chunked_encoding_is_400_and_closed(self):
        head = b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        cases = {
            "size not hex": head + b"\r\nZZ\r\n{}\r\n0\r\n\r\n",
            "no CRLF after data": head + b"\r\n2\r\n{}XX0\r\n\r\n",
            "size overflows": head + b"\r\nffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            "Content-Length and chunked": head + b"Content-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            "negative size": head + b"\r\n-2\r\n{}\r\n0\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(name):
                status, reply = self.server.raw(data, timeout=IDLE * 5)
                self.assertIsNotNone(reply, "the connection was left open")
                self.assertEqual(status, 400, reply)

    def test_oversized_request_heads_are_400(self):
        start = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for head in [start + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
                     start + b"".join(b"X-%d: 1\r\n" % i for i in range(2000)) + b"\r\n"]:
            status, reply = self.server.raw(head, timeout=IDLE * 5)
            self.assertIsNotNone(reply, "the connection was left open")
            self.assertEqual(status, 400, reply[:100])
        # A 200 kB request target: an ordinary 404.
        status, reply = self.server.raw(b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertIn(status, (400, 404, 414), reply[:100])

    def test_slow_headers_are_cut_off_and_others_are_served_meanwhile(self):
        sock = self.server.connect()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start, closed, served = time.time(), False, 0
        while time.time() - start < IDLE * 6:
            try:
                sock.sendall(b"X-Slow: 1\r\n")                 # a header line every 200 ms, never the end
                r, _, _ = select.select([sock], [], [], 0.2)
                if r and sock.recv(4096) == b"":
                    closed = True
                    break
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            served += self.server.healthy()
        sock.close()
        print(f"\n  slow headers: closed after {time.time() - start:.1f} s; {served} requests served meanwhile", end=" ")
        self.assertTrue(closed, "a client trickling headers kept its connection")
        self.assertGreater(served, 0)

    def test_a_stalled_body_is_cut_off(self):
        sock = self.server.connect(timeout=IDLE * 6)
        sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"model\":")
        got = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            self.fail("a stalled body kept its connection")
        finally:
            sock.close()
        self.assertFalse(got.startswith(b"HTTP/1.1 2"), got)

    def test_many_idle_connections(self):
        idle = [self.server.connect() for _ in range(400)]
        # Others are served while they sit there, a generation included.
        self.assertTrue(self.server.healthy())
        r = requests.post(self.server.url + "/api/generate", json={"model": MODEL, "prompt": "Hi", "stream": False,
                                                                   "options": {"num_predict": 4}}, timeout=120)
        self.assertEqual(r.status_code, 200, r.text)
        # And the server closes them once they have been silent for the idle timeout.
        deadline, open_ = time.time() + IDLE * 10, set(idle)
        while open_ and time.time() < deadline:
            ready, _, _ = select.select(list(open_), [], [], 0.5)
            for s in ready:
                try:
                    if s.recv(1) == b"":
                        open_.discard(s)
                except ConnectionResetError:
                    open_.discard(s)
        for s in idle:
            s.close()
        self.assertEqual(len(open_), 0, f"{len(open_)} of 400 idle connections still open")

    def test_metrics_in_prometheus_format(self):
        s = self.server
        before, _ = metrics(s)
        evals = []
        r = requests.post(s.url + "/api/generate", json={"model": MODEL, "prompt": "Count to five.", "stream": True,
                                                         "options": {"num_predict": 12, "temperature": 0}}, stream=True, timeout=120)
        lines = ndjson(r)
        evals.append((lines[-1]["prompt_eval_count"], lines[-1]["eval_count"]))
        r = requests.post(s.url + "/api/chat", json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": False,
                                                     "options": {"num_predict": 8}}, timeout=120)
        evals.append((r.json()["prompt_eval_count"], r.json()["eval_count"]))
        r = requests.post(s.url + "/v1/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}],
                                                                "max_tokens": 5}, timeout=120)
        evals.append((r.json()["usage"]["prompt_tokens"], r.json()["usage"]["completion_tokens"]))
        self.assertEqual(requests.get(s.url + "/wp-login-" + "x" * 40, timeout=10).status_code, 404)
        after, resp = metrics(s)
        self.assertTrue(resp.headers["content-type"].startswith("text/plain; version=0.0.4"), resp.headers)

        def delta(family, name, **labels):
            return sample(after, family, name, **labels) - sample(before, family, name, **labels)

        self.assertEqual(after["loom_http_requests"].type, "counter")
        self.assertEqual(delta("loom_http_requests", "loom_http_requests_total", endpoint="/api/generate", method="POST", status="200"), 1)
        self.assertEqual(delta("loom_http_requests", "loom_http_requests_total", endpoint="/api/chat", method="POST", status="200"), 1)
        self.assertEqual(delta("loom_http_requests", "loom_http_requests_total", endpoint="/v1/chat/completions", status="200"), 1)
        self.assertEqual(delta("loom_http_requests", "loom_http_requests_total", endpoint="other", method="GET", status="404"), 1)
        self.assertFalse(any("wp-login" in str(x.labels) for f in after.values() for x in f.samples))
        self.assertEqual(delta("loom_prompt_tokens", "loom_prompt_tokens_total", model=MODEL), sum(p for p, _ in evals))
        self.assertEqual(delta("loom_generated_tokens", "loom_generated_tokens_total", model=MODEL), sum(e for _, e in evals))
        ttft = after["loom_time_to_first_token_seconds"]
        self.assertEqual(ttft.type, "histogram")
        self.assertEqual(delta("loom_time_to_first_token_seconds", "loom_time_to_first_token_seconds_count", model=MODEL), 3)
        per_token = delta("loom_time_per_output_token_seconds", "loom_time_per_output_token_seconds_count", model=MODEL)
        self.assertTrue(0 < per_token <= sum(e for _, e in evals), per_token)
        buckets = [x for x in ttft.samples if x.name.endswith("_bucket") and x.labels.get("model") == MODEL]
        self.assertEqual([x.value for x in buckets], sorted(x.value for x in buckets))   # cumulative
        self.assertEqual(buckets[-1].labels["le"], "+Inf")
        self.assertEqual(buckets[-1].value, sample(after, "loom_time_to_first_token_seconds", "loom_time_to_first_token_seconds_count", model=MODEL))
        self.assertEqual(after["loom_http_request_duration_seconds"].type, "histogram")
        self.assertEqual(delta("loom_http_request_duration_seconds", "loom_http_request_duration_seconds_count", endpoint="/api/generate"), 1)
        ps = requests.get(s.url + "/api/ps", timeout=10).json()["models"]
        self.assertEqual(sample(after, "loom_models_loaded", "loom_models_loaded"), len(ps))
        self.assertEqual(sample(after, "loom_model_memory_bytes", "loom_model_memory_bytes", model=MODEL), ps[0]["size"])
        self.assertEqual(sample(after, "loom_queue_depth", "loom_queue_depth"), 0)
        self.assertEqual(sample(after, "loom_generations_in_flight", "loom_generations_in_flight"), 0)


class DrainTests(unittest.TestCase):
    def generate(self, server, num_predict):
        """Starts a streamed generation; returns (response, its line iterator) once the first line came."""
        r = requests.post(server.url + "/api/generate", json={"model": MODEL, "prompt": "Once upon a time", "raw": True, "stream": True,
                                                              "options": {"num_predict": num_predict, "temperature": 1.0, "seed": 1}},
                          stream=True, timeout=120)
        lines = r.iter_lines()
        first = json.loads(next(lines))
        self.assertFalse(first["done"])
        return r, lines

    def test_sigterm_drains_the_stream_in_flight_and_refuses_new_connections(self):
        server = Server(env={"LOOM_DRAIN_TIMEOUT": "60", "LOOM_LOG_FORMAT": "json"})
        try:
            idle = server.connect()                                # an idle keep-alive client
            r, lines = self.generate(server, 64)
            server.proc.send_signal(signal.SIGTERM)
            refused = False
            for _ in range(100):
                try:
                    server.connect(timeout=2).close()
                except ConnectionRefusedError:
                    refused = True
                    break
                time.sleep(0.05)
            self.assertTrue(refused, "new connections still accepted after SIGTERM")
            self.assertEqual(idle.recv(1), b"")                   # idle connections are closed
            rest = [json.loads(line) for line in lines if line]
            self.assertTrue(rest[-1].get("done"), (rest[-1], server.lines[-6:]))   # the stream finished as if nothing happened
            print(f"\n  drained: {len(rest)} more lines after SIGTERM, eval_count {rest[-1]['eval_count']}", end=" ")
            self.assertGreater(len(rest), 5)
            self.assertEqual(server.proc.wait(60), 0)
            records = [json.loads(line) for line in server.lines if line.startswith("{")]
            self.assertEqual(len(records), len(server.lines), server.lines)   # every line is JSON
            done = [x for x in records if x.get("path") == "/api/generate"]
            self.assertEqual(len(done), 1, records)
            self.assertEqual((done[0]["method"], done[0]["status"], done[0]["tokens"]), ("POST", 200, rest[-1]["eval_count"]))
            self.assertNotIn("outcome", done[0])
            self.assertIsInstance(done[0]["duration_s"], (int, float))
        finally:
            server.stop()

    def test_past_the_deadline_generations_end_with_server_shutting_down(self):
        server = Server(env={"LOOM_DRAIN_TIMEOUT": "1"})
        try:
            r, lines = self.generate(server, 100_000)
            server.proc.send_signal(signal.SIGTERM)
            rest = [json.loads(line) for line in lines if line]
            self.assertEqual(rest[-1], {"error": "server shutting down"})
            self.assertEqual(server.proc.wait(60), 0)
            self.assertTrue(any("200 (error: server shutting down)" in line for line in server.lines), server.lines[-5:])
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
