// ServerSettings: the HTTP server's limits and shutdown deadline, from LOOM_* environment variables
// (a `serve` flag of the same name overrides each):
//
//   LOOM_MAX_BODY          64m   largest request body; more → 413 (a Content-Length above it is refused
//                                before the body is read). Blob uploads (POST /api/blobs/:digest) stream to
//                                disk and are not limited. Bytes, or with a k/m/g suffix (powers of 1024).
//   LOOM_IDLE_TIMEOUT      60s   a connection that sends nothing for this long is closed: while idle between
//                                requests, while its request head arrives (slow headers) and between two
//                                reads of its body (slow bodies) — as nginx's client_header/body_timeout. A
//                                request being answered (a long stream) is never cut by it. 0 = off.
//   LOOM_MAX_CONNECTIONS   4096  open connections at most; beyond it new ones wait in the listen backlog.
//                                0 = no limit.
//   LOOM_DRAIN_TIMEOUT     25s   on SIGTERM/SIGINT: stop accepting, let requests in flight finish for this
//                                long, then end the generations still running («server shutting down») and
//                                exit 0. Fits inside Kubernetes' default 30 s grace period. 0 = end them now.
//   LOOM_LOG_FORMAT        text  request logs: `text` (one human line each) or `json` (one object each).
// Durations are seconds, or a number with ms/s/m/h.

import Foundation
import LoomAPI

/// The HTTP server's limits, timeouts and log format.
public struct ServerSettings: Sendable, Equatable {
    /// Largest request body in bytes (blob uploads excepted).
    public var maxBody = 64 << 20
    /// Seconds a connection may stay silent before it is closed (nil = never).
    public var idleTimeout: Double? = 60
    /// Most open connections (nil = no limit).
    public var maxConnections: Int? = 4096
    /// Seconds in-flight requests get to finish after a shutdown signal.
    public var drainTimeout: Double = 25
    /// Request log lines as JSON objects instead of text.
    public var jsonLogs = false

    public init() {}

    /// The defaults overridden by the LOOM_* variables in `environment`; a malformed value is an
    /// error naming the variable.
    public init(environment: [String: String]) throws(APIError) {
        self.init()
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let raw = value("LOOM_MAX_BODY") { try set(maxBody: raw, name: "LOOM_MAX_BODY") }
        if let raw = value("LOOM_IDLE_TIMEOUT") { try set(idleTimeout: raw, name: "LOOM_IDLE_TIMEOUT") }
        if let raw = value("LOOM_MAX_CONNECTIONS") { try set(maxConnections: raw, name: "LOOM_MAX_CONNECTIONS") }
        if let raw = value("LOOM_DRAIN_TIMEOUT") { try set(drainTimeout: raw, name: "LOOM_DRAIN_TIMEOUT") }
        if let raw = value("LOOM_LOG_FORMAT") { try set(logFormat: raw, name: "LOOM_LOG_FORMAT") }
    }

    /// Sets the body limit from "1048576", "512k", "64m" or "1g".
    public mutating func set(maxBody raw: String, name: String = "--max-body") throws(APIError) {
        guard let n = Self.bytes(raw), n > 0 else { throw .badRequest("\(name): invalid size \"\(raw)\" (bytes, or with k, m or g)") }
        maxBody = n
    }

    /// Sets the idle timeout from a duration (0 turns it off).
    public mutating func set(idleTimeout raw: String, name: String = "--idle-timeout") throws(APIError) {
        guard let s = Self.seconds(raw) else { throw .badRequest("\(name): invalid duration \"\(raw)\" (seconds, or with ms, s, m or h)") }
        idleTimeout = s == 0 ? nil : s
    }

    /// Sets the connection limit (0 = none).
    public mutating func set(maxConnections raw: String, name: String = "--max-connections") throws(APIError) {
        guard let n = Int(raw), n >= 0 else { throw .badRequest("\(name): invalid value \"\(raw)\"") }
        maxConnections = n == 0 ? nil : n
    }

    /// Sets the drain deadline from a duration.
    public mutating func set(drainTimeout raw: String, name: String = "--drain-timeout") throws(APIError) {
        guard let s = Self.seconds(raw) else { throw .badRequest("\(name): invalid duration \"\(raw)\" (seconds, or with ms, s, m or h)") }
        drainTimeout = s
    }

    /// Sets the log format (`text` or `json`).
    public mutating func set(logFormat raw: String, name: String = "--log-format") throws(APIError) {
        switch raw.lowercased() {
        case "text": jsonLogs = false
        case "json": jsonLogs = true
        default: throw .badRequest("\(name): invalid value \"\(raw)\" (text or json)")
        }
    }

    /// "123", "4k", "64M", "1g" → bytes (k/m/g are powers of 1024); nil when malformed or too large.
    static func bytes(_ raw: String) -> Int? {
        var digits = Substring(raw.lowercased())
        var shift = 0
        if let last = digits.last, let s = ["k": 10, "m": 20, "g": 30][String(last)] {
            shift = s
            digits = digits.dropLast()
        }
        guard let n = Int(digits), n >= 0, n <= Int.max >> shift else { return nil }
        return n << shift
    }

    /// "30", "30s", "500ms", "2m", "1h", "1.5" → seconds; nil when malformed or negative.
    static func seconds(_ raw: String) -> Double? {
        let s = raw.lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v.isFinite, v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Double(s), v.isFinite, v >= 0 else { return nil }
        return v
    }
}
