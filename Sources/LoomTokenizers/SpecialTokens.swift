// Special-token partitioning, as llama.cpp's tokenizer_st_partition: before the model's own
// algorithm runs, every occurrence of a special token's text in the input becomes that single
// token. The special tokens are those whose llama.cpp attributes (`Vocabulary.llamaAttributes`)
// include control, user-defined or unknown; control and unknown ones are only matched when
// `parseSpecial` is set, user-defined ones (that are not also control) always are. Longer texts
// are matched first (equal lengths by id), each over the text left by the longer ones. A token
// with LSTRIP drops the whitespace (C isspace) just before it, RSTRIP the whitespace just after it,
// within the text fragment it was found in. Matching is on UTF-8 bytes.
// The result is llama.cpp's, but the search is one pass over the text with a trie of all special
// texts (every occurrence of every token), then per token in llama.cpp's order only its occurrences
// are checked against what earlier tokens left — not one full scan of the text per special token
// (Gemma 3 has 6,400 of them).

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
    /// Text → index into `entries` (for equal texts, the first entry).
    let trie: ByteTrie

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
        var trie = ByteTrie()
        for (k, e) in entries.enumerated().reversed() { trie.insert(e.bytes, value: Int32(k)) }
        self.trie = trie
    }

    init(_ v: Vocabulary) { self.init(v, attributes: v.llamaAttributes()) }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }

    func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        // Every occurrence of every special text, by entry (positions ascending).
        var occurrences: [Int: [Int]] = [:]
        for start in text.indices {
            var node = 0, i = start
            while i < text.count, let c = trie.child(node, text[i]) {
                node = c
                i += 1
                if let e = trie.value(node) { occurrences[Int(e), default: []].append(start) }
            }
        }
        var fragments: [Fragment] = [.text(text[...])]
        for e in occurrences.keys.sorted() where parseSpecial || !entries[e].needsParseSpecial {
            let entry = entries[e], length = entry.bytes.count
            let positions = occurrences[e] ?? []
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for f in fragments {
                guard case let .text(slice) = f else { next.append(f); continue }
                var rest = slice
                // llama.cpp: the leftmost match at or after the start of what is left, repeatedly.
                var k = Self.firstIndex(positions, notBelow: rest.startIndex)
                while k < positions.count, positions[k] + length <= rest.endIndex {
                    let p = positions[k]
                    k += 1
                    guard p >= rest.startIndex else { continue }
                    var left = rest[rest.startIndex..<p]
                    if entry.lstrip { while let l = left.last, Self.isSpace(l) { left = left.dropLast() } }
                    if !left.isEmpty { next.append(.text(left)) }
                    next.append(.token(entry.id))
                    rest = rest[(p + length)...]
                    if entry.rstrip { while let f = rest.first, Self.isSpace(f) { rest = rest.dropFirst() } }
                }
                if !rest.isEmpty { next.append(.text(rest)) }
            }
            fragments = next
        }
        return fragments
    }

    /// The index of the first element of ascending `a` that is ≥ `value`.
    static func firstIndex(_ a: [Int], notBelow value: Int) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
