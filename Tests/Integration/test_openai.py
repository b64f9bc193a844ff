#!/usr/bin/env python3
"""End-to-end tests of Loom's OpenAI-compatible endpoints (/v1, ollama-api.md §15): the real `serve` on
a free loopback port, driven by the official `openai` Python SDK (PyPI openai==3.63.0) and by raw HTTP,
every answer compared with what the native API (/api/chat, /api/generate, /api/embed, /api/tags) gives
for the same request.

    LOOM_SERVE=.build-test/release/serve .venv/bin/python Tests/Integration/test_openai.py

Contract (Ollama's openai/openai.go, openai/responses.go and middleware/openai.go, except where Loom
differs on purpose: `n` > 1 → 400; `max_completion_tokens` honoured like `max_tokens`; the text parts
of a content array are one message joined by "\n" (Ollama: one message per part); tool_choice
"none" offers no tools; an error after a stream began is a last SSE event):
- POST /v1/chat/completions → native chat with options {temperature: given or 1.0, top_p: given or 1.0,
  num_predict: max_tokens or max_completion_tokens, seed, stop (string or array), frequency_penalty,
  presence_penalty}; response_format json_object → format "json", json_schema → its schema (an
  invalid one → 400); reasoning_effort (or reasoning.effort) none → think false, minimal|low|medium|
  high|xhigh|max|ultra → a level, other → 400; `developer` is `system`; a `tool` message's
  tool_call_id names the call it answers. Non-stream: chat.completion with usage; finish_reason
  stop | length | tool_calls. Stream: SSE `data: {chunk}` events, one id and one `created`, the first
  delta with role "assistant", a finish chunk with an empty delta, then (include_usage) a chunk with
  choices [] and usage, then `data: [DONE]`. Thinking is the non-standard `reasoning` field.
- POST /v1/completions → native generate (template applied), same option mapping; suffix on a model
  without `insert` → 400 (the native error); echo true → 400; text_completion objects, stream as above.
- POST /v1/embeddings → /api/embed (normalized); encoding_format float | base64 (little-endian float32);
  `dimensions`; the SDK's default request is base64.
- GET /v1/models = /api/tags in order (id = name, created = modified_at in Unix seconds, owned_by
  "library"); GET /v1/models/{id} echoes the id; unknown → 404.
- POST /v1/responses (stateless) → native chat: instructions → system message, input string or items
  (messages, function_call, function_call_output); tools as flat function declarations; text.format
  json_schema enforced; previous_response_id → 400; output items message / function_call; stream
  events response.created, response.in_progress, output_item.added, content_part.added,
  output_text.delta…, output_text.done, content_part.done, output_item.done, response.completed
  with consecutive sequence_numbers, each named by an `event:` line.
- Errors: {"error": {"message", "type": invalid_request_error (400) | not_found_error (404) |
  api_error, "param": null, "code": null}} with the native status; before a stream starts an error is
  this JSON, not SSE; after it began, a last `data: {"error": {…}}` event (no [DONE]), then the body
  ends (checked by SIGTERM mid-stream: «server shutting down», api_error). Any Authorization header
  is accepted.

Models (created in a temporary store): smollm2:135m (SmolLM2-135M-Instruct Q4_1, `make models`),
smoltools (it with Qwen 2.5's template: tools), smolthink (it with DeepSeek-R1's template: thinking),
all-minilm (from the Hugging Face folder: embeddings). Requires the release `serve` built with /v1.
"""

import base64
import datetime
import http.client
import json
import math
import os
import re
import struct
import sys
import unittest
import warnings

import openai
import ollama
from jsonschema import Draft202012Validator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server as base  # noqa: E402  (Server, paths, the shared tool and schema fixtures)

MODEL = base.MODEL                                   # smollm2:135m
TOOLS_MODEL = "smoltools"
THINK_MODEL = "smolthink"
EMBED_MODEL = "all-minilm"
QWEN = base.ROOT / "Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja"
DEEPSEEK = base.ROOT / "Fixtures/templates/llama.cpp/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"
WEATHER = base.StructuredTests.WEATHER               # {"type": "function", "function": {get_weather(city)}}
PET = base.StructuredTests.PET                       # a nested JSON Schema SmolLM2 fills in ~60-90 tokens
SEA = [{"role": "user", "content": "Write one sentence about the sea."}]   # stops by itself after ~27 tokens
CALL_ID = re.compile(r"^call_[a-z0-9]{8}$")


# -- the shared server ------------------------------------------------------------------------------

class Loom:
    """One `serve` with the four models, its native API (raw HTTP and the ollama client) and SDK clients."""

    def __init__(self, embeddings=False):
        warnings.simplefilter("ignore", ResourceWarning)   # pooled sockets, closed at exit
        self.server = base.Server(empty=True)
        try:
            self.native = ollama.Client(host=self.server.url)
            self.native.create(model=MODEL, files={"model.gguf": self.native.create_blob(base.MODEL_FILE)})
            self.native.create(model=TOOLS_MODEL, from_=MODEL, template=QWEN.read_text())
            self.native.create(model=THINK_MODEL, from_=MODEL, template=DEEPSEEK.read_text())
            if embeddings:
                if not base.MINILM_DIR.is_dir():
                    raise RuntimeError(f"missing {base.MINILM_DIR}: run `make models` first")
                files = {f: self.native.create_blob(base.MINILM_DIR / f) for f in base.EmbedTests.FILES}
                self.native.create(model=EMBED_MODEL, files=files)
        except BaseException:
            self.server.stop()
            raise
        self.url = self.server.url

    def stop(self):
        self.server.stop()

    def openai(self, **kw):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=kw.pop("api_key", "loom"), max_retries=0, timeout=120, **kw)

    def post(self, path, body, headers=None):
        """(status, headers, body bytes) of a raw POST; `body` may be bytes, str or JSON."""
        return self.server.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def native_post(self, path, body):
        status, _, data = self.post(path, {"stream": False, **body})
        if status != 200:
            raise AssertionError(f"{path}: {status} {data[:300]!r}")
        return json.loads(data)

    def chat(self, model, messages, options, **extra):
        """The native /api/chat answer (stream false)."""
        return self.native_post("/api/chat", {"model": model, "messages": messages, "options": options, **extra})

    def generate(self, model, prompt, options, **extra):
        return self.native_post("/api/generate", {"model": model, "prompt": prompt, "options": options, **extra})

    def embed(self, model, input, **extra):
        return self.native_post("/api/embed", {"model": model, "input": input, **extra})

    def ok(self):
        """A normal /v1 request still succeeds (after malformed ones)."""
        r = self.openai().chat.completions.create(model=MODEL, messages=SEA, max_tokens=2, temperature=0)
        return r.choices[0].finish_reason in ("stop", "length")


LOOM = None


def setUpModule():
    global LOOM
    if not base.SERVE.exists() or not base.MODEL_FILE.exists():
        raise RuntimeError(f"missing {base.SERVE} or {base.MODEL_FILE}: run `make release models` first")
    LOOM = Loom(embeddings=True)


def tearDownModule():
    if LOOM:
        LOOM.stop()


# -- helpers ----------------------------------------------------------------------------------------

def sse(body):
    """The events of an SSE body as (event name or None, data string) in order."""
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].removeprefix(" "))
            elif line and not line.startswith(":"):
                raise AssertionError(f"not an SSE line: {line!r}")
        events.append((name, "\n".join(data)))
    return events


def events_across_sigterm(path, body, after=3):
    """POSTs a long streamed request to a `serve` of its own, SIGTERMs it once `after` events have
    arrived (shutdown ends the generations in flight with «server shutting down») and reads the
    rest: (HTTP status, the SSE events, the server's exit code)."""
    server = base.Server(env={"LOOM_DRAIN_TIMEOUT": "0"})   # no drain: the generation ends at once
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", "Authorization": "Bearer x"})
        r = conn.getresponse()
        data, seen = b"", 0
        while seen < after:
            line = r.readline()
            if not line:
                break
            data += line
            seen += line == b"\n"
        server.proc.terminate()
        data += r.read()                      # to the end of a properly terminated body
        conn.close()
        return r.status, sse(data), server.proc.wait(30)
    finally:
        server.stop()


LONG = [{"role": "user", "content": "Write a long story about a dragon."}]   # > 600 tokens at temperature 0


def unix(rfc3339):
    """Unix seconds of an RFC 3339 timestamp with up to nanosecond fractions."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", rfc3339)
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return int(datetime.datetime.fromisoformat(m.group(1) + zone).timestamp())


def validate(test, text, schema):
    value = json.loads(text)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.path)) or '$'}: {e.message}" for e in validator.iter_errors(value)]
    test.assertEqual(errors, [], text)
    return value


def assembled_tool_calls(chunks):
    """Streamed tool_calls deltas assembled by index: [{id, type, name, arguments}]."""
    calls = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for d in choice.delta.tool_calls or []:
                call = calls.setdefault(d.index, {"id": None, "type": None, "name": None, "arguments": ""})
                call["id"] = d.id or call["id"]
                call["type"] = d.type or call["type"]
                if d.function:
                    call["name"] = d.function.name or call["name"]
                    call["arguments"] += d.function.arguments or ""
    return [calls[i] for i in sorted(calls)]


class V1Case(unittest.TestCase):
    def setUp(self):
        self.client = LOOM.openai()

    def assertOpenAIError(self, status_body, status, etype, contains=None):
        """A raw (status, body bytes) or an SDK APIStatusError is the OpenAI error shape."""
        if isinstance(status_body, openai.APIStatusError):
            status_body = (status_body.status_code, status_body.response.content)
        got_status, data = status_body
        self.assertEqual(got_status, status, data)
        body = json.loads(data)
        self.assertEqual(list(body), ["error"], body)
        error = body["error"]
        self.assertEqual(set(error), {"message", "type", "param", "code"}, body)
        self.assertEqual((error["type"], error["param"], error["code"]), (etype, None, None), body)
        self.assertIsInstance(error["message"], str)
        self.assertTrue(error["message"], body)
        if contains:
            self.assertIn(contains, error["message"])
        return error["message"]

    def raw(self, path, body, headers=None):
        status, _, data = LOOM.post(path, body, headers)
        return status, data


# -- /v1/chat/completions ---------------------------------------------------------------------------

class ChatTests(V1Case):
    def test_non_stream_equals_native_chat(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 48})
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=48)
        self.assertRegex(r.id, r"^chatcmpl-")
        self.assertEqual((r.object, r.model, r.system_fingerprint), ("chat.completion", MODEL, "fp_ollama"))
        self.assertIsInstance(r.created, int)
        self.assertEqual(len(r.choices), 1)
        choice = r.choices[0]
        self.assertEqual((choice.index, choice.message.role), (0, "assistant"))
        self.assertEqual(choice.message.content, native["message"]["content"])
        self.assertEqual(choice.finish_reason, native["done_reason"])
        self.assertEqual(choice.finish_reason, "stop")          # SEA stops by itself before 48 tokens
        self.assertFalse(choice.message.tool_calls)
        self.assertEqual(r.usage.completion_tokens, native["eval_count"])
        self.assertGreaterEqual(r.usage.prompt_tokens, 1)
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)

    def test_stream_equals_native_chat_with_usage(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 48})
        chunks = list(self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=48, stream=True,
                                                          stream_options={"include_usage": True}))
        self.assertGreater(len(chunks), 3)
        self.assertEqual({c.id for c in chunks}, {chunks[0].id})
        self.assertRegex(chunks[0].id, r"^chatcmpl-")
        self.assertEqual({c.created for c in chunks}, {chunks[0].created})
        self.assertEqual({(c.object, c.model, c.system_fingerprint) for c in chunks}, {("chat.completion.chunk", MODEL, "fp_ollama")})
        self.assertEqual(chunks[0].choices[0].delta.role, "assistant")
        self.assertTrue(all(c.choices[0].delta.role is None for c in chunks[1:] if c.choices), "role only in the first delta")
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        self.assertEqual(text, native["message"]["content"])
        # The finish chunk: an empty delta and the reason; then the usage chunk with no choices.
        finish, usage = chunks[-2], chunks[-1]
        self.assertEqual(finish.choices[0].finish_reason, "stop")
        self.assertEqual(finish.choices[0].delta.model_dump(exclude_none=True), {})
        self.assertEqual([c for c in chunks[:-2] if c.choices[0].finish_reason is not None], [])
        self.assertEqual(usage.choices, [])
        self.assertEqual(usage.usage.completion_tokens, native["eval_count"])
        self.assertEqual(usage.usage.total_tokens, usage.usage.prompt_tokens + usage.usage.completion_tokens)
        self.assertTrue(all(c.usage is None for c in chunks[:-1]))

    def test_stream_without_usage_and_the_wire_format(self):
        status, headers, body = LOOM.post("/v1/chat/completions", {"model": MODEL, "messages": SEA, "stream": True,
                                                                   "temperature": 0, "max_tokens": 6})
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"), headers)
        self.assertTrue(body.endswith(b"data: [DONE]\n\n"), body[-200:])
        events = sse(body)
        self.assertTrue(all(name is None for name, _ in events), "chat chunks carry no event names")
        self.assertEqual(events[-1][1], "[DONE]")
        objects = [json.loads(d) for _, d in events[:-1]]
        self.assertTrue(all(o["choices"] for o in objects), "no usage chunk without include_usage")
        self.assertTrue(all("usage" not in o or o["usage"] is None for o in objects))
        finish = objects[-1]["choices"][0]
        self.assertEqual((finish["index"], finish["delta"], finish["finish_reason"]), (0, {}, "length"), finish)
        self.assertEqual({k: v for k, v in finish.items() if k not in ("index", "delta", "finish_reason") and v is not None}, {})
        # stream defaults to false: one JSON object.
        status, headers, body = LOOM.post("/v1/chat/completions", {"model": MODEL, "messages": SEA, "max_tokens": 2})
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/json"), headers)
        self.assertEqual(json.loads(body)["object"], "chat.completion")

    def test_length_with_max_tokens_and_max_completion_tokens(self):
        for field in ("max_tokens", "max_completion_tokens"):
            for stream in (False, True):
                with self.subTest(field=field, stream=stream):
                    r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, stream=stream,
                                                            stream_options={"include_usage": True} if stream else openai.omit,
                                                            **{field: 4})
                    if stream:
                        chunks = list(r)
                        reason, usage = chunks[-2].choices[0].finish_reason, chunks[-1].usage
                    else:
                        reason, usage = r.choices[0].finish_reason, r.usage
                    self.assertEqual((reason, usage.completion_tokens), ("length", 4))

    def test_seeded_sampling_equals_native_and_defaults(self):
        # Same seed and options → the same text as /api/chat, streamed or not; different seeds differ.
        texts = []
        for seed in (1, 2, 3):
            native = LOOM.chat(MODEL, SEA, {"temperature": 0.9, "top_p": 0.95, "seed": seed, "num_predict": 16})
            whole = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0.9, top_p=0.95, seed=seed, max_tokens=16)
            streamed = "".join(c.choices[0].delta.content or "" for c in self.client.chat.completions.create(
                model=MODEL, messages=SEA, temperature=0.9, top_p=0.95, seed=seed, max_tokens=16, stream=True) if c.choices)
            with self.subTest(seed=seed):
                self.assertEqual(whole.choices[0].message.content, native["message"]["content"])
                self.assertEqual(streamed, native["message"]["content"])
            texts.append(streamed)
        self.assertGreater(len(set(texts)), 1, texts)
        # Absent temperature and top_p mean 1.0 each (not the model's defaults).
        native = LOOM.chat(MODEL, SEA, {"temperature": 1.0, "top_p": 1.0, "seed": 7, "num_predict": 16})
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, seed=7, max_tokens=16)
        self.assertEqual(r.choices[0].message.content, native["message"]["content"])

    def test_penalties_equal_native(self):
        ask = [{"role": "user", "content": "Repeat the word apple ten times."}]
        plain = LOOM.chat(MODEL, ask, {"temperature": 0, "top_p": 1.0, "num_predict": 24})["message"]["content"]
        native = LOOM.chat(MODEL, ask, {"temperature": 0, "top_p": 1.0, "num_predict": 24,
                                        "frequency_penalty": 1.5, "presence_penalty": 1.5})["message"]["content"]
        self.assertNotEqual(plain, native, "the penalties should change this reply")
        r = self.client.chat.completions.create(model=MODEL, messages=ask, temperature=0, max_tokens=24,
                                                frequency_penalty=1.5, presence_penalty=1.5)
        self.assertEqual(r.choices[0].message.content, native)

    def test_stop(self):
        full = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 48})["message"]["content"]
        self.assertIn(" waves", full)
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 48, "stop": [" waves"]})
        for stop in (" waves", [" waves", "zebra"]):
            for stream in (False, True):
                with self.subTest(stop=stop, stream=stream):
                    r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=48, stop=stop, stream=stream)
                    if stream:
                        chunks = list(r)
                        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
                        reason = chunks[-1].choices[0].finish_reason
                    else:
                        text, reason = r.choices[0].message.content, r.choices[0].finish_reason
                    self.assertEqual(text, native["message"]["content"])
                    self.assertEqual(text, full[:full.index(" waves")])
                    self.assertEqual(reason, "stop")

    def test_content_part_arrays(self):
        # One text part is the string; several are one message, their texts joined by "\n" (Loom's
        # choice: Ollama makes each part a message of its own).
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 24})
        r = self.client.chat.completions.create(model=MODEL, temperature=0, max_tokens=24, messages=[
            {"role": "user", "content": [{"type": "text", "text": SEA[0]["content"]}]}])
        self.assertEqual(r.choices[0].message.content, native["message"]["content"])
        two = [{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "Write one sentence\nabout the sea."}]
        native = LOOM.chat(MODEL, two, {"temperature": 0, "top_p": 1.0, "num_predict": 24})
        r = self.client.chat.completions.create(model=MODEL, temperature=0, max_tokens=24, messages=[
            {"role": "system", "content": [{"type": "text", "text": "You are a pirate."}]},
            {"role": "user", "content": [{"type": "text", "text": "Write one sentence"}, {"type": "text", "text": "about the sea."}]}])
        self.assertEqual(r.choices[0].message.content, native["message"]["content"])

    def test_developer_role_is_system(self):
        native = LOOM.chat(MODEL, [{"role": "system", "content": "You are a pirate."}] + SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 24})
        r = self.client.chat.completions.create(model=MODEL, temperature=0, max_tokens=24,
                                                messages=[{"role": "developer", "content": "You are a pirate."}] + SEA)
        self.assertEqual(r.choices[0].message.content, native["message"]["content"])

    def test_logprobs(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "top_p": 1.0, "num_predict": 6}, logprobs=True, top_logprobs=3)
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=6, logprobs=True, top_logprobs=3)
        content = r.choices[0].logprobs.content
        self.assertEqual(len(content), r.usage.completion_tokens)
        self.assertEqual([e.token for e in content], [e["token"] for e in native["logprobs"]])
        self.assertEqual("".join(e.token for e in content), r.choices[0].message.content)
        for e, n in zip(content, native["logprobs"]):
            self.assertAlmostEqual(e.logprob, n["logprob"], delta=1e-4)
            self.assertLessEqual(e.logprob, 0)
            self.assertEqual(e.bytes, list(e.token.encode()))
            self.assertEqual(len(e.top_logprobs), 3)
            self.assertEqual([t.token for t in e.top_logprobs], [t["token"] for t in n["top_logprobs"]])
            self.assertEqual(e.top_logprobs[0].token, e.token)            # temperature 0: the likeliest
            self.assertGreaterEqual(e.top_logprobs[0].logprob, e.top_logprobs[1].logprob)
        # Streamed: the chunks' logprobs spell the text.
        chunks = [c for c in self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=6, logprobs=True,
                                                                  top_logprobs=1, stream=True) if c.choices]
        tokens = [e.token for c in chunks for e in (c.choices[0].logprobs.content if c.choices[0].logprobs else [])]
        self.assertEqual("".join(tokens), "".join(c.choices[0].delta.content or "" for c in chunks))
        self.assertEqual(tokens, [e.token for e in content])
        # Not asked: no logprobs.
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=2)
        self.assertIsNone(r.choices[0].logprobs)

    def test_n_one_and_authorization(self):
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, max_tokens=2, n=1)
        self.assertEqual(len(r.choices), 1)
        for headers in ({}, {"Authorization": "Bearer anything"}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"api-key": "x"}):
            with self.subTest(headers=headers):
                status, data = self.raw("/v1/chat/completions", {"model": MODEL, "messages": SEA, "max_tokens": 2}, headers)
                self.assertEqual(status, 200, data)
        other = LOOM.openai(api_key="sk-something-else")
        self.assertEqual(other.chat.completions.create(model=MODEL, messages=SEA, max_tokens=2).object, "chat.completion")


class ReasoningTests(V1Case):
    ASK = [{"role": "user", "content": "Why is the sky blue?"}]

    def test_reasoning_effort_maps_to_think(self):
        # DeepSeek-R1's template makes SmolLM2's whole reply thinking (it never closes </think> in 32 tokens).
        native = LOOM.chat(THINK_MODEL, self.ASK, {"temperature": 0, "top_p": 1.0, "num_predict": 32}, think="low")
        self.assertTrue(native["message"]["thinking"].strip())
        r = self.client.chat.completions.create(model=THINK_MODEL, messages=self.ASK, temperature=0, max_tokens=32, reasoning_effort="low")
        message = r.choices[0].message
        self.assertEqual(message.model_extra.get("reasoning"), native["message"]["thinking"])
        self.assertEqual(message.content, native["message"]["content"])
        self.assertNotIn("reasoning_content", message.model_extra)
        chunks = [c for c in self.client.chat.completions.create(model=THINK_MODEL, messages=self.ASK, temperature=0, max_tokens=32,
                                                                  reasoning_effort="low", stream=True) if c.choices]
        self.assertEqual("".join(c.choices[0].delta.model_extra.get("reasoning") or "" for c in chunks), native["message"]["thinking"])
        for effort in ("minimal", "medium", "high", "xhigh", "max", "ultra"):
            with self.subTest(effort=effort):
                r = self.client.chat.completions.create(model=THINK_MODEL, messages=self.ASK, max_tokens=2, reasoning_effort=effort)
                self.assertTrue(r.choices[0].message.model_extra.get("reasoning"))
        # reasoning.effort is the other spelling.
        status, data = self.raw("/v1/chat/completions", {"model": THINK_MODEL, "messages": self.ASK, "max_tokens": 2, "reasoning": {"effort": "low"}})
        self.assertEqual(status, 200, data)
        self.assertTrue(json.loads(data)["choices"][0]["message"]["reasoning"])

    def test_reasoning_effort_none_and_errors(self):
        # "none" is think false: accepted by a model without thinking, same text as without it.
        plain = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=12)
        r = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=12, reasoning_effort="none")
        self.assertEqual(r.choices[0].message.content, plain.choices[0].message.content)
        self.assertFalse(r.choices[0].message.model_extra.get("reasoning"))
        # A level on a model without thinking: the native 400.
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.chat.completions.create(model=MODEL, messages=SEA, max_tokens=2, reasoning_effort="low")
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "does not support thinking")
        for stream in (False, True):
            with self.subTest(stream=stream), self.assertRaises(openai.BadRequestError) as e:
                self.client.chat.completions.create(model=THINK_MODEL, messages=SEA, max_tokens=2, stream=stream, reasoning_effort="extreme")
            message = self.assertOpenAIError(e.exception, 400, "invalid_request_error", "invalid reasoning value")
            self.assertIn("extreme", message)
        self.assertTrue(LOOM.ok())


class ResponseFormatTests(V1Case):
    def test_json_object(self):
        ask = [{"role": "user", "content": "Describe a cat in JSON."}]
        for seed in (4, 5):                                    # replies of 28 and 32 tokens
            r = self.client.chat.completions.create(model=MODEL, messages=ask, temperature=0.8, seed=seed, max_tokens=256,
                                                    response_format={"type": "json_object"})
            with self.subTest(seed=seed):
                self.assertEqual(r.choices[0].finish_reason, "stop", r.choices[0].message.content)
                self.assertIsInstance(json.loads(r.choices[0].message.content), dict)
        # "text" is no constraint: the same reply as without response_format.
        plain = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=12)
        text = self.client.chat.completions.create(model=MODEL, messages=SEA, temperature=0, max_tokens=12, response_format={"type": "text"})
        self.assertEqual(text.choices[0].message.content, plain.choices[0].message.content)

    def test_json_schema_is_enforced(self):
        ask = [{"role": "user", "content": "Describe a pet and its owner in JSON."}]
        fmt = {"type": "json_schema", "json_schema": {"name": "pet", "schema": PET, "strict": True}}
        for seed in (1, 2, 3):
            native = LOOM.chat(MODEL, ask, {"temperature": 0.8, "top_p": 1.0, "seed": seed, "num_predict": 256}, format=PET)
            r = self.client.chat.completions.create(model=MODEL, messages=ask, temperature=0.8, seed=seed, max_tokens=256, response_format=fmt)
            with self.subTest(seed=seed):
                self.assertEqual(r.choices[0].finish_reason, "stop")
                validate(self, r.choices[0].message.content, PET)
                self.assertEqual(r.choices[0].message.content, native["message"]["content"])
        chunks = [c for c in self.client.chat.completions.create(model=MODEL, messages=ask, temperature=0.8, seed=5, max_tokens=256,
                                                                  response_format=fmt, stream=True) if c.choices]
        self.assertEqual(chunks[-1].choices[0].finish_reason, "stop")
        validate(self, "".join(c.choices[0].delta.content or "" for c in chunks), PET)

    def test_bad_schema_is_400(self):
        for stream in (False, True):
            with self.subTest(stream=stream), self.assertRaises(openai.BadRequestError) as e:
                self.client.chat.completions.create(model=MODEL, messages=SEA, max_tokens=4, stream=stream, response_format={
                    "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense"}}})
            self.assertOpenAIError(e.exception, 400, "invalid_request_error", "invalid format")
        self.assertTrue(LOOM.ok())


class ChatToolTests(V1Case):
    ASK = {"role": "user", "content": "What is the weather in Paris?"}

    @classmethod
    def primed(cls):
        """Three earlier calls (OpenAI shape): SmolLM2 with Qwen's template then calls get_weather at temperature 0."""
        messages = []
        for i, city in enumerate(("London", "Berlin", "Rome")):
            messages += [{"role": "user", "content": f"What is the weather in {city}?"},
                         {"role": "assistant", "content": "", "tool_calls": [
                             {"id": f"call_prime00{i}", "type": "function",
                              "function": {"name": "get_weather", "arguments": json.dumps({"city": city})}}]}]
        return messages + [cls.ASK]

    @classmethod
    def native_primed(cls):
        return [{"role": m["role"], "content": m["content"],
                 **({"tool_calls": [{"id": c["id"], "function": {"name": c["function"]["name"],
                                                                 "arguments": json.loads(c["function"]["arguments"])}}
                                    for c in m["tool_calls"]]} if "tool_calls" in m else {})}
                for m in cls.primed()]

    def check_call(self, call_id, call_type, name, arguments):
        self.assertRegex(call_id, CALL_ID)
        self.assertEqual((call_type, name), ("function", "get_weather"))
        args = json.loads(arguments)
        self.assertIsInstance(args, dict, arguments)
        self.assertIsInstance(args.get("city"), str, arguments)
        return args

    def test_tool_calls_equal_native(self):
        native = LOOM.chat(TOOLS_MODEL, self.native_primed(), {"temperature": 0, "top_p": 1.0, "num_predict": 48}, tools=[WEATHER])
        expected = [(c["function"]["name"], c["function"]["arguments"]) for c in native["message"]["tool_calls"]]
        self.assertEqual(len(expected), 1, native)
        r = self.client.chat.completions.create(model=TOOLS_MODEL, messages=self.primed(), tools=[WEATHER], temperature=0, max_tokens=48)
        choice = r.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls")
        self.assertFalse(choice.message.content)
        got = [(c.function.name, self.check_call(c.id, c.type, c.function.name, c.function.arguments)) for c in choice.message.tool_calls]
        self.assertEqual(got, expected)
        # Streamed: deltas by index assemble to the same calls, and the finish chunk says tool_calls.
        chunks = [c for c in self.client.chat.completions.create(model=TOOLS_MODEL, messages=self.primed(), tools=[WEATHER], temperature=0,
                                                                  max_tokens=48, stream=True) if c.choices]
        calls = assembled_tool_calls(chunks)
        got = [(c["name"], self.check_call(c["id"], c["type"], c["name"], c["arguments"])) for c in calls]
        self.assertEqual(got, expected)
        self.assertEqual(chunks[-1].choices[0].finish_reason, "tool_calls")
        self.assertFalse("".join(c.choices[0].delta.content or "" for c in chunks).strip())
        # tool_choice is accepted ("auto": the same answer).
        r = self.client.chat.completions.create(model=TOOLS_MODEL, messages=self.primed(), tools=[WEATHER], tool_choice="auto",
                                                temperature=0, max_tokens=48)
        self.assertEqual([(c.function.name, json.loads(c.function.arguments)) for c in r.choices[0].message.tool_calls], expected)

    def test_tool_result_round_trip(self):
        r = self.client.chat.completions.create(model=TOOLS_MODEL, messages=self.primed(), tools=[WEATHER], temperature=0, max_tokens=48)
        call = r.choices[0].message.tool_calls[0]
        history = [self.ASK,
                   {"role": "assistant", "content": None, "tool_calls": [
                       {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
                   {"role": "tool", "tool_call_id": call.id, "content": "18 degrees, sunny"}]
        native = LOOM.chat(TOOLS_MODEL, [self.ASK,
                                         {"role": "assistant", "content": "", "tool_calls": [
                                             {"id": call.id, "function": {"name": call.function.name, "arguments": json.loads(call.function.arguments)}}]},
                                         {"role": "tool", "tool_call_id": call.id, "tool_name": "get_weather", "content": "18 degrees, sunny"}],
                           {"temperature": 0, "top_p": 1.0, "num_predict": 48}, tools=[WEATHER])
        answer = self.client.chat.completions.create(model=TOOLS_MODEL, messages=history, tools=[WEATHER], temperature=0, max_tokens=48)
        self.assertEqual(answer.choices[0].message.content, native["message"]["content"])
        self.assertTrue(answer.choices[0].message.content.strip() or answer.choices[0].message.tool_calls)
        self.assertIn(answer.choices[0].finish_reason, ("stop", "length", "tool_calls"))
        # Arguments that are not JSON: 400.
        bad = [self.ASK, {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_x", "type": "function", "function": {"name": "get_weather", "arguments": "{city: Paris"}}]}]
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.chat.completions.create(model=TOOLS_MODEL, messages=bad, tools=[WEATHER], max_tokens=4)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "invalid tool call arguments")

    def test_tool_choice_none_offers_no_tools(self):
        native = LOOM.chat(TOOLS_MODEL, self.native_primed(), {"temperature": 0, "top_p": 1.0, "num_predict": 48})
        r = self.client.chat.completions.create(model=TOOLS_MODEL, messages=self.primed(), tools=[WEATHER], tool_choice="none",
                                                temperature=0, max_tokens=48)
        self.assertFalse(r.choices[0].message.tool_calls)
        self.assertNotEqual(r.choices[0].finish_reason, "tool_calls")
        self.assertEqual(r.choices[0].message.content, native["message"]["content"])

    def test_tools_on_a_model_without_tools_is_400(self):
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.chat.completions.create(model=MODEL, messages=[self.ASK], tools=[WEATHER], max_tokens=4)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "does not support tools")


# -- /v1/completions --------------------------------------------------------------------------------

class CompletionsTests(V1Case):
    PROMPT = "Write one sentence about the sea."

    def test_non_stream_and_stream_equal_native_generate(self):
        native = LOOM.generate(MODEL, self.PROMPT, {"temperature": 0, "top_p": 1.0, "num_predict": 48})
        r = self.client.completions.create(model=MODEL, prompt=self.PROMPT, temperature=0, max_tokens=48)
        self.assertRegex(r.id, r"^cmpl-")
        self.assertEqual((r.object, r.model, r.system_fingerprint), ("text_completion", MODEL, "fp_ollama"))
        self.assertEqual(len(r.choices), 1)
        self.assertEqual((r.choices[0].index, r.choices[0].text, r.choices[0].finish_reason), (0, native["response"], native["done_reason"]))
        self.assertEqual(r.usage.completion_tokens, native["eval_count"])
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)
        chunks = list(self.client.completions.create(model=MODEL, prompt=self.PROMPT, temperature=0, max_tokens=48, stream=True,
                                                     stream_options={"include_usage": True}))
        self.assertEqual({(c.id, c.object) for c in chunks}, {(chunks[0].id, "text_completion")})
        with_choices = [c for c in chunks if c.choices]
        self.assertEqual("".join(c.choices[0].text for c in with_choices), native["response"])
        self.assertEqual([c.choices[0].finish_reason for c in with_choices][-1], native["done_reason"])
        self.assertTrue(all(c.choices[0].finish_reason is None for c in with_choices[:-1]))
        self.assertEqual(chunks[-1].choices, [])
        self.assertEqual(chunks[-1].usage.completion_tokens, native["eval_count"])

    def test_options_and_length(self):
        native = LOOM.generate(MODEL, self.PROMPT, {"temperature": 0.9, "top_p": 0.95, "seed": 3, "num_predict": 8, "stop": ["zebra"]})
        r = self.client.completions.create(model=MODEL, prompt=self.PROMPT, temperature=0.9, top_p=0.95, seed=3, max_tokens=8, stop=["zebra"],
                                           echo=False, suffix="")
        self.assertEqual((r.choices[0].text, r.choices[0].finish_reason, r.usage.completion_tokens), (native["response"], "length", 8))

    def test_errors(self):
        with self.assertRaises(openai.BadRequestError) as e:            # SmolLM2's template has no suffix (no `insert`)
            self.client.completions.create(model=MODEL, prompt="def f(", suffix="    return x", max_tokens=4)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "does not support insert")
        self.assertOpenAIError(self.raw("/v1/completions", {"model": MODEL, "prompt": "x", "stop": ["a", 5]}), 400, "invalid_request_error")
        self.assertOpenAIError(self.raw("/v1/completions", {"model": MODEL, "prompt": 5}), 400, "invalid_request_error")
        with self.assertRaises(openai.BadRequestError) as e:            # echo false only
            self.client.completions.create(model=MODEL, prompt="x", echo=True, max_tokens=2)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "echo")
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.completions.create(model=MODEL, prompt="x", n=2, max_tokens=2)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error")
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.completions.create(model="no-such-model", prompt="x", max_tokens=2, stream=True)
        self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-model")
        self.assertTrue(LOOM.ok())


# -- /v1/embeddings ---------------------------------------------------------------------------------

class EmbeddingsTests(V1Case):
    TEXTS = ["The lighthouse stands on the island.", "A quiet morning by the sea.", "Quarterly revenue grew by four percent."]

    def assertVectors(self, got, expected):
        self.assertEqual(len(got), len(expected))
        for g, e in zip(got, expected):
            self.assertEqual(len(g), len(e))
            self.assertLessEqual(max(abs(a - b) for a, b in zip(g, e)), 1e-6)
            self.assertAlmostEqual(math.sqrt(sum(x * x for x in g)), 1.0, delta=1e-5)

    def test_float_equals_api_embed(self):
        native = LOOM.embed(EMBED_MODEL, self.TEXTS)
        status, data = self.raw("/v1/embeddings", {"model": EMBED_MODEL, "input": self.TEXTS, "encoding_format": "float"})
        self.assertEqual(status, 200, data)
        body = json.loads(data)
        self.assertEqual((body["object"], body["model"]), ("list", EMBED_MODEL))
        self.assertEqual([(d["object"], d["index"]) for d in body["data"]], [("embedding", i) for i in range(3)])
        self.assertVectors([d["embedding"] for d in body["data"]], native["embeddings"])
        self.assertEqual(body["usage"], {"prompt_tokens": native["prompt_eval_count"], "total_tokens": native["prompt_eval_count"]})
        # A single string; no encoding_format means float on the wire.
        native = LOOM.embed(EMBED_MODEL, self.TEXTS[0])
        status, data = self.raw("/v1/embeddings", {"model": EMBED_MODEL, "input": self.TEXTS[0]})
        self.assertVectors([json.loads(data)["data"][0]["embedding"]], native["embeddings"])

    def test_base64_equals_api_embed(self):
        native = LOOM.embed(EMBED_MODEL, self.TEXTS)
        status, data = self.raw("/v1/embeddings", {"model": EMBED_MODEL, "input": self.TEXTS, "encoding_format": "base64"})
        self.assertEqual(status, 200, data)
        vectors = []
        for d in json.loads(data)["data"]:
            self.assertIsInstance(d["embedding"], str)
            raw = base64.b64decode(d["embedding"], validate=True)
            vectors.append(list(struct.unpack(f"<{len(raw) // 4}f", raw)))
        self.assertVectors(vectors, native["embeddings"])
        # The SDK asks for base64 by default and decodes it.
        r = self.client.embeddings.create(model=EMBED_MODEL, input=self.TEXTS)
        self.assertEqual([d.index for d in r.data], [0, 1, 2])
        self.assertVectors([d.embedding for d in r.data], native["embeddings"])
        self.assertEqual(r.usage.prompt_tokens, native["prompt_eval_count"])

    def test_dimensions(self):
        native = LOOM.embed(EMBED_MODEL, self.TEXTS[1], dimensions=64)
        for fmt in ("float", "base64"):
            with self.subTest(encoding_format=fmt):
                r = self.client.embeddings.create(model=EMBED_MODEL, input=self.TEXTS[1], dimensions=64, encoding_format=fmt)
                vector = r.data[0].embedding          # asked for explicitly, base64 is left to the caller
                if fmt == "base64":
                    vector = list(struct.unpack("<64f", base64.b64decode(vector, validate=True)))
                self.assertVectors([vector], native["embeddings"])

    def test_errors(self):
        cases = [({"model": EMBED_MODEL, "input": "x", "encoding_format": "hex"}, "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64']."),
                 ({"model": EMBED_MODEL}, "invalid input"),
                 ({"model": EMBED_MODEL, "input": []}, "invalid input"),
                 ({"model": EMBED_MODEL, "input": 5}, None),
                 ({"model": EMBED_MODEL, "input": ["a", 5]}, None)]
        for body, message in cases:
            with self.subTest(body=body):
                got = self.assertOpenAIError(self.raw("/v1/embeddings", body), 400, "invalid_request_error")
                if message:
                    self.assertEqual(got, message)
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.embeddings.create(model="no-such-embedder", input="x")
        self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-embedder")


# -- /v1/models -------------------------------------------------------------------------------------

class ModelsTests(V1Case):
    def test_list_equals_api_tags(self):
        _, _, data = LOOM.server.request("GET", "/api/tags")
        tags = json.loads(data)["models"]
        self.assertGreaterEqual(len(tags), 4)
        status, _, data = LOOM.server.request("GET", "/v1/models", headers={"Authorization": "Bearer x"})
        self.assertEqual(status, 200, data)
        body = json.loads(data)
        self.assertEqual(body["object"], "list")
        self.assertEqual([m["id"] for m in body["data"]], [t["name"] for t in tags])
        for m, t in zip(body["data"], tags):
            self.assertEqual(m, {"id": t["name"], "object": "model", "created": unix(t["modified_at"]), "owned_by": "library"})
        self.assertEqual([m.id for m in self.client.models.list()], [t["name"] for t in tags])

    def test_retrieve(self):
        tags = {t["name"]: t for t in json.loads(LOOM.server.request("GET", "/api/tags")[2])["models"]}
        for name, tag in ((MODEL, MODEL), (EMBED_MODEL, f"{EMBED_MODEL}:latest"), (f"{TOOLS_MODEL}:latest", f"{TOOLS_MODEL}:latest")):
            with self.subTest(name=name):
                m = self.client.models.retrieve(name)
                self.assertEqual((m.id, m.object, m.owned_by, m.created), (name, "model", "library", unix(tags[tag]["modified_at"])))
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.models.retrieve("no-such-model")
        self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-model")


# -- /v1/responses ----------------------------------------------------------------------------------

class ResponsesTests(V1Case):
    TOOL = {"type": "function", "name": "get_weather", "description": WEATHER["function"]["description"],
            "parameters": WEATHER["function"]["parameters"], "strict": False}
    TEXT_EVENTS = re.compile(r"response\.created response\.in_progress response\.output_item\.added response\.content_part\.added"
                             r"( response\.output_text\.delta)+ response\.output_text\.done response\.content_part\.done"
                             r" response\.output_item\.done response\.completed")

    def assertMessageOutput(self, r, text):
        self.assertRegex(r.id, r"^resp_")
        self.assertEqual((r.object, r.status, r.model), ("response", "completed", MODEL))
        self.assertEqual(len(r.output), 1)
        item = r.output[0]
        self.assertEqual((item.type, item.role, item.status), ("message", "assistant", "completed"))
        self.assertEqual([(c.type, c.text) for c in item.content], [("output_text", text)])
        self.assertEqual(r.output_text, text)

    def test_input_string_equals_native(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "num_predict": 48})
        r = self.client.responses.create(model=MODEL, input=SEA[0]["content"], temperature=0, max_output_tokens=48)
        self.assertMessageOutput(r, native["message"]["content"])
        self.assertEqual(r.usage.output_tokens, native["eval_count"])
        self.assertEqual(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens)

    def test_items_and_instructions_equal_native(self):
        native = LOOM.chat(MODEL, [{"role": "system", "content": "You are a pirate."}] + SEA, {"temperature": 0, "num_predict": 32})
        for items in ([{"role": "user", "content": SEA[0]["content"]}],
                      [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": SEA[0]["content"]}]}]):
            with self.subTest(items=items):
                r = self.client.responses.create(model=MODEL, instructions="You are a pirate.", input=items, temperature=0, max_output_tokens=32)
                self.assertMessageOutput(r, native["message"]["content"])
                self.assertEqual(r.instructions, "You are a pirate.")

    def test_stream_events(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "num_predict": 48})
        events = list(self.client.responses.create(model=MODEL, input=SEA[0]["content"], temperature=0, max_output_tokens=48, stream=True))
        types = " ".join(e.type for e in events)
        self.assertRegex(types, self.TEXT_EVENTS)
        self.assertEqual([e.sequence_number for e in events], list(range(len(events))))
        self.assertEqual({e.response.id for e in events if hasattr(e, "response")}, {events[0].response.id})
        deltas = [e for e in events if e.type == "response.output_text.delta"]
        self.assertEqual("".join(e.delta for e in deltas), native["message"]["content"])
        self.assertEqual({(e.item_id, e.output_index, e.content_index) for e in deltas}, {(events[2].item.id, 0, 0)})
        done = next(e for e in events if e.type == "response.output_text.done")
        self.assertEqual(done.text, native["message"]["content"])
        self.assertMessageOutput(events[-1].response, native["message"]["content"])
        self.assertEqual(events[-1].response.usage.output_tokens, native["eval_count"])
        # The SDK's stream helper checks the items' identities across events and assembles the response.
        with self.client.responses.stream(model=MODEL, input=SEA[0]["content"], temperature=0, max_output_tokens=48) as stream:
            list(stream)
            final = stream.get_final_response()
        self.assertEqual(final.output_text, native["message"]["content"])
        # Raw: every event names its type.
        status, headers, body = LOOM.post("/v1/responses", {"model": MODEL, "input": "Hi", "max_output_tokens": 4, "stream": True})
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"))
        for name, data in sse(body):
            self.assertEqual(name, json.loads(data)["type"])

    def primed_items(self):
        items = []
        for i, city in enumerate(("London", "Berlin", "Rome")):
            items += [{"role": "user", "content": f"What is the weather in {city}?"},
                      {"type": "function_call", "call_id": f"call_prime00{i}", "name": "get_weather", "arguments": json.dumps({"city": city})}]
        return items + [{"role": "user", "content": "What is the weather in Paris?"}]

    def test_tools_function_call_and_round_trip(self):
        native = LOOM.chat(TOOLS_MODEL, ChatToolTests.native_primed(), {"temperature": 0, "num_predict": 48}, tools=[WEATHER])
        expected = [(c["function"]["name"], c["function"]["arguments"]) for c in native["message"]["tool_calls"]]
        r = self.client.responses.create(model=TOOLS_MODEL, input=self.primed_items(), tools=[self.TOOL], temperature=0, max_output_tokens=48)
        calls = [o for o in r.output if o.type == "function_call"]
        self.assertEqual([(c.name, json.loads(c.arguments)) for c in calls], expected)
        self.assertRegex(calls[0].call_id, CALL_ID)
        self.assertEqual(calls[0].status, "completed")
        # Streamed: the function_call item's events, and the helper's final response.
        events = list(self.client.responses.create(model=TOOLS_MODEL, input=self.primed_items(), tools=[self.TOOL], temperature=0,
                                                   max_output_tokens=48, stream=True))
        types = [e.type for e in events]
        self.assertEqual((types[0], types[1], types[-1]), ("response.created", "response.in_progress", "response.completed"))
        added = next(e for e in events if e.type == "response.output_item.added")
        self.assertEqual(added.item.type, "function_call")
        arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        self.assertEqual((added.item.name, json.loads(arguments)), expected[0])
        self.assertLess(types.index("response.function_call_arguments.done"), types.index("response.output_item.done"))
        self.assertNotIn("response.output_text.delta", types)
        with self.client.responses.stream(model=TOOLS_MODEL, input=self.primed_items(), tools=[self.TOOL], temperature=0,
                                          max_output_tokens=48) as stream:
            list(stream)
            final = stream.get_final_response()
        self.assertEqual([(o.name, json.loads(o.arguments)) for o in final.output if o.type == "function_call"], expected)
        # The call and its output go back as items; the answer equals the native round trip.
        call = calls[0]
        round_trip = [{"role": "user", "content": "What is the weather in Paris?"},
                      {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                      {"type": "function_call_output", "call_id": call.call_id, "output": "18 degrees, sunny"}]
        native = LOOM.chat(TOOLS_MODEL, [round_trip[0],
                                         {"role": "assistant", "content": "", "tool_calls": [
                                             {"id": call.call_id, "function": {"name": call.name, "arguments": json.loads(call.arguments)}}]},
                                         {"role": "tool", "tool_call_id": call.call_id, "content": "18 degrees, sunny"}],
                           {"temperature": 0, "num_predict": 48}, tools=[WEATHER])
        answer = self.client.responses.create(model=TOOLS_MODEL, input=round_trip, tools=[self.TOOL], temperature=0, max_output_tokens=48)
        self.assertTrue(native["message"]["content"])
        self.assertEqual(answer.output_text, native["message"]["content"])

    def test_text_format_json_schema(self):
        ask = "Describe a pet and its owner in JSON."
        native = LOOM.chat(MODEL, [{"role": "user", "content": ask}], {"temperature": 0, "num_predict": 256}, format=PET)
        r = self.client.responses.create(model=MODEL, input=ask, temperature=0, max_output_tokens=256,
                                         text={"format": {"type": "json_schema", "name": "pet", "schema": PET, "strict": True}})
        validate(self, r.output_text, PET)
        self.assertEqual(r.output_text, native["message"]["content"])

    def test_errors(self):
        with self.assertRaises(openai.BadRequestError) as e:            # stateless: nothing to continue from
            self.client.responses.create(model=MODEL, input="Hi", previous_response_id="resp_123", max_output_tokens=2)
        self.assertOpenAIError(e.exception, 400, "invalid_request_error", "previous_response_id")
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.responses.create(model="no-such-model", input="Hi", max_output_tokens=2)
        self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-model")
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.responses.create(model="no-such-model", input="Hi", max_output_tokens=2, stream=True)
        self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-model")
        for body in ({"model": MODEL, "input": 5}, {"model": MODEL, "input": [{"type": "nonsense"}]},
                     {"model": MODEL, "input": "Hi", "reasoning": {"effort": "extreme"}}, {"model": MODEL, "input": "Hi", "temperature": "hot"}):
            with self.subTest(body=body):
                self.assertOpenAIError(self.raw("/v1/responses", body), 400, "invalid_request_error")
        self.assertTrue(LOOM.ok())


# -- errors -----------------------------------------------------------------------------------------

class ErrorTests(V1Case):
    def test_unknown_model_is_404(self):
        for stream in (False, True):
            with self.subTest(stream=stream), self.assertRaises(openai.NotFoundError) as e:
                self.client.chat.completions.create(model="no-such-model", messages=SEA, max_tokens=2, stream=stream)
            self.assertOpenAIError(e.exception, 404, "not_found_error", "no-such-model")
            self.assertTrue(e.exception.response.headers["content-type"].startswith("application/json"))

    def test_n_above_one_is_400(self):
        for n in (2, 5):
            with self.subTest(n=n), self.assertRaises(openai.BadRequestError) as e:
                self.client.chat.completions.create(model=MODEL, messages=SEA, max_tokens=2, n=n)
            self.assertOpenAIError(e.exception, 400, "invalid_request_error")

    def test_malformed_requests_are_400_and_the_server_keeps_serving(self):
        ok = {"model": MODEL, "messages": SEA, "max_tokens": 2}
        cases = {"messages not a list": {**ok, "messages": "hello"},
                 "messages empty": {**ok, "messages": []},
                 "message content a number": {**ok, "messages": [{"role": "user", "content": 5}]},
                 "content part of unknown type": {**ok, "messages": [{"role": "user", "content": [{"type": "video", "video": "x"}]}]},
                 "temperature a string": {**ok, "temperature": "hot"},
                 "max_tokens a string": {**ok, "max_tokens": "5"},
                 "stream a string": {**ok, "stream": "yes"},
                 "n = 2 streamed": {**ok, "n": 2, "stream": True},
                 "json_schema invalid": {**ok, "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "nonsense"}}}},
                 "reasoning_effort invalid": {**ok, "reasoning_effort": "extreme"},
                 "http image url": {**ok, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}}
        for name, body in cases.items():
            with self.subTest(name):
                self.assertOpenAIError(self.raw("/v1/chat/completions", body), 400, "invalid_request_error")
        for body in (b"{not json", b"", b"[1, 2]", b'{"model": "smollm2:135m", "messages": [}'):
            with self.subTest(body=body):
                self.assertOpenAIError(self.raw("/v1/chat/completions", body), 400, "invalid_request_error")
        message = self.assertOpenAIError(self.raw("/v1/chat/completions", {**ok, "messages": []}), 400, "invalid_request_error")
        self.assertEqual(message, "[] is too short - 'messages'")
        self.assertTrue(LOOM.ok())
        self.assertEqual(LOOM.server.request("GET", "/")[0], 200)


class StreamErrorTests(unittest.TestCase):
    def test_an_error_after_the_stream_began_is_a_data_error_event(self):
        status, events, code = events_across_sigterm("/v1/chat/completions", {"model": MODEL, "messages": LONG, "stream": True,
                                                                              "temperature": 0, "max_tokens": 2000})
        self.assertEqual((status, code), (200, 0))
        self.assertGreaterEqual(len(events), 4, events)
        self.assertTrue(all(name is None for name, _ in events))
        self.assertTrue(all(json.loads(d)["object"] == "chat.completion.chunk" for _, d in events[:-1]), events)
        self.assertEqual(json.loads(events[-1][1]), {"error": {"message": "server shutting down", "type": "api_error", "param": None, "code": None}})
        self.assertNotIn("[DONE]", [d for _, d in events])

    def test_the_sdk_raises_it(self):
        server = base.Server(env={"LOOM_DRAIN_TIMEOUT": "0"})   # no drain: the generation ends at once
        try:
            client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0, timeout=60)
            seen = 0
            with self.assertRaises(openai.APIError) as e:
                for _ in client.chat.completions.create(model=MODEL, messages=LONG, temperature=0, max_tokens=2000, stream=True):
                    seen += 1
                    if seen == 3:
                        server.proc.terminate()
            self.assertEqual((e.exception.message, e.exception.body["type"]), ("server shutting down", "api_error"))
            self.assertEqual(server.proc.wait(30), 0)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
