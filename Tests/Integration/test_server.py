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
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path

import ollama

ROOT = Path(__file__).resolve().parent.parent.parent
SERVE = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2:135m"


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
        self.assertError(500, "/api/generate", {"model": MODEL, "prompt": "x", "options": {"temperature": "hot"}},
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
    def test_quantize_f16_to_q8_0_and_q4_0_matches_gguf_quants(self):
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
            for target in ("q8_0", "q4_0"):
                statuses = [p.status for p in client.create(model=f"smol-{target}", files={"m.gguf": digest}, quantize=target, stream=True)]
                self.assertIn(f"quantizing F16 model to {target.upper()}", statuses)
                self.assertEqual(statuses[-1], "success")
                r = client.generate(model=f"smol-{target}", prompt="Name a color.", options={"num_predict": 8})
                self.assertTrue(r.done and r.response.strip())
                manifest = json.loads((Path(server.models) / f"manifests/registry.ollama.ai/library/smol-{target}/latest").read_text())
                blob = Path(server.models) / "blobs" / ("sha256-" + manifest["layers"][0]["digest"][7:])
                out = GGUFReader(str(blob))
                self.assertEqual(int(out.fields["general.file_type"].contents()), {"q8_0": 7, "q4_0": 2}[target])
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
        server = Server()
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
        server = Server(env={"OLLAMA_MAX_QUEUE": "1"})
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


if __name__ == "__main__":
    if not SERVE.exists() or not MODEL_FILE.exists():
        sys.exit(f"missing {SERVE} or {MODEL_FILE}: run `make release models` (or `make test`) first")
    unittest.main(verbosity=2)
