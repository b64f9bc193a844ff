// The operational half of `serve`: Prometheus metrics, request logging, the drain on shutdown, and
// the malloc setting that keeps a long-running server's memory from ratcheting up (fixMallocThreshold).
//
// Metrics: one PrometheusCollectorRegistry (swift-prometheus) behind ServerMetrics' swift-metrics
// factory; at each scrape of GET /metrics the gauges of the service's state are sampled first:
//   loom_queue_depth                    requests waiting for a model load or a free slot
//   loom_models_loaded                  models resident
//   loom_model_memory_bytes{model}      a resident model's bytes (weights file + KV cache + prompt cache now, as /api/ps size)
// (a model that unloads drops its series). Histogram buckets: TTFT 10 ms … 60 s, per-token 1 ms … 2.5 s,
// request durations 5 ms … 5 min.
//
// Drain (SIGTERM/SIGINT): the HTTP server stops accepting at once (new connections are refused),
// closes idle keep-alive connections, and lets the requests in flight finish; after
// `drainTimeout` seconds the generations still running are ended («server shutting down», their
// streams close cleanly) and the process exits 0. Whatever still hangs 10 s later (a client that
// stopped reading) is cancelled.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LoomAPI
import LoomServer
import LoomService
import Logging
import Prometheus
import ServiceLifecycle

/// The Prometheus side of ServerMetrics for `service`.
enum PrometheusExposition {
    static func make(service: LoomService) -> ServerMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let ms = { (n: Int64) in Duration.milliseconds(n) }
        factory.durationHistogramBuckets = [
            "loom_time_to_first_token_seconds": [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000].map(ms),
            "loom_time_per_output_token_seconds": [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500].map(ms),
            "loom_http_request_duration_seconds": [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000].map(ms),
        ]
        let gauges = StateGauges(registry: registry)
        return ServerMetrics(factory: factory) {
            let ps = await service.ps()
            let queue = await service.queueDepth()
            gauges.update(queue: queue, models: ps.models.map { ($0.name, $0.size) })
            return ("text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        }
    }
}

/// The gauges sampled at scrape time; remembers which model series exist so unloaded ones go.
final class StateGauges: @unchecked Sendable {
    let registry: PrometheusCollectorRegistry
    let queue: Gauge
    let loaded: Gauge
    private let lock = NSLock()
    private var models: [String: Gauge] = [:]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        queue = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "loom_queue_depth", unitName: "", helpText: "Requests waiting for a model load or a free slot."))
        loaded = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "loom_models_loaded", unitName: "", helpText: "Models resident in memory."))
    }

    func update(queue depth: Int, models now: [(String, Int)]) {
        lock.lock()
        defer { lock.unlock() }
        queue.set(Double(depth))
        loaded.set(Double(now.count))
        let names = Set(now.map(\.0))
        for (name, gauge) in models where !names.contains(name) {
            registry.unregisterGauge(gauge)
            models[name] = nil
        }
        let descriptor = MetricNameDescriptor(metricName: "loom_model_memory_bytes", unitName: "",
                                              helpText: "Bytes of a resident model: weights file and KV cache.")
        for (name, size) in now {
            let gauge = models[name] ?? registry.makeGauge(descriptor: descriptor, labels: [("model", name)])
            models[name] = gauge
            gauge.set(Double(size))
        }
    }
}

extension ServerSettings {
    /// The request logger: one text line or one JSON object per request on stderr.
    func requestLogger(sink: @escaping @Sendable (String) -> Void) -> Logger {
        if jsonLogs { return Logger(label: "loom.http") { JSONLogHandler(label: $0, sink: sink) } }
        return Logger(label: "loom.http") { _ in LineLogHandler(sink: sink) }
    }
}

/// The HTTP application, drained on graceful shutdown: it stops accepting and finishes what is in
/// flight; after `drainTimeout` seconds the service's generations still running are ended.
struct DrainingServer<App: Service>: Service {
    let app: App
    let service: LoomService
    let drainTimeout: Double
    let log: @Sendable (String) -> Void

    func run() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await app.run(); return true }
            group.addTask {
                try await gracefulShutdown()
                log("shutting down: draining requests in flight (at most \(drainTimeout) s)")
                if drainTimeout > 0 { try await Task.sleep(for: .milliseconds(Int64(drainTimeout * 1000))) }
                log("drain deadline passed: ending the generations in flight")
                service.shutdown()
                return false
            }
            // Until the server has stopped (its connections all closed): nothing is in flight any more.
            while let serverEnded = try await group.next(), !serverEnded {}
            group.cancelAll()
        }
        service.shutdown()
    }
}

extension ServeCommand {
    /// Fixes glibc's mmap threshold at 256 KiB, unless the environment sets one (GLIBC_TUNABLES
    /// `glibc.malloc.mmap_threshold`, or MALLOC_MMAP_THRESHOLD_).
    ///
    /// By default glibc raises the threshold to the size of each large block freed (up to 32 MiB),
    /// after which blocks of up to that size — a model's repacked weights, prompt-cache entries — come
    /// from the heap arenas and stay resident when freed: the 12-minute soak with models loading and
    /// unloading grew 1.47 → 2.13 GiB in steps, one per reload (prompt cache off). With the threshold
    /// fixed the same traffic stayed within 1.38–1.39 GiB. Blocks above it are mapped and unmapped each
    /// time.
    ///
    /// A fixed mmap threshold also stops glibc from raising the trim threshold with it (to twice the
    /// threshold), so it stays at 128 KiB and every step's logits arrays (196 KiB each for SmolLM2,
    /// one per sequence, freed after sampling) were returned to the kernel and faulted back in: 6.7%
    /// of an 8-sequence decode step on one core (perf, 2026-12-06). The trim threshold is set to
    /// 16 MiB (`M_TRIM_THRESHOLD`, or the environment's), so an arena keeps up to that much free at
    /// its top; `MallocTrim` still returns everything after a model is unloaded.
    static func fixMallocThreshold(_ env: [String: String]) {
        #if canImport(Glibc)
        // mallopt(M_MMAP_THRESHOLD = -3 / M_TRIM_THRESHOLD = -1, bytes) from <malloc.h>, which the
        // Glibc module does not export.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let tunables = env["GLIBC_TUNABLES"] ?? ""
        if env["MALLOC_MMAP_THRESHOLD_"] == nil && !tunables.contains("mmap_threshold") { _ = mallopt(-3, 256 << 10) }
        if env["MALLOC_TRIM_THRESHOLD_"] == nil && !tunables.contains("trim_threshold") { _ = mallopt(-1, 16 << 20) }
        #endif
    }
}
