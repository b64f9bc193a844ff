// The /v1 translators without a server or a model: OpenAI and Anthropic requests → native requests
// (defaults, parts, tool calls and results, formats, reasoning, refusals), and native streams →
// each API's chunks and events in order. The SDK-level checks against the real server are in
// Tests/Integration/test_openai.py and test_anthropic.py.

import LoomAPI
import Testing

func body(_ text: String) throws -> CompatBody { try CompatBody(Array(text.utf8)) }

func chunk(_ content: String = "", thinking: String? = nil, calls: [ToolCall]? = nil, done: Bool = false, reason: String? = nil,
           stop: String? = nil) -> ChatResponse {
    var m = Message(role: "assistant", content: content)
    m.thinking = thinking
    m.toolCalls = calls
    var r = ChatResponse(model: "m", createdAt: "", message: m, done: done, doneReason: reason,
                         metrics: done ? Metrics(promptEvalCount: 7, evalCount: 3) : nil)
    r.stopSequence = stop
    return r
}

@Suite("OpenAI chat translation")
struct OpenAIChatTranslationTests {
    @Test func defaultsAndOptions() throws {
        let r = try OpenAIChat.request(body(#"{"model":"m","messages":[{"role":"developer","content":"be brief"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"max_completion_tokens":5,"stop":"x","seed":3}"#))
        #expect(r.chat.messages?.map(\.role) == ["system", "user"])
        #expect(r.chat.messages?.last?.content == "a\nb")
        #expect(r.chat.options?["temperature"]?.doubleValue == 1.0 && r.chat.options?["top_p"]?.doubleValue == 1.0)
        #expect(r.chat.options?["num_predict"]?.intValue == 5 && r.chat.options?["seed"]?.intValue == 3)
        #expect(r.chat.options?["stop"] == ["x"])
        #expect(!r.stream && !r.includeUsage)
    }

    @Test func toolsFormatsAndThinking() throws {
        let r = try OpenAIChat.request(body(#"""
        {"model":"m","messages":[{"role":"user","content":"w?"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
         "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}],
         "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}},"reasoning_effort":"minimal","stream":true,"stream_options":{"include_usage":true}}
        """#))
        let messages = try #require(r.chat.messages)
        #expect(messages[1].toolCalls?.first?.function.arguments == ["city": "Paris"])
        #expect(messages[2].toolName == "weather" && messages[2].toolCallID == "call_1")
        #expect(r.chat.format == ["type": "object"])
        #expect(r.chat.think == .string("low"))
        #expect(r.chat.tools?.arrayValue?.count == 1)
        #expect(r.stream && r.includeUsage)
        let none = try OpenAIChat.request(body(#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none","response_format":{"type":"json_object"}}"#))
        #expect(none.chat.tools == nil && none.chat.format == .string("json"))
    }

    @Test func refusals() throws {
        func status(_ text: String) -> Int? {
            do { _ = try OpenAIChat.request(try body(text)); return nil } catch let e as APIError { return e.status } catch { return -1 }
        }
        #expect(status(#"{"model":"m","messages":[]}"#) == 400)
        #expect(status(#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#) == 400)
        #expect(status(#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#) == 400)
        #expect(status(#"{"model":"m","messages":"hi"}"#) == 400)
        #expect(status(#"{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"huge"}"#) == 400)
        #expect(status(#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{"}}]}]}"#) == 400)
        #expect(status(#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}"#) == 400)
        #expect(status("[1]") == 400)
        #expect(status("{") == 400)
    }

    @Test func streamChunks() {
        var s = OpenAIChatStream(id: "c", model: "m", created: 1, includeUsage: true)
        let a = s.chunks(chunk("Hel"))
        let b = s.chunks(chunk("lo"))
        let end = s.chunks(chunk(done: true, reason: "stop"))
        #expect(a.count == 1 && a[0]["choices"]?[0]?["delta"] == ["role": "assistant", "content": "Hel"])
        #expect(b[0]["choices"]?[0]?["delta"] == ["content": "lo"])
        #expect(end.count == 2)
        #expect(end[0]["choices"]?[0]?["finish_reason"] == "stop" && end[0]["choices"]?[0]?["delta"] == [:])
        #expect(end[1]["choices"] == [] && end[1]["usage"]?["total_tokens"]?.intValue == 10)
        var t = OpenAIChatStream(id: "c", model: "m", created: 1, includeUsage: false)
        let call = ToolCall(id: "call_9", function: .init(name: "f", arguments: ["a": 1]))
        let calls = t.chunks(chunk(calls: [call]))
        #expect(calls[0]["choices"]?[0]?["delta"]?["tool_calls"]?[0]?["function"]?["arguments"] == #"{"a":1}"#)
        #expect(t.chunks(chunk(done: true, reason: "stop")).first?["choices"]?[0]?["finish_reason"] == "tool_calls")
    }
}

@Suite("Anthropic translation")
struct AnthropicTranslationTests {
    @Test func request() throws {
        let r = try AnthropicMessages.request(body(#"""
        {"model":"m","max_tokens":9,"system":[{"type":"text","text":"sys"}],"stop_sequences":["END"],
         "messages":[{"role":"user","content":"w?"},
           {"role":"assistant","content":[{"type":"text","text":"let me see"},{"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},{"type":"text","text":"and?"}]}],
         "tools":[{"name":"weather","input_schema":{"type":"object"}}],"thinking":{"type":"enabled","budget_tokens":1024}}
        """#))
        let roles = r.chat.messages?.map(\.role)
        #expect(roles == ["system", "user", "assistant", "tool", "user"])
        #expect(r.chat.messages?[3].toolName == "weather" && r.chat.messages?[3].content == "sunny")
        #expect(r.chat.options?["num_predict"]?.intValue == 9 && r.chat.options?["stop"] == ["END"])
        #expect(r.chat.tools?[0]?["function"]?["parameters"] == ["type": "object"])
        #expect(r.chat.think == .bool(true))
        #expect(throws: APIError.self) { try AnthropicMessages.request(body(#"{"model":"m","messages":[]}"#)) }
    }

    @Test func events() {
        var s = AnthropicStream(id: "msg", model: "m")
        var names = s.events(chunk(thinking: "hmm")).map(\.0)
        names += s.events(chunk("Hi")).map(\.0)
        names += s.events(chunk(done: true, reason: "stop", stop: "END")).map(\.0)
        #expect(names == ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start",
                          "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        var t = AnthropicStream(id: "msg", model: "m")
        let last = t.events(chunk(done: true, reason: "stop", stop: "END")).first { $0.0 == "message_delta" }?.1
        #expect(last?["delta"]?["stop_reason"] == "stop_sequence" && last?["delta"]?["stop_sequence"] == "END")
        let whole = AnthropicMessages.message(chunk("x", calls: [ToolCall(id: "call_ab", function: .init(name: "f", arguments: [:]))], done: true, reason: "stop"), id: "msg", model: "m")
        #expect(whole["stop_reason"] == "tool_use" && whole["content"]?[1]?["id"] == "toolu_ab")
    }
}

@Suite("Responses translation")
struct ResponsesTranslationTests {
    @Test func eventsInOrder() throws {
        let r = try OpenAIResponses.request(body(#"{"model":"m","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"stream":true}"#))
        #expect(r.chat.messages?.map(\.role) == ["system", "user"])
        var s = OpenAIResponsesStream(id: "resp_1", request: r, created: 1)
        var names = s.events(chunk("He")).map(\.0)
        names += s.events(chunk("y")).map(\.0)
        let end = s.events(chunk(done: true, reason: "stop"))
        names += end.map(\.0)
        #expect(names == ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                          "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"])
        #expect(end.last?.1["response"]?["output"]?[0]?["content"]?[0]?["text"] == "Hey")
        #expect(end.last?.1["sequence_number"]?.intValue == 9)
        #expect(throws: APIError.self) { try OpenAIResponses.request(body(#"{"model":"m","input":"x","previous_response_id":"resp_0"}"#)) }
    }
}
