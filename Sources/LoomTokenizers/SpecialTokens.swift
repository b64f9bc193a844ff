// Special-token partitioning, as llama.cpp's tokenizer_st_partition: before the model's own
// algorithm runs, every occurrence of a special token's text in the input becomes that single
// token. The special tokens are those whose llama.cpp attributes (`Vocabulary.llamaAttributes`)
// include control, user-defined or unknown; control and unknown ones are only matched when
// `parseSpecial` is set, user-defined ones (that are not also control) always are. Longer texts
// are matched first (equal lengths by id), each over the text left by the longer ones. A token
// with LSTRIP drops the whitespace (C isspace) just before it, RSTRIP the whitespace just after it,
// within the text fragment it was found in. Matching is on UTF-8 bytes.

/// A piece of input after partitioning: raw text (UTF-8 bytes) or a special token.
enum Fragment {
    case text(ArraySlice<UInt8>)
    case token(Int32)
}

struct SpecialTokens: Sendable {
    struct Entry: Sendable {
        var id: Int32
        var bytes: [UInt8]
        /// Control or unknown: only matched with parseSpecial.
        var needsParseSpecial: Bool
        var lstrip: Bool
        var rstrip: Bool
    }

    /// Longest text first.
    let entries: [Entry]

    init(_ v: Vocabulary, attributes: [TokenAttributes]) {
        var list: [Entry] = []
        for (i, t) in v.tokens.enumerated() {
            let a = attributes[i]
            guard !a.isDisjoint(with: .special), !t.isEmpty else { continue }
            list.append(Entry(id: Int32(i), bytes: Array(t.utf8), needsParseSpecial: !a.isDisjoint(with: [.control, .unknown]),
                              lstrip: a.contains(.lstrip), rstrip: a.contains(.rstrip)))
        }
        // Longest first; equal lengths by id, so the order is deterministic.
        entries = list.sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    init(_ v: Vocabulary) { self.init(v, attributes: v.llamaAttributes()) }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }

    func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text[...])]
        for entry in entries where parseSpecial || !entry.needsParseSpecial {
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for f in fragments {
                guard case let .text(slice) = f else { next.append(f); continue }
                var rest = slice
                while let r = Self.find(entry.bytes, in: rest) {
                    var left = rest[rest.startIndex..<r.lowerBound]
                    if entry.lstrip { while let l = left.last, Self.isSpace(l) { left = left.dropLast() } }
                    if !left.isEmpty { next.append(.text(left)) }
                    next.append(.token(entry.id))
                    rest = rest[r.upperBound...]
                    if entry.rstrip { while let f = rest.first, Self.isSpace(f) { rest = rest.dropFirst() } }
                }
                if !rest.isEmpty { next.append(.text(rest)) }
            }
            fragments = next
        }
        return fragments
    }

    static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>) -> Range<Int>? {
        guard let first = needle.first, needle.count <= hay.count else { return nil }
        var i = hay.startIndex
        let last = hay.endIndex - needle.count
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i..<i + needle.count }
            }
            i += 1
        }
        return nil
    }
}
