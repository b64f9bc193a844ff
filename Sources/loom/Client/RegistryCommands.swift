// `loom pull NAME` and `loom push NAME`, through the running server as Ollama's CLI does, with its
// progress display on stderr: one line per status, and per layer a bar
//   pulling b179c9523d0e:  45% ▕███████         ▏  44 MB/ 98 MB  120 MB/s      0s
// redrawn in place on a terminal; elsewhere (a pipe, a log) each status is printed once and each
// layer's bar when it completes.

import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull a model from a registry.")
    @Argument var model: String
    @Flag(help: "Use an insecure registry (plain http).") var insecure = false

    func run() async throws {
        try await Transfer.run("/api/pull", model: model, insecure: insecure)
    }
}

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push a model to a registry.")
    @Argument var model: String
    @Flag(help: "Use an insecure registry (plain http).") var insecure = false

    func run() async throws {
        try await Transfer.run("/api/push", model: model, insecure: insecure)
    }
}

/// A pull or push with its progress display.
enum Transfer {
    static func run(_ path: String, model: String, insecure: Bool) async throws {
        let display = ProgressDisplay(terminal: isatty(2) != 0)
        defer { display.finish() }
        for try await object in try APIClient().stream(path, ["model": model, "insecure": insecure, "stream": true]) {
            display.update(object)
        }
    }
}

/// Ollama's CLI progress: status lines and per-layer bars, in arrival order.
final class ProgressDisplay {
    struct Line {
        var text: String
        var total = 0
        var completed = 0
        var started = Date()
        var done = false
    }

    let terminal: Bool
    var lines: [Line] = []
    var keys: [String: Int] = [:]
    var drawn = 0
    var lastDraw = Date.distantPast

    init(terminal: Bool) { self.terminal = terminal }

    /// Folds one progress object in and redraws (at most every 100 ms on a terminal).
    func update(_ object: [String: Any]) {
        let status = object["status"] as? String ?? ""
        let key = (object["digest"] as? String).map { status + $0 } ?? status
        let total = object["total"] as? Int ?? 0
        let completed = object["completed"] as? Int ?? 0
        if let i = keys[key] {
            lines[i].total = total
            lines[i].completed = completed
        } else {
            keys[key] = lines.count
            lines.append(Line(text: status, total: total, completed: completed))
            if !terminal && total == 0 { Self.write(status + "\n") }
        }
        let i = keys[key]!
        if total > 0 && completed >= total && !lines[i].done {
            lines[i].done = true
            if !terminal { Self.write(render(lines[i]) + "\n") }
        }
        if terminal && (Date().timeIntervalSince(lastDraw) > 0.1 || status == "success") { draw() }
    }

    func finish() {
        if terminal { draw() }
    }

    func draw() {
        var out = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for line in lines { out += "\r\u{1B}[K" + (line.total > 0 ? render(line) : line.text) + "\n" }
        drawn = lines.count
        lastDraw = Date()
        Self.write(out)
    }

    /// `status:  45% ▕███     ▏ 44 MB/98 MB  120 MB/s  0s`.
    func render(_ line: Line) -> String {
        let fraction = line.total > 0 ? min(1, Double(line.completed) / Double(line.total)) : 0
        let width = 25
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
        let elapsed = max(Date().timeIntervalSince(line.started), 1e-3)
        let rate = Double(line.completed) / elapsed
        let eta = rate > 0 ? Double(line.total - line.completed) / rate : 0
        let size = "\(Human.bytes(line.completed))/\(Human.bytes(line.total))"
        let percent = String(format: "%3.0f%%", fraction * 100)
        return "\(line.text): \(percent) ▕\(bar)▏ \(size) \(Self.pad(Human.bytes(Int(rate)) + "/s", 11)) \(Self.pad(Self.duration(eta), 6))"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }

    static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = Glibc.write(2, p.baseAddress, p.count) }
    }
}
