// StreamingDecoder: token ids in, text out as soon as it is valid UTF-8. Bytes of a character that
// spans several tokens (emoji, CJK in byte-level BPE, <0xXX> byte tokens) are held back until the
// character is complete, so no chunk ever ends inside a character; bytes that can never form valid
// UTF-8 come out as U+FFFD.

/// Incremental detokenizer.
public struct StreamingDecoder {
    let tokenizer: any Tokenizer
    let skipControl: Bool
    var pending: [UInt8] = []

    /// A decoder for `tokenizer`; control tokens are dropped when `skipControl`.
    public init(_ tokenizer: any Tokenizer, skipControl: Bool = false) {
        self.tokenizer = tokenizer
        self.skipControl = skipControl
    }

    /// Text completed by `id` (possibly empty).
    public mutating func push(_ id: Int32) -> String {
        if skipControl && tokenizer.isControl(id) { return "" }
        pending += tokenizer.piece(id)
        let cut = Self.completePrefix(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is still held back (an incomplete character renders as U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a possibly-incomplete UTF-8 sequence.
    static func completePrefix(_ b: [UInt8]) -> Int {
        var i = b.count
        var back = 0
        // Walk back over at most 3 continuation bytes to the last lead byte.
        while i > 0, back < 4 {
            let c = b[i - 1]
            if c & 0xC0 == 0x80 { i -= 1; back += 1; continue }
            let need: Int
            if c < 0x80 { need = 1 } else if c & 0xE0 == 0xC0 { need = 2 } else if c & 0xF0 == 0xE0 { need = 3 } else if c & 0xF8 == 0xF0 { need = 4 } else { return b.count }
            return back + 1 >= need ? b.count : i - 1
        }
        return b.count
    }
}
