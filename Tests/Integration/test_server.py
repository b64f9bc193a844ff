#!/usr/bin/env python3
"""End-to-end tests of Loom's Ollama-compatible server: the real `serve` binary on a free loopback
port, driven by the official `ollama` Python client (PyPI ollama==0.6.3) and by raw HTTP.

    .venv/bin/python Tests/Integration/test_server.py          # after a release build of `serve`
    LOOM_SERVE=path/to/serve ... to test another build

The model is SmolLM2-135M-Instruct Q4_1 (`make models`), served as `smollm2:135m` from a temporary
models directory (until the model store lands, a directory of `<name>.gguf` files).
"""

import hashlib
import http.client
import json
import math
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path

import ollama

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Scripts"))
import structured_outputs_check  # noqa: E402  (shared schemas)

ROOT = Path(__file__).resolve().parent.parent.parent
SERVE = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2:135m"
LOOM = Path(os.environ.get("LOOM_CLI", SERVE.parent / "loom"))
MINILM_DIR = ROOT / ".cache/models/all-MiniLM-L6-v2"             # the Hugging Face folder (`make models`)
MINILM_REFERENCE = ROOT / "Fixtures/model/minilm-reference.json"  # independent numpy embeddings of it


class Server:
    """`serve --host 127.0.0.1:0` in a temporary models directory (holding the default model as
    `smollm2:135m.gguf` unless `empty`); its stderr lines are kept."""

    def __init__(self, env=None, empty=False, models=None):
        self.dir = None if models else tempfile.TemporaryDirectory(prefix="loom-models-")
        self.models = models or self.dir.name
        if not empty and not models:
            os.symlink(MODEL_FILE, Path(self.models) / f"{MODEL}.gguf")
        self.proc = subprocess.Popen([str(SERVE), "--host", "127.0.0.1:0", "--models", self.models],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines = []
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError("serve did not start:\n" + "\n".join(self.lines))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.dir:
            self.dir.cleanup()

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes) of one raw HTTP request; `body` may be bytes, str or JSON."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


class ServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)   # the client's pooled sockets, closed at exit
        cls.server = Server()
        cls.client = ollama.Client(host=cls.server.url)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    # -- transport ------------------------------------------------------------------------------

    def test_root_version_and_unknown_routes(self):
        s = self.server
        status, headers, body = s.request("GET", "/")
        self.assertEqual((status, body), (200, b"Ollama is running"))
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        self.assertEqual(s.request("HEAD", "/")[0], 200)
        status, _, body = s.request("GET", "/api/version")
        self.assertEqual(status, 200)
        self.assertRegex(json.loads(body)["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(s.request("GET", "/api/nope")[::2], (404, b"404 page not found"))
        self.assertEqual(s.request("GET", "/api/chat")[::2], (405, b"405 method not allowed"))

    def test_cors_and_host(self):
        s = self.server
        status, headers, body = s.request("GET", "/", headers={"Origin": "chrome-extension://abc"})
        self.assertEqual((status, body), (403, b""))
        status, headers, _ = s.request("GET", "/", headers={"Origin": "http://localhost:3000"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), "http://localhost:3000")
        self.assertEqual(s.request("OPTIONS", "/api/chat", headers={"Origin": "http://localhost:3000"})[0], 204)
        self.assertEqual(s.request("GET", "/", headers={"Host": "evil.example.com"})[0], 403)

    # -- generate -------------------------------------------------------------------------------

    def test_generate_stream_with_the_client(self):
        chunks = list(self.client.generate(model=MODEL, prompt="Name a color.", stream=True,
                                           options={"num_predict": 12, "seed": 3}))
        self.assertGreater(len(chunks), 1)
        self.assertTrue(all(not c.done for c in chunks[:-1]))
        self.assertTrue(all(c.eval_count is None and c.total_duration is None for c in chunks[:-1]))
        last = chunks[-1]
        self.assertTrue(last.done)
        self.assertIn(last.done_reason, ("stop", "length"))
        self.assertGreater(last.eval_count, 0)
        self.assertGreater(last.eval_duration, 0)
        self.assertGreater(last.prompt_eval_count, 0)
        self.assertTrue(last.context)
        self.assertTrue("".join(c.response for c in chunks).strip())

    def test_ndjson_over_raw_http(self):
        status, headers, body = self.server.request(
            "POST", "/api/generate", {"model": MODEL, "prompt": "Hello", "options": {"num_predict": 8}})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        lines = body.decode().splitlines()
        objects = [json.loads(line) for line in lines]
        self.assertEqual([o["done"] for o in objects].count(True), 1)
        self.assertTrue(objects[-1]["done"])
        for o in objects[:-1]:
            self.assertRegex(o["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
            self.assertEqual(set(o), {"model", "created_at", "response", "done"})
        self.assertIsInstance(objects[-1]["total_duration"], int)

    def test_non_streaming_equals_streaming_at_temperature_zero(self):
        options = {"temperature": 0, "seed": 11, "num_predict": 24}
        streamed = "".join(c.response for c in self.client.generate(model=MODEL, prompt="Tell me about cats.",
                                                                      stream=True, options=options))
        whole = self.client.generate(model=MODEL, prompt="Tell me about cats.", stream=False, options=options)
        self.assertTrue(whole.done)
        self.assertEqual(whole.response, streamed)
        status, headers, _ = self.server.request("POST", "/api/generate", {"model": MODEL, "prompt": "Hi", "stream": False,
                                                                            "options": {"num_predict": 2}})
        self.assertEqual(headers["content-type"], "application/json; charset=utf-8")

    def test_options(self):
        one = self.client.generate(model=MODEL, prompt="Count to ten.", options={"num_predict": 1})
        self.assertLessEqual(one.eval_count or 0, 1)
        self.assertEqual(one.done_reason, "length")
        text = self.client.generate(model=MODEL, prompt="Write three short lines about the sea.",
                                    options={"stop": ["\n"], "num_predict": 60, "seed": 5}).response
        self.assertNotIn("\n", text)
        a = self.client.generate(model=MODEL, prompt="Invent a name.", options={"seed": 42, "temperature": 0.9, "num_predict": 16})
        b = self.client.generate(model=MODEL, prompt="Invent a name.", options={"seed": 42, "temperature": 0.9, "num_predict": 16})
        self.assertEqual(a.response, b.response)

    def test_unbounded_num_predict_is_capped_at_ten_contexts(self):
        r = self.client.generate(model=MODEL, prompt="Once upon a time", raw=True,
                                 options={"num_ctx": 16, "temperature": 1.0, "seed": 3})
        self.assertLessEqual(r.eval_count, 160)
        if r.done_reason == "length":
            self.assertEqual(r.eval_count, 160)

    def test_raw_and_context(self):
        r = self.client.generate(model=MODEL, prompt="The capital of France is", raw=True, options={"num_predict": 4, "temperature": 0})
        self.assertTrue(r.done)
        self.assertFalse(r.context)
        first = self.client.generate(model=MODEL, prompt="My name is Ada.", options={"num_predict": 8, "temperature": 0})
        again = self.client.generate(model=MODEL, prompt="What is my name?", context=first.context,
                                     options={"num_predict": 8, "temperature": 0})
        self.assertTrue(again.done)
        self.assertGreater(len(again.context), len(first.context))

    def test_logprobs(self):
        chunks = list(self.client.generate(model=MODEL, prompt="Name a planet.", stream=True, logprobs=True, top_logprobs=2,
                                           options={"num_predict": 10, "temperature": 0}))
        entries = [lp for c in chunks for lp in (c.logprobs or [])]
        self.assertGreater(len(entries), 0)
        self.assertTrue(all(c.logprobs for c in chunks[:-1] if c.response), "every chunk with text carries its tokens")
        for e in entries:
            self.assertLessEqual(e.logprob, 0)
            self.assertEqual(len(e.top_logprobs), 2)
            self.assertGreaterEqual(e.top_logprobs[0].logprob, e.top_logprobs[1].logprob)
            # temperature 0 picks the most likely token
            self.assertEqual((e.token, e.logprob), (e.top_logprobs[0].token, e.top_logprobs[0].logprob))
        self.assertEqual("".join(e.token for e in entries), "".join(c.response for c in chunks))
        status, _, body = self.server.request("POST", "/api/generate", {"model": MODEL, "prompt": "Name a planet.", "stream": False,
                                                                         "logprobs": True, "options": {"num_predict": 6, "temperature": 0}})
        raw = json.loads(body)["logprobs"]
        self.assertTrue(raw and all(bytes(e["bytes"]).decode("utf-8", "replace") == e["token"] for e in raw if "bytes" in e))
        self.assertTrue(all("top_logprobs" not in e for e in raw))
        plain = self.client.generate(model=MODEL, prompt="Name a planet.", options={"num_predict": 3})
        self.assertIsNone(plain.logprobs)
        whole = self.client.chat(model=MODEL, messages=[{"role": "user", "content": "Hi"}], logprobs=True,
                                 options={"num_predict": 5, "temperature": 0})
        self.assertTrue(whole.logprobs)
        self.assertTrue(all(e.top_logprobs is None for e in whole.logprobs))

    # -- chat -----------------------------------------------------------------------------------

    def test_chat_stream_and_history(self):
        messages = [{"role": "USER", "content": "Name a fruit."}]
        chunks = list(self.client.chat(model=MODEL, messages=messages, stream=True, options={"num_predict": 10, "temperature": 0}))
        self.assertTrue(all(c.message.role == "assistant" for c in chunks))
        last = chunks[-1]
        self.assertTrue(last.done)
        reply = "".join(c.message.content for c in chunks)
        self.assertTrue(reply.strip())
        history = messages + [{"role": "assistant", "content": reply}, {"role": "user", "content": "And a vegetable?"}]
        second = self.client.chat(model=MODEL, messages=history, options={"num_predict": 10, "temperature": 0})
        self.assertTrue(second.message.content.strip())
        # The second turn reuses the cached conversation: only the new tokens are evaluated.
        self.assertLess(second.prompt_eval_count, 40)

    def test_chat_truncates_long_history_to_num_ctx(self):
        history = []
        for i in range(30):
            history += [{"role": "user", "content": f"Message number {i}: tell me something about the number {i}."},
                        {"role": "assistant", "content": f"The number {i} is a fine number with many properties."}]
        history.append({"role": "user", "content": "Thanks!"})
        r = self.client.chat(model=MODEL, messages=history, options={"num_ctx": 256, "num_predict": 4})
        self.assertTrue(r.done)
        self.assertLessEqual(r.prompt_eval_count, 256)
        status, _, body = self.server.request("POST", "/api/chat", {"model": MODEL, "messages": history, "truncate": False,
                                                                     "stream": False, "options": {"num_ctx": 256, "num_predict": 4}})
        self.assertEqual(status, 400, body)

    # -- load, unload, ps -----------------------------------------------------------------------

    def test_load_unload_and_ps(self):
        r = self.client.generate(model=MODEL, prompt="")
        self.assertEqual((r.done, r.done_reason), (True, "load"))
        ps = self.client.ps()
        self.assertEqual([m.model for m in ps.models], [MODEL])
        self.assertGreater(ps.models[0].size, 90_000_000)
        self.assertIsNotNone(ps.models[0].expires_at)
        r = self.client.generate(model=MODEL, prompt="", keep_alive="10m")
        ps = self.client.ps().models[0]
        left = ps.expires_at.timestamp() - time.time()
        self.assertTrue(9 * 60 < left <= 10 * 60 + 5, left)
        r = self.client.generate(model=MODEL, prompt="", keep_alive=-1)
        self.assertGreater(self.client.ps().models[0].expires_at.year, 2200)
        r = self.client.chat(model=MODEL, messages=[], keep_alive=0)
        self.assertEqual((r.done, r.done_reason), (True, "unload"))
        self.assertEqual(self.client.ps().models, [])
        r = self.client.chat(model=MODEL, messages=[])
        self.assertEqual(r.done_reason, "load")

    def test_reload_on_num_ctx_change(self):
        self.client.generate(model=MODEL, prompt="", options={"num_ctx": 512})
        self.assertEqual(self.client.ps().models[0].context_length, 512)
        self.client.generate(model=MODEL, prompt="", options={"num_ctx": 1024})
        self.assertEqual(self.client.ps().models[0].context_length, 1024)

    # -- errors ---------------------------------------------------------------------------------

    def assertError(self, status, path, body, message=None):
        got, headers, data = self.server.request("POST", path, body)
        self.assertEqual(got, status, data)
        err = json.loads(data)["error"]
        self.assertIsInstance(err, str)
        if message:
            self.assertEqual(err, message)

    def test_errors(self):
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.generate(model="nosuchmodel", prompt="hi")
        self.assertEqual(e.exception.status_code, 404)
        self.assertError(404, "/api/generate", {"model": "nosuchmodel", "prompt": "x"}, "model 'nosuchmodel' not found")
        self.assertError(404, "/api/generate", {"model": ""}, "model '' not found")
        self.assertError(400, "/api/chat", {"model": ""}, "model is required")
        self.assertError(400, "/api/generate", b"", "missing request body")
        self.assertError(400, "/api/generate", b"{not json")
        self.assertError(400, "/api/generate", {"model": MODEL, "keep_alive": "-1"}, 'time: missing unit in duration "-1"')
        self.assertError(400, "/api/generate", {"model": MODEL, "prompt": "x", "top_logprobs": 21}, "top_logprobs must be between 0 and 20")
        self.assertError(400, "/api/generate", {"model": MODEL, "prompt": "x", "raw": True, "system": "s"},
                         "raw mode does not support template, system, or context")
        self.assertError(400, "/api/generate", {"model": MODEL, "prompt": "x", "think": True}, f'"{MODEL}" does not support thinking')
        self.assertError(400, "/api/generate", {"model": "bad name!", "prompt": "x"}, "invalid model name")
        self.assertError(400, "/api/chat", {"model": MODEL, "messages": [{"role": "user", "content": "x"}],
                                            "tools": [{"type": "function", "function": {"name": "f"}}]},
                         "registry.ollama.ai/library/smollm2:135m does not support tools")
        self.assertError(400, "/api/generate", {"model": MODEL, "prompt": "x", "options": {"temperature": "hot"}},
                         'option "temperature" must be of type float32')
        # A think:false request is fine; the server is still healthy after all of the above.
        r = self.client.generate(model=MODEL, prompt="Hi", think=False, options={"num_predict": 2})
        self.assertTrue(r.done)

    # -- concurrency and cancellation -----------------------------------------------------------

    def test_four_clients_at_once(self):
        results = [None] * 4

        def run(i):
            c = ollama.Client(host=self.server.url)
            results[i] = c.generate(model=MODEL, prompt=f"Say {i}.", options={"num_predict": 8, "seed": i})

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertTrue(all(r is not None and r.done for r in results))

    def test_disconnect_frees_the_slot(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
        body = json.dumps({"model": MODEL, "prompt": "Write a very long story.", "options": {"num_predict": 2000}})
        sock.sendall(f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
        data = b""
        while b'"done":false' not in data:
            chunk = sock.recv(4096)
            self.assertTrue(chunk, data)
            data += chunk
        sock.close()
        start = time.time()
        r = self.client.generate(model=MODEL, prompt="Hi", options={"num_predict": 4})
        self.assertTrue(r.done)
        # 2000 tokens take ~10 s here; the next request must not have waited for them.
        self.assertLess(time.time() - start, 5)
        deadline = time.time() + 10
        while not any("client gone" in line for line in self.server.lines) and time.time() < deadline:
            time.sleep(0.1)
        self.assertTrue(any("client gone" in line for line in self.server.lines), self.server.lines[-5:])


class BatchingTests(unittest.TestCase):
    """Continuous batching (OLLAMA_NUM_PARALLEL slots decoding together): eight chats with different
    histories answer at once exactly what each answers alone; with one slot, a client that
    disconnects mid-stream gives the slot back at the next step."""

    def test_eight_concurrent_chats_with_different_histories(self):
        server = Server(env={"OLLAMA_NUM_PARALLEL": "8"})
        try:
            client = ollama.Client(host=server.url)
            names = ["Ada", "Brahe", "Curie", "Darwin", "Euler", "Faraday", "Gauss", "Hopper"]

            def chat(i):
                messages = [{"role": "user", "content": f"Hello, my name is {names[i]} and I like {i + 2} cats."},
                            {"role": "assistant", "content": f"Nice to meet you, {names[i]}!"},
                            {"role": "user", "content": "What is my name, and how many cats do I like?"}]
                return client.chat(model=MODEL, messages=messages, options={"temperature": 0, "num_predict": 24}).message.content

            alone = [chat(i) for i in range(8)]
            together = [None] * 8

            def run(i):
                together[i] = chat(i)

            threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            self.assertTrue(all(a.strip() for a in alone), alone)
            self.assertEqual(together, alone)
            self.assertGreaterEqual(sum(names[i] in alone[i] for i in range(8)), 4, alone)   # the histories are theirs
        finally:
            server.stop()

    def test_disconnect_frees_the_only_slot(self):
        server = Server(env={"OLLAMA_NUM_PARALLEL": "1"})
        try:
            client = ollama.Client(host=server.url)
            client.generate(model=MODEL, prompt="Hi", options={"num_predict": 1})   # loaded
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
            body = json.dumps({"model": MODEL, "prompt": "Write a very long story.",
                               "options": {"num_predict": 4000, "ignore_eos": True}})
            sock.sendall(f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
            data = b""
            while data.count(b'"done":false') < 3:
                chunk = sock.recv(4096)
                self.assertTrue(chunk, data)
                data += chunk
            sock.close()
            start = time.time()
            r = client.generate(model=MODEL, prompt="Hi", options={"num_predict": 4})
            self.assertTrue(r.done)
            # 4000 forced tokens take > 10 s here; the next request waited for at most a few steps.
            self.assertLess(time.time() - start, 5)
        finally:
            server.stop()

    def test_prompt_cache_serves_clients_taking_turns_on_one_slot(self):
        """Two clients alternate on one slot; each one's next turn restores its conversation from the
        prompt cache (prompt_eval_count: only the new tokens), and with LOOM_PROMPT_CACHE=0 it does not."""
        gpl = open(os.path.join(ROOT, "Fixtures/text/GPL-3.txt"), encoding="utf-8").read().split()
        counts = {}
        for budget in ("64", "0"):
            server = Server(env={"OLLAMA_NUM_PARALLEL": "1", "LOOM_PROMPT_CACHE": budget})
            try:
                client = ollama.Client(host=server.url)
                options = {"temperature": 0, "num_predict": 8}
                histories = {c: [{"role": "system", "content": " ".join(gpl[i:i + 250])}] for c, i in (("a", 0), ("b", 2000))}
                evals = []
                for turn in range(2):
                    for c in ("a", "b"):
                        histories[c].append({"role": "user", "content": f"Question {turn}: what does it say?"})
                        r = client.chat(model=MODEL, messages=histories[c], options=options)
                        histories[c].append({"role": "assistant", "content": r.message.content})
                        evals.append(r.prompt_eval_count)
                counts[budget] = evals
            finally:
                server.stop()
        cached, plain = counts["64"], counts["0"]
        self.assertEqual(cached[:2], plain[:2])               # first turns: everything is new
        self.assertGreater(min(plain[:2]), 250)
        self.assertTrue(all(n < 60 for n in cached[2:]), cached)   # second turns: only the new messages
        self.assertTrue(all(n > 250 for n in plain[2:]), plain)    # without the cache: all again


class StoreTests(unittest.TestCase):
    """The model store through HTTP: blobs, create, tags, show, copy, delete, and a store laid out by
    hand as Ollama writes it (§13)."""

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.server = Server(empty=True)
        cls.client = ollama.Client(host=cls.server.url)
        cls.root = Path(cls.server.models)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def blobs(self):
        return sorted(p.name for p in (self.root / "blobs").glob("sha256-*"))

    def test_1_blobs(self):
        s = self.server
        data = b"hello loom"
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.assertEqual(s.request("HEAD", f"/api/blobs/{digest}")[0], 404)
        wrong = "sha256:" + "0" * 64
        status, _, body = s.request("POST", f"/api/blobs/{wrong}", data)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], f'digest mismatch, expected "{wrong}", got "{digest}"')
        self.assertEqual(s.request("POST", f"/api/blobs/{digest}", data)[0], 201)
        self.assertEqual(s.request("HEAD", f"/api/blobs/{digest}")[0], 200)
        self.assertEqual(s.request("POST", f"/api/blobs/{digest}", data)[0], 200)
        status, _, body = s.request("POST", "/api/blobs/sha256:xyz", data)
        self.assertEqual((status, json.loads(body)["error"]), (400, "invalid digest format"))
        self.assertFalse([p for p in (self.root / "blobs").iterdir() if p.name.startswith(".tmp")])

    def test_2_create_list_show_generate_copy_delete(self):
        c = self.client
        self.assertEqual(c.list().models, [])
        digest = c.create_blob(MODEL_FILE)
        statuses = [p.status for p in c.create(model="smol", files={"model.gguf": digest}, stream=True)]
        self.assertEqual(statuses[0], "parsing GGUF")
        self.assertEqual(statuses[-2:], ["writing manifest", "success"])
        listed = c.list().models
        self.assertEqual([m.model for m in listed], ["smol:latest"])
        manifest_file = self.root / "manifests/registry.ollama.ai/library/smol/latest"
        manifest = json.loads(manifest_file.read_text())
        self.assertEqual(manifest["schemaVersion"], 2)
        self.assertEqual(manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json")
        self.assertEqual(manifest["layers"][0], {"mediaType": "application/vnd.ollama.image.model", "digest": digest,
                                                 "size": MODEL_FILE.stat().st_size})
        self.assertEqual(listed[0].digest, hashlib.sha256(manifest_file.read_bytes()).hexdigest())
        self.assertEqual(listed[0].size, sum(l["size"] for l in manifest["layers"]) + manifest["config"]["size"])
        self.assertEqual(listed[0].details.family, "llama")
        self.assertEqual(listed[0].details.quantization_level, "Q4_1")
        r = c.generate(model="smol", prompt="Hi", options={"num_predict": 4})
        self.assertTrue(r.done)

        # from + system + parameters: shares the model blob, show reflects the new layers
        c.create(model="smol-pirate:v1", from_="smol", system="You are a pirate.", parameters={"temperature": 0.2, "stop": ["<|im_end|>", "Arr"]})
        shown = c.show("smol-pirate:v1")
        raw = json.loads(self.server.request("POST", "/api/show", {"model": "smol-pirate:v1"})[2])
        self.assertEqual(raw["system"], "You are a pirate.")
        self.assertIn('SYSTEM """You are a pirate."""', shown.modelfile)
        self.assertIn("temperature", shown.parameters)
        self.assertIn('stop                           "Arr"', shown.parameters)
        self.assertIn("completion", shown.capabilities)
        self.assertTrue(shown.modelfile.startswith('# Modelfile generated by "ollama show"'))
        self.assertEqual(shown.modelinfo["general.architecture"], "llama")
        pirate = json.loads((self.root / "manifests/registry.ollama.ai/library/smol-pirate/v1").read_text())
        self.assertEqual(pirate["layers"][0]["digest"], digest)
        chat = c.chat(model="smol-pirate:v1", messages=[{"role": "user", "content": "Hello"}], options={"num_predict": 4})
        self.assertTrue(chat.done)

        # copy shares the manifest; delete removes only unshared blobs
        c.copy("smol", "smol-copy")
        by_name = {m.model: m.digest for m in c.list().models}
        self.assertEqual(by_name["smol-copy:latest"], by_name["smol:latest"])
        blobs_before = self.blobs()
        c.delete("smol-copy")
        self.assertEqual(self.blobs(), blobs_before)
        with self.assertRaises(ollama.ResponseError) as e:
            c.delete("smol-copy")
        self.assertEqual(e.exception.status_code, 404)
        c.delete("smol")
        self.assertIn("sha256-" + digest[7:], self.blobs())        # still used by smol-pirate:v1
        c.delete("smol-pirate:v1")
        self.assertNotIn("sha256-" + digest[7:], self.blobs())
        self.assertEqual(c.list().models, [])
        self.assertFalse((self.root / "manifests/registry.ollama.ai/library/smol").exists())

    def test_3_errors(self):
        s = self.server
        def err(method, path, body):
            status, _, data = s.request(method, path, body)
            return status, json.loads(data)["error"] if data else ""
        self.assertEqual(err("POST", "/api/create", {"model": "x"}), (400, "neither 'from' or 'files' was specified"))
        self.assertEqual(err("POST", "/api/create", {"model": "bad name!", "from": "y"}), (400, "invalid model name"))
        self.assertEqual(err("POST", "/api/create", {"model": "x", "from": "nosuch"}), (404, "model 'nosuch' not found"))
        self.assertEqual(err("POST", "/api/show", {"model": "nosuch"}), (404, "model 'nosuch:latest' not found"))
        self.assertEqual(err("POST", "/api/show", {}), (400, "model is required"))
        self.assertEqual(err("POST", "/api/copy", {"source": "nosuch", "destination": "b"}), (404, 'model "nosuch" not found'))
        self.assertEqual(err("POST", "/api/copy", {"source": "a!", "destination": "b"}), (400, 'source "a!" is invalid'))
        self.assertEqual(err("DELETE", "/api/delete", {"model": "nosuch"}), (404, "model 'nosuch:latest' not found"))
        self.assertEqual(err("DELETE", "/api/delete", {}), (400, "model is required"))
        self.assertEqual(s.request("GET", "/api/show")[0], 405)

    def test_5_template_given_at_create_replaces_the_gguf_template(self):
        c = self.client
        digest = c.create_blob(MODEL_FILE)
        qwen = (ROOT / "Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja").read_text()
        c.create(model="smol-plain", files={"m.gguf": digest})
        c.create(model="smol-tools", from_="smol-plain", template=qwen)
        tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        with self.assertRaises(ollama.ResponseError) as e:
            c.chat(model="smol-plain", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=tools)
        self.assertEqual(e.exception.status_code, 400)
        r = c.chat(model="smol-tools", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=tools,
                   options={"num_predict": 8})
        self.assertTrue(r.done)
        self.assertIn("tools", c.show("smol-tools").capabilities)
        self.assertNotIn("tools", c.show("smol-plain").capabilities)
        # Qwen's template puts the tool list into the system turn: many more prompt tokens than plain.
        plain = c.chat(model="smol-plain", messages=[{"role": "user", "content": "Weather in Paris?"}], options={"num_predict": 1})
        self.assertGreater(r.prompt_eval_count, plain.prompt_eval_count + 50)
        c.delete("smol-tools")
        c.delete("smol-plain")

    def test_4_store_laid_out_by_hand(self):
        # Exactly as Ollama writes it (§13): blobs named sha256-<hex>, manifest under host/ns/model/tag.
        blobs = self.root / "blobs"
        blobs.mkdir(exist_ok=True)
        def put(data):
            digest = hashlib.sha256(data).hexdigest()
            (blobs / f"sha256-{digest}").write_bytes(data)
            return {"digest": f"sha256:{digest}", "size": len(data)}
        model = put(MODEL_FILE.read_bytes())
        config = put(json.dumps({"model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
                                 "model_type": "135M", "file_type": "Q4_1", "architecture": "amd64", "os": "linux"}).encode())
        params = put(json.dumps({"num_predict": 3}).encode())
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config},
                    "layers": [{"mediaType": "application/vnd.ollama.image.model", **model},
                               {"mediaType": "application/vnd.ollama.image.params", **params}]}
        d = self.root / "manifests/registry.ollama.ai/someone/handmade"
        d.mkdir(parents=True)
        (d / "q4").write_text(json.dumps(manifest))
        listed = {m.model: m for m in self.client.list().models}
        self.assertIn("someone/handmade:q4", listed)
        self.assertEqual(listed["someone/handmade:q4"].details.parameter_size, "135M")
        r = self.client.generate(model="SomeOne/HandMade:Q4", prompt="Hi")     # case-insensitive lookup
        self.assertEqual((r.done_reason, r.eval_count), ("length", 3))        # num_predict from the params layer
        self.client.delete("someone/handmade:q4")


class CLITests(unittest.TestCase):
    def test_create_list_show_cp_rm_ps_stop(self):
        loom = Path(os.environ.get("LOOM_CLI", SERVE.parent / "loom"))
        server = Server(empty=True)
        env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{server.port}"}
        def run(*args, ok=True):
            p = subprocess.run([str(loom), *args], capture_output=True, text=True, env=env, timeout=120)
            if ok:
                self.assertEqual(p.returncode, 0, p.stderr)
            return p
        try:
            with tempfile.TemporaryDirectory() as d:
                mf = Path(d) / "Modelfile"
                mf.write_text(f'FROM {MODEL_FILE}\nPARAMETER temperature 0.3\nPARAMETER stop "<|im_end|>"\nSYSTEM "You are terse."\n')
                out = run("create", "smol", "-f", str(mf)).stdout
                self.assertIn("writing manifest", out)
                self.assertTrue(out.strip().endswith("success"))
            listing = run("list").stdout.splitlines()
            self.assertEqual(listing[0].split(), ["NAME", "ID", "SIZE", "MODIFIED"])
            self.assertTrue(listing[1].startswith("smol:latest"))
            self.assertIn('temperature                    0.3', run("show", "smol", "--parameters").stdout)
            self.assertIn("You are terse.", run("show", "smol").stdout)
            run("cp", "smol", "smol2")
            self.assertEqual(len(run("ls").stdout.splitlines()), 3)
            server.request("POST", "/api/generate", {"model": "smol", "prompt": "hi", "options": {"num_predict": 2}})
            ps = run("ps").stdout.splitlines()
            self.assertTrue(ps[1].startswith("smol:latest") and "100% CPU" in ps[1] and "minutes from now" in ps[1], ps)
            run("stop", "smol")
            self.assertEqual(len(run("ps").stdout.splitlines()), 1)
            run("rm", "smol2")
            self.assertEqual(len(run("list").stdout.splitlines()), 2)
            p = run("stop", "nosuch", ok=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('couldn\'t find model "nosuch" to stop', p.stderr)
            p = run("show", "nosuch", ok=False)
            self.assertIn("model 'nosuch:latest' not found", p.stderr)
        finally:
            server.stop()


class QuantizeTests(unittest.TestCase):
    def test_quantize_f16_to_q8_0_q4_0_q5_0_q5_1_matches_gguf_quants(self):
        """create with `quantize` from the F16 file: the models answer, and every tensor's bytes equal
        gguf.quants' (ggml's reference quantizers) on the same F16 data."""
        import numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize, quantize
        warnings.simplefilter("ignore", ResourceWarning)
        source_file = ROOT / ".cache/models/SmolLM2-135M-Instruct.F16.gguf"
        server = Server(empty=True)
        try:
            client = ollama.Client(host=server.url)
            digest = client.create_blob(source_file)
            source = {t.name: t for t in GGUFReader(str(source_file)).tensors}
            for target in ("q8_0", "q4_0", "q5_0", "q5_1"):
                statuses = [p.status for p in client.create(model=f"smol-{target}", files={"m.gguf": digest}, quantize=target, stream=True)]
                self.assertIn(f"quantizing F16 model to {target.upper()}", statuses)
                self.assertEqual(statuses[-1], "success")
                r = client.generate(model=f"smol-{target}", prompt="Name a color.", options={"num_predict": 8})
                self.assertTrue(r.done and r.response.strip())
                manifest = json.loads((Path(server.models) / f"manifests/registry.ollama.ai/library/smol-{target}/latest").read_text())
                blob = Path(server.models) / "blobs" / ("sha256-" + manifest["layers"][0]["digest"][7:])
                out = GGUFReader(str(blob))
                self.assertEqual(int(out.fields["general.file_type"].contents()), {"q8_0": 7, "q4_0": 2, "q5_0": 8, "q5_1": 9}[target])
                kinds = set()
                for t in out.tensors:
                    src = source[t.name]
                    values = dequantize(src.data, src.tensor_type).astype(np.float32)
                    expected = values if t.tensor_type.name == "F32" else quantize(values, t.tensor_type)
                    self.assertEqual(np.asarray(t.data).tobytes(), np.asarray(expected).tobytes(), f"{target} {t.name} ({t.tensor_type.name})")
                    kinds.add(t.tensor_type.name)
                self.assertIn(target.upper(), kinds)
                print(f"{target}: {len(out.tensors)} tensors byte-identical to gguf.quants ({sorted(kinds)})")
        finally:
            server.stop()


class KQuantizeTests(unittest.TestCase):
    def test_quantize_f16_to_q4_K_M_and_q4_K_S_matches_llama_quantize(self):
        """create with `quantize` q4_K_M / q4_K_S (Ollama's own quantization choices) from the F16 file:
        every tensor's type and bytes equal what llama-quantize writes without an imatrix
        (Fixtures/quantize/smollm2-f16.json, Scripts/make_quantize_goldens.py), and the model answers."""
        from gguf import GGUFReader
        warnings.simplefilter("ignore", ResourceWarning)
        golden = json.loads((ROOT / "Fixtures/quantize/smollm2-f16.json").read_text())["file_types"]
        server = Server(empty=True)
        try:
            client = ollama.Client(host=server.url)
            digest = client.create_blob(ROOT / ".cache/models/SmolLM2-135M-Instruct.F16.gguf")
            for target in ("q4_K_M", "q4_K_S"):
                statuses = [p.status for p in client.create(model=f"smol-{target}", files={"m.gguf": digest}, quantize=target, stream=True)]
                self.assertIn(f"quantizing F16 model to {target.upper()}", statuses)
                self.assertEqual(statuses[-1], "success")
                r = client.generate(model=f"smol-{target}", prompt="Name a color.", options={"num_predict": 8})
                self.assertTrue(r.done and r.response.strip())
                self.assertEqual(client.show(f"smol-{target}").details.quantization_level, target.upper())
                manifest = json.loads((Path(server.models) / f"manifests/registry.ollama.ai/library/smol-{target}/latest").read_text())
                out = GGUFReader(str(Path(server.models) / "blobs" / ("sha256-" + manifest["layers"][0]["digest"][7:])))
                expected = golden[target.upper()]
                self.assertEqual(int(out.fields["general.file_type"].contents()), expected["file_type"])
                got = {t.name: [t.tensor_type.name, hashlib.sha256(bytes(t.data.tobytes())).hexdigest()] for t in out.tensors}
                self.assertEqual(got, expected["tensors"])
                print(f"{target}: {len(got)} tensors byte-identical to llama-quantize ({sorted({t for t, _ in got.values()})})")
        finally:
            server.stop()


class GemmaTests(unittest.TestCase):
    """Gemma 3 270M Q4_K_M, the real file Ollama users pull (gemma3 architecture; Q4_K, Q6_K, Q5_0, Q8_0
    tensors; 262k-token SentencePiece vocabulary), through the server: raw greedy generation equal to
    llama.cpp's (Fixtures/model/gemma3-llama-cpp-greedy.json, Scripts/make_gemma3_goldens.py); the base
    file carries no chat template, so it is created again with Gemma 3's (Fixtures/templates/models/
    gemma3-it.jinja) as TEMPLATE and chats through the ollama client, stopping on <end_of_turn>;
    structured output, /api/embed and /api/show."""

    FILE = ROOT / ".cache/models/gemma-3-270m-Q4_K_M.gguf"
    GOLDEN = ROOT / "Fixtures/model/gemma3-llama-cpp-greedy.json"
    TEMPLATE = ROOT / "Fixtures/templates/models/gemma3-it.jinja"

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.server = Server(empty=True)
        cls.client = ollama.Client(host=cls.server.url)
        cls.client.create(model="gemma3:270m-base", files={"model.gguf": cls.client.create_blob(cls.FILE)})
        cls.client.create(model="gemma3:270m", from_="gemma3:270m-base", template=cls.TEMPLATE.read_text())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_raw_greedy_matches_llama_cpp(self):
        """Greedy text equal to llama.cpp's up to the first near-tie of the exact computation (a step whose
        float64 top-2 gap is under 0.2: there llama.cpp itself leaves the exact continuation on three of
        the four prompts), and after it a fluent continuation of the same length."""
        golden = json.loads(self.GOLDEN.read_text())
        for case in golden["prompts"]:
            r = self.client.generate(model="gemma3:270m-base", prompt=case["prompt"], raw=True,
                                     options={"temperature": 0, "num_predict": golden["n_predict"]})
            self.assertTrue(r.response.startswith(case["agreed"]), (case["prompt"], r.response, case["agreed"]))
            if case["agreed"] == case["exact"]:                 # no near-tie: the whole text is llama.cpp's
                self.assertEqual(r.response, case["text"])
            self.assertEqual(r.eval_count, golden["n_predict"])
            same = len(os.path.commonprefix([r.response, case["text"]]))
            print(f"gemma3 raw {case['prompt']!r}: {same}/{len(case['text'])} characters as llama.cpp "
                  f"({'identical' if r.response == case['text'] else 'diverges after ' + repr(r.response[:same][-20:])})")

    def test_chat_with_gemmas_template(self):
        """The base model behind Gemma 3's chat template: the ollama client's chat renders it (the prompt
        is the template's text, tokenized as llama.cpp does), and <end_of_turn> is an end-of-generation
        token. (This base file never emits <end_of_turn> on its own — llama-simple continues past every
        turn too — so the stop itself is checked at the engine: Tests/LoomModelsTests.)"""
        messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]
        r = self.client.chat(model="gemma3:270m", messages=messages, options={"temperature": 0, "num_predict": 16})
        self.assertTrue(r.done and r.message.content.strip())
        self.assertNotIn("<end_of_turn>", r.message.content)
        rendered = "<start_of_turn>user\nBe brief.\n\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n"
        tool = ROOT / ".cache/llama-cpp/build/bin/llama-tokenize"
        expected = 20       # BOS + the rendered text's 19 tokens (llama-tokenize)
        if tool.exists():
            ids = json.loads(subprocess.run([str(tool), "-m", str(self.FILE), "-p", rendered, "--ids", "--log-disable"],
                                            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            self.assertEqual(len(ids), expected)
        self.assertEqual(r.prompt_eval_count, expected)
        stream = list(self.client.chat(model="gemma3:270m", messages=messages, stream=True, options={"temperature": 0, "num_predict": 16}))
        self.assertEqual("".join(p.message.content for p in stream), r.message.content)

    def test_structured_output(self):
        schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20},
                                                   "population": {"type": "integer", "minimum": 0}},
                  "required": ["city", "population"], "additionalProperties": False}
        r = self.client.chat(model="gemma3:270m", format=schema, options={"temperature": 0, "num_predict": 128},
                             messages=[{"role": "user", "content": "Give the largest city of France and its population as JSON."}])
        value = json.loads(r.message.content)
        self.assertEqual(set(value), {"city", "population"})
        self.assertIsInstance(value["population"], int)

    def test_embed_and_show(self):
        e = self.client.embed(model="gemma3:270m", input=["The cat sat on the mat.", "A cat was sitting on a rug.", "Stock markets fell sharply."])
        self.assertEqual(len(e.embeddings), 3)
        self.assertEqual(len(e.embeddings[0]), 640)
        self.assertAlmostEqual(norm(e.embeddings[0]), 1.0, places=4)
        self.assertGreater(cosine(e.embeddings[0], e.embeddings[1]), cosine(e.embeddings[0], e.embeddings[2]))
        show = self.client.show("gemma3:270m")
        self.assertEqual(show.details.family, "gemma3")
        self.assertEqual(show.details.format, "gguf")
        self.assertEqual(show.details.quantization_level, "Q4_K_M")
        self.assertTrue(show.details.parameter_size.endswith("M"), show.details.parameter_size)
        self.assertEqual(show.modelinfo["general.architecture"], "gemma3")
        self.assertEqual(show.modelinfo["gemma3.attention.sliding_window"], 512)
        self.assertIn("<start_of_turn>", show.template)


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / (norm(a) * norm(b))


class EmbedTests(unittest.TestCase):
    """Embeddings end to end (§7, §8.7, §12.2): all-MiniLM-L6-v2 created from its Hugging Face folder
    (once through `loom create` with a Modelfile FROM the folder, once as Q8_0 through raw
    /api/create with uploaded blobs), compared with the independent numpy reference; /api/embed,
    /api/embeddings, create errors, keep_alive, `loom embed`; and SmolLM2 (the directory's completion
    model) answering /api/embed."""

    NAME = "all-minilm"              # created by the CLI (F16, the default conversion)
    Q8 = "all-minilm:q8_0"           # created by raw /api/create with quantize q8_0
    # The folder's files a client uploads for raw /api/create (the CLI uploads a few more *.json).
    FILES = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
             "special_tokens_map.json", "modules.json", "1_Pooling/config.json"]

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        if not MINILM_DIR.is_dir() or not MINILM_REFERENCE.exists():
            raise RuntimeError(f"missing {MINILM_DIR} or {MINILM_REFERENCE}: run `make models` first")
        cls.reference = json.loads(MINILM_REFERENCE.read_text())["cases"]
        cls.server = Server()                  # smollm2:135m from the directory; created models in the store
        cls.client = ollama.Client(host=cls.server.url)
        cls.env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{cls.server.port}"}
        cls.tmp = tempfile.TemporaryDirectory(prefix="loom-embed-")
        try:
            modelfile = Path(cls.tmp.name) / "Modelfile"
            modelfile.write_text(f"FROM {MINILM_DIR}\n")
            cls.created = cls.loom("create", cls.NAME, "-f", str(modelfile))
            cls.digests = {f: cls.upload((MINILM_DIR / f).read_bytes()) for f in cls.FILES}
            status, _, body = cls.server.request("POST", "/api/create", {"model": cls.Q8, "files": cls.digests, "quantize": "q8_0"})
            cls.q8_create = (status, [json.loads(line) for line in body.decode().splitlines()])
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @classmethod
    def loom(cls, *args, cwd=None):
        return subprocess.run([str(LOOM.resolve()), *args], capture_output=True, text=True, env=cls.env, timeout=120, cwd=cwd)

    @classmethod
    def upload(cls, data):
        """POST /api/blobs/sha256:… (201 new, 200 already there); the digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, _, body = cls.server.request("POST", f"/api/blobs/{digest}", data)
        if status not in (200, 201):
            raise AssertionError(f"upload {digest}: {status} {body!r}")
        return digest

    def post(self, path, body):
        """(status, parsed JSON body) of a raw POST."""
        status, _, data = self.server.request("POST", path, body)
        return status, json.loads(data) if data else None

    def assertUnit(self, vector, width):
        self.assertEqual(len(vector), width)
        self.assertAlmostEqual(norm(vector), 1.0, delta=1e-5)

    def tags(self):
        return sorted((m["name"], m["digest"]) for m in json.loads(self.server.request("GET", "/api/tags")[2])["models"])

    def loaded(self):
        return [m.model for m in self.client.ps().models]

    # -- create -----------------------------------------------------------------------------------

    def test_01_create_from_folder_with_the_cli_and_raw_quantized(self):
        p = self.created
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn("converting model", lines)
        self.assertEqual(lines[-1], "success")
        self.assertLess(lines.index("converting model"), lines.index("parsing GGUF"))
        status, progress = self.q8_create
        self.assertEqual(status, 200, progress)
        statuses = [o.get("status") for o in progress]
        self.assertEqual(statuses[0], "converting model", progress)
        self.assertTrue(any(re.fullmatch(r"quantizing F(16|32) model to Q8_0", s or "") for s in statuses), statuses)
        self.assertEqual(statuses[-2:], ["writing manifest", "success"])
        self.assertFalse([o for o in progress if "error" in o])

        listed = {m.model: m for m in self.client.list().models}
        self.assertIn(f"{self.NAME}:latest", listed)
        self.assertIn(self.Q8, listed)
        for name, full, level in ((self.NAME, f"{self.NAME}:latest", "F16"), (self.Q8, self.Q8, "Q8_0")):
            self.assertEqual(listed[full].details.family, "bert")
            self.assertEqual(listed[full].details.quantization_level, level)
            shown = self.client.show(name)
            self.assertEqual(shown.capabilities, ["embedding"])
            self.assertEqual(shown.details.family, "bert")
            self.assertEqual(shown.details.quantization_level, level)
            self.assertEqual(shown.modelinfo["general.architecture"], "bert")
            self.assertEqual(shown.modelinfo["bert.embedding_length"], 384)
            self.assertEqual(shown.modelinfo["bert.context_length"], 512)
        # Q8_0 weights take about half the F16 ones.
        self.assertLess(listed[self.Q8].size, 0.6 * listed[f"{self.NAME}:latest"].size)

    def test_02_create_from_a_relative_folder_with_parameters(self):
        """FROM relative to the Modelfile's directory (the CLI run from elsewhere); PARAMETERs ride along."""
        d = Path(self.tmp.name) / "relative"
        (d / "hf/1_Pooling").mkdir(parents=True)
        for f in MINILM_DIR.rglob("*"):
            if f.is_file():
                os.symlink(f, d / "hf" / f.relative_to(MINILM_DIR))      # like a Hugging Face cache snapshot
        (d / "Modelfile").write_text("FROM ./hf\nPARAMETER num_ctx 128\n")
        p = self.loom("create", "minilm-128", "-f", str(d / "Modelfile"), cwd="/")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], "success")
        self.assertIn("num_ctx                        128", self.client.show("minilm-128").parameters)
        r = self.client.embed(model="minilm-128", input=" ".join(["lighthouse island morning"] * 200))
        self.assertEqual(r.prompt_eval_count, 128)
        self.client.delete("minilm-128")

    def test_03_create_from_a_symlinked_folder(self):
        """§12.2: a FROM path that exists as a directory — here a symlink to the folder."""
        d = Path(self.tmp.name) / "symlinked"
        d.mkdir()
        os.symlink(MINILM_DIR, d / "minilm")
        (d / "Modelfile").write_text("FROM minilm\n")
        p = self.loom("create", "minilm-link", "-f", str(d / "Modelfile"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], "success")
        self.assertEqual(self.client.show("minilm-link").capabilities, ["embedding"])
        self.client.delete("minilm-link")

    def test_04_create_errors_leave_no_model(self):
        s = self.server
        tags = self.tags()
        blobs = Path(s.models) / "blobs"

        def check(body, status, message=None, pattern=None):
            got, data = self.post("/api/create", {**body, "stream": False})
            self.assertEqual(got, status, data)
            if message is not None:
                self.assertEqual(data["error"], message)
            if pattern is not None:
                self.assertRegex(data["error"], pattern)
            self.assertEqual(self.tags(), tags, body)
            self.assertEqual([p.name for p in blobs.iterdir() if p.name.startswith(".tmp")], [], body)
            return data["error"]

        files = self.digests
        check({"model": "bad-a", "files": {**files, "../config.json": files["config.json"]}}, 400, "file path must be relative")
        check({"model": "bad-a", "files": {"/abs/config.json": files["config.json"], "model.safetensors": files["model.safetensors"]}},
              400, "file path must be relative")
        check({"model": "bad-b", "files": {"tokenizer.json": files["tokenizer.json"]}}, 400, "unknown type")
        check({"model": "bad-b", "files": {"config.json": files["config.json"], "vocab.txt": files["vocab.txt"]}}, 400, "unknown type")

        # An architecture the converter does not know: the message names it. Streamed, the error
        # comes after "converting model" (as Ollama converts inside the stream); not streamed, 400.
        foo = self.upload(json.dumps({"architectures": ["FooForBar"], "hidden_size": 384}).encode())
        body = {"model": "bad-c", "files": {**files, "config.json": foo}}
        error = check(body, 400, pattern=r"^architecture 'FooForBar' is not supported")
        status, _, data = s.request("POST", "/api/create", body)
        self.assertEqual((status, [json.loads(l) for l in data.decode().splitlines()]),
                         (200, [{"status": "converting model"}, {"error": error}]))
        self.assertEqual(self.tags(), tags)

        # model.safetensors cut to 100 bytes: its header length field points past the end.
        weights = (MINILM_DIR / "model.safetensors").read_bytes()
        header = struct.unpack("<Q", weights[:8])[0]
        cut = self.upload(weights[:100])
        body = {"model": "bad-d", "files": {**files, "model.safetensors": cut}}
        error = check(body, 400, f"model.safetensors: the header length {header} runs past the end of the 100-byte file")
        status, _, data = s.request("POST", "/api/create", body)
        self.assertEqual((status, [json.loads(l) for l in data.decode().splitlines()]),
                         (200, [{"status": "converting model"}, {"error": error}]))
        self.assertEqual(self.tags(), tags)
        # Whole header, data cut short: a tensor's data lies outside the file.
        short = self.upload(weights[:8 + header + 1000])
        check({"model": "bad-e", "files": {**files, "model.safetensors": short}}, 400,
              pattern=r"^model\.safetensors: tensor '[\w.]+' has data offsets \[\d+, \d+\) outside the 1000-byte data section$")
        # The failures did not get in the way of a good create.
        self.assertEqual(self.post("/api/show", {"model": self.NAME})[0], 200)
        for name in ("bad-a", "bad-b", "bad-c", "bad-d", "bad-e"):
            self.assertEqual(self.post("/api/show", {"model": name})[0], 404)

    # -- /api/embed -------------------------------------------------------------------------------

    def test_05_embed_a_batch_in_order(self):
        animals = ["cats", "dogs", "horses", "owls", "whales", "ants", "bees", "foxes"]
        verbs = ["sleep", "run", "swim", "sing", "hide", "eat", "fly", "wait"]
        texts = [f"The {animals[i % 8]} {verbs[i // 8]} near the old {['mill', 'harbour', 'school', 'forest'][i % 4]}." for i in range(64)]
        r = self.client.embed(model=self.NAME, input=texts)
        self.assertEqual(r.model, self.NAME)
        self.assertEqual(len(r.embeddings), 64)
        for v in r.embeddings:
            self.assertUnit(v, 384)
        self.assertGreater(r.prompt_eval_count, 64 * 8)
        self.assertGreater(r.total_duration, 0)
        self.assertIsNotNone(r.load_duration)
        singles = [self.client.embed(model=self.NAME, input=t) for t in texts]
        self.assertEqual(sum(s.prompt_eval_count for s in singles), r.prompt_eval_count)
        for i, single in enumerate(singles):
            self.assertGreater(cosine(r.embeddings[i], single.embeddings[0]), 0.99999, texts[i])
        # The texts differ enough that order matters: no vector is as close to another text's.
        for i in (0, 9, 31, 63):
            others = [cosine(r.embeddings[i], s.embeddings[0]) for j, s in enumerate(singles) if j != i]
            self.assertLess(max(others), 0.999, texts[i])

    def reference_inputs(self):
        return [c for c in self.reference if c["truncated_to"] is None]

    def test_06_matches_the_numpy_reference(self):
        cases = self.reference_inputs()
        self.assertEqual(len(cases), 17)
        texts = [c["text"] for c in cases]            # "" in a list is an input of its own: [CLS] [SEP]
        for model, floor in ((self.NAME, 0.9999), (self.Q8, 0.999)):
            r = self.client.embed(model=model, input=texts)
            self.assertEqual(len(r.embeddings), len(cases))
            self.assertEqual(r.prompt_eval_count, sum(len(c["ids"]) for c in cases))
            for c, v in zip(cases, r.embeddings):
                self.assertUnit(v, 384)
                self.assertGreaterEqual(cosine(v, c["embedding"]), floor, f"{model}: {c['text'][:40]!r}")
        # The reference's pairwise similarities hold for the server's vectors too.
        r = self.client.embed(model=self.NAME, input=[c["text"] for c in self.reference])
        for i, j, expected in json.loads(MINILM_REFERENCE.read_text())["cosine"]:
            if self.reference[i]["truncated_to"] or self.reference[j]["truncated_to"]:
                continue                             # cut to fewer tokens than the server's 512 (test_07)
            self.assertAlmostEqual(cosine(r.embeddings[i], r.embeddings[j]), expected, delta=1e-4, msg=(i, j))

    def test_07_truncation_matches_the_reference_cut(self):
        case = next(c for c in self.reference if c["truncated_to"])
        n = case["truncated_to"]
        r = self.client.embed(model=self.NAME, input=case["text"], options={"num_ctx": n})
        self.assertEqual(r.prompt_eval_count, n)
        self.assertGreaterEqual(cosine(r.embeddings[0], case["embedding"]), 0.9999)
        status, data = self.post("/api/embed", {"model": self.NAME, "input": case["text"], "truncate": False, "options": {"num_ctx": n}})
        self.assertEqual((status, data), (400, {"error": "the input length exceeds the context length"}))

    def test_08_truncate_over_the_context(self):
        text = " ".join(["lighthouse island morning"] * 200)          # 600 words, > 512 tokens
        status, data = self.post("/api/embed", {"model": self.NAME, "input": text, "truncate": False})
        self.assertEqual((status, data), (400, {"error": "the input length exceeds the context length"}))
        status, data = self.post("/api/embed", {"model": self.NAME, "input": [text]})
        self.assertEqual(status, 200, data)
        self.assertEqual(len(data["embeddings"]), 1)
        self.assertUnit(data["embeddings"][0], 384)
        self.assertEqual(data["prompt_eval_count"], 512)
        explicit = self.post("/api/embed", {"model": self.NAME, "input": text, "truncate": True})[1]
        self.assertGreater(cosine(explicit["embeddings"][0], data["embeddings"][0]), 0.99999)
        # Truncation keeps the head: the first 510 words (one token each) plus [CLS] and [SEP].
        head = " ".join(text.split()[:510])
        same = self.post("/api/embed", {"model": self.NAME, "input": head, "truncate": False})[1]
        self.assertEqual(same["prompt_eval_count"], 512)
        self.assertGreater(cosine(same["embeddings"][0], data["embeddings"][0]), 0.99999)

    def test_09_dimensions(self):
        full = self.client.embed(model=self.NAME, input="The weather is lovely today.").embeddings[0]
        r = self.client.embed(model=self.NAME, input="The weather is lovely today.", dimensions=8)
        self.assertUnit(r.embeddings[0], 8)
        head = [x / norm(full[:8]) for x in full[:8]]
        for got, want in zip(r.embeddings[0], head):
            self.assertAlmostEqual(got, want, delta=1e-5)
        for d in (384, 1000, 0):
            status, data = self.post("/api/embed", {"model": self.NAME, "input": "The weather is lovely today.", "dimensions": d})
            self.assertEqual(status, 200, data)
            self.assertGreater(cosine(data["embeddings"][0], full), 0.99999)
            self.assertEqual(len(data["embeddings"][0]), 384)

    def test_10_embed_input_and_model_errors(self):
        for bad in ([1, 2], {"a": 1}, 5, ["a", 1], [["a"]], True):
            self.assertEqual(self.post("/api/embed", {"model": self.NAME, "input": bad}), (400, {"error": "invalid input type"}), bad)
        self.assertEqual(self.post("/api/embed", {"model": "nosuch", "input": "x"}),
                         (404, {"error": 'model "nosuch" not found, try pulling it first'}))
        self.assertEqual(self.post("/api/embed", {"model": "nosuch", "input": 5}),          # the model is looked up first
                         (404, {"error": 'model "nosuch" not found, try pulling it first'}))
        self.assertEqual(self.post("/api/embed", {"model": "", "input": "x"}), (404, {"error": "model '' not found"}))
        self.assertEqual(self.post("/api/embed", {"input": "x"}), (404, {"error": "model '' not found"}))
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.embed(model="nosuch", input="x")
        self.assertEqual((e.exception.status_code, e.exception.error), (404, 'model "nosuch" not found, try pulling it first'))

    def test_11_empty_input_loads_the_model(self):
        for empty in ("", [], None, "absent"):
            self.assertEqual(self.post("/api/generate", {"model": self.NAME, "keep_alive": 0})[0], 200)
            self.assertNotIn(f"{self.NAME}:latest", self.loaded())
            body = {"model": self.NAME} if empty == "absent" else {"model": self.NAME, "input": empty}
            self.assertEqual(self.post("/api/embed", body), (200, {"model": self.NAME, "embeddings": []}), empty)
            self.assertIn(f"{self.NAME}:latest", self.loaded(), empty)
        self.assertEqual(self.client.embed(model=self.NAME, input=[]).embeddings, [])

    # -- /api/embeddings (legacy) -----------------------------------------------------------------

    def test_12_legacy_embeddings_are_not_normalized(self):
        for c in self.reference_inputs()[:4] + [self.reference_inputs()[-1]]:
            v = self.client.embeddings(model=self.NAME, prompt=c["text"]).embedding
            self.assertEqual(len(v), 384)
            self.assertAlmostEqual(norm(v) / c["mean_pooled_norm"], 1.0, delta=1e-3, msg=c["text"][:40])
            self.assertGreaterEqual(cosine(v, c["embedding"]), 0.9999)
        self.assertEqual(self.post("/api/embeddings", {"model": self.NAME, "prompt": ""}), (200, {"embedding": []}))
        self.assertEqual(self.post("/api/embeddings", {"model": self.NAME}), (200, {"embedding": []}))
        self.assertEqual(self.post("/api/embeddings", {"model": "", "prompt": "x"}), (400, {"error": "model is required"}))
        self.assertEqual(self.post("/api/embeddings", {"model": "nosuch", "prompt": "x"}),
                         (404, {"error": 'model "nosuch" not found, try pulling it first'}))

    # -- capabilities, other models, keep_alive ---------------------------------------------------

    def test_13_generate_and_chat_refuse_an_embedding_model(self):
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.generate(model=self.NAME, prompt="Hello")
        self.assertEqual((e.exception.status_code, e.exception.error), (400, f'"{self.NAME}" does not support generate'))
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.chat(model=self.NAME, messages=[{"role": "user", "content": "Hello"}])
        self.assertEqual((e.exception.status_code, e.exception.error), (400, f'"{self.NAME}" does not support chat'))
        # The name as the request gave it; a load request (empty prompt) is checked too.
        self.assertEqual(self.post("/api/generate", {"model": "All-MiniLM:latest", "prompt": "x"}),
                         (400, {"error": '"All-MiniLM:latest" does not support generate'}))
        self.assertEqual(self.post("/api/generate", {"model": self.Q8, "prompt": ""}),
                         (400, {"error": f'"{self.Q8}" does not support generate'}))
        self.assertEqual(self.post("/api/chat", {"model": self.NAME, "messages": []}),
                         (400, {"error": f'"{self.NAME}" does not support chat'}))

    def test_14_a_completion_model_embeds_too(self):
        texts = ["Hello there", "The sky is blue today.", "def add(a, b): return a + b"]
        r = self.client.embed(model=MODEL, input=texts)
        self.assertEqual(r.model, MODEL)
        self.assertEqual(len(r.embeddings), 3)
        for v in r.embeddings:
            self.assertUnit(v, 576)
        self.assertGreater(r.prompt_eval_count, 10)
        self.assertLess(cosine(r.embeddings[0], r.embeddings[1]), 0.999)
        one = self.client.embed(model=MODEL, input=texts[1]).embeddings[0]
        self.assertGreater(cosine(one, r.embeddings[1]), 0.9999)
        legacy = self.client.embeddings(model=MODEL, prompt=texts[1]).embedding
        self.assertEqual(len(legacy), 576)
        self.assertGreater(abs(norm(legacy) - 1), 0.01)
        self.assertGreater(cosine(legacy, one), 0.9999)

    def test_15_keep_alive_zero_unloads(self):
        self.client.embed(model=self.NAME, input="warm up")
        self.assertIn(f"{self.NAME}:latest", self.loaded())
        r = self.client.embed(model=self.NAME, input="and go", keep_alive=0)
        self.assertUnit(r.embeddings[0], 384)
        self.assertNotIn(f"{self.NAME}:latest", self.loaded())
        self.client.embeddings(model=self.NAME, prompt="warm up")
        self.assertIn(f"{self.NAME}:latest", self.loaded())
        self.client.embeddings(model=self.NAME, prompt="and go", keep_alive=0)
        self.assertNotIn(f"{self.NAME}:latest", self.loaded())
        self.client.embed(model=self.NAME, input="x", keep_alive="10m")
        entry = next(m for m in self.client.ps().models if m.model == f"{self.NAME}:latest")
        self.assertTrue(9 * 60 < entry.expires_at.timestamp() - time.time() <= 10 * 60 + 5)
        self.assertEqual(entry.context_length, 512)
        p = self.loom("stop", self.NAME)                   # = generate with keep_alive 0: no capability check
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(f"{self.NAME}:latest", self.loaded())

    # -- loom embed -------------------------------------------------------------------------------

    def test_16_loom_embed_against_the_server(self):
        p = self.loom("embed", self.NAME, "a", "b", "--norms")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "dims 384 norm 1.000000\ndims 384 norm 1.000000\n")
        p = self.loom("embed", self.NAME, "--dimensions", "8", "a", "--norms")
        self.assertEqual((p.returncode, p.stdout), (0, "dims 8 norm 1.000000\n"), p.stderr)
        p = self.loom("embed", self.NAME, "The weather is lovely today.", "Good morning everyone")
        self.assertEqual(p.returncode, 0, p.stderr)
        vectors = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(vectors), 2)
        for v, c in zip(vectors, (self.reference[0], self.reference[6])):
            self.assertUnit(v, 384)
            self.assertGreaterEqual(cosine(v, c["embedding"]), 0.9999)
        p = self.loom("embed", "nosuch", "a")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('model "nosuch" not found, try pulling it first', p.stderr)


class CrashTests(unittest.TestCase):
    def test_sigkill_during_upload_and_create_leaves_a_consistent_store(self):
        """20 times: a client keeps uploading fresh blobs and creating models from them (every other
        one quantized) until the server is SIGKILLed at a random moment; restarted on the same store, the store must list and
        every manifest's blobs must exist whole (size and sha256 as the manifest says)."""
        import random
        rng = random.Random(20261122)
        store = tempfile.TemporaryDirectory(prefix="loom-crash-")
        model = MODEL_FILE.read_bytes()
        model_digest = "sha256:" + hashlib.sha256(model).hexdigest()
        self.verified = {}
        created = 0
        try:
            for i in range(20):
                server = Server(models=store.name)
                self.check_store(Path(store.name), server)
                if server.request("HEAD", f"/api/blobs/{model_digest}")[0] != 200:
                    server.request("POST", f"/api/blobs/{model_digest}", model)
                done = []

                def work():
                    n = 0
                    try:
                        while True:
                            extra = rng.randbytes(8 << 20)          # a fresh 8 MiB blob each round
                            d = "sha256:" + hashlib.sha256(extra).hexdigest()
                            server.request("POST", f"/api/blobs/{d}", extra)
                            body = {"model": f"m{i}-{n}", "files": {"m.gguf": model_digest},
                                    "system": f"system {i} {n}", "license": d, "stream": False}
                            if n % 2 == 1:
                                body["quantize"] = "q8_0"          # a quantized blob written and adopted
                            status, _, _ = server.request("POST", "/api/create", body)
                            if status == 200:
                                done.append(n)
                            n += 1
                    except Exception:
                        pass

                t = threading.Thread(target=work)
                t.start()
                time.sleep(rng.uniform(0.05, 1.5))
                server.proc.kill()
                server.proc.wait(10)
                t.join(10)
                created += len(done)
            server = Server(models=store.name)
            self.check_store(Path(store.name), server)
            server.proc.kill()
            server.proc.wait(10)
        finally:
            store.cleanup()
        self.assertGreater(created, 0)

    def check_store(self, root, server):
        status, _, body = server.request("GET", "/api/tags")
        self.assertEqual(status, 200)
        for m in json.loads(body)["models"]:
            name, tag = m["name"].split(":")
            manifest = json.loads((root / "manifests/registry.ollama.ai/library" / name / tag).read_text())
            for layer in [manifest["config"]] + manifest["layers"]:
                blob = root / "blobs" / ("sha256-" + layer["digest"][7:])
                self.assertTrue(blob.exists(), f"{m['name']}: missing {blob.name}")
                self.assertEqual(blob.stat().st_size, layer["size"])
                if layer["digest"] not in self.verified:
                    self.assertEqual("sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest(), layer["digest"])
                    self.verified[layer["digest"]] = True


class ShutdownTests(unittest.TestCase):
    def test_sigterm_ends_in_flight_streams_cleanly(self):
        server = Server(env={"LOOM_DRAIN_TIMEOUT": "0"})   # no drain (test_ops.py tests the drain)
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        body = json.dumps({"model": MODEL, "prompt": "Once upon a time", "raw": True,
                           "options": {"num_predict": 100000, "temperature": 1.0, "seed": 1}})
        sock.sendall(f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
        data = b""
        while b'"done":false' not in data:
            chunk = sock.recv(4096)
            self.assertTrue(chunk, data)
            data += chunk
        start = time.time()
        server.proc.terminate()                      # SIGTERM while the stream runs
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        code = server.proc.wait(30)
        took = time.time() - start
        server.stop()
        payload = data.split(b"\r\n\r\n", 1)[1]
        # Decode the chunked body: every line must be a whole JSON object.
        text, rest = b"", payload
        while rest:
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                break
            text, rest = text + rest[:size], rest[size + 2:]
        lines = [json.loads(line) for line in text.decode().splitlines()]
        last = lines[-1]
        self.assertTrue(last.get("done") is True or last.get("error") == "server shutting down", last)
        self.assertEqual(code, 0)
        self.assertLess(took, 25)


class QueueTests(unittest.TestCase):
    def test_queue_overflow_answers_503(self):
        server = Server(env={"OLLAMA_MAX_QUEUE": "1", "OLLAMA_NUM_PARALLEL": "1"})
        try:
            statuses = []
            lock = threading.Lock()

            def run():
                status, _, body = server.request("POST", "/api/generate", {"model": MODEL, "prompt": "Tell a story.",
                                                                            "stream": False, "options": {"num_predict": 48}})
                with lock:
                    statuses.append((status, json.loads(body)))

            threads = [threading.Thread(target=run) for _ in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            codes = sorted(s for s, _ in statuses)
            self.assertIn(200, codes)
            self.assertIn(503, codes)
            busy = [b for s, b in statuses if s == 503]
            self.assertEqual(busy[0]["error"], "server busy, please try again.  maximum pending requests exceeded")
            # The server is still healthy afterwards.
            self.assertEqual(server.request("GET", "/")[0], 200)
        finally:
            server.stop()


class StructuredTests(unittest.TestCase):
    """Structured outputs and tools (§9, §6.4, §10): `format` "json" and JSON Schemas enforced at the
    token level (outputs validated with jsonschema), format errors, tool calls parsed from a model
    re-created with Qwen 2.5's template, tool results in the next turn, `think` refused."""

    QWEN = ROOT / "Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja"
    TOOLS_MODEL = "smoltools"
    CAP = 512                                   # num_predict: a safety cap only
    WEATHER = {"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"}},
                       "required": ["city"]}}}
    PET = {"type": "object",
           "properties": {"name": {"type": "string", "maxLength": 16},
                          "species": {"enum": ["cat", "dog", "rabbit"]},
                          "owner": {"type": "object",
                                    "properties": {"name": {"type": "string", "maxLength": 16},
                                                   "age": {"type": "integer", "minimum": 0, "maximum": 120}},
                                    "required": ["name", "age"], "additionalProperties": False},
                          "toys": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 1, "maxItems": 3}},
           "required": ["name", "species", "owner", "toys"], "additionalProperties": False}
    SHAPE = structured_outputs_check.SHAPE     # the acceptance script's anyOf + $ref schema
    EVENT = {"type": "object",
             "properties": {"id": {"type": "string", "format": "uuid"},
                            "day": {"type": "string", "format": "date"},
                            "created": {"type": "string", "format": "date-time"},
                            "attendees": {"type": "integer", "minimum": 2, "maximum": 12},
                            "title": {"type": "string", "maxLength": 16}},
             "required": ["id", "day", "attendees"], "additionalProperties": False}

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        # The model goes into the store (not a loose .gguf) so that /api/create can derive from it.
        cls.server = Server(empty=True)
        cls.client = ollama.Client(host=cls.server.url)
        cls.client.create(model=MODEL, files={"model.gguf": cls.client.create_blob(MODEL_FILE)})
        cls.client.create(model=cls.TOOLS_MODEL, from_=MODEL, template=cls.QWEN.read_text())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def validate(self, text, schema):
        from jsonschema import Draft202012Validator
        value = json.loads(text)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'/'.join(map(str, e.path)) or '$'}: {e.message}" for e in validator.iter_errors(value)]
        self.assertEqual(errors, [], text)
        return value

    def post(self, path, body):
        status, _, data = self.server.request("POST", path, body)
        return status, data

    def error(self, path, body):
        status, data = self.post(path, body)
        return status, json.loads(data).get("error")

    # -- format -----------------------------------------------------------------------------------

    def test_format_json(self):
        for seed in range(1, 6):
            r = self.client.generate(model=MODEL, prompt="Describe a cat in JSON.", format="json",
                                     options={"temperature": 0.8, "seed": seed, "num_predict": self.CAP})
            with self.subTest(seed=seed):
                self.assertEqual(r.done_reason, "stop", r.response)
                self.assertIsInstance(json.loads(r.response), dict, r.response)
        options = {"temperature": 0, "seed": 1, "num_predict": 64}
        streamed = "".join(c.response for c in self.client.generate(model=MODEL, prompt="Describe a dog in JSON.",
                                                                      format="json", stream=True, options=options))
        whole = self.client.generate(model=MODEL, prompt="Describe a dog in JSON.", format="json", stream=False,
                                     options=options)
        self.assertEqual(whole.response, streamed)
        self.assertTrue(streamed.lstrip().startswith("{"), streamed)
        # "" and null mean no constraint.
        for fmt in ("", None):
            status, data = self.post("/api/generate", {"model": MODEL, "prompt": "Hi", "format": fmt, "stream": False,
                                                       "options": {"num_predict": 2}})
            self.assertEqual(status, 200, data)

    def test_format_schemas(self):
        cases = [(self.PET, "Describe a pet and its owner in JSON."),
                 (self.SHAPE, "Describe a geometric shape in JSON."),
                 (self.EVENT, "Describe a meeting in JSON with an id, a day, a creation timestamp and the attendees.")]
        for schema, prompt in cases:
            for seed in range(1, 6):
                r = self.client.generate(model=MODEL, prompt=prompt, format=schema,
                                         options={"temperature": 0.8, "seed": seed, "num_predict": self.CAP})
                with self.subTest(prompt=prompt, seed=seed):
                    self.assertEqual(r.done_reason, "stop", r.response)
                    self.validate(r.response, schema)

    def test_format_schema_keys_in_schema_order(self):
        # llama.cpp's schema→grammar (Ollama's) emits the properties in the schema's order, so a
        # seeded request is reproducible.
        digits = {"type": "object", "properties": {k: {"type": "integer", "minimum": 0, "maximum": 9} for k in "abcde"},
                  "required": list("abcde"), "additionalProperties": False}
        replies = []
        for _ in range(3):
            r = self.client.generate(model=MODEL, prompt="Give five digits a, b, c, d and e in JSON.", format=digits,
                                     options={"temperature": 0.8, "seed": 4, "num_predict": 64})
            self.assertEqual(list(self.validate(r.response, digits)), list("abcde"), r.response)
            replies.append(r.response)
        self.assertEqual(len(set(replies)), 1, replies)

    def test_format_errors(self):
        body = {"model": MODEL, "prompt": "x", "stream": False}
        status, err = self.error("/api/generate", {**body, "format": {"type": "string", "pattern": "^a+$"}})
        self.assertEqual(status, 400, err)
        self.assertTrue(err.startswith("invalid format:"), err)
        self.assertIn("$.pattern", err)
        nested = {"type": "object", "properties": {"mail": {"type": "string", "format": "email"},
                                                   "n": {"type": "number", "multipleOf": 3}}}
        status, err = self.error("/api/chat", {"model": MODEL, "messages": [{"role": "user", "content": "x"}],
                                               "format": nested})
        self.assertEqual(status, 400, err)
        self.assertTrue(err.startswith("invalid format:"), err)
        self.assertIn("$.properties.mail.format", err)
        self.assertIn("$.properties.n.multipleOf", err)
        self.assertEqual(self.error("/api/generate", {**body, "format": "yaml"}),
                         (400, 'invalid format: "yaml"; expected "json" or a valid JSON Schema object'))
        self.assertEqual(self.error("/api/generate", {"model": MODEL, "prompt": "x", "format": "yaml"}),   # streaming
                         (400, 'invalid format: "yaml"; expected "json" or a valid JSON Schema object'))
        for fmt in (5, [1], True):
            status, err = self.error("/api/generate", {**body, "format": fmt})
            self.assertEqual(status, 400, err)
            self.assertTrue(err.startswith("invalid format:") and err.endswith('expected "json" or a valid JSON Schema object'), err)
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.generate(model=MODEL, prompt="x", format={"type": "string", "pattern": "a"})
        self.assertEqual(e.exception.status_code, 400)

    def test_chat_with_format(self):
        r = self.client.chat(model=MODEL, messages=[{"role": "user", "content": "Describe a cat in JSON."}], format="json",
                             options={"temperature": 0.8, "seed": 2, "num_predict": self.CAP})
        self.assertEqual(r.done_reason, "stop", r.message.content)
        self.assertIsInstance(json.loads(r.message.content), dict)
        chunks = list(self.client.chat(model=MODEL, messages=[{"role": "user", "content": "Describe a pet and its owner in JSON."}],
                                       format=self.PET, stream=True, options={"temperature": 0.8, "seed": 3, "num_predict": self.CAP}))
        self.assertEqual(chunks[-1].done_reason, "stop")
        self.validate("".join(c.message.content for c in chunks), self.PET)

    # -- tools ------------------------------------------------------------------------------------

    def tool_reply(self, messages, options, stream):
        """The reply to a chat with get_weather as (content, tool_calls, chunks) over raw HTTP, checking
        the invariants of §6.4 on the way: a reply has content or tool calls; each call is whole, with
        an id, an int index, the offered name and an object of arguments; a streamed call's text is
        never streamed as content."""
        status, data = self.post("/api/chat", {"model": self.TOOLS_MODEL, "messages": messages, "tools": [self.WEATHER],
                                               "stream": stream, "options": options})
        self.assertEqual(status, 200, data)
        chunks = [json.loads(line) for line in data.decode().splitlines()]
        self.assertTrue(chunks[-1]["done"])
        content = "".join(c["message"].get("content", "") for c in chunks)
        calls = [tc for c in chunks for tc in c["message"].get("tool_calls") or []]
        where = f"stream={stream} options={options}: {data.decode()[-1500:]}"
        self.assertTrue(content.strip() or calls, "neither content nor tool_calls: " + where)
        for call in calls:
            self.assertRegex(call.get("id", ""), r"^call_[a-z0-9]{8}$", where)
            self.assertIsInstance(call["function"]["index"], int, where)
            self.assertEqual(call["function"]["name"], "get_weather", where)
            self.assertIsInstance(call["function"]["arguments"], dict, where)
        if calls and stream:
            self.assertFalse([c for c in chunks if "<tool_call>" in c["message"].get("content", "")], where)
        if calls:
            self.assertEqual([c["function"]["index"] for c in calls], list(range(len(calls))), where)
        return content, calls, chunks

    def test_tools_refused_by_a_template_without_tools(self):
        self.assertEqual(self.error("/api/chat", {"model": MODEL, "messages": [{"role": "user", "content": "Weather in Paris?"}],
                                                  "tools": [self.WEATHER]}),
                         (400, "registry.ollama.ai/library/smollm2:135m does not support tools"))
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.chat(model=MODEL, messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[self.WEATHER])
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("tools", self.client.show(self.TOOLS_MODEL).capabilities)

    def test_tool_calls(self):
        ask = [{"role": "user", "content": "What is the weather in Paris?"}]
        # A history of earlier calls makes SmolLM2 answer with a <tool_call> nearly every time.
        primed = []
        for city in ("London", "Berlin", "Rome"):
            primed += [{"role": "user", "content": f"What is the weather in {city}?"},
                       {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": city}}}]}]
        primed += ask
        settings = [{"temperature": 0, "num_predict": 64}] + [{"temperature": 0.8, "seed": s, "num_predict": 64} for s in (1, 2, 3)]
        called = {True: 0, False: 0}
        for messages in (ask, primed):
            for options in settings:
                for stream in (True, False):
                    with self.subTest(primed=messages is primed, options=options, stream=stream):
                        _, calls, _ = self.tool_reply(messages, options, stream)
                        if messages is primed:
                            called[stream] += bool(calls)
        self.assertGreater(called[True], 0, "no streamed tool call at all")
        self.assertGreater(called[False], 0, "no non-streamed tool call at all")
        # The official client parses them too.
        r = self.client.chat(model=self.TOOLS_MODEL, messages=primed, tools=[self.WEATHER],
                             options={"temperature": 0.8, "seed": 1, "num_predict": 64})
        self.assertTrue(r.message.content.strip() or r.message.tool_calls, r)
        for call in r.message.tool_calls or []:
            self.assertEqual(call.function.name, "get_weather")
            self.assertIsInstance(call.function.arguments, dict)

    def test_tools_prompt_is_deterministic(self):
        # The same request at temperature 0 renders the same prompt (tools keep their key order, §6.1)
        # and so gives the same reply, streamed or not.
        ask = [{"role": "user", "content": "What is the weather in Paris?"}]
        replies = []
        for stream in (False, True, False, True):
            content, calls, chunks = self.tool_reply(ask, {"temperature": 0, "num_predict": 24}, stream)
            replies.append((content, json.dumps([c["function"] for c in calls])))
        self.assertEqual(len(set(replies)), 1, replies)

    def test_tool_results_in_the_next_turn(self):
        history = [{"role": "user", "content": "What is the weather in Paris?"},
                   {"role": "assistant", "content": "",
                    "tool_calls": [{"id": "call_abc12345", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}}]},
                   {"role": "tool", "tool_name": "get_weather", "tool_call_id": "call_abc12345", "content": "18 degrees, sunny"}]
        for stream in (False, True):
            with self.subTest(stream=stream):
                self.tool_reply(history, {"temperature": 0, "num_predict": 32}, stream)
        r = self.client.chat(model=self.TOOLS_MODEL, tools=[self.WEATHER], options={"temperature": 0.8, "seed": 2, "num_predict": 32},
                             messages=history[:1] + [{"role": "assistant", "content": "", "tool_calls": [
                                 {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                                 {"role": "tool", "tool_name": "get_weather", "content": "18 degrees, sunny"}])
        self.assertTrue(r.done)
        self.assertTrue(r.message.content.strip() or r.message.tool_calls, r)

    # -- think ------------------------------------------------------------------------------------

    def test_think(self):
        ask = [{"role": "user", "content": "Hi"}]
        self.assertEqual(self.error("/api/chat", {"model": MODEL, "messages": ask, "think": True}),
                         (400, f'"{MODEL}" does not support thinking'))
        with self.assertRaises(ollama.ResponseError) as e:
            self.client.chat(model=MODEL, messages=ask, think=True)
        self.assertEqual((e.exception.status_code, e.exception.error), (400, f'"{MODEL}" does not support thinking'))
        r = self.client.chat(model=MODEL, messages=ask, think=False, options={"num_predict": 4})
        self.assertTrue(r.done)
        self.assertFalse(r.message.thinking)
        status, data = self.post("/api/chat", {"model": MODEL, "messages": ask, "think": False, "stream": False,
                                               "options": {"num_predict": 4}})
        self.assertEqual(status, 200, data)

    def test_thinking_is_kept_by_stream_false(self):
        # DeepSeek-R1's template ends the prompt with <think>, so the reply starts as thinking (§10);
        # a non-streamed reply carries all of it, as the streamed chunks do (§6.3).
        template = (ROOT / "Fixtures/templates/llama.cpp/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
        self.client.create(model="smolthink", from_=MODEL, template=template)
        try:
            self.assertIn("thinking", self.client.show("smolthink").capabilities)
            ask = [{"role": "user", "content": "Why is the sky blue?"}]
            options = {"temperature": 0, "num_predict": 24}
            with self.subTest("chat"):
                chunks = list(self.client.chat(model="smolthink", messages=ask, stream=True, options=options))
                streamed = ("".join(c.message.thinking or "" for c in chunks), "".join(c.message.content for c in chunks))
                self.assertTrue(streamed[0].strip())
                whole = self.client.chat(model="smolthink", messages=ask, stream=False, options=options)
                self.assertEqual((whole.message.thinking or "", whole.message.content), streamed)
            with self.subTest("generate"):
                chunks = list(self.client.generate(model="smolthink", prompt=ask[0]["content"], stream=True, options=options))
                streamed = ("".join(c.thinking or "" for c in chunks), "".join(c.response for c in chunks))
                self.assertTrue(streamed[0].strip())
                whole = self.client.generate(model="smolthink", prompt=ask[0]["content"], stream=False, options=options)
                self.assertEqual((whole.thinking or "", whole.response), streamed)
        finally:
            self.client.delete("smolthink")

if __name__ == "__main__":
    if not SERVE.exists() or not MODEL_FILE.exists():
        sys.exit(f"missing {SERVE} or {MODEL_FILE}: run `make release models` (or `make test`) first")
    unittest.main(verbosity=2)
