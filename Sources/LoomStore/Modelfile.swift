// Modelfile (Ollama §12): parser and renderer.
//
// Syntax: one `INSTRUCTION arguments` per line; instructions case-insensitive; `#` starts a comment
// line; optional UTF-8 BOM. A value is bare text to the end of the line, "quoted" (no escapes, may
// span lines) or """triple quoted""" (may span lines and contain "). Instructions: FROM (required),
// PARAMETER name value, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE role text (system/user/assistant),
// REQUIRES semver, RENDERER, PARSER, DRAFT. Repeated `PARAMETER stop` lines accumulate; other repeats:
// last wins. Errors are prefixed with «(line N): ».
// The text is read by Unicode scalars, as Ollama's parser reads runes (not by Swift Characters, where
// "\r\n" is one character and a combining mark joins the space or quote before it: fuzz-modelfile).

import Foundation

/// A parsed Modelfile.
public struct Modelfile: Sendable, Equatable {
    /// One instruction with its (unquoted) value.
    public struct Command: Sendable, Equatable {
        public var name: String
        public var args: String
        public init(_ name: String, _ args: String) {
            self.name = name
            self.args = args
        }
    }

    public var commands: [Command]

    /// Parameters Ollama knows, by value type.
    static let intParams: Set<String> = ["num_ctx", "num_predict", "num_keep", "seed", "top_k", "repeat_last_n", "num_batch",
                                          "num_thread", "num_gpu", "main_gpu"]
    static let floatParams: Set<String> = ["temperature", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty",
                                            "frequency_penalty"]
    static let boolParams: Set<String> = ["use_mmap"]
    static let deprecated: Set<String> = ["mirostat", "mirostat_tau", "mirostat_eta", "tfs_z", "penalize_newline", "numa",
                                          "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock"]

    /// Parses `text`.
    public init(parsing text: String) throws(ModelfileError) {
        var commands: [Command] = []
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(Substring($0)) }
        if let first = lines.first, first.unicodeScalars.first == "\u{FEFF}" { lines[0] = String(Substring(first.unicodeScalars.dropFirst())) }
        var i = 0
        while i < lines.count {
            let lineNumber = i + 1
            let line = lines[i].trimmingWhitespace()
            i += 1
            if line.isEmpty || line.unicodeScalars.first == "#" { continue }
            let (word, rest) = line.splitFirstWord()
            let name = word.lowercased()
            let known = ["from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "parameter", "message", "requires"]
            guard known.contains(name) else {
                throw .line(lineNumber, "command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", \"draft\", \"renderer\", \"parser\", \"parameter\", \"message\", or \"requires\"")
            }
            // Values may continue over following lines when quoted.
            var value = rest
            var head = ""
            if name == "parameter" || name == "message" {
                (head, value) = rest.splitFirstWord()
            }
            let unquoted = try Self.unquote(value, lines: lines, next: &i, line: lineNumber)
            switch name {
            case "parameter":
                guard !head.isEmpty else { throw .line(lineNumber, "missing parameter name") }
                try Self.checkParameter(head.lowercased(), unquoted, line: lineNumber)
                commands.append(Command(head.lowercased(), unquoted))
            case "message":
                guard ["system", "user", "assistant"].contains(head.lowercased()) else {
                    throw .line(lineNumber, "message role must be one of \"system\", \"user\", or \"assistant\"")
                }
                commands.append(Command("message", head.lowercased() + ": " + unquoted))
            case "requires":
                let parts = unquoted.split(separator: ".")
                guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
                    throw .line(lineNumber, "requires must be a valid semver (e.g. 0.14.0)")
                }
                commands.append(Command(name, unquoted))
            default:
                commands.append(Command(name, unquoted))
            }
        }
        guard commands.contains(where: { $0.name == "from" }) else { throw .noFrom }
        self.commands = commands
    }

    /// A value without its quotes; a quoted value may continue on the following lines.
    static func unquote(_ value: String, lines: [String], next i: inout Int, line: Int) throws(ModelfileError) -> String {
        for quote in ["\"\"\"", "\""] where value.unicodeScalars.starts(with: quote.unicodeScalars) {
            var text = String(Substring(value.unicodeScalars.dropFirst(quote.unicodeScalars.count)))
            while true {
                if let end = text.scalarPrefix(before: quote) { return end }
                guard i < lines.count else { throw .line(line, "unexpected EOF: unterminated \(quote)") }
                text += "\n" + lines[i]
                i += 1
            }
        }
        return value
    }

    static func checkParameter(_ name: String, _ value: String, line: Int) throws(ModelfileError) {
        if intParams.contains(name) {
            guard Int(value) != nil else { throw .line(line, "invalid int value [\(value)]") }
        } else if floatParams.contains(name) {
            guard Double(value) != nil else { throw .line(line, "invalid float value [\(value)]") }
        } else if boolParams.contains(name) {
            guard ["true", "false"].contains(value.lowercased()) else { throw .line(line, "invalid bool value [\(value)]") }
        } else if name != "stop" && !deprecated.contains(name) {
            throw .line(line, "unknown parameter '\(name)'")
        }
    }

    /// The value of the last `name` instruction.
    public func last(_ name: String) -> String? { commands.last { $0.name == name }?.args }

    /// PARAMETERs as an options object (stop accumulates; deprecated ones dropped).
    public var parameters: [(String, ParameterValue)] {
        var out: [(String, ParameterValue)] = []
        var stops: [String] = []
        for c in commands {
            if c.name == "stop" { stops.append(c.args); continue }
            let value: ParameterValue
            if Self.intParams.contains(c.name), let v = Int(c.args) { value = .int(v) }
            else if Self.floatParams.contains(c.name), let v = Double(c.args) { value = .float(v) }
            else if Self.boolParams.contains(c.name) { value = .bool(c.args.lowercased() == "true") }
            else { continue }
            out.removeAll { $0.0 == c.name }
            out.append((c.name, value))
        }
        if !stops.isEmpty { out.append(("stop", .strings(stops))) }
        return out
    }

    /// MESSAGE instructions as (role, content).
    public var messages: [(role: String, content: String)] {
        commands.filter { $0.name == "message" }.compactMap { c in
            Self.roleAndContent(c.args)
        }
    }

    /// A MESSAGE command's "role: content" split at the first ": ".
    static func roleAndContent(_ args: String) -> (role: String, content: String)? {
        guard let role = args.scalarPrefix(before: ": ") else { return nil }
        return (role, String(Substring(args.unicodeScalars.dropFirst(role.unicodeScalars.count + 2))))
    }

    /// The Modelfile text, with values quoted only when they need it (§12.3).
    public func rendered() -> String {
        commands.map { c in
            switch c.name {
            case "from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "requires":
                return "\(c.name.uppercased()) \(Self.quote(c.args))"
            case "message":
                guard let (role, content) = Self.roleAndContent(c.args) else { return "MESSAGE \(c.args)" }
                return "MESSAGE \(role) \(Self.quote(content))"
            default:
                return "PARAMETER \(c.name) \(Self.quote(c.args))"
            }
        }.joined(separator: "\n") + "\n"
    }

    /// A value as Modelfile text. Ollama quotes values with a newline or edge whitespace; a value
    /// that starts with a quote is quoted too (bare, it would open a quoted value when parsed back:
    /// fuzz-modelfile found `TEMPLATE """"x"""` rendering as `TEMPLATE "x`). Values the syntax cannot
    /// hold (no escapes: containing `"""`, or needing `"""` and ending with `"`) do not round-trip.
    static func quote(_ s: String) -> String {
        let u = s.unicodeScalars
        let needs = u.contains("\n") || u.first?.properties.isWhitespace == true || u.last?.properties.isWhitespace == true || u.first == "\""
        guard needs else { return s }
        return u.contains("\"") ? "\"\"\"\(s)\"\"\"" : "\"\(s)\""
    }
}

/// A PARAMETER's typed value.
public enum ParameterValue: Sendable, Equatable {
    case int(Int), float(Double), bool(Bool), strings([String])
}

/// A Modelfile that does not parse.
public enum ModelfileError: Error, Sendable, Equatable, CustomStringConvertible {
    case noFrom
    case line(Int, String)

    public var description: String {
        switch self {
        case .noFrom: return "no FROM line"
        case let .line(n, m): return "(line \(n)): \(m)"
        }
    }
}

extension String {
    /// Without leading and trailing whitespace scalars.
    func trimmingWhitespace() -> String {
        var s = Substring(self).unicodeScalars[...]
        while let f = s.first, f.properties.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.properties.isWhitespace { s = s.dropLast() }
        return String(Substring(s))
    }

    /// The scalars up to the first whitespace, and the rest without its edge whitespace.
    func splitFirstWord() -> (String, String) {
        let scalars = Substring(self).unicodeScalars
        let word = scalars.prefix { !$0.properties.isWhitespace }
        return (String(Substring(word)), String(Substring(scalars.dropFirst(word.count))).trimmingWhitespace())
    }

    /// The text before the first occurrence of `marker` (compared scalar by scalar), or nil.
    func scalarPrefix(before marker: String) -> String? {
        let text = Array(unicodeScalars), m = Array(marker.unicodeScalars)
        guard !m.isEmpty, text.count >= m.count else { return nil }
        for i in 0...(text.count - m.count) where text[i..<i + m.count].elementsEqual(m) {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: text[..<i])
            return String(view)
        }
        return nil
    }
}
