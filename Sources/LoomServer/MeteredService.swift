// MeteredService: an `OllamaService` that passes every call to another one and measures the
// generations on their way through — time to first chunk, the interval between chunks, prompt and
// generated tokens (from the last object's counts), generations in flight. The routes (native and
// /v1) see one service and need no metrics code of their own. Cancellation passes through: when the
// consumer of a stream goes away, the inner stream is ended too (and with it the generation).

import Foundation
import LoomAPI

/// Measures the generations of `inner` into `metrics`.
public struct MeteredService: OllamaService {
    let inner: any OllamaService
    let metrics: ServerMetrics

    /// Wraps `inner`.
    public init(_ inner: any OllamaService, metrics: ServerMetrics) {
        self.inner = inner
        self.metrics = metrics
    }

    public var version: String { inner.version }

    public func ps() async -> ProcessResponse { await inner.ps() }

    public func generate(_ request: GenerateRequest) async throws(APIError) -> AsyncThrowingStream<GenerateResponse, Error> {
        let start = DispatchTime.now().uptimeNanoseconds
        let stream = try await inner.generate(request)
        return meter(stream, start: start) { ($0.model, $0.done, $0.metrics) }
    }

    public func chat(_ request: ChatRequest) async throws(APIError) -> AsyncThrowingStream<ChatResponse, Error> {
        let start = DispatchTime.now().uptimeNanoseconds
        let stream = try await inner.chat(request)
        return meter(stream, start: start) { ($0.model, $0.done, $0.metrics) }
    }

    public func embed(_ request: EmbedRequest) async throws(APIError) -> EmbedResponse {
        let response = try await inner.embed(request)
        metrics.tokens(model: response.model, prompt: response.promptEvalCount, generated: nil)
        return response
    }

    public func embeddings(_ request: EmbeddingRequest) async throws(APIError) -> EmbeddingResponse {
        try await inner.embeddings(request)
    }

    /// Relays `stream`, timing its items; `facts` reads an item's model, done flag and counts.
    func meter<Item: Sendable>(_ stream: AsyncThrowingStream<Item, Error>, start: UInt64,
                               facts: @escaping @Sendable (Item) -> (String, Bool, Metrics?)) -> AsyncThrowingStream<Item, Error> {
        let metrics = self.metrics
        return AsyncThrowingStream { continuation in
            metrics.inFlight(1)
            let task = Task {
                var last: UInt64?
                do {
                    for try await item in stream {
                        let now = DispatchTime.now().uptimeNanoseconds
                        let (model, done, counts) = facts(item)
                        if let last {
                            if !done { metrics.nextToken(model: model, nanoseconds: now &- last) }
                        } else {
                            metrics.firstToken(model: model, nanoseconds: now &- start)
                        }
                        last = now
                        if done { metrics.tokens(model: model, prompt: counts?.promptEvalCount, generated: counts?.evalCount) }
                        continuation.yield(item)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                metrics.inFlight(-1)
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
