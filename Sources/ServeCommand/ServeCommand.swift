// The `serve` command (`swift run serve`, `loom serve`): Loom's Ollama-compatible HTTP server, and
// the composition root that wires catalog → service → HTTP responder → Hummingbird application.
//
//   serve [--host HOST[:PORT]] [--models DIR] [--read-only] [--import NAME=FILE.gguf …]
//         [--max-body SIZE] [--idle-timeout D] [--max-connections N] [--drain-timeout D] [--log-format text|json]
// --host defaults to OLLAMA_HOST, else 127.0.0.1:11434 (port 0 = any free port; the line
// "Listening on http://HOST:PORT" tells which). --models defaults to OLLAMA_MODELS, else
// ~/.loom/models: Ollama's store layout (manifests/ + blobs/); `<name>.gguf` files directly in it are
// served too (DirectoryCatalog, the fallback). --read-only: several servers share one store (README
// "Scale-out"); this one never writes to it (no prune at startup; create, copy, delete, pull and blob
// uploads answer 403), while it still sees models another process adds or removes.
// Scheduling follows OLLAMA_KEEP_ALIVE, OLLAMA_MAX_LOADED_MODELS, OLLAMA_MAX_QUEUE,
// OLLAMA_NUM_PARALLEL, OLLAMA_CONTEXT_LENGTH; CORS follows OLLAMA_ORIGINS. Limits, timeouts, the drain
// deadline and the log format follow LOOM_MAX_BODY, LOOM_IDLE_TIMEOUT, LOOM_MAX_CONNECTIONS,
// LOOM_DRAIN_TIMEOUT, LOOM_LOG_FORMAT (ServerSettings; the flags override them). SIGINT/SIGTERM drain
// (ServeOperations.swift). Every request is logged once on stderr; GET /metrics answers Prometheus text.
// Start-up lines on stderr: the kernel path chosen for this CPU (LOOM_KERNELS forces one; a path
// the CPU lacks is refused), a warning in a debug build, and — with neither --import nor --models — the default
// model (.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf, fetched by `make models`) imported as
// smollm2:135m when it is there, so `swift run serve` from the checkout serves it.
// Memory: glibc's malloc threshold is fixed at start-up (ServeCommand.fixMallocThreshold in ServeOperations.swift), so a
// long-running server gives the memory of unloaded models and evicted cache entries back.

import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import LoomAPI
import LoomKernels
import Logging
import LoomServer
import LoomService
import LoomStore
import ServiceLifecycle

/// `serve`: runs the server until SIGINT/SIGTERM.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run Loom's Ollama-compatible API server.")

    @Option(help: "Listen address [scheme://]host[:port] (default: $OLLAMA_HOST, else 127.0.0.1:11434).")
    var host: String?

    @Option(help: "Models directory (default: $OLLAMA_MODELS, else ~/.loom/models).")
    var models: String?

    @Option(name: .customLong("import"), help: "NAME=FILE.gguf: import a GGUF file as model NAME at startup unless the store has it.")
    var imports: [String] = []

    @Flag(name: .customLong("read-only"), help: "Never write to the models directory (servers sharing one store): no prune; create, copy, delete, pull answer 403.")
    var readOnly = false

    @Option(help: "Largest request body: bytes, or with k/m/g (default: $LOOM_MAX_BODY, else 64m).")
    var maxBody: String?

    @Option(help: "Close a connection silent this long, e.g. 60s (default: $LOOM_IDLE_TIMEOUT, else 60s; 0 = never).")
    var idleTimeout: String?

    @Option(help: "Most open connections (default: $LOOM_MAX_CONNECTIONS, else 4096; 0 = no limit).")
    var maxConnections: String?

    @Option(help: "On SIGTERM, let requests in flight finish this long, e.g. 25s (default: $LOOM_DRAIN_TIMEOUT, else 25s).")
    var drainTimeout: String?

    @Option(help: "Request log lines: text or json (default: $LOOM_LOG_FORMAT, else text).")
    var logFormat: String?

    public init() {}

    /// The default model of a checkout (`make models` fetches it) and its name in the store.
    static let defaultModel = (name: "smollm2:135m", file: ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")

    /// How much slower a debug build decodes than a release build (SmolLM2 Q4_1, measured: README).
    static let debugSlowdown = "~40×"

    public func run() async throws {
        do { try KernelPath.configure() } catch { throw ValidationError(error.description) }
        let env = ProcessInfo.processInfo.environment
        Self.fixMallocThreshold(env)
        let (address, port) = try Self.parseHost(host ?? env["OLLAMA_HOST"] ?? "")
        let directory = models ?? env["OLLAMA_MODELS"] ?? (NSHomeDirectory() + "/.loom/models")
        let config: ServiceConfiguration
        do { config = try ServiceConfiguration(environment: env) } catch {
            throw ValidationError(error.message)
        }
        let settings: ServerSettings
        do { settings = try serverSettings(env) } catch { throw ValidationError(error.message) }
        let stderr: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let logger = settings.requestLogger(sink: stderr)
        // Start-up lines: plain text, or JSON objects like every other line with LOOM_LOG_FORMAT=json.
        let say: @Sendable (String) -> Void = { line in if settings.jsonLogs { logger.info("\(line)") } else { stderr(line) } }
        say("Loom: \(KernelPath.summary)")
        #if DEBUG
        say("Loom: this is a debug build; it generates \(Self.debugSlowdown) slower than `swift run -c release serve`")
        #endif
        let store = ModelStore(root: directory, readOnly: readOnly)
        store.prune()
        let service = LoomService(catalog: StoreCatalog(store: store), store: store, configuration: config)
        var imports = imports
        if imports.isEmpty && models == nil {
            if FileManager.default.fileExists(atPath: Self.defaultModel.file) {
                imports = ["\(Self.defaultModel.name)=\(Self.defaultModel.file)"]
            } else {
                say("Loom: no --import and no \(Self.defaultModel.file) here (`make models` fetches it); serving the store as it is")
            }
        }
        for spec in imports {
            guard let eq = spec.firstIndex(of: "=") else { throw ValidationError("--import wants NAME=FILE, got \(spec)") }
            let name = String(spec[..<eq]), file = String(spec[spec.index(after: eq)...])
            if try await service.importModel(name, from: file) {
                say("imported \(file) as \(name)")
            }
        }
        let loopback = address == "127.0.0.1" || address == "localhost" || address == "::1"
        let metrics = PrometheusExposition.make(service: service)
        let responder = OllamaResponder(service: MeteredService(service, metrics: metrics), models: service,
                                        policy: AccessPolicy(extraOrigins: env["OLLAMA_ORIGINS"], loopbackListener: loopback),
                                        settings: settings, metrics: metrics, logger: logger)
        // Request heads are bounded by NIO's decoder (80 KiB of headers, 1000 fields: more → 400, closed).
        let http1 = HTTP1Channel.Configuration(idleTimeout: settings.idleTimeout.map { .milliseconds(Int64($0 * 1000)) })
        let app = Application(
            responder: responder,
            server: .http1(configuration: http1),
            configuration: ApplicationConfiguration(address: .hostname(address, port: port), serverName: "Loom",
                                                    availableConnectionsDelegate: settings.maxConnections.map { MaximumAvailableConnections($0) as any AvailableConnectionsDelegate }),
            onServerRunning: { channel in
                let actual = channel.localAddress?.port ?? port
                let line = "Listening on http://\(address):\(actual) (models: \(directory))"
                say(line)
            },
            // JSON logs: Hummingbird's own lines (start, shutdown) as JSON objects too.
            logger: settings.jsonLogs ? Logger(label: "Loom") { JSONLogHandler(label: $0, sink: stderr) } : nil
        )
        let log: @Sendable (String) -> Void = { line in if settings.jsonLogs { logger.notice("\(line)") } else { stderr(line) } }
        var group = ServiceGroupConfiguration(services: [DrainingServer(app: app, service: service, drainTimeout: settings.drainTimeout, log: log)],
                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
        group.maximumGracefulShutdownDuration = .milliseconds(Int64((settings.drainTimeout + 10) * 1000))
        try await ServiceGroup(configuration: group).run()
    }

    /// LOOM_* variables, overridden by the flags given.
    func serverSettings(_ env: [String: String]) throws(APIError) -> ServerSettings {
        var s = try ServerSettings(environment: env)
        if let maxBody { try s.set(maxBody: maxBody) }
        if let idleTimeout { try s.set(idleTimeout: idleTimeout) }
        if let maxConnections { try s.set(maxConnections: maxConnections) }
        if let drainTimeout { try s.set(drainTimeout: drainTimeout) }
        if let logFormat { try s.set(logFormat: logFormat) }
        return s
    }

    /// OLLAMA_HOST's grammar: [scheme://]host[:port][/path]; bare host → port 11434, http:// → 80,
    /// https:// → 443; empty → 127.0.0.1:11434.
    public static func parseHost(_ raw: String) throws -> (String, Int) {
        var s = Substring(raw.trimmingCharacters(in: .whitespaces))
        var defaultPort = 11434
        if let r = s.range(of: "://") {
            let scheme = s[..<r.lowerBound].lowercased()
            defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : 11434
            s = s[r.upperBound...]
        }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        if s.isEmpty { return ("127.0.0.1", 11434) }
        var host = String(s), port = defaultPort
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.hasPrefix(":") { guard let p = Int(rest.dropFirst()) else { throw ValidationError("invalid port in \(raw)") }; port = p }
        } else if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int(s[s.index(after: colon)...]) else { throw ValidationError("invalid port in \(raw)") }
            port = p
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard (0...65535).contains(port) else { throw ValidationError("invalid port in \(raw)") }
        return (host, port)
    }
}

