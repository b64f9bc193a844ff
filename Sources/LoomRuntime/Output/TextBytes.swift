// TextBytes: byte-level helpers shared by the output parsers, which hold generated text as UTF-8.
//
// Why bytes: a tag must match even when a later piece starts with a combining mark (as Characters,
// ">" + U+0301 is one grapheme and "<think>" would no longer be a prefix). Cutting is safe: every
// cut the parsers make is at the start of a match of a valid UTF-8 tag or at the end of a piece,
// and UTF-8 is self-synchronising, so the bytes on each side always decode to whole scalars.

enum TextBytes {
    /// First index ≥ `from` where `pattern` occurs in `bytes`; nil if none (or `pattern` is empty).
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from: Int = 0) -> Int? {
        guard !pattern.isEmpty, bytes.count - from >= pattern.count else { return nil }
        let first = pattern[0]
        var i = from
        let last = bytes.count - pattern.count
        while i <= last {
            if bytes[i] == first, hasPrefix(bytes, pattern, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Whether `bytes[at...]` starts with `pattern`.
    static func hasPrefix(_ bytes: [UInt8], _ pattern: [UInt8], at: Int) -> Bool {
        guard bytes.count - at >= pattern.count else { return false }
        for k in 0..<pattern.count where bytes[at + k] != pattern[k] { return false }
        return true
    }

    /// Whether the text from `at` to the end is a proper-or-whole prefix of `pattern` (incl. empty):
    /// more text could still complete the pattern there.
    static func couldStart(_ pattern: [UInt8], _ bytes: [UInt8], at: Int) -> Bool {
        let n = bytes.count - at
        guard n <= pattern.count else { return false }
        for k in 0..<n where bytes[at + k] != pattern[k] { return false }
        return true
    }

    /// Length of the longest suffix of `bytes` (starting at or after `from`) that is a proper prefix
    /// of `pattern` — the part to hold back because the next piece may complete the pattern.
    static func suffixOverlap(_ bytes: [UInt8], _ pattern: [UInt8], from: Int = 0) -> Int {
        let most = min(pattern.count - 1, bytes.count - from)
        guard most > 0 else { return 0 }
        for k in stride(from: most, through: 1, by: -1) where hasPrefix(bytes, Array(pattern[0..<k]), at: bytes.count - k) {
            return k
        }
        return 0
    }

    /// Count of bytes of leading Unicode whitespace (Go's `unicode.IsSpace`: the White_Space property)
    /// from `from`.
    static func whitespacePrefix(_ bytes: [UInt8], from: Int = 0) -> Int {
        var i = from
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                guard b == 0x20 || (0x09...0x0D).contains(b) else { break }
                i += 1
                continue
            }
            var iterator = bytes[i...].makeIterator()
            var decoder = UTF8()
            guard case let .scalarValue(scalar) = decoder.decode(&iterator), scalar.properties.isWhitespace else { break }
            i += UTF8.width(scalar)
        }
        return i - from
    }

    /// Text of a byte range (always whole scalars, see the contract above).
    static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
