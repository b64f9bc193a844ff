// Request logs through swift-log. Every request is logged once, when it is finished (a stream at its
// end), at level info with the message
//     POST /api/chat 200 (client gone) 1.234s 17 tokens
// and the same facts as metadata: method, path, status, outcome (client gone / error: … / cancelled:
// server shutting down; absent when it went well), duration_s, tokens. Two handlers write them:
// `LineLogHandler` the message alone (one human line, the default of `serve`), `JSONLogHandler` one
// JSON object per line: {"time":"2026-…Z","level":"info","label":"loom.http","msg":"…","method":"POST",
// "path":"/api/chat","status":200,"duration_s":1.234,"tokens":17} — numbers stay numbers.

import Foundation
import LoomJSON
import Logging

/// One finished request, as logged and measured.
struct RequestRecord {
    var method: String
    var path: String
    var status: Int
    /// How a 200 stream ended when not well ("client gone", "error: …").
    var outcome: String?
    var seconds: Double
    var tokens: Int?

    /// The human line.
    var text: String {
        var s = "\(method) \(path) \(status)"
        if let outcome { s += " (\(outcome))" }
        s += String(format: " %.3fs", seconds)
        if let tokens { s += " \(tokens) tokens" }
        return s
    }

    var metadata: Logger.Metadata {
        var m: Logger.Metadata = ["method": "\(method)", "path": "\(path)", "status": .stringConvertible(status),
                                  "duration_s": .stringConvertible((seconds * 1000).rounded() / 1000)]
        if let outcome { m["outcome"] = "\(outcome)" }
        if let tokens { m["tokens"] = .stringConvertible(tokens) }
        return m
    }
}

/// Writes each message alone as one line (metadata is left out).
public struct LineLogHandler: LogHandler {
    let sink: @Sendable (String) -> Void
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    /// Lines go to `sink` (without their newline).
    public init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink("\(event.message)")
    }
}

/// Writes each message as one JSON object per line: time, level, label, msg, then the metadata.
public struct JSONLogHandler: LogHandler {
    let label: String
    let sink: @Sendable (String) -> Void
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    /// Objects for the logger `label` go to `sink` (without their newline).
    public init(label: String, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var members: [JSONValue.Member] = [
            ("time", .string(Self.timestamp())), ("level", .string(event.level.rawValue)),
            ("label", .string(label)), ("msg", .string("\(event.message)")),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { if let v = merged[key] { members.append((key, Self.json(v))) } }
        sink(JSONValue.object(members).serialized())
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case let .string(s): return .string(s)
        case let .stringConvertible(c):
            if let i = c as? Int { return JSONValue(i) }
            if let d = c as? Double { return JSONValue(d) }
            if let b = c as? Bool { return .bool(b) }
            return .string(c.description)
        case let .array(a): return .array(a.map(json))
        case let .dictionary(d): return .object(d.keys.sorted().compactMap { k in d[k].map { (k, json($0)) } })
        }
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}
