#!/usr/bin/env python3
"""Scale-out behind a real load balancer: three `serve --read-only` instances sharing one model store,
behind nginx (Debian's package) running deploy/nginx.conf as a child process on loopback
(Scripts/scaleout.py), driven by the official `ollama` client (PyPI ollama==0.6.3) and raw sockets.

    LOOM_SERVE=.build/release/serve .venv/bin/python Tests/Integration/test_scaleout.py
    LOOM_SCALEOUT_CYCLES=6 …   the long form (`make soak`): six kill -9 / restart cycles under load

What is checked:
- requests through nginx reach every instance (round robin) and answer as from one server;
- NDJSON streams pass through unbuffered: the first object reaches the client while the instance is
  still generating (it is received before the instance stamps a later object: created_at ordering,
  not a duration), and a client that disconnects mid-stream stops the generation upstream;
- the instances never write to the shared store: create, copy, delete answer 403 and the store's
  files (names, sizes, mtimes) are identical at the end; the Host check still holds through nginx;
- kill -9 of one instance under load from six streaming clients: the streams in flight on it fail
  cleanly (a 502 or a truncated chunked stream — an error the client sees, never a silent end
  without `done`), requests started after it died all succeed on the others, nothing hangs (every
  request ends within the client timeout); restarted on its port, it rejoins (serves requests again).
"""

import json
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
import unittest
import warnings
from datetime import datetime
from pathlib import Path

import httpx
import ollama

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "Scripts"))
import scaleout  # noqa: E402

SERVE = scaleout.SERVE
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2:135m"
INSTANCES = 3
CYCLES = int(os.environ.get("LOOM_SCALEOUT_CYCLES", "1"))
# Each instance: 4 slots of 1024 positions (three instances share this machine's memory and cores).
ENV = {"OLLAMA_CONTEXT_LENGTH": "1024", "OLLAMA_NUM_PARALLEL": "4"}
# A request started this long after the victim was reaped may still meet nginx's idle keep-alive
# connection to it before nginx has read that connection's close (a POST sent on it is not replayed).
GRACE = 0.5


def snapshot(root):
    """{relative path: (size, mtime_ns)} of every file and directory under `root`."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size if name in files else 0, st.st_mtime_ns)
    return out


def parse_time(s):
    """RFC 3339 created_at (nanoseconds allowed) → seconds since the epoch."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    base = datetime.fromisoformat(m.group(1) + (m.group(3).replace("Z", "+00:00")))
    return base.timestamp() + float(m.group(2) or 0)


class Load:
    """`workers` threads streaming generations through `url` until stopped; every request recorded as
    (start, end, outcome, detail) with outcome "ok", "status N", "timeout", "truncated" (a stream that
    ended without `done` and without an error — silent), or an httpx error class name."""

    def __init__(self, url, workers=6):
        self.url, self.records, self.stop_event = url, [], threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(workers)]
        for t in self.threads:
            t.start()

    def run(self, i):
        client = ollama.Client(host=self.url, timeout=120)
        rng = random.Random(i)
        while not self.stop_event.is_set():
            start, outcome, detail = time.time(), "ok", ""
            try:
                done = False
                for chunk in client.generate(model=MODEL, prompt=f"Tell story number {rng.randrange(1000)}.", stream=True,
                                             options={"num_predict": rng.randint(16, 48), "ignore_eos": True, "seed": i}):
                    done = chunk.done
                outcome = "ok" if done else "truncated"
            except ollama.ResponseError as e:
                outcome, detail = f"status {e.status_code}", str(e)[:160]
            except httpx.TimeoutException as e:
                outcome, detail = "timeout", repr(e)
            except httpx.HTTPError as e:
                outcome, detail = type(e).__name__, str(e)[:160]
            except Exception as e:   # noqa: BLE001 — recorded, and fails the test
                outcome, detail = "unexpected " + type(e).__name__, str(e)[:160]
            with self.lock:
                self.records.append((start, time.time(), outcome, detail))

    def stop(self, timeout=150):
        """Stops and joins every worker; returns the number still running (hung) after `timeout`."""
        self.stop_event.set()
        deadline = time.time() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.time()))
        return sum(t.is_alive() for t in self.threads)


class ScaleOutTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.tmp = tempfile.TemporaryDirectory(prefix="loom-shared-store-")
        cls.store = cls.tmp.name
        scaleout.prepare_store(cls.store, [f"{MODEL}={MODEL_FILE}"])
        cls.before = snapshot(cls.store)
        cls.cluster = scaleout.Cluster(INSTANCES, cls.store, env=ENV)
        cls.client = ollama.Client(host=cls.cluster.url, timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        cls.tmp.cleanup()

    def instance_logs(self):
        return "\n".join(f"--- instance {i.port}:\n" + "\n".join(i.lines[-8:]) for i in self.cluster.instances) \
            + "\n--- nginx error.log:\n" + self.cluster.nginx.error_log()[-2000:]

    @staticmethod
    def json_or_none(piece):
        try:
            value = json.loads(piece)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def test_1_every_instance_answers_through_nginx(self):
        self.assertEqual([m.model for m in self.client.list().models], [MODEL])
        counts = [len(i.requests("/api/generate")) for i in self.cluster.instances]
        for k in range(3 * INSTANCES):
            r = self.client.generate(model=MODEL, prompt=f"Say {k}.", options={"num_predict": 4, "seed": k})
            self.assertTrue(r.done)
        chat = self.client.chat(model=MODEL, messages=[{"role": "user", "content": "Hi"}], options={"num_predict": 4})
        self.assertTrue(chat.done and chat.message.role == "assistant")
        served = [len(i.requests("/api/generate")) - c for i, c in zip(self.cluster.instances, counts)]
        self.assertTrue(all(n >= 1 for n in served), (served, self.instance_logs()))
        self.assertEqual(sum(served), 3 * INSTANCES)

    def test_2_streams_pass_unbuffered_and_disconnects_reach_the_instance(self):
        sock = socket.create_connection(("127.0.0.1", self.cluster.nginx.port), timeout=60)
        body = json.dumps({"model": MODEL, "prompt": "Write a very long story.", "options": {"num_predict": 3000, "ignore_eos": True}})
        sock.sendall(f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
        data, received, objects = b"", None, []
        deadline = time.time() + 120
        while len(objects) < 12:
            self.assertLess(time.time(), deadline, data[-500:])
            chunk = sock.recv(65536)
            self.assertTrue(chunk, data[-500:])
            data += chunk
            # The NDJSON lines, between the chunk-size lines of the chunked encoding.
            objects = [o for o in (self.json_or_none(p) for p in re.split(rb"\r?\n", data)) if o and o.get("done") is False]
            if objects and received is None:
                received = time.time()
        sock.close()
        stamps = [parse_time(o["created_at"]) for o in objects]
        # The first object was in our hands before the instance stamped the eighth: nginx passed it
        # on as it came (buffered, the first ones would arrive together, after many more were made).
        self.assertLess(received, stamps[7], (received, stamps))
        deadline = time.time() + 15
        while time.time() < deadline and not any("client gone" in line for i in self.cluster.instances for line in i.lines):
            time.sleep(0.1)
        self.assertTrue(any("client gone" in line for i in self.cluster.instances for line in i.lines), self.instance_logs())

    def test_3_the_shared_store_is_read_only_and_host_checked(self):
        for call in (lambda: self.client.delete(MODEL), lambda: self.client.copy(MODEL, "other:1"),
                     lambda: self.client.create(model="other:2", from_=MODEL, system="You are terse.")):
            with self.assertRaises(ollama.ResponseError) as caught:
                call()
            self.assertEqual(caught.exception.status_code, 403)
            self.assertIn("read-only", str(caught.exception))
        self.assertEqual([m.model for m in self.client.list().models], [MODEL])
        r = httpx.get(self.cluster.url + "/api/version", headers={"Host": "evil.example.com"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(httpx.get(self.cluster.url + "/api/version", headers={"Host": "localhost"}).status_code, 200)
        self.assertEqual(snapshot(self.store), self.before)

    def test_4_kill_an_instance_under_load_then_bring_it_back(self):
        instances = self.cluster.instances
        failed_in_flight = 0
        for cycle in range(CYCLES):
            victim = instances[cycle % len(instances)]
            load = Load(self.cluster.url, workers=6)
            try:
                # Every instance busy (and its model loaded) before the kill.
                marks = [len(i.requests("/api/generate")) for i in instances]
                deadline = time.time() + 60
                while time.time() < deadline and not all(len(i.requests("/api/generate")) > m for i, m in zip(instances, marks)):
                    time.sleep(0.2)
                time.sleep(1.0)
                t_kill = time.time()
                victim.kill9()
                t_dead = time.time()
                time.sleep(6)
                before_restart = len(victim.requests("/api/generate"))
                victim.start()
                t_back = time.time()
                # nginx tries it again after fail_timeout: a connection to it is a request routed there.
                deadline = time.time() + 60
                while time.time() < deadline and victim.connections() == 0:
                    time.sleep(0.1)
                t_rejoined = time.time() if victim.connections() else None
                time.sleep(1.0)
            finally:
                hung = load.stop()
            # An instance logs a request when its response ends, which may be just after the client
            # stopped reading (a loaded machine: the cycle-3 flake of 2026-12-06, logged 3.6 s in).
            deadline = time.time() + 15
            while True:
                rejoined = [line for line in victim.requests("/api/generate")[before_restart:] if " 200 " in line]
                if rejoined or time.time() > deadline or not t_rejoined:
                    break
                time.sleep(0.2)
            records = sorted(load.records)
            outcomes = {}
            for r in records:
                outcomes[r[2]] = outcomes.get(r[2], 0) + 1
            in_flight = [r for r in records if r[0] < t_dead and r[1] > t_kill]
            failures = [r for r in records if r[2] != "ok"]
            after = [r for r in records if r[0] > t_dead + GRACE]
            print(f"\n  cycle {cycle + 1}/{CYCLES}: killed :{victim.port}; {len(records)} requests {outcomes}; "
                  f"{len(in_flight)} in flight at the kill, {len(failures)} failed; "
                  f"{len(after)} started after it, {sum(r[2] != 'ok' for r in after)} failed; back after "
                  f"{t_back - t_dead:.1f} s, routed to again after {'%.1f s' % (t_rejoined - t_back) if t_rejoined else 'NEVER'}, "
                  f"then served {len(rejoined)} requests", file=sys.stderr)
            for r in failures[:6]:
                print(f"    {r[2]}: {r[3]}", file=sys.stderr)
            self.assertEqual(hung, 0, "a client request hung")
            self.assertNotIn("timeout", outcomes, failures)
            self.assertNotIn("truncated", outcomes, "a stream ended silently without done")
            self.assertFalse([r for r in failures if not r[2].startswith(("status 502", "RemoteProtocolError", "ReadError"))], failures)
            # Only what was in flight on the dead instance failed; what started after it went elsewhere.
            self.assertFalse([r for r in failures if r[0] > t_dead + GRACE], failures)
            self.assertGreater(len(after), 0)
            self.assertTrue(rejoined, "the restarted instance served no request:\n" + self.instance_logs())
            failed_in_flight += len(failures)
        # Six streaming clients over three instances: the victim had streams in flight to cut.
        self.assertGreater(failed_in_flight, 0, "no request was in flight on the killed instance")
        self.assertEqual(snapshot(self.store), self.before)


if __name__ == "__main__":
    if not SERVE.exists() or not MODEL_FILE.exists():
        sys.exit(f"missing {SERVE} or {MODEL_FILE}: run `make release models` (or `make test`) first")
    if not os.path.exists(scaleout.NGINX):
        sys.exit(f"missing {scaleout.NGINX}: run Scripts/install-system-deps.sh (Debian package nginx)")
    unittest.main(verbosity=2)
