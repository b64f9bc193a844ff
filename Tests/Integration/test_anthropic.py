#!/usr/bin/env python3
"""End-to-end tests of Loom's Anthropic-compatible endpoint POST /v1/messages: the real `serve` on a
free loopback port, driven by the official `anthropic` Python SDK (PyPI anthropic==2.17.0) and by raw
HTTP, every answer compared with what /api/chat gives for the same conversation and options.

    LOOM_SERVE=.build-test/release/serve .venv/bin/python Tests/Integration/test_anthropic.py

Contract (Ollama's anthropic/anthropic.go and middleware/anthropic.go, except where noted):
- Request → native chat: `system` (a string or text blocks) → a leading system message; messages
  with a string or content blocks (text; tool_use → the assistant's tool_calls; tool_result → a
  `tool` message before the user's own text); options {num_predict: max_tokens (required, ≥ 1),
  temperature, top_p, top_k, stop: stop_sequences} with no OpenAI-style defaults; tools
  {name, description, input_schema} → native function tools; tool_choice {"type": "none"} offers
  none; thinking {"type": "enabled"} → think true, relaxed to no thinking on a model without it
  (accepted, as Ollama does for Claude Code), {"type": "disabled"} → think false; every thinking
  type the SDK offers (enabled, adaptive, between_tools, disabled) is accepted. Empty messages → 400.
  The SDK (2.x) has no temperature / top_p / top_k arguments: clients send them in extra_body.
- Response: {id "msg_…", type "message", role "assistant", model, content: [thinking] [text]
  [tool_use…], stop_reason end_turn | max_tokens | stop_sequence | tool_use, stop_sequence (the
  matched string: Loom reports it, Ollama says end_turn), usage {input_tokens, output_tokens}}.
- Stream: `event: <type>` + `data: {…}` pairs: message_start (content [], stop_reason null), then per
  block content_block_start / content_block_delta (text_delta, thinking_delta, input_json_delta) /
  content_block_stop with consecutive indexes from 0, then message_delta (stop_reason, stop_sequence,
  usage.output_tokens) and message_stop. `ping` events may appear anywhere.
- Errors: {"type": "error", "error": {"type": invalid_request_error (400) | not_found_error (404) |
  api_error / overloaded_error (5xx), "message"}} with the native status; after a stream began an
  `event: error` with that body, then the stream closes. x-api-key, Authorization and
  anthropic-version headers are accepted and ignored.

Shares test_openai.py's server setup (smollm2:135m, smoltools with Qwen 2.5's template, smolthink
with DeepSeek-R1's template).
"""

import json
import os
import re
import sys
import unittest

import anthropic

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_openai as common  # noqa: E402  (Loom, sse, events_across_sigterm, the models and prompts)

MODEL, TOOLS_MODEL, THINK_MODEL = common.MODEL, common.TOOLS_MODEL, common.THINK_MODEL
SEA = common.SEA
PIRATE = "You are a pirate."
WEATHER_TOOL = {"name": "get_weather", "description": common.WEATHER["function"]["description"],
                "input_schema": common.WEATHER["function"]["parameters"]}
NATIVE_TOOLS = [common.WEATHER]
EVENTS = re.compile(r"message_start( content_block_start( content_block_delta)+ content_block_stop)+ message_delta message_stop")
ERROR_TYPES = {400: {"invalid_request_error"}, 404: {"not_found_error"}, 503: {"api_error", "overloaded_error"}}

LOOM = None


def setUpModule():
    global LOOM
    if not common.base.SERVE.exists() or not common.base.MODEL_FILE.exists():
        raise RuntimeError(f"missing {common.base.SERVE} or {common.base.MODEL_FILE}: run `make release models` first")
    LOOM = common.Loom()


def tearDownModule():
    if LOOM:
        LOOM.stop()


def text_of(message):
    return "".join(b.text for b in message.content if b.type == "text")


def primed():
    """Three earlier tool_use turns (Anthropic shape): SmolLM2 with Qwen's template then calls get_weather at temperature 0."""
    messages = []
    for i, city in enumerate(("London", "Berlin", "Rome")):
        messages += [{"role": "user", "content": f"What is the weather in {city}?"},
                     {"role": "assistant", "content": [{"type": "tool_use", "id": f"toolu_prime00{i}", "name": "get_weather", "input": {"city": city}}]}]
    return messages + [{"role": "user", "content": "What is the weather in Paris?"}]


def native_primed():
    return [{"role": m["role"], "content": m["content"]} if isinstance(m["content"], str) else
            {"role": "assistant", "content": "", "tool_calls": [{"id": b["id"], "function": {"name": b["name"], "arguments": b["input"]}}
                                                                for b in m["content"]]}
            for m in primed()]


class MessagesCase(unittest.TestCase):
    def setUp(self):
        self.client = self.sdk()

    @staticmethod
    def sdk(**kw):
        return anthropic.Anthropic(base_url=LOOM.url, api_key=kw.pop("api_key", "loom"), max_retries=0, timeout=120, **kw)

    @staticmethod
    def params(kw):
        """messages.create's arguments: SEA, 48 tokens, temperature 0 unless given. anthropic 2.x has no
        temperature / top_p / top_k parameters any more: they travel in extra_body."""
        sampling = {k: kw.pop(k) for k in ("temperature", "top_p", "top_k") if k in kw}
        return {"model": MODEL, "max_tokens": 48, "messages": SEA, **kw, "extra_body": {"temperature": 0, **sampling}}

    def create(self, **kw):
        return self.client.messages.create(**self.params(kw))

    def raw_events(self, **kw):
        """The SDK's raw stream events (pings dropped), in order."""
        return [e for e in self.client.messages.create(**self.params(kw), stream=True) if e.type != "ping"]

    def stream(self, **kw):
        return self.client.messages.stream(**self.params(kw))

    def assertEventOrder(self, events):
        self.assertRegex(" ".join(e.type for e in events), EVENTS)
        starts = [e.index for e in events if e.type == "content_block_start"]
        self.assertEqual(starts, list(range(len(starts))))
        open_index = None
        for e in events:
            if e.type == "content_block_start":
                self.assertIsNone(open_index, "a block starts before the previous one stopped")
                open_index = e.index
            elif e.type in ("content_block_delta", "content_block_stop"):
                self.assertEqual(e.index, open_index)
                open_index = None if e.type == "content_block_stop" else open_index

    def assertAnthropicError(self, status_body, status, contains=None):
        """A raw (status, body bytes) or an SDK APIStatusError is Anthropic's error shape."""
        if isinstance(status_body, anthropic.APIStatusError):
            status_body = (status_body.status_code, status_body.response.content)
        got_status, data = status_body
        self.assertEqual(got_status, status, data)
        body = json.loads(data)
        self.assertEqual(body["type"], "error", body)
        self.assertLessEqual(set(body), {"type", "error", "request_id"}, body)
        self.assertEqual(set(body["error"]), {"type", "message"}, body)
        self.assertIn(body["error"]["type"], ERROR_TYPES[status], body)
        self.assertTrue(body["error"]["message"], body)
        if contains:
            self.assertIn(contains, body["error"]["message"])
        return body["error"]["message"]

    def raw(self, body, headers=None):
        status, _, data = LOOM.post("/v1/messages", body, headers)
        return status, data

    def ok(self):
        return self.create(max_tokens=2).type == "message"


class MessagesTests(MessagesCase):
    def test_create_equals_native_chat(self):
        native = LOOM.chat(MODEL, [{"role": "system", "content": PIRATE}] + SEA, {"temperature": 0, "num_predict": 48})
        m = self.create(system=PIRATE)
        self.assertRegex(m.id, r"^msg_")
        self.assertEqual((m.type, m.role, m.model), ("message", "assistant", MODEL))
        self.assertEqual([b.type for b in m.content], ["text"])
        self.assertEqual(m.content[0].text, native["message"]["content"])
        self.assertEqual(m.stop_reason, {"stop": "end_turn", "length": "max_tokens"}[native["done_reason"]])
        self.assertIsNone(m.stop_sequence)
        self.assertEqual(m.usage.output_tokens, native["eval_count"])
        self.assertGreaterEqual(m.usage.input_tokens, 1)
        # System as text blocks, content as blocks: the same conversation.
        m = self.create(system=[{"type": "text", "text": PIRATE}], messages=[{"role": "user", "content": [{"type": "text", "text": SEA[0]["content"]}]}])
        self.assertEqual(text_of(m), native["message"]["content"])

    def test_stream_event_sequence_equals_native_chat(self):
        native = LOOM.chat(MODEL, SEA, {"temperature": 0, "num_predict": 48})
        events = self.raw_events()
        self.assertEventOrder(events)
        start = events[0].message
        self.assertRegex(start.id, r"^msg_")
        self.assertEqual((start.type, start.role, start.model, start.content, start.stop_reason), ("message", "assistant", MODEL, [], None))
        self.assertIsInstance(start.usage.input_tokens, int)
        block = events[1]
        self.assertEqual((block.index, block.content_block.type, block.content_block.text), (0, "text", ""))
        deltas = [e for e in events if e.type == "content_block_delta"]
        self.assertEqual({e.delta.type for e in deltas}, {"text_delta"})
        self.assertEqual("".join(e.delta.text for e in deltas), native["message"]["content"])
        delta = events[-2]
        self.assertEqual((delta.delta.stop_reason, delta.delta.stop_sequence), ("end_turn", None))
        self.assertEqual(delta.usage.output_tokens, native["eval_count"])
        # The SDK's helper assembles the same message.
        with self.stream() as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
        self.assertEqual(streamed, native["message"]["content"])
        self.assertEqual((text_of(final), final.stop_reason, final.usage.output_tokens), (native["message"]["content"], "end_turn", native["eval_count"]))

    def test_stream_wire_format(self):
        status, headers, body = LOOM.post("/v1/messages", {"model": MODEL, "max_tokens": 4, "stream": True, "messages": SEA},
                                          {"x-api-key": "loom", "anthropic-version": "2023-06-01"})
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"), headers)
        events = common.sse(body)
        for name, data in events:
            self.assertEqual(name, json.loads(data)["type"])
        self.assertEqual([n for n, _ in events if n != "ping"][-2:], ["message_delta", "message_stop"])
        self.assertNotIn("[DONE]", body.decode())

    def test_max_tokens(self):
        m = self.create(max_tokens=4)
        self.assertEqual((m.stop_reason, m.usage.output_tokens), ("max_tokens", 4))
        events = self.raw_events(max_tokens=4)
        self.assertEventOrder(events)
        self.assertEqual((events[-2].delta.stop_reason, events[-2].usage.output_tokens), ("max_tokens", 4))

    def test_stop_sequences(self):
        full = LOOM.chat(MODEL, SEA, {"temperature": 0, "num_predict": 48})["message"]["content"]
        self.assertIn(" waves", full)
        cut = full[:full.index(" waves")]
        m = self.create(stop_sequences=[" waves", "zebra"])
        self.assertEqual((text_of(m), m.stop_reason, m.stop_sequence), (cut, "stop_sequence", " waves"))
        events = self.raw_events(stop_sequences=[" waves"])
        self.assertEventOrder(events)
        self.assertEqual("".join(e.delta.text for e in events if e.type == "content_block_delta"), cut)
        self.assertEqual((events[-2].delta.stop_reason, events[-2].delta.stop_sequence), ("stop_sequence", " waves"))
        # A stop sequence that never appears: end_turn.
        m = self.create(stop_sequences=["zebra"])
        self.assertEqual((text_of(m), m.stop_reason, m.stop_sequence), (full, "end_turn", None))

    def test_sampling_options_equal_native(self):
        # top_k 1 (and a tiny top_p) make temperature 1 greedy: the reply equals native chat's with the
        # same options; Anthropic has no seed, so a dropped option would show as a random reply.
        greedy = LOOM.chat(MODEL, SEA, {"temperature": 0, "num_predict": 24})["message"]["content"]
        for options in ({"top_k": 1}, {"top_p": 0.001}):
            with self.subTest(options=options):
                native = LOOM.chat(MODEL, SEA, {"temperature": 1.0, "num_predict": 24, **options})
                m = self.create(temperature=1.0, max_tokens=24, **options)
                self.assertEqual(text_of(m), native["message"]["content"])
                self.assertEqual(text_of(m), greedy)

    def test_headers_are_accepted_and_ignored(self):
        body = {"model": MODEL, "max_tokens": 2, "messages": SEA}
        for headers in ({}, {"x-api-key": "anything"}, {"Authorization": "Bearer anything"},
                        {"x-api-key": "a", "anthropic-version": "2023-06-01", "anthropic-beta": "tools-2024-04-04"}):
            with self.subTest(headers=headers):
                status, data = self.raw(body, headers)
                self.assertEqual(status, 200, data)
                self.assertEqual(json.loads(data)["type"], "message")
        self.assertEqual(self.sdk(api_key="sk-ant-whatever").messages.create(model=MODEL, max_tokens=2, messages=SEA).type, "message")


class ToolTests(MessagesCase):
    def test_tool_use_equals_native(self):
        native = LOOM.chat(TOOLS_MODEL, native_primed(), {"temperature": 0, "num_predict": 48}, tools=NATIVE_TOOLS)
        expected = [(c["function"]["name"], c["function"]["arguments"]) for c in native["message"]["tool_calls"]]
        self.assertEqual(len(expected), 1, native)
        m = self.create(model=TOOLS_MODEL, messages=primed(), tools=[WEATHER_TOOL])
        self.assertEqual(m.stop_reason, "tool_use")
        uses = [b for b in m.content if b.type == "tool_use"]
        self.assertEqual([(b.name, b.input) for b in uses], expected)
        self.assertIsInstance(uses[0].id, str)
        self.assertTrue(uses[0].id)
        self.assertFalse(text_of(m).strip())
        # Streamed: a tool_use block whose input_json_delta pieces are the arguments' JSON.
        events = self.raw_events(model=TOOLS_MODEL, messages=primed(), tools=[WEATHER_TOOL])
        self.assertEventOrder(events)
        start = next(e for e in events if e.type == "content_block_start" and e.content_block.type == "tool_use")
        self.assertEqual(start.content_block.name, "get_weather")
        self.assertTrue(start.content_block.id)
        pieces = [e.delta.partial_json for e in events if e.type == "content_block_delta" and e.index == start.index]
        self.assertEqual({e.delta.type for e in events if e.type == "content_block_delta" and e.index == start.index}, {"input_json_delta"})
        self.assertEqual((start.content_block.name, json.loads("".join(pieces))), expected[0])
        self.assertEqual(events[-2].delta.stop_reason, "tool_use")
        with self.stream(model=TOOLS_MODEL, messages=primed(), tools=[WEATHER_TOOL]) as stream:
            final = stream.get_final_message()
        self.assertEqual([(b.name, b.input) for b in final.content if b.type == "tool_use"], expected)
        self.assertEqual(final.stop_reason, "tool_use")

    def test_tool_result_round_trip(self):
        m = self.create(model=TOOLS_MODEL, messages=primed(), tools=[WEATHER_TOOL])
        use = next(b for b in m.content if b.type == "tool_use")
        ask = {"role": "user", "content": "What is the weather in Paris?"}
        native = LOOM.chat(TOOLS_MODEL, [ask, {"role": "assistant", "content": "", "tool_calls": [
                               {"id": use.id, "function": {"name": use.name, "arguments": use.input}}]},
                           {"role": "tool", "tool_call_id": use.id, "tool_name": use.name, "content": "18 degrees, sunny"}],
                           {"temperature": 0, "num_predict": 48}, tools=NATIVE_TOOLS)
        self.assertTrue(native["message"]["content"])
        for result in ("18 degrees, sunny", [{"type": "text", "text": "18 degrees, sunny"}]):
            with self.subTest(result=result):
                answer = self.create(model=TOOLS_MODEL, tools=[WEATHER_TOOL], messages=[
                    ask, {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": result}]}])
                self.assertEqual(text_of(answer), native["message"]["content"])
                self.assertIn(answer.stop_reason, ("end_turn", "max_tokens", "tool_use"))

    def test_tool_choice_none_offers_no_tools(self):
        native = LOOM.chat(TOOLS_MODEL, native_primed(), {"temperature": 0, "num_predict": 48})
        m = self.create(model=TOOLS_MODEL, messages=primed(), tools=[WEATHER_TOOL], tool_choice={"type": "none"})
        self.assertEqual([b.type for b in m.content if b.type == "tool_use"], [])
        self.assertEqual(text_of(m), native["message"]["content"])

    def test_tools_on_a_model_without_tools_is_400(self):
        with self.assertRaises(anthropic.BadRequestError) as e:
            self.create(tools=[WEATHER_TOOL], max_tokens=4)
        self.assertAnthropicError(e.exception, 400, "does not support tools")


class ThinkingTests(MessagesCase):
    ASK = [{"role": "user", "content": "Why is the sky blue?"}]

    def test_thinking_blocks(self):
        # DeepSeek-R1's template makes SmolLM2's whole reply thinking (it never closes </think> in 32 tokens).
        native = LOOM.chat(THINK_MODEL, self.ASK, {"temperature": 0, "num_predict": 32}, think=True)
        self.assertTrue(native["message"]["thinking"].strip())
        thinking = {"type": "enabled", "budget_tokens": 1024}
        m = self.create(model=THINK_MODEL, messages=self.ASK, max_tokens=32, thinking=thinking)
        self.assertEqual(m.content[0].type, "thinking")
        self.assertEqual(m.content[0].thinking, native["message"]["thinking"])
        self.assertEqual(text_of(m), native["message"]["content"])
        self.assertEqual(m.stop_reason, "max_tokens")
        events = self.raw_events(model=THINK_MODEL, messages=self.ASK, max_tokens=32, thinking=thinking)
        self.assertEventOrder(events)
        self.assertEqual(events[1].content_block.type, "thinking")
        self.assertEqual("".join(e.delta.thinking for e in events if e.type == "content_block_delta" and e.index == 0), native["message"]["thinking"])
        self.assertEqual({e.delta.type for e in events if e.type == "content_block_delta" and e.index == 0}, {"thinking_delta"})
        with self.stream(model=THINK_MODEL, max_tokens=32, messages=self.ASK, thinking=thinking) as stream:
            final = stream.get_final_message()
        self.assertEqual(final.content[0].thinking, native["message"]["thinking"])

    def test_thinking_is_relaxed_on_a_model_without_it(self):
        plain = self.create(max_tokens=16)
        # Every thinking type the SDK offers is accepted.
        for thinking in ({"type": "enabled", "budget_tokens": 1024}, {"type": "adaptive"}, {"type": "between_tools"}, {"type": "disabled"}):
            with self.subTest(thinking=thinking):
                m = self.create(max_tokens=16, thinking=thinking)
                self.assertEqual([b.type for b in m.content], ["text"])
                self.assertEqual(text_of(m), text_of(plain))

    def test_thinking_disabled_on_a_thinking_model(self):
        native = LOOM.chat(THINK_MODEL, self.ASK, {"temperature": 0, "num_predict": 16}, think=False)
        m = self.create(model=THINK_MODEL, messages=self.ASK, max_tokens=16, thinking={"type": "disabled"})
        self.assertNotIn("thinking", [b.type for b in m.content])
        self.assertEqual(text_of(m), native["message"]["content"])


class ErrorTests(MessagesCase):
    def test_unknown_model_is_404(self):
        for stream in (False, True):
            with self.subTest(stream=stream), self.assertRaises(anthropic.NotFoundError) as e:
                self.create(model="no-such-model", max_tokens=2, stream=stream)
            self.assertAnthropicError(e.exception, 404, "no-such-model")
            self.assertTrue(e.exception.response.headers["content-type"].startswith("application/json"))

    def test_malformed_requests_are_400_and_the_server_keeps_serving(self):
        ok = {"model": MODEL, "max_tokens": 2, "messages": SEA}
        cases = {"max_tokens missing": {k: v for k, v in ok.items() if k != "max_tokens"},
                 "max_tokens zero": {**ok, "max_tokens": 0},
                 "max_tokens a string": {**ok, "max_tokens": "2"},
                 "model missing": {k: v for k, v in ok.items() if k != "model"},
                 "messages missing": {k: v for k, v in ok.items() if k != "messages"},
                 "messages not a list": {**ok, "messages": "hello"},
                 "messages empty": {**ok, "messages": []},
                 "content a number": {**ok, "messages": [{"role": "user", "content": 5}]},
                 "temperature a string": {**ok, "temperature": "hot"},
                 "stop_sequences a string": {**ok, "stop_sequences": 5},
                 "stream a string": {**ok, "stream": "yes"},
                 "system a number": {**ok, "system": 5}}
        for name, body in cases.items():
            with self.subTest(name):
                self.assertAnthropicError(self.raw(body), 400)
        for body in (b"{not json", b"", b"[1, 2]"):
            with self.subTest(body=body):
                self.assertAnthropicError(self.raw(body), 400)
        with self.assertRaises(anthropic.BadRequestError) as e:
            self.create(max_tokens=2, temperature="hot")
        self.assertAnthropicError(e.exception, 400)
        self.assertTrue(self.ok())
        self.assertEqual(LOOM.server.request("GET", "/")[0], 200)

    def test_an_error_after_the_stream_began_is_an_error_event(self):
        status, events, code = common.events_across_sigterm("/v1/messages", {"model": MODEL, "max_tokens": 2000, "temperature": 0,
                                                                             "stream": True, "messages": common.LONG})
        self.assertEqual((status, code), (200, 0))
        names = [n for n, _ in events if n != "ping"]
        self.assertEqual(names[:2], ["message_start", "content_block_start"])
        self.assertEqual(names[-1], "error")
        self.assertNotIn("message_stop", names)
        body = json.loads(events[-1][1])
        self.assertEqual((body["type"], body["error"]["message"]), ("error", "server shutting down"))
        self.assertIn(body["error"]["type"], ERROR_TYPES[503])

    def test_the_sdk_raises_it(self):
        server = common.base.Server(env={"LOOM_DRAIN_TIMEOUT": "0"})   # no drain: the generation ends at once
        try:
            client = anthropic.Anthropic(base_url=server.url, api_key="x", max_retries=0, timeout=60)
            seen = 0
            with self.assertRaises(anthropic.APIStatusError) as e:
                with client.messages.stream(model=MODEL, max_tokens=2000, messages=common.LONG, extra_body={"temperature": 0}) as stream:
                    for _ in stream.text_stream:
                        seen += 1
                        if seen == 3:
                            server.proc.terminate()
            self.assertEqual(e.exception.body["error"]["message"], "server shutting down")
            self.assertEqual(server.proc.wait(30), 0)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
