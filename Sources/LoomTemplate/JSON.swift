// JSON in and out with Python's behaviour: `JinjaValue.parseJSON` keeps object key order (a chat
// request's tool schemas render in the order the client sent them), and `toJSON` is Python's
// `json.dumps(x, ensure_ascii=False, indent=…, separators=…, sort_keys=…)` — what Hugging Face's
// `tojson` filter produces.

extension JinjaValue {
    /// Parses JSON text; objects keep their key order; integers without fraction or exponent that
    /// fit in Int become `.int`, other numbers `.double`.
    public static func parseJSON(_ text: String) throws(TemplateError) -> JinjaValue {
        var p = JSONParser(Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.error("unexpected text after the JSON value") }
        return v
    }

    /// Python `json.dumps(self, ensure_ascii=False, indent=indent, separators=…, sort_keys=…)`.
    func toJSON(indent: Int? = nil, sortKeys: Bool = false, itemSeparator: String? = nil,
                keySeparator: String? = nil) throws(TemplateError) -> String {
        var out = ""
        let item = itemSeparator ?? (indent == nil ? ", " : ",")
        let key = keySeparator ?? ": "
        try writeJSON(&out, indent: indent, level: 0, sortKeys: sortKeys, item: item, key: key)
        return out
    }

    private func writeJSON(_ out: inout String, indent: Int?, level: Int, sortKeys: Bool, item: String, key: String) throws(TemplateError) {
        switch self {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : Self.pythonFloat(d)
        case let .string(s), let .markup(s): Self.writeJSONString(s, to: &out)
        case let .array(a), let .tuple(a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (n, v) in a.enumerated() {
                if n > 0 { out += item }
                Self.newline(&out, indent, level + 1)
                try v.writeJSON(&out, indent: indent, level: level + 1, sortKeys: sortKeys, item: item, key: key)
            }
            Self.newline(&out, indent, level)
            out += "]"
        case let .object(o):
            if o.count == 0 { out += "{}"; return }
            out += "{"
            let pairs = sortKeys ? o.pairs.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } : o.pairs
            for (n, p) in pairs.enumerated() {
                if n > 0 { out += item }
                Self.newline(&out, indent, level + 1)
                Self.writeJSONString(p.key, to: &out)
                out += key
                try p.value.writeJSON(&out, indent: indent, level: level + 1, sortKeys: sortKeys, item: item, key: key)
            }
            Self.newline(&out, indent, level)
            out += "}"
        case .undefined, .namespace, .callable, .iterator, .view:
            throw TemplateError(.runtime, "Object of type \(typeName) is not JSON serializable")
        }
    }

    private static func newline(_ out: inout String, _ indent: Int?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    /// A JSON string literal with Python's escapes (ensure_ascii=False: non-ASCII stays as is).
    static func writeJSONString(_ s: String, to out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            default:
                if c.value < 0x20 { out += "\\u00" + hex2(c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        out += "\""
    }
}

/// A small recursive-descent JSON parser over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    static let maxDepth = 256

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> TemplateError {
        TemplateError(.syntax, "invalid JSON at byte \(i): \(message)", templateName: "json")
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws(TemplateError) -> JinjaValue {
        guard depth < Self.maxDepth else { throw error("nesting too deep") }
        guard i < bytes.count else { throw error("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var o = JinjaObject()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let k = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                i += 1
                skipSpace()
                o[k] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [JinjaValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                skipSpace()
                a.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .none
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws(TemplateError) {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw error("unexpected character") }
        i += w.count
    }

    mutating func number() throws(TemplateError) -> JinjaValue {
        let start = i
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 { i += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                isInteger = false
                i += 1
                continue
            }
            break
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int(text) { return .int(v) }
        guard let d = Double(text), !text.isEmpty, text != "-" else { throw error("invalid number '\(text)'") }
        return .double(d)
    }

    mutating func string() throws(TemplateError) -> String {
        i += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var run = i
        func flush(_ p: inout JSONParser, _ scalars: inout String.UnicodeScalarView, _ run: Int) {
            scalars.append(contentsOf: String(decoding: p.bytes[run..<p.i], as: UTF8.self).unicodeScalars)
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                flush(&self, &scalars, run)
                i += 1
                return String(scalars)
            }
            if c == UInt8(ascii: "\\") {
                flush(&self, &scalars, run)
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{c}")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: throw error("invalid escape")
                }
                run = i
                continue
            }
            if c < 0x20 { throw error("control character in string") }
            i += 1
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(TemplateError) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        i += 4
        return v
    }
}
