/// JSONScan: looks at JSON text that is still being generated, without parsing it.
///
/// `BalanceScanner` finds where a value that starts with `{` or `[` closes, incrementally: each call
/// scans only the bytes appended since the last one, tracking bracket depth and whether it is inside
/// a string (so `"}"` and `\"` inside strings do not count). Brackets are not matched by kind — a
/// balanced span is handed to `JSONValue.parse`, which rejects `{]`.
///
/// `JSONScan.peekName` reads the "name" key's string value at the top level of an object that may
/// still be incomplete — `{"name": "get_weather", "argu` → get_weather — so the runtime can learn
/// which tool is being called before its arguments are generated.

/// Finds the end of a bracketed JSON value in a growing byte buffer.
public struct BalanceScanner: Sendable {
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Bytes of the value examined so far.
    public private(set) var scanned = 0

    /// A scanner at the start of a value.
    public init() {}

    /// Continues scanning the value that starts at `bytes[start]` (a `{` or `[`); returns the count
    /// of bytes from `start` through the closing bracket once the value balances, else nil.
    public mutating func scan(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start + scanned
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 {
                    scanned = i - start
                    return scanned
                }
            default: break
            }
        }
        scanned = i - start
        return nil
    }
}

/// Scans of incomplete JSON text.
public enum JSONScan {
    /// The string value of the top-level "name" key of the (possibly incomplete) object starting at
    /// `bytes[start]`, once that string is complete; nil before, or when the key is absent so far.
    /// Only the object's first `limit` bytes are looked at.
    public static func peekName(_ bytes: [UInt8], from start: Int, limit: Int = .max) -> String? {
        let bytes = limit < bytes.count - start ? Array(bytes[..<(start + limit)]) : bytes
        var depth = 0
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 { return nil }
                i += 1
            case UInt8(ascii: "\""):
                guard let end = stringEnd(bytes, from: i) else { return nil }
                if depth == 1, let colon = nextNonSpace(bytes, from: end), bytes[colon] == UInt8(ascii: ":"),
                   decode(bytes[i..<end]) == "name" {
                    guard let v = nextNonSpace(bytes, from: colon + 1), bytes[v] == UInt8(ascii: "\""),
                          let vEnd = stringEnd(bytes, from: v) else { return nil }
                    return decode(bytes[v..<vEnd])
                }
                i = end
            default: i += 1
            }
        }
        return nil
    }

    /// Index just past the string literal that opens at `bytes[start]`, nil if it is not closed yet.
    public static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start + 1
        var escaped = false
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { return i }
        }
        return nil
    }

    /// Index of the first non-whitespace byte at or after `start`, nil if there is none yet.
    public static func nextNonSpace(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            if !isSpace(bytes[i]) { return i }
            i += 1
        }
        return nil
    }

    /// JSON whitespace: space, tab, LF, CR.
    public static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private static func decode(_ literal: ArraySlice<UInt8>) -> String? {
        (try? JSONValue.parse(literal, options: .init(allowsControlCharacters: true)))?.stringValue
    }
}
