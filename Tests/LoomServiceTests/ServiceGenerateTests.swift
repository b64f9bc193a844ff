// LoomService's /api/generate and /api/chat on tiny random models, in process: stream shape (only
// the last object is done; metrics, done_reason and context on it), done reasons (length from
// num_predict, stop from an end token or a stop string), seeded reproducibility, load/unload
// requests, keep_alive 0, and the validation errors of §5.1 / §6.1. A random model's text is
// random, so assertions are on structure, or on a reply compared with another reply of the same
// model (each run loads the model fresh: keep_alive 0).

import Foundation
import LoomAPI
import LoomService
import Testing

@Suite("service: generate and chat")
struct ServiceGenerateTests {
    typealias F = Fixtures

    @Test("generate streams chunks; only the last is done, with length, metrics and context")
    func generateStream() async throws {
        let service = try F.service()
        let items = try await F.drain(try await service.generate(F.generate("tiny", "hello there", options: F.short(5))))
        let last = try #require(items.last)
        #expect(items.dropLast().allSatisfy { !$0.done && $0.metrics == nil && $0.context == nil })
        #expect(items.allSatisfy { $0.model == "tiny" && $0.createdAt.hasSuffix("Z") })
        #expect(last.done && last.doneReason == "length")
        let m = try #require(last.metrics)
        #expect(m.evalCount == 5)
        #expect((m.promptEvalCount ?? 0) > 0)
        #expect((m.totalDuration ?? 0) > 0 && (m.evalDuration ?? 0) > 0 && (m.promptEvalDuration ?? 0) > 0)
        #expect((m.loadDuration ?? 0) > 0)   // the first request on a fresh load reports it
        let context = try #require(last.context)
        #expect(context.count == (m.promptEvalCount ?? 0) + 5)
        #expect(!items.map(\.response).joined().isEmpty)
    }

    @Test("a returned context is accepted by the next request, and raw replies carry none")
    func contextRoundTrip() async throws {
        let service = try F.service()
        let first = try await F.drain(try await service.generate(F.generate("tiny", "one", options: F.short(3))))
        var next = F.generate("tiny", "two", options: F.short(3))
        next.context = first.last?.context
        let second = try await F.drain(try await service.generate(next))
        #expect(second.last?.doneReason == "length")
        var raw = F.generate("tiny", "three", options: F.short(3))
        raw.raw = true
        let third = try await F.drain(try await service.generate(raw))
        #expect(third.last?.done == true && third.last?.context == nil)
    }

    @Test("a model whose reply ends at once: done_reason stop, empty response, no eval_count")
    func stopAtEndToken() async throws {
        let service = try F.service()
        let items = try await F.drain(try await service.generate(F.generate("tiny-eos", "hi", options: F.short(20))))
        #expect(items.count == 1)
        #expect(items.last?.doneReason == "stop")
        #expect(items.map(\.response).joined().isEmpty)
        #expect(items.last?.metrics?.evalCount == nil)   // 0 tokens: omitted (omitempty)
        let chat = try await F.drain(try await service.chat(F.chat("tiny-eos", "hi", options: F.short(20))))
        #expect(chat.last?.doneReason == "stop" && chat.last?.message.content == "")
    }

    /// The greedy reply of a freshly loaded `tiny` (keep_alive 0 unloads it after).
    static func freshReply(_ service: LoomService, stop: [String] = [], n: Int = 16, seed: Int = 1,
                           temperature: Double = 0) async throws -> GenerateResponse? {
        var request = F.generate("tiny", "The quick brown fox",
                                 options: F.short(n, seed: seed, temperature: temperature,
                                                  extra: stop.isEmpty ? [] : [("stop", .array(stop.map(JSONValue.string)))]))
        request.keepAlive = .nanoseconds(0)
        let items = try await F.drain(try await service.generate(request))
        guard var last = items.last else { return nil }
        last.response = items.map(\.response).joined()
        try await Self.waitUnloaded(service)
        return last
    }

    /// Waits (up to 30 s) until no model is loaded.
    static func waitUnloaded(_ service: LoomService) async throws {
        for _ in 0..<600 where !(await service.ps().models.isEmpty) { try await Task.sleep(nanoseconds: 50_000_000) }
    }

    @Test("seed + temperature 0 (or 0.9) twice → the same reply; a stop string cuts it before the string")
    func stopString() async throws {
        let service = try F.service()
        let a = try #require(try await Self.freshReply(service))
        let b = try #require(try await Self.freshReply(service))
        #expect(a.response == b.response)
        #expect(a.doneReason == "length")
        let warm = try await Self.freshReply(service, seed: 7, temperature: 0.9)?.response
        #expect(warm == (try await Self.freshReply(service, seed: 7, temperature: 0.9)?.response))
        // A stop string: the first character after the first one that is neither space nor U+FFFD
        // (preferring an ASCII letter or digit).
        let chars = Array(a.response)
        let usable = chars.indices.dropFirst().filter { !chars[$0].isWhitespace && chars[$0] != "\u{FFFD}" }
        guard let at = usable.first(where: { chars[$0].isASCII && (chars[$0].isLetter || chars[$0].isNumber) }) ?? usable.first else {
            Issue.record("the reply \(a.response.debugDescription) has no character to stop at")
            return
        }
        let stop = String(chars[at])
        let cut = try #require(try await Self.freshReply(service, stop: [stop]))
        #expect(cut.doneReason == "stop")
        #expect(!cut.response.contains(stop))
        #expect(cut.response == String(a.response[..<(a.response.range(of: stop)?.lowerBound ?? a.response.endIndex)]))
    }

    @Test("chat streams assistant messages; the last is done with metrics")
    func chatStream() async throws {
        let service = try F.service()
        let items = try await F.drain(try await service.chat(F.chat("tiny", "hello", options: F.short(4))))
        #expect(items.allSatisfy { $0.message.role == "assistant" && $0.model == "tiny" })
        #expect(items.dropLast().allSatisfy { !$0.done && $0.metrics == nil })
        let last = try #require(items.last)
        #expect(last.done && last.doneReason == "length" && last.metrics?.evalCount == 4)
        #expect(last.message.toolCalls == nil && last.message.thinking == nil)
    }

    @Test("names are case-insensitive and responses echo the request's spelling")
    func nameSpelling() async throws {
        let service = try F.service()
        let items = try await F.drain(try await service.generate(F.generate("TINY:Latest", "x", options: F.short(1))))
        #expect(items.allSatisfy { $0.model == "TINY:Latest" })
        #expect(await service.ps().models.map(\.name) == ["tiny:latest"])
    }

    @Test("empty prompt / messages load (done_reason load); with keep_alive 0 they unload")
    func loadAndUnload() async throws {
        let service = try F.service()
        let loaded = try await F.drain(try await service.generate(GenerateRequest(model: "tiny")))
        #expect(loaded.count == 1 && loaded[0].done && loaded[0].doneReason == "load" && loaded[0].response == "")
        #expect(await service.ps().models.map(\.name) == ["tiny:latest"])
        var unload = GenerateRequest(model: "tiny")
        unload.keepAlive = .nanoseconds(0)
        let gone = try await F.drain(try await service.generate(unload))
        #expect(gone.count == 1 && gone[0].doneReason == "unload")
        #expect(await service.ps().models.isEmpty)
        // Unloading a model that is not loaded is still fine; chat does the same.
        #expect(try await F.drain(try await service.generate(unload)).last?.doneReason == "unload")
        let chatLoad = try await F.drain(try await service.chat(ChatRequest(model: "tiny", messages: [])))
        #expect(chatLoad.last?.doneReason == "load" && chatLoad.last?.message == Message(role: "assistant", content: ""))
        var chatUnload = ChatRequest(model: "tiny", messages: [])
        chatUnload.keepAlive = .nanoseconds(0)
        #expect(try await F.drain(try await service.chat(chatUnload)).last?.doneReason == "unload")
        #expect(await service.ps().models.isEmpty)
    }

    @Test("keep_alive 0 on a real request unloads the model once the reply is done")
    func keepAliveZero() async throws {
        let service = try F.service()
        var request = F.generate("tiny", "bye", options: F.short(2))
        request.keepAlive = .nanoseconds(0)
        _ = try await F.drain(try await service.generate(request))
        try await Self.waitUnloaded(service)
        #expect(await service.ps().models.isEmpty)
    }

    @Test("unknown and invalid models", arguments: [
        ("nope", 404, "model 'nope' not found"), ("", 404, "model '' not found"), ("bad name!", 400, "invalid model name"),
    ])
    func unknownModelGenerate(name: String, status: Int, message: String) async throws {
        let service = try F.service()
        let error = await F.apiError { _ = try await service.generate(F.generate(name, "x")) }
        #expect(error == APIError(status: status, message))
    }

    @Test("chat: empty model is 400, unknown 404")
    func unknownModelChat() async throws {
        let service = try F.service()
        #expect(await F.apiError { _ = try await service.chat(F.chat("", "x")) } == .badRequest("model is required"))
        #expect(await F.apiError { _ = try await service.chat(F.chat("nope", "x")) } == .notFound("model 'nope' not found"))
    }

    @Test("request validation errors (generate)", arguments: [
        ("raw+system", 400, "raw mode does not support template, system, or context"),
        ("suffix", 400, "registry.ollama.ai/library/tiny:latest does not support insert"),
        ("top_logprobs", 400, "top_logprobs must be between 0 and 20"),
        ("think level", 400, "invalid think value: \"extreme\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)"),
        ("think on non-thinker", 400, "\"tiny\" does not support thinking"),
        ("options not object", 400, "options must be an object"),
        ("option type", 400, "option \"temperature\" must be of type float32"),
        ("stop type", 400, "option \"stop\" must be of type array"),
        ("format xml", 400, "invalid format: \"xml\"; expected \"json\" or a valid JSON Schema object"),
    ])
    func validation(label: String, status: Int, message: String) async throws {
        let service = try F.service()
        var r = F.generate("tiny", "hi")
        switch label {
        case "raw+system": r.raw = true; r.system = "be brief"
        case "suffix": r.suffix = "end"
        case "top_logprobs": r.topLogprobs = 21
        case "think level": r.think = .string("extreme")
        case "think on non-thinker": r.think = .bool(true)
        case "options not object": r.options = .string("fast")
        case "option type": r.options = .object([("temperature", .string("hot"))])
        case "stop type": r.options = .object([("stop", .string("x"))])
        default: r.format = .string("xml")
        }
        #expect(await F.apiError { _ = try await service.generate(r) } == APIError(status: status, message))
    }

    /// Found by schemathesis (Scripts/fuzz_api.py): `repeat_penalty: 0` and a float beyond Float's
    /// range passed the API and the sampler refused them with a 500; they are the client's 400.
    @Test("an option value the sampler refuses is 400, not 500", arguments: [
        ("repeat_penalty", JSONValue.number("0")), ("repeat_penalty", .number("-1")), ("temperature", .number("1e300")),
    ])
    func invalidSamplingOption(name: String, value: JSONValue) async throws {
        let service = try F.service()
        let r = F.generate("tiny", "hi", options: F.short(2, extra: [(name, value)]))
        let error = await F.apiError { _ = try await F.drain(try await service.generate(r)) }
        #expect(error?.status == 400)
        #expect(error?.message.contains("Sampling option \(name)") == true, "\(String(describing: error))")
        var chat = F.chat("tiny", "hi")
        chat.options = F.short(2, extra: [(name, value)])
        #expect(await F.apiError { _ = try await F.drain(try await service.chat(chat)) }?.status == 400)
    }

    /// Found by schemathesis (Scripts/fuzz_api.py): `num_batch: 35178608917201371742049614692352`
    /// (clamped to Int.max by Options) overflowed the run state's buffer sizes and the server died.
    @Test("huge num_batch, num_ctx and num_thread: the request is served, the process survives")
    func hugeRunnerOptions() async throws {
        let service = try F.service()
        let huge = JSONValue.number("35178608917201371742049614692352")
        for key in ["num_batch", "num_ctx", "num_thread"] {
            let r = F.generate("tiny", "hi", options: F.short(2, extra: [(key, huge)]))
            let items = try await F.drain(try await service.generate(r))
            #expect(items.last?.done == true, "\(key)")
        }
    }

    @Test("think:false on a model without thinking is fine; tools on a model without tools is 400")
    func capabilities() async throws {
        let service = try F.service()
        var r = F.generate("tiny", "hi", options: F.short(2))
        r.think = .bool(false)
        #expect(try await F.drain(try await service.generate(r)).last?.done == true)
        var chat = F.chat("tiny", "hi")
        chat.tools = .array([.object([("type", .string("function")), ("function", .object([("name", .string("f"))]))])])
        #expect(await F.apiError { _ = try await service.chat(chat) } == .badRequest("registry.ollama.ai/library/tiny:latest does not support tools"))
    }

    @Test("logprobs: one entry per generated token, each with the asked number of alternatives")
    func logprobs() async throws {
        let service = try F.service()
        var r = F.generate("tiny", "hi", options: F.short(5))
        r.logprobs = true
        r.topLogprobs = 2
        let items = try await F.drain(try await service.generate(r))
        let all = items.compactMap(\.logprobs).flatMap { $0 }
        #expect(all.count == 5)
        #expect(all.allSatisfy { $0.logprob <= 0 && $0.topLogprobs?.count == 2 })
        #expect(all.allSatisfy { ($0.topLogprobs?[0].logprob ?? 1) >= ($0.topLogprobs?[1].logprob ?? 0) })
    }

    @Test("context length: truncate:false over num_ctx is 400; the default truncates; long chats keep the last turn")
    func contextLength() async throws {
        let service = try F.service()
        let long = String(repeating: "the quick brown fox jumps over the lazy dog ", count: 20)
        let small = F.short(2, extra: [("num_ctx", JSONValue(64))])
        var strict = F.generate("tiny", long, options: small)
        strict.truncate = false
        #expect(await F.apiError { _ = try await F.drain(try await service.generate(strict)) }
                == .badRequest("the input length exceeds the context length"))
        let cut = try await F.drain(try await service.generate(F.generate("tiny", long, options: small)))
        #expect(cut.last?.doneReason == "length" && (cut.last?.metrics?.promptEvalCount ?? 0) <= 64)
        var history: [Message] = []
        for i in 0..<12 { history.append(Message(role: i % 2 == 0 ? "user" : "assistant", content: "turn \(i): " + long.prefix(60))) }
        var chat = ChatRequest(model: "tiny", messages: history + [Message(role: "user", content: "last question")])
        chat.options = small
        let reply = try await F.drain(try await service.chat(chat))
        #expect(reply.last?.done == true && (reply.last?.metrics?.promptEvalCount ?? 0) <= 64)
    }

    @Test("generate renders the model's SYSTEM unless the request gives one (same prompt tokens as an explicit system)")
    func systemPrompt() async throws {
        let (service, _) = try await F.storeService()
        var create = CreateRequest()
        create.model = "tiny-sys"
        create.from = "tiny"
        create.system = "Be brief."
        _ = try await F.drain(try await service.create(create))
        /// The prompt's tokens (context minus the one generated token).
        func promptTokens(_ model: String, system: String?) async throws -> [Int] {
            var r = F.generate(model, "hello", options: F.short(1))
            r.system = system
            return try await F.drain(try await service.generate(r)).last?.context.map { Array($0.dropLast()) } ?? []
        }
        let stored = try await promptTokens("tiny-sys", system: nil)
        #expect(!stored.isEmpty)
        #expect(stored == (try await promptTokens("tiny", system: "Be brief.")))
        #expect(stored != (try await promptTokens("tiny", system: nil)))
        #expect(stored != (try await promptTokens("tiny-sys", system: "Be long.")))
    }

    @Test("Q8_0 weights serve like F32 ones")
    func quantizedModel() async throws {
        let service = try F.service()
        let items = try await F.drain(try await service.chat(F.chat("tiny-q8", "hello", options: F.short(3))))
        #expect(items.last?.doneReason == "length" && items.last?.metrics?.evalCount == 3)
        #expect(await service.ps().models.first?.details.quantizationLevel == "Q8_0")
    }
}
