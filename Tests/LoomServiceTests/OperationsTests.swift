// Operations parts that need no server process: ServerSettings from LOOM_* variables (defaults,
// sizes, durations, errors naming the variable), MeteredService's measurements read back from a real
// Prometheus registry (tokens, TTFT and per-token histograms, in-flight gauge, cancellation passed
// through), route patterns as metric labels, and the JSON request-log line. The running server
// (limits, timeouts, /metrics scraped by prometheus_client, the drain) is Tests/Integration/test_ops.py.

import Foundation
import Logging
import LoomAPI
@testable import LoomServer
import Prometheus
import Testing

@Suite("Operations")
struct OperationsTests {
    @Test("defaults: 64 MiB bodies, 60 s idle, 4096 connections, 25 s drain, text logs")
    func defaults() throws {
        let s = try ServerSettings(environment: [:])
        #expect(s == ServerSettings())
        #expect(s.maxBody == 64 << 20 && s.idleTimeout == 60 && s.maxConnections == 4096 && s.drainTimeout == 25 && !s.jsonLogs)
    }

    @Test("LOOM_* variables override the defaults")
    func environment() throws {
        let s = try ServerSettings(environment: ["LOOM_MAX_BODY": "512k", "LOOM_IDLE_TIMEOUT": "1500ms", "LOOM_MAX_CONNECTIONS": "0",
                                                 "LOOM_DRAIN_TIMEOUT": "2m", "LOOM_LOG_FORMAT": "JSON"])
        #expect(s.maxBody == 512 * 1024)
        #expect(s.idleTimeout == 1.5)
        #expect(s.maxConnections == nil)
        #expect(s.drainTimeout == 120)
        #expect(s.jsonLogs)
        #expect(try ServerSettings(environment: ["LOOM_IDLE_TIMEOUT": "0"]).idleTimeout == nil)
    }

    @Test("sizes and durations", arguments: [
        ("1048576", 1_048_576), ("64m", 64 << 20), ("64M", 64 << 20), ("1g", 1 << 30), ("2k", 2048),
        ("", nil), ("m", nil), ("64mb", nil), ("-1", nil), ("1.5m", nil), ("99999999999999999999", nil), ("9000000000000g", nil),
    ] as [(String, Int?)])
    func sizes(raw: String, bytes: Int?) {
        #expect(ServerSettings.bytes(raw) == bytes)
    }

    @Test("durations", arguments: [
        ("30", 30.0), ("30s", 30.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("0.25", 0.25),
        ("", nil), ("s", nil), ("-1s", nil), ("abc", nil), ("inf", nil), ("1d", nil),
    ] as [(String, Double?)])
    func durations(raw: String, seconds: Double?) {
        #expect(ServerSettings.seconds(raw) == seconds)
    }

    @Test("a malformed value is an error naming its variable", arguments: [
        ("LOOM_MAX_BODY", "lots"), ("LOOM_IDLE_TIMEOUT", "soon"), ("LOOM_MAX_CONNECTIONS", "-3"),
        ("LOOM_DRAIN_TIMEOUT", "1d"), ("LOOM_LOG_FORMAT", "xml"),
    ])
    func malformed(key: String, value: String) {
        let error = #expect(throws: APIError.self) { _ = try ServerSettings(environment: [key: value]) }
        #expect(error?.message.hasPrefix("\(key): invalid") == true, "\(String(describing: error))")
    }

    @Test("route patterns bound the endpoint label")
    func endpoints() {
        #expect(ServerMetrics.endpoint("/api/chat") == "/api/chat")
        #expect(ServerMetrics.endpoint("/api/blobs/sha256:abc") == "/api/blobs/:digest")
        #expect(ServerMetrics.endpoint("/v1/models/smollm2:135m") == "/v1/models/:id")
        #expect(ServerMetrics.endpoint("/v1/chat/completions") == "/v1/chat/completions")
        #expect(ServerMetrics.endpoint("/metrics") == "/metrics")
        #expect(ServerMetrics.endpoint("/wp-admin/\(UUID())") == "other")
        #expect(ServerMetrics.method("BREW") == "other" && ServerMetrics.method("POST") == "POST")
    }

    @Test("MeteredService: tokens, time to first token, per-token intervals, in flight — in Prometheus text")
    func metered() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: registry)) { ("text/plain", registry.emitToBuffer()) }
        let service = MeteredService(StubService(), metrics: metrics)
        var texts: [String] = []
        for try await item in try await service.generate(GenerateRequest(model: "m")) { texts.append(item.response) }
        #expect(texts == ["a", "b", "c", ""])
        _ = try await service.embed(EmbedRequest(model: "m"))
        let text = registry.emitToString()
        #expect(text.contains(#"loom_generated_tokens_total{model="m"} 3"#), "\(text)")
        #expect(text.contains(#"loom_prompt_tokens_total{model="m"} 11"#), "\(text)")   // 7 generate + 4 embed
        #expect(text.contains(#"loom_time_to_first_token_seconds_count{model="m"} 1"#), "\(text)")
        #expect(text.contains(#"loom_time_per_output_token_seconds_count{model="m"} 2"#), "\(text)")   // b, c (not the done object)
        #expect(text.contains("loom_generations_in_flight 0"), "\(text)")
    }

    @Test("MeteredService passes cancellation through: the inner stream ends when its consumer goes")
    func cancellation() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: registry)) { ("text/plain", []) }
        let stub = StubService()
        let service = MeteredService(stub, metrics: metrics)
        do {
            var seen = 0
            for try await _ in try await service.chat(ChatRequest(model: "endless", messages: [])) {
                seen += 1
                if seen == 3 { break }
            }
        }
        for _ in 0..<500 where !stub.ended.value { try await Task.sleep(for: .milliseconds(10)) }
        #expect(stub.ended.value)
        for _ in 0..<500 where !registry.emitToString().contains("loom_generations_in_flight 0") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(registry.emitToString().contains("loom_generations_in_flight 0"))
    }

    @Test("the JSON log line keeps numbers as numbers")
    func jsonLog() throws {
        let lines = Lines()
        let logger = Logger(label: "loom.http") { JSONLogHandler(label: $0, sink: { lines.append($0) }) }
        let record = RequestRecord(method: "POST", path: "/api/chat", status: 200, outcome: "client gone", seconds: 1.2344, tokens: 17)
        logger.info("\(record.text)", metadata: record.metadata)
        let line = try #require(lines.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "POST /api/chat 200 (client gone) 1.234s 17 tokens")
        #expect(object["status"] as? Int == 200 && object["tokens"] as? Int == 17 && object["duration_s"] as? Double == 1.234)
        #expect(object["method"] as? String == "POST" && object["outcome"] as? String == "client gone")
        #expect(object["level"] as? String == "info" && object["label"] as? String == "loom.http")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }
}

/// A service without a model: generate yields "a", "b", "c" then done (7 prompt tokens, 3
/// generated); chat on "endless" yields until cancelled and notes its end.
final class StubService: OllamaService {
    let ended = Flag()
    var version: String { "0.0.0" }

    func generate(_ request: GenerateRequest) async throws(APIError) -> AsyncThrowingStream<GenerateResponse, Error> {
        AsyncThrowingStream { c in
            for t in ["a", "b", "c"] { c.yield(GenerateResponse(model: "m", createdAt: "", response: t)) }
            c.yield(GenerateResponse(model: "m", createdAt: "", done: true, metrics: Metrics(promptEvalCount: 7, evalCount: 3)))
            c.finish()
        }
    }

    func chat(_ request: ChatRequest) async throws(APIError) -> AsyncThrowingStream<ChatResponse, Error> {
        let ended = self.ended
        return AsyncThrowingStream { c in
            let task = Task {
                while !Task.isCancelled {
                    c.yield(ChatResponse(model: "endless", createdAt: "", message: Message(role: "assistant", content: "x")))
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
            c.onTermination = { _ in task.cancel(); ended.set() }
        }
    }

    func embed(_ request: EmbedRequest) async throws(APIError) -> EmbedResponse {
        EmbedResponse(model: "m", embeddings: [[1]], promptEvalCount: 4)
    }

    func embeddings(_ request: EmbeddingRequest) async throws(APIError) -> EmbeddingResponse { EmbeddingResponse(embedding: [1]) }

    func ps() async -> ProcessResponse { ProcessResponse(models: []) }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false
    var value: Bool { lock.withLock { on } }
    func set() { lock.withLock { on = true } }
}

final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func append(_ s: String) { lock.withLock { lines.append(s) } }
}
