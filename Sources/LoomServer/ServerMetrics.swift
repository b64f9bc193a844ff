// ServerMetrics: what the server measures, through the swift-metrics API (the backend — Prometheus
// in `serve` — is the factory it is given; none is global here, so tests use their own).
//
//   loom_http_requests_total{endpoint,method,status}         counter   every answered request
//   loom_http_request_duration_seconds{endpoint}              histogram head to last byte (streams too)
//   loom_prompt_tokens_total{model}                           counter   prompt tokens evaluated (generate, chat, embed)
//   loom_generated_tokens_total{model}                        counter   tokens generated
//   loom_time_to_first_token_seconds{model}                   histogram request accepted by the service → first chunk
//                                                                       (queueing and model load included)
//   loom_time_per_output_token_seconds{model}                 histogram interval between successive chunks of a
//                                                                       generation (one chunk per token, except where
//                                                                       a partial UTF-8 character or stop prefix is held)
//   loom_generations_in_flight                                gauge     generations streaming now
// `endpoint` is the route's pattern (/api/chat, /api/blobs/:digest, /v1/models/:id), or "other" for
// unknown paths, so hostile paths cannot grow the label set. Queue depth and the loaded models are
// sampled when /metrics is scraped (see `exposition`).

import CoreMetrics
import Foundation

/// Records request, token and latency metrics, and renders them for GET /metrics.
public final class ServerMetrics: Sendable {
    let factory: any MetricsFactory
    /// The text answered on GET /metrics (the Prometheus exposition format) and its content type.
    let exposition: @Sendable () async -> (contentType: String, body: [UInt8])

    /// Metrics made by `factory`; `exposition` renders everything for a scrape.
    public init(factory: any MetricsFactory, exposition: @escaping @Sendable () async -> (contentType: String, body: [UInt8])) {
        self.factory = factory
        self.exposition = exposition
    }

    /// One answered request (`seconds` from its head to its last byte).
    func request(endpoint: String, method: String, status: Int, seconds: Double) {
        CoreMetrics.Counter(label: "loom_http_requests_total",
                            dimensions: [("endpoint", endpoint), ("method", Self.method(method)), ("status", String(status))],
                            factory: factory).increment()
        CoreMetrics.Timer(label: "loom_http_request_duration_seconds", dimensions: [("endpoint", endpoint)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Tokens read and written by one finished request of `model`.
    func tokens(model: String, prompt: Int?, generated: Int?) {
        if let prompt, prompt > 0 {
            CoreMetrics.Counter(label: "loom_prompt_tokens_total", dimensions: [("model", model)], factory: factory).increment(by: prompt)
        }
        if let generated, generated > 0 {
            CoreMetrics.Counter(label: "loom_generated_tokens_total", dimensions: [("model", model)], factory: factory).increment(by: generated)
        }
    }

    func firstToken(model: String, nanoseconds: UInt64) {
        CoreMetrics.Timer(label: "loom_time_to_first_token_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func nextToken(model: String, nanoseconds: UInt64) {
        CoreMetrics.Timer(label: "loom_time_per_output_token_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func inFlight(_ delta: Int) {
        let meter = CoreMetrics.Meter(label: "loom_generations_in_flight", dimensions: [], factory: factory)
        if delta > 0 { meter.increment(by: Double(delta)) } else { meter.decrement(by: Double(-delta)) }
    }

    /// Standard methods by name, anything else "other".
    static func method(_ m: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].contains(m) ? m : "other"
    }

    /// The route pattern of `path` (a bounded label set).
    static func endpoint(_ path: String) -> String {
        if OllamaResponder.routes[path] != nil || path == "/metrics" { return path }
        if path.hasPrefix("/api/blobs/") { return "/api/blobs/:digest" }
        if path == "/v1/models" { return path }
        if path.hasPrefix("/v1/models/") { return "/v1/models/:id" }
        if ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"].contains(path) { return path }
        return "other"
    }
}
