// OllamaResponder: the HTTP face of an `OllamaService` (Hummingbird 2), and nothing else.
//
//   GET|HEAD /              "Ollama is running" (text/plain)
//   GET|HEAD /api/version   {"version": …}
//   GET|HEAD /metrics       Prometheus text (when the server was given metrics; ServerMetrics.swift)
//   POST /api/generate      NDJSON stream (application/x-ndjson, one object per line, flushed per
//   POST /api/chat          object), or one JSON object with "stream": false
//   POST /api/embed         {"embeddings": …} (one JSON object)
//   POST /api/embeddings    {"embedding": …} (legacy)
//   GET  /api/ps            loaded models
//   POST /api/pull, /api/push  registry transfers, NDJSON progress (or the last object)
//   /v1/…                   OpenAI- and Anthropic-compatible routes (CompatRoutes.swift)
//   other paths 404 "404 page not found"; known paths with another method 405 "405 method not allowed"
// Errors before the first byte: {"error": …} with the error's status (§1.3); after it: a final
// {"error": …} line in the 200 stream. CORS and Host checks per AccessPolicy. A body larger than
// settings.maxBody → 413 (by its Content-Length before it is read, else once the limit is passed; blob
// uploads stream to disk and are exempt); a body that cannot be read (malformed chunking) → 400. One
// log record and one metrics record per request, when it is finished (RequestLog.swift): method,
// path, status, duration (and tokens generated, for generate/chat).

import Foundation
import Hummingbird
import LoomAPI
import Logging
import NIOCore

/// Routes Ollama's API to a service.
public struct OllamaResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let service: any OllamaService
    let models: (any ModelManagement)?
    let policy: AccessPolicy
    let settings: ServerSettings
    let metrics: ServerMetrics?
    let logger: Logger

    /// Largest request body accepted (images make chat bodies large).
    var maxBody: Int { settings.maxBody }

    /// A responder whose request records go to `logger` (and to `metrics`, when given).
    public init(service: any OllamaService, models: (any ModelManagement)? = nil, policy: AccessPolicy,
                settings: ServerSettings = ServerSettings(), metrics: ServerMetrics? = nil, logger: Logger) {
        self.service = service
        self.models = models
        self.policy = policy
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// A responder that hands each request's log line to `log`.
    public init(service: any OllamaService, models: (any ModelManagement)? = nil, policy: AccessPolicy,
                settings: ServerSettings = ServerSettings(), log: @escaping @Sendable (String) -> Void) {
        self.init(service: service, models: models, policy: policy, settings: settings,
                  logger: Logger(label: "loom.http") { _ in LineLogHandler(sink: log) })
    }

    /// Logs and measures one finished request.
    func record(_ r: RequestRecord) {
        metrics?.request(endpoint: ServerMetrics.endpoint(r.path), method: r.method, status: r.status, seconds: r.seconds)
        logger.info("\(r.text)", metadata: r.metadata)
    }

    /// Logs and measures a request that ended with `status` after starting at `start`; `outcome`
    /// says how a 200 stream ended when not well.
    func record(_ method: HTTPRequest.Method, _ path: String, status: Int, outcome: String? = nil, start: UInt64, tokens: Int? = nil) {
        record(RequestRecord(method: method.rawValue, path: path, status: status, outcome: outcome,
                             seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, tokens: tokens))
    }

    static let routes: [String: Set<HTTPRequest.Method>] = [
        "/": [.get, .head], "/api/version": [.get, .head], "/api/generate": [.post], "/api/chat": [.post], "/api/ps": [.get],
        "/api/embed": [.post], "/api/embeddings": [.post],
        "/api/tags": [.get, .head], "/api/show": [.post], "/api/copy": [.post], "/api/delete": [.delete], "/api/create": [.post],
        "/api/pull": [.post], "/api/push": [.post],
    ]

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = request.uri.path
        let method = request.method
        let early = admit(request)
        var response: Response
        if let early { response = early } else { response = await route(request, context: context) }
        if let origin = request.headers[.origin] {
            if policy.allows(origin: origin) {
                response.headers[.accessControlAllowOrigin] = origin
                response.headers[.vary] = "Origin"
            } else {
                response = Response(status: .forbidden)
            }
        }
        if !policy.allows(host: request.head.authority) { response = Response(status: .forbidden) }
        // generate/chat/create log their own line when they succeed (with the token count).
        if early != nil || (!isStreaming(response) && !path.hasPrefix("/v1/")
                            && !(response.status == .ok && ["/api/generate", "/api/chat", "/api/create"].contains(path))) {
            record(method, path, status: response.status.code, start: start)
        }
        return response
    }

    /// 413 for a declared body above the limit (blob uploads excepted), before any of it is read.
    func admit(_ request: Request) -> Response? {
        let path = request.uri.path
        guard !path.hasPrefix("/api/blobs/"), let declared = request.headers[.contentLength].flatMap({ Int($0) }),
              declared > maxBody else { return nil }
        let e = tooLarge()
        return path.hasPrefix("/v1/") ? Self.compatError(e, path == "/v1/messages" ? .anthropic : .openAI) : Self.error(e)
    }

    func tooLarge() -> APIError {
        APIError(status: 413, "request body too large (the limit is \(maxBody) bytes; see LOOM_MAX_BODY)")
    }

    /// The whole body, at most `maxBody` bytes: 413 beyond, 400 when it cannot be read.
    func readBody(_ request: Request) async throws(APIError) -> [UInt8] {
        do {
            return Array(try await request.body.collect(upTo: maxBody).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        } catch {
            throw .badRequest("could not read the request body: \(error)")
        }
    }

    func isStreaming(_ r: Response) -> Bool { r.headers[.contentType] == "application/x-ndjson" }

    func route(_ request: Request, context: Context) async -> Response {
        let path = request.uri.path
        if request.method == .options { return Response(status: .noContent, headers: Self.corsHeaders) }
        if path.hasPrefix("/api/blobs/") {
            // Percent-decoded ("sha256%3A…", as clients encode ':'; found by schemathesis).
            let digest = String(path.dropFirst("/api/blobs/".count))
            return await blob(request, digest: digest.removingPercentEncoding ?? digest)
        }
        if path.hasPrefix("/v1/") { return await compat(request, path: path) }
        if path == "/metrics", let metrics {
            guard request.method == .get || request.method == .head else { return Self.text(.methodNotAllowed, "405 method not allowed") }
            let (type, body) = await metrics.exposition()
            return Response(status: .ok, headers: [.contentType: type],
                            body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        guard let methods = Self.routes[path] else { return Self.text(.notFound, "404 page not found") }
        guard methods.contains(request.method) else { return Self.text(.methodNotAllowed, "405 method not allowed") }
        switch path {
        case "/": return Self.text(.ok, request.method == .head ? "" : "Ollama is running")
        case "/api/version": return Self.json(VersionResponse(version: service.version))
        case "/api/ps": return Self.json(await service.ps())
        case "/api/generate":
            return await handle(request, context: context, GenerateRequest.self, stream: { $0.stream }) { body throws(APIError) in
                try await service.generate(body)
            } merge: { Self.merge($0) }
        case "/api/chat":
            return await handle(request, context: context, ChatRequest.self, stream: { $0.stream }) { body throws(APIError) in
                try await service.chat(body)
            } merge: { Self.merge($0) }
        case "/api/embed":
            do { return Self.json(try await service.embed(try await decode(EmbedRequest.self, request))) } catch { return Self.error(error) }
        case "/api/embeddings":
            do { return Self.json(try await service.embeddings(try await decode(EmbeddingRequest.self, request))) } catch { return Self.error(error) }
        default: return await manage(request, context: context, path: path)
        }
    }

    /// The model-management routes (404 when the server has no store).
    func manage(_ request: Request, context: Context, path: String) async -> Response {
        guard let models else { return Self.text(.notFound, "404 page not found") }
        do {
            switch path {
            case "/api/tags": return Self.json(try await models.tags())
            case "/api/show": return Self.json(try await models.show(try await decode(ShowRequest.self, request)))
            case "/api/copy":
                try await models.copy(try await decode(CopyRequest.self, request))
                return Response(status: .ok)
            case "/api/delete":
                try await models.delete(try await decode(DeleteRequest.self, request))
                return Response(status: .ok)
            case "/api/create":
                return await handle(request, context: context, CreateRequest.self, stream: { $0.stream }) { body throws(APIError) in
                    try await models.create(body)
                } merge: { $0.last }
            case "/api/pull":
                return await handle(request, context: context, RegistryRequest.self, stream: { $0.stream }) { body throws(APIError) in
                    try await models.pull(body)
                } merge: { $0.last }
            case "/api/push":
                return await handle(request, context: context, RegistryRequest.self, stream: { $0.stream }) { body throws(APIError) in
                    try await models.push(body)
                } merge: { $0.last }
            default: return Self.text(.notFound, "404 page not found")
            }
        } catch {
            return Self.error(error)
        }
    }

    /// HEAD /api/blobs/:digest → 200 or 404; POST → 201 created, 200 already there, 400 mismatch.
    func blob(_ request: Request, digest: String) async -> Response {
        guard let models else { return Self.text(.notFound, "404 page not found") }
        do {
            switch request.method {
            case .head:
                return Response(status: try await models.hasBlob(digest) ? .ok : .notFound)
            case .post:
                if try await models.hasBlob(digest) { return Response(status: .ok) }
                let body = request.body
                let chunks = AsyncThrowingStream<[UInt8], Error> { c in
                    let task = Task {
                        do {
                            for try await buffer in body { c.yield(Array(buffer.readableBytesView)) }
                            c.finish()
                        } catch { c.finish(throwing: error) }
                    }
                    c.onTermination = { _ in task.cancel() }
                }
                return Response(status: try await models.uploadBlob(digest, chunks) ? .created : .ok)
            default:
                return Self.text(.methodNotAllowed, "405 method not allowed")
            }
        } catch {
            return Self.error(error)
        }
    }

    /// Decode → call → stream or merge. `merge` folds a whole stream into the non-streamed object.
    func handle<Body: Decodable, Item: Encodable & Sendable>(
        _ request: Request, context: Context, _ type: Body.Type, stream: (Body) -> Bool?,
        call: (Body) async throws(APIError) -> AsyncThrowingStream<Item, Error>,
        merge: @escaping @Sendable ([Item]) -> Item?
    ) async -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let body: Body
        do { body = try await decode(type, request) } catch { return Self.error(error) }
        let results: AsyncThrowingStream<Item, Error>
        do { results = try await call(body) } catch { return Self.error(error) }
        let (method, path) = (request.method, request.uri.path)
        let me = self
        if stream(body) == false {
            var items: [Item] = []
            do { for try await item in results { items.append(item) } } catch { return Self.error(error) }
            guard let merged = merge(items) else { return Self.error(APIError.internalError("no response")) }
            record(method, path, status: 200, start: start, tokens: Self.tokens(items.last))
            return Self.json(merged)
        }
        // The first object decides the status: an error before it is an ordinary error response.
        let iterator = IteratorBox(results.makeAsyncIterator())
        let first: Item?
        do { first = try await iterator.next() } catch { return Self.error(error) }
        let headers: HTTPFields = [.contentType: "application/x-ndjson"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var last = first
            var outcome: String?
            do {
                if let first { try await writer.write(Self.line(first)) }
                while let item = try await iterator.next() {
                    last = item
                    try await writer.write(Self.line(item))
                }
                if Task.isCancelled, (last as? GenerateResponse)?.done != true, (last as? ChatResponse)?.done != true {
                    outcome = "cancelled: server shutting down"
                    try await writer.write(Self.line(ErrorBody(error: "server shutting down")))
                }
            } catch let error as APIError {
                outcome = "error: \(error.message)"
                try? await writer.write(Self.line(ErrorBody(error: error.message)))
            } catch {
                outcome = "client gone"
            }
            me.record(method, path, status: 200, outcome: outcome, start: start, tokens: Self.tokens(last))
            try await writer.finish(nil)
        })
    }

    // MARK: - encoding

    struct ErrorBody: Encodable { let error: String }

    static let corsHeaders: HTTPFields = [
        .accessControlAllowMethods: "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        .accessControlAllowHeaders: "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
            + "x-stainless-arch, x-stainless-async, x-stainless-custom-poll-interval, x-stainless-helper-method, "
            + "x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-poll-helper, "
            + "x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout",
    ]

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let bytes = try await readBody(request)
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { throw APIError.missingBody }
        // Parsed once (LoomJSON): `format` and `tools` keep the client's key order.
        let body: JSONValue
        do { body = try JSONValue.parse(bytes) } catch { throw APIError.badRequest("invalid JSON: \(error)") }
        do { return try JSONValueDecoder().decode(T.self, from: body == .null ? .object([]) : body) } catch {
            throw APIError.badRequest(Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case let .typeMismatch(type, c)?: return "json: cannot unmarshal into field \(path(c)) of type \(type)"
        case let .dataCorrupted(c)?: return c.codingPath.isEmpty ? "invalid JSON: \(c.debugDescription)" : c.debugDescription
        case let .keyNotFound(key, _)?: return "json: missing field \(key.stringValue)"
        case let .valueNotFound(type, c)?: return "json: missing value of type \(type) for \(path(c))"
        default: return "invalid JSON: \(error)"
        }
    }

    static func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }

    static func line<T: Encodable>(_ value: T) -> ByteBuffer {
        var data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ error: any Error) -> Response {
        let e = (error as? APIError) ?? .internalError("\(error)")
        return json(ErrorBody(error: e.message), status: HTTPResponse.Status(code: e.status))
    }

    static func seconds(since start: UInt64) -> String {
        String(format: "%.3fs", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func tokens<T>(_ last: T?) -> Int? {
        if let g = last as? GenerateResponse, let n = g.metrics?.evalCount { return n }
        if let c = last as? ChatResponse, let n = c.metrics?.evalCount { return n }
        return nil
    }

    // MARK: - non-streamed answers

    static func merge(_ items: [GenerateResponse]) -> GenerateResponse? {
        guard var last = items.last else { return nil }
        last.response = items.map(\.response).joined()
        let thinking = items.compactMap(\.thinking).joined()
        last.thinking = thinking.isEmpty ? nil : thinking
        let logprobs = items.compactMap(\.logprobs).flatMap { $0 }
        last.logprobs = logprobs.isEmpty ? nil : logprobs
        return last
    }

    static func merge(_ items: [ChatResponse]) -> ChatResponse? {
        guard var last = items.last else { return nil }
        last.message.content = items.map(\.message.content).joined()
        let thinking = items.compactMap(\.message.thinking).joined()
        last.message.thinking = thinking.isEmpty ? nil : thinking
        let calls = items.compactMap(\.message.toolCalls).flatMap { $0 }
        last.message.toolCalls = calls.isEmpty ? nil : calls
        let logprobs = items.compactMap(\.logprobs).flatMap { $0 }
        last.logprobs = logprobs.isEmpty ? nil : logprobs
        return last
    }
}

/// An async iterator shared with the response body writer (used by one task at a time).
final class IteratorBox<Element>: @unchecked Sendable {
    var iterator: AsyncThrowingStream<Element, Error>.AsyncIterator
    init(_ iterator: AsyncThrowingStream<Element, Error>.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> Element? { try await iterator.next() }
}
