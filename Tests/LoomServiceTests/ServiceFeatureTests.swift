// LoomService features on tiny random models: `format` (constrained output parses, however random
// the model), thinking (a template that opens <think> puts the whole reply in `thinking`; think:false
// and format turn it off), tools (a model that favours <tool_call> emits whole calls with Ollama's
// id/index shape; a tools template without such a bias still streams normally), and embeddings of
// a generator (/api/embed unit vectors, dimensions, input validation; legacy /api/embeddings).

import Foundation
import LoomAPI
import LoomService
import Testing

@Suite("service: format, thinking, tools, embeddings")
struct ServiceFeatureTests {
    typealias F = Fixtures

    @Test("format json: the response parses as a JSON object and ends with done_reason stop")
    func formatJSON() async throws {
        let service = try F.service()
        for api in ["generate", "chat"] {
            var text = "", reason: String?
            if api == "generate" {
                var r = F.generate("tiny", "Describe a cat as JSON.", options: F.short(64, temperature: 0.9))
                r.format = .string("json")
                let items = try await F.drain(try await service.generate(r))
                text = items.map(\.response).joined()
                reason = items.last?.doneReason
            } else {
                var r = F.chat("tiny", "Describe a cat as JSON.", options: F.short(64, temperature: 0.9))
                r.format = .string("json")
                let items = try await F.drain(try await service.chat(r))
                text = items.map(\.message.content).joined()
                reason = items.last?.doneReason
            }
            #expect(F.parseJSON(text) is [String: Any], "\(api): \(text.debugDescription)")
            #expect(reason == "stop")
        }
    }

    @Test("format schema: the response validates (required boolean + enum, nothing else)")
    func formatSchema() async throws {
        let service = try F.service()
        var r = F.generate("tiny", "Answer.", options: F.short(80, seed: 4, temperature: 1))
        r.format = .object([
            ("type", .string("object")),
            ("properties", .object([("ok", .object([("type", .string("boolean"))])),
                                    ("color", .object([("enum", .array([.string("red"), .string("blue")]))]))])),
            ("required", .array([.string("ok"), .string("color")])),
            ("additionalProperties", .bool(false)),
        ])
        let text = try await F.drain(try await service.generate(r)).map(\.response).joined()
        let object = try #require(F.parseJSON(text) as? [String: Any], "\(text.debugDescription)")
        #expect(object["ok"] is Bool)
        #expect(["red", "blue"].contains(object["color"] as? String ?? ""))
        #expect(object.count == 2)
    }

    @Test("thinking template, think absent → everything in thinking; think:false → everything in content")
    func thinking() async throws {
        let service = try F.service()
        let on = try await F.drain(try await service.generate(F.generate("thinker", "hi", options: F.short(8))))
        #expect(!on.compactMap(\.thinking).joined().isEmpty)
        #expect(on.map(\.response).joined().isEmpty)
        var off = F.generate("thinker", "hi", options: F.short(8))
        off.think = .bool(false)
        let offItems = try await F.drain(try await service.generate(off))
        #expect(offItems.allSatisfy { $0.thinking == nil })
        #expect(!offItems.map(\.response).joined().isEmpty)
        // Chat: the same split, on message.thinking; a level string counts as true.
        var chat = F.chat("thinker", "hi", options: F.short(8))
        chat.think = .string("high")
        let chatItems = try await F.drain(try await service.chat(chat))
        #expect(!chatItems.compactMap(\.message.thinking).joined().isEmpty)
        #expect(chatItems.map(\.message.content).joined().isEmpty)
        #expect(!chatItems.map(\.message.content).joined().contains("<think>"))
    }

    @Test("thinking is off with a format (the answer is constrained from its first token)")
    func thinkingWithFormat() async throws {
        let service = try F.service()
        var r = F.chat("thinker", "hi", options: F.short(48))
        r.format = .string("json")
        let items = try await F.drain(try await service.chat(r))
        #expect(items.allSatisfy { $0.message.thinking == nil })
        #expect(F.parseJSON(items.map(\.message.content).joined()) is [String: Any])
    }

    static let weatherTool: JSONValue = .array([.object([
        ("type", .string("function")),
        ("function", .object([
            ("name", .string("get_weather")),
            ("description", .string("Weather in a city")),
            ("parameters", .object([
                ("type", .string("object")),
                ("properties", .object([("city", .object([("type", .string("string")), ("enum", .array([.string("Paris"), .string("Tokyo")]))]))])),
                ("required", .array([.string("city")])),
            ])),
        ])),
    ])])

    @Test("a model that calls tools: whole calls with call_ ids, index from 0, object arguments, no content")
    func toolCall() async throws {
        let service = try F.service()
        var r = F.chat("caller", "Weather in Paris?", options: F.short(120))
        r.tools = Self.weatherTool
        let items = try await F.drain(try await service.chat(r))
        let calls = items.compactMap(\.message.toolCalls).flatMap { $0 }
        let first = try #require(calls.first, "no tool call in \(items.map(\.message.content).joined().debugDescription)")
        #expect(first.function.name == "get_weather")
        #expect(first.function.index == 0)
        let id = first.id ?? ""
        #expect(id.hasPrefix("call_") && id.count == 13 && id.dropFirst(5).allSatisfy { $0.isLowercase || $0.isNumber })
        #expect(["Paris", "Tokyo"].map(JSONValue.string).contains(first.function.arguments["city"] ?? .null))
        #expect(calls.enumerated().allSatisfy { $0.element.function.index == $0.offset })
        #expect(items.map(\.message.content).joined().isEmpty)
        #expect(items.last?.done == true)
    }

    @Test("a tools template without a call still streams content; a follow-up tool turn renders")
    func toolsWithoutCall() async throws {
        let service = try F.service()
        var r = F.chat("toolsy", "hello", options: F.short(6))
        r.tools = Self.weatherTool
        let items = try await F.drain(try await service.chat(r))
        #expect(items.last?.done == true && items.last?.doneReason != nil)
        var call = Message(role: "assistant", content: "")
        call.toolCalls = [ToolCall(function: .init(index: 0, name: "get_weather", arguments: .object([("city", .string("Paris"))])))]
        var result = Message(role: "tool", content: "sunny, 21 C")
        result.toolName = "get_weather"
        var followUp = ChatRequest(model: "toolsy", messages: [Message(role: "user", content: "Weather in Paris?"), call, result])
        followUp.tools = Self.weatherTool
        followUp.options = F.short(4)
        #expect(try await F.drain(try await service.chat(followUp)).last?.metrics?.evalCount == 4)
    }

    @Test("embed on the tiny generator: unit vectors in input order, dimensions, load-only")
    func embed() async throws {
        let service = try F.service()
        let response = try await service.embed(EmbedRequest(model: "tiny", input: .array([.string("a cat"), .string("the dog"), .string("a cat")])))
        #expect(response.model == "tiny")
        #expect(response.embeddings.count == 3)
        #expect(response.embeddings.allSatisfy { $0.count == 64 })
        for v in response.embeddings { #expect(abs(v.reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-4) }
        #expect(response.embeddings[0] == response.embeddings[2])
        #expect(response.embeddings[0] != response.embeddings[1])
        #expect((response.promptEvalCount ?? 0) > 0)
        var cut = EmbedRequest(model: "tiny", input: .string("a cat"))
        cut.dimensions = 8
        let short = try await service.embed(cut).embeddings
        #expect(short.count == 1 && short[0].count == 8)
        #expect(abs(short[0].reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-4)
        let empty = try await service.embed(EmbedRequest(model: "tiny", input: .string("")))
        #expect(empty.embeddings.isEmpty)
        #expect(await service.ps().models.map(\.name) == ["tiny:latest"])
    }

    @Test("embed errors: input type, unknown model, empty model, negative dimensions")
    func embedErrors() async throws {
        let service = try F.service()
        #expect(await F.apiError { _ = try await service.embed(EmbedRequest(model: "tiny", input: .array([JSONValue(1)]))) }
                == .badRequest("invalid input type"))
        #expect(await F.apiError { _ = try await service.embed(EmbedRequest(model: "nope", input: .string("x"))) }
                == .notFound("model \"nope\" not found, try pulling it first"))
        #expect(await F.apiError { _ = try await service.embed(EmbedRequest(model: "", input: .string("x"))) }
                == .notFound("model '' not found"))
        var negative = EmbedRequest(model: "tiny", input: .string("x"))
        negative.dimensions = -1
        #expect(await F.apiError { _ = try await service.embed(negative) } == .badRequest("dimensions must be a non-negative integer"))
        var long = EmbedRequest(model: "tiny", input: .string(String(repeating: "the cat sat on the mat ", count: 20)))
        long.options = .object([("num_ctx", JSONValue(16))])
        long.truncate = false
        #expect(await F.apiError { _ = try await service.embed(long) } == .badRequest("the input length exceeds the context length"))
        long.truncate = nil
        #expect(try await service.embed(long).embeddings.count == 1)
    }

    @Test("legacy embeddings: one unnormalized vector; empty prompt → []; empty model → 400")
    func legacyEmbeddings() async throws {
        let service = try F.service()
        let v = try await service.embeddings(EmbeddingRequest(model: "tiny", prompt: "a cat")).embedding
        #expect(v.count == 64)
        #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) > 1e-3)
        #expect(try await service.embeddings(EmbeddingRequest(model: "tiny", prompt: "")).embedding.isEmpty)
        #expect(await F.apiError { _ = try await service.embeddings(EmbeddingRequest(model: "")) } == .badRequest("model is required"))
    }
}
