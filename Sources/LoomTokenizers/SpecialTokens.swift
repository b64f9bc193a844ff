// Special-token partitioning, as llama.cpp's tokenizer_st_partition: before the model's own
// algorithm runs, every occurrence of a special token's text in the input becomes that single
// token. Control and unknown tokens are only matched when `parseSpecial` is set; user-defined
// tokens always are. Longer token texts are matched first. Matching is on UTF-8 bytes.

/// A piece of input after partitioning: raw text (UTF-8 bytes) or a special token.
enum Fragment {
    case text(ArraySlice<UInt8>)
    case token(Int32)
}

struct SpecialTokens: Sendable {
    /// (id, UTF-8 text, is control or unknown), longest text first.
    let entries: [(id: Int32, bytes: [UInt8], controlOrUnknown: Bool)]

    init(_ v: Vocabulary) {
        var list: [(Int32, [UInt8], Bool)] = []
        for (i, t) in v.tokens.enumerated() {
            let type = v.type(i)
            guard type == .control || type == .userDefined || type == .unknown, !t.isEmpty else { continue }
            list.append((Int32(i), Array(t.utf8), type != .userDefined))
        }
        // Longest first; equal lengths by id, so the order is deterministic.
        entries = list.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0 < $1.0 }.map { ($0.0, $0.1, $0.2) }
    }

    func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(text[...])]
        for entry in entries where parseSpecial || !entry.controlOrUnknown {
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for f in fragments {
                guard case let .text(slice) = f else { next.append(f); continue }
                var rest = slice
                while let r = Self.find(entry.bytes, in: rest) {
                    if r.lowerBound > rest.startIndex { next.append(.text(rest[rest.startIndex..<r.lowerBound])) }
                    next.append(.token(entry.id))
                    rest = rest[r.upperBound...]
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
