// The OpenAI- and Anthropic-compatible routes, thin translations onto the same service:
//   POST /v1/chat/completions  POST /v1/completions  POST /v1/embeddings  POST /v1/responses
//   GET  /v1/models  GET /v1/models/{id}  (OpenAI)        POST /v1/messages  (Anthropic)
// Requests are read by LoomAPI's Compat translators into native requests; native streams become
// Server-Sent Events (`data: {…}\n\n`, OpenAI closing with `data: [DONE]`; Anthropic and the
// Responses API naming each `event:`), or one JSON object when not streaming. Errors before the
// first event answer in the API's own shape with the native status; an error after it is a last
// error event (OpenAI `data: {"error": …}`, Anthropic `event: error`), then the stream closes.
// `Authorization` (and `x-api-key`) headers are accepted and ignored, as Ollama does.

import Foundation
import Hummingbird
import LoomAPI
import NIOCore

extension OllamaResponder {
    /// Which error shape a /v1 path answers with.
    enum Dialect { case openAI, anthropic }

    func compat(_ request: Request, path: String) async -> Response {
        let dialect: Dialect = path == "/v1/messages" ? .anthropic : .openAI
        let start = DispatchTime.now().uptimeNanoseconds
        let response: Response
        do {
            response = try await compatRoute(request, path: path, dialect: dialect, start: start)
        } catch {
            let e = (error as? APIError) ?? .internalError("\(error)")
            response = Self.compatError(e, dialect)
        }
        if response.headers[.contentType] != "text/event-stream" { record(request.method, path, status: response.status.code, start: start) }
        return response
    }

    func compatRoute(_ request: Request, path: String, dialect: Dialect, start: UInt64) async throws -> Response {
        if path == "/v1/models" || path.hasPrefix("/v1/models/") {
            guard request.method == .get else { throw APIError(status: 405, "405 method not allowed") }
            // The id percent-decoded ("smollm2%3A135m", as clients encode ':'; found by schemathesis).
            let id = String(path.dropFirst("/v1/models/".count))
            return try await modelsRoute(id: path == "/v1/models" ? nil : id.removingPercentEncoding ?? id)
        }
        let routes: Set<String> = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"]
        guard routes.contains(path) else { throw APIError.notFound("404 page not found: \(path)") }
        guard request.method == .post else { throw APIError(status: 405, "405 method not allowed") }
        let body = try CompatBody(try await readBody(request))
        let created = CompatIDs.now()
        switch path {
        case "/v1/chat/completions":
            let r = try OpenAIChat.request(body)
            let id = CompatIDs.make("chatcmpl-", length: 12)
            let results = try await service.chat(r.chat)
            let logprobs = r.chat.logprobs ?? false
            if !r.stream {
                guard let whole = Self.merge(try await Self.collect(results)) else { throw APIError.internalError("no response") }
                return Self.compatJSON(OpenAIChat.completion(whole, id: id, model: r.model, created: created, logprobs: logprobs))
            }
            var stream = OpenAIChatStream(id: id, model: r.model, created: created, includeUsage: r.includeUsage)
            return try await sse(results, dialect: .openAI, method: request.method, path: path, start: start, done: true) { stream.chunks($0).map { (nil, $0) } }
        case "/v1/completions":
            let r = try OpenAICompletions.request(body)
            let id = CompatIDs.make("cmpl-", length: 12)
            let results = try await service.generate(r.generate)
            if !r.stream {
                guard let whole = Self.merge(try await Self.collect(results)) else { throw APIError.internalError("no response") }
                return Self.compatJSON(OpenAICompletions.object(whole, id: id, model: r.model, created: created, usage: true))
            }
            let usage = r.includeUsage
            return try await sse(results, dialect: .openAI, method: request.method, path: path, start: start, done: true) { g in
                var out: [(String?, JSONValue)] = [(nil, OpenAICompletions.object(g, id: id, model: r.model, created: created, usage: false))]
                if g.done && usage { out.append((nil, OpenAICompletions.usageChunk(g, id: id, model: r.model, created: created))) }
                return out
            }
        case "/v1/embeddings":
            let r = try OpenAIEmbeddings.request(body)
            return Self.compatJSON(OpenAIEmbeddings.response(try await service.embed(r.embed), model: r.model, base64: r.base64))
        case "/v1/responses":
            let r = try OpenAIResponses.request(body)
            var builder = OpenAIResponsesStream(id: CompatIDs.make("resp_", length: 16), request: r, created: created)
            let results = try await service.chat(r.chat)
            if !r.stream {
                guard let whole = Self.merge(try await Self.collect(results)) else { throw APIError.internalError("no response") }
                return Self.compatJSON(builder.response(whole))
            }
            return try await sse(results, dialect: .openAI, method: request.method, path: path, start: start, done: false) { builder.events($0).map { ($0.0, $0.1) } }
        default:   // /v1/messages
            let r = try AnthropicMessages.request(body)
            let id = CompatIDs.make("msg_", length: 24)
            let results = try await service.chat(r.chat)
            if !r.stream {
                guard let whole = Self.merge(try await Self.collect(results)) else { throw APIError.internalError("no response") }
                return Self.compatJSON(AnthropicMessages.message(whole, id: id, model: r.model))
            }
            var stream = AnthropicStream(id: id, model: r.model)
            return try await sse(results, dialect: .anthropic, method: request.method, path: path, start: start, done: false) { stream.events($0).map { ($0.0, $0.1) } }
        }
    }

    /// GET /v1/models and /v1/models/{id}: the store's models.
    func modelsRoute(id: String?) async throws -> Response {
        let listed = try await models?.tags().models ?? []
        let entries = listed.map { (id: $0.name, created: Self.unixSeconds($0.modifiedAt)) }
        guard let id else { return Self.compatJSON(OpenAIModels.list(entries)) }
        let wanted = id.contains(":") ? id : id + ":latest"
        guard let entry = entries.first(where: { $0.id == id || $0.id == wanted }) else {
            throw APIError.notFound("model '\(id)' not found")
        }
        return Self.compatJSON(OpenAIModels.object(id: id, created: entry.created))
    }

    /// Streams `results` as Server-Sent Events, `translate` giving each native object's events
    /// (an event name for Anthropic and Responses, nil for OpenAI's bare `data:` lines). The first
    /// native object is awaited before answering, so an early failure is an ordinary error response.
    func sse<Item: Sendable>(_ results: AsyncThrowingStream<Item, Error>, dialect: Dialect, method: HTTPRequest.Method, path: String,
                             start: UInt64, done: Bool,
                             translate: @escaping (Item) -> [(String?, JSONValue)]) async throws -> Response {
        let iterator = IteratorBox(results.makeAsyncIterator())
        let first = try await iterator.next()
        let me = self
        let box = TranslatorBox(translate)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            var outcome: String?
            do {
                var item = first
                while let current = item {
                    for (name, data) in box.translate(current) { try await writer.write(Self.event(name, data)) }
                    item = try await iterator.next()
                }
                if done { try await writer.write(ByteBuffer(string: "data: [DONE]\n\n")) }
            } catch {
                let e = (error as? APIError) ?? .internalError("\(error)")
                outcome = "error: \(e.message)"
                switch dialect {
                case .openAI: try? await writer.write(Self.event(nil, OpenAIError.body(e)))
                case .anthropic: try? await writer.write(Self.event("error", AnthropicError.body(e)))
                }
            }
            me.record(method, path, status: 200, outcome: outcome, start: start)
            try await writer.finish(nil)
        })
    }

    static func event(_ name: String?, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: (name.map { "event: \($0)\n" } ?? "") + "data: " + data.serialized() + "\n\n")
    }

    static func collect<Item>(_ results: AsyncThrowingStream<Item, Error>) async throws -> [Item] {
        var items: [Item] = []
        for try await item in results { items.append(item) }
        return items
    }

    static func compatJSON(_ value: JSONValue, status: Int = 200) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    static func compatError(_ e: APIError, _ dialect: Dialect) -> Response {
        compatJSON(dialect == .anthropic ? AnthropicError.body(e) : OpenAIError.body(e), status: e.status)
    }

    /// An RFC 3339 time as seconds since 1970 (0 when it does not parse).
    static func unixSeconds(_ text: String) -> Int {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return Int(d.timeIntervalSince1970) }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text).map { Int($0.timeIntervalSince1970) } ?? 0
    }
}

/// A stateful translator closure used by one response writer at a time.
final class TranslatorBox<Item>: @unchecked Sendable {
    let translate: (Item) -> [(String?, JSONValue)]
    init(_ translate: @escaping (Item) -> [(String?, JSONValue)]) { self.translate = translate }
}
