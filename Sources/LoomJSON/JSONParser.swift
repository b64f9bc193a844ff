/// JSONParser: UTF-8 bytes → `JSONValue`, strict RFC 8259 by default.
///
/// * Grammar: exactly one value, surrounded by optional whitespace (space, tab, LF, CR).
///   Numbers must match `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` and are kept as written.
///   Strings must be valid UTF-8 with no raw control characters (U+0000–U+001F); escapes
///   `\" \\ \/ \b \f \n \r \t \uXXXX` are decoded, a surrogate pair joins into one scalar and a
///   lone surrogate is an error.
/// * Objects keep source order; a repeated key keeps its first position and takes the last value
///   (Python's dict; keys are compared by their code points, so "é" and "e\u{301}" stay apart).
/// * Nesting deeper than `Options.maxDepth` arrays/objects throws (no stack overflow on hostile
///   input). `Options.allowsControlCharacters` accepts raw control characters inside strings
///   (models write literal newlines in code arguments); the writer escapes them again.
/// * Every failure is a `JSONError` naming the byte offset where the input stopped being JSON.

/// Why a text is not JSON: what was wrong and at which byte offset (0-based) of the input.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input where parsing stopped.
    public let offset: Int
    /// What was expected or found there.
    public let reason: String

    /// An error at `offset`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "<reason> at byte <offset>".
    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Parsing options.
    public struct ParseOptions: Sendable {
        /// The deepest nesting of arrays and objects accepted.
        public var maxDepth: Int
        /// Accept raw control characters (U+0000–U+001F) inside strings.
        public var allowsControlCharacters: Bool

        /// Options with the given limits; the defaults are strict, 512 levels.
        public init(maxDepth: Int = 512, allowsControlCharacters: Bool = false) {
            self.maxDepth = maxDepth
            self.allowsControlCharacters = allowsControlCharacters
        }

        /// Strict RFC 8259, 512 levels.
        public static let strict = ParseOptions()
    }

    /// Parses one complete JSON text from UTF-8 bytes.
    public static func parse<C: Collection>(_ bytes: C, options: ParseOptions = .strict) throws(JSONError) -> JSONValue
    where C.Element == UInt8 {
        var parser = JSONParser(bytes: Array(bytes), options: options)
        return try parser.document()
    }

    /// Parses one complete JSON text.
    public static func parse(_ text: String, options: ParseOptions = .strict) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), options: options)
    }

    /// The members of the top-level object in `bytes` with the byte range of each value as the
    /// client wrote it (so a member can be passed on unchanged); throws unless `bytes` is one
    /// JSON object.
    public static func memberRanges(in bytes: [UInt8]) throws(JSONError) -> [(key: String, range: Range<Int>)] {
        var parser = JSONParser(bytes: bytes, options: .strict)
        return try parser.topLevelMembers()
    }
}

/// Recursive-descent parser over a byte array.
struct JSONParser {
    let bytes: [UInt8]
    let options: JSONValue.ParseOptions
    var i = 0

    init(bytes: [UInt8], options: JSONValue.ParseOptions) {
        self.bytes = bytes
        self.options = options
    }

    func fail(_ reason: String) -> JSONError { JSONError(offset: i, reason: reason) }

    mutating func document() throws(JSONError) -> JSONValue {
        skipSpace()
        let v = try value(depth: 0)
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
        return v
    }

    mutating func topLevelMembers() throws(JSONError) -> [(key: String, range: Range<Int>)] {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw fail("expected an object") }
        var out: [(key: String, range: Range<Int>)] = []
        try members(depth: 1) { key, start, parser throws(JSONError) in
            _ = try parser.value(depth: 1)
            out.append((key, start..<parser.i))
        }
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
        return out
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let start = i
        for k in 0..<word.utf8CodeUnitCount {
            guard i < bytes.count, bytes[i] == word.utf8Start[k] else { i = start; throw fail("invalid literal") }
            i += 1
        }
    }

    /// Calls `body(key, valueStart, &self)` for each member of the object at `i`; `body` parses the value.
    mutating func members(depth: Int, _ body: (String, Int, inout JSONParser) throws(JSONError) -> Void) throws(JSONError) {
        guard depth <= options.maxDepth else { throw fail("nesting deeper than \(options.maxDepth) levels") }
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            skipSpace()
            try body(key, i, &self)
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func object(depth: Int) throws(JSONError) -> JSONValue {
        var out: [JSONValue.Member] = []
        var index: [[UInt8]: Int] = [:]   // built once an object is large; keys by code points
        try members(depth: depth) { key, _, parser throws(JSONError) in
            let v = try parser.value(depth: depth)
            if out.count < 16 {
                if let at = out.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) { out[at].value = v; return }
                out.append((key, v))
                return
            }
            if index.isEmpty { for (n, m) in out.enumerated() { index[Array(m.key.utf8)] = n } }
            let k = Array(key.utf8)
            if let at = index[k] { out[at].value = v } else { index[k] = out.count; out.append((key, v)) }
        }
        return .object(out)
    }

    mutating func array(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= options.maxDepth else { throw fail("nesting deeper than \(options.maxDepth) levels") }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    func isDigit(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39 }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — returned as written.
    mutating func number() throws(JSONError) -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw fail("invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail("leading zero in a number") }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw fail("digit expected after '.'") }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail("digit expected in exponent") }
            while isDigit(i) { i += 1 }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// The string literal opening at `i`, decoded; `i` ends past its closing quote.
    mutating func string() throws(JSONError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            guard let s = String(validating: bytes[start..<i], as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
            i += 1
            return s
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                i += 1
                return s
            }
            if b < 0x20, !options.allowsControlCharacters { throw fail("control character in a string") }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"): out.append(contentsOf: String(try unicodeEscape()).utf8)
            default: i -= 1; throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    /// After `\u`: four hex digits; a surrogate pair joined; a lone surrogate is an error.
    mutating func unicodeEscape() throws(JSONError) -> Character {
        let first = try hex4()
        if (0xD800...0xDBFF).contains(first) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw fail("lone surrogate")
            }
            i += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw fail("lone surrogate") }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw fail("invalid code point") }
            return Character(scalar)
        }
        guard let scalar = Unicode.Scalar(first) else { throw fail("lone surrogate") }
        return Character(scalar)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count else { throw fail("truncated \\u escape") }
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
