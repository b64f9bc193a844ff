// SentencePiece-style BPE (Llama 2, Mistral, Gemma, Phi-3), following llama.cpp's
// llm_tokenizer_spm_session: each text fragment gets a leading space when add_space_prefix is set
// and it follows a special token (or starts the input), spaces become "▁", the text is split into
// UTF-8 characters, and adjacent pairs whose concatenation is a token are merged highest score
// first (leftmost on ties). A final symbol that is not a token is re-split along the merges that
// built it, and pieces with no token fall back to <0xXX> byte tokens. Token texts are looked up by
// their UTF-8 bytes (a String key would match canonically equivalent texts, e.g. "A\u{30A}" and "Å").

/// The SentencePiece-style BPE tokenizer.
public struct SPMTokenizer: Tokenizer {
    public let vocabulary: Vocabulary
    let ids: [[UInt8]: Int32]
    let byteTokens: [Int32?]
    let specials: SpecialTokens
    let attributes: [TokenAttributes]

    /// Builds the tokenizer.
    public init(_ v: Vocabulary) throws(TokenizerError) {
        guard !v.tokens.isEmpty else { throw .emptyVocabulary }
        vocabulary = v
        var ids: [[UInt8]: Int32] = [:]
        for (i, t) in v.tokens.enumerated() where ids[Array(t.utf8)] == nil { ids[Array(t.utf8)] = Int32(i) }
        self.ids = ids
        byteTokens = (0..<256).map { b in
            ids[Array(Self.byteTokenText(UInt8(b)).utf8)] ?? ids[[UInt8(b)]]
        }
        attributes = v.llamaAttributes()
        specials = SpecialTokens(v, attributes: attributes)
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        var previousSpecial = true
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        for fragment in specials.partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(id):
                out.append(id)
                previousSpecial = true
            case let .text(bytes):
                var t = vocabulary.addSpacePrefix && previousSpecial ? [UInt8(0x20)] : []
                t.append(contentsOf: bytes)
                encodeText(t, into: &out)
                previousSpecial = false
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    struct Symbol {
        var start: Int
        var length: Int
        var prev: Int
        var next: Int
    }

    func encodeText(_ raw: [UInt8], into out: inout [Int32]) {
        // " " → "▁" (E2 96 81)
        var text: [UInt8] = []
        text.reserveCapacity(raw.count)
        for b in raw { if b == 0x20 { text += [0xE2, 0x96, 0x81] } else { text.append(b) } }
        var symbols: [Symbol] = []
        var offset = 0
        while offset < text.count {
            let len = min(Self.utf8Length(text[offset]), text.count - offset)
            symbols.append(Symbol(start: offset, length: len, prev: symbols.count - 1, next: -1))
            offset += len
            if symbols.count > 1 { symbols[symbols.count - 2].next = symbols.count - 1 }
        }
        // llama.cpp's llm_bigram_spm order: highest score first, leftmost on ties.
        var heap = Heap<ScoredBigram> { a, b in a.score != b.score ? a.score > b.score : a.left < b.left }
        var revMerge: [[UInt8]: (Int, Int)] = [:]
        func string(_ s: Int, _ len: Int) -> [UInt8] { Array(text[s..<s + len]) }
        func add(_ l: Int, _ r: Int) {
            guard l >= 0, r >= 0 else { return }
            let s = string(symbols[l].start, symbols[l].length + symbols[r].length)
            guard let id = ids[s] else { return }
            let score = Int(id) < vocabulary.scores.count ? vocabulary.scores[Int(id)] : 0
            heap.push(ScoredBigram(score: score, left: l, right: r, size: symbols[l].length + symbols[r].length))
            revMerge[s] = (l, r)
        }
        for i in symbols.indices.dropFirst() { add(i - 1, i) }
        while let b = heap.pop() {
            let l = b.left, r = b.right
            guard symbols[l].length > 0, symbols[r].length > 0, symbols[l].length + symbols[r].length == b.size else { continue }
            symbols[l].length += symbols[r].length
            symbols[r].length = 0
            symbols[l].next = symbols[r].next
            if symbols[r].next >= 0 { symbols[symbols[r].next].prev = l }
            add(symbols[l].prev, l)
            add(l, symbols[l].next)
        }
        func resegment(_ i: Int) {
            let s = string(symbols[i].start, symbols[i].length)
            if let id = ids[s] { out.append(id); return }
            if let (l, r) = revMerge[s] {
                resegment(l)
                resegment(r)
                return
            }
            for b in text[symbols[i].start..<symbols[i].start + symbols[i].length] {
                if let id = byteTokens[Int(b)] { out.append(id) }
            }
        }
        var i = symbols.isEmpty ? -1 : 0
        while i != -1 {
            resegment(i)
            i = symbols[i].next
        }
    }

    static func utf8Length(_ b: UInt8) -> Int {
        let lookup = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
        return lookup[Int(b >> 4)]
    }

    public func piece(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.tokens.count else { return [] }
        return Self.piece(vocabulary.tokens[Int(id)], attributes[Int(id)])
    }

    /// llama.cpp's token_to_piece for SentencePiece-style vocabularies (SPM, Unigram): special
    /// tokens as their text, normal ones with "▁" → " ", byte tokens as their byte, others (unused,
    /// undefined) as nothing.
    static func piece(_ t: String, _ a: TokenAttributes) -> [UInt8] {
        if !a.isDisjoint(with: .special) { return Array(t.utf8) }
        if a.contains(.normal) { return Array(t.replacingScalar("▁", with: " ").utf8) }
        if a.contains(.byte) { return byteValue(t).map { [$0] } ?? [] }
        return []
    }

    /// "<0x0A>" for 0x0A.
    static func byteTokenText(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count < 2 ? "0" + hex : hex) + ">"
    }

    /// The byte of a "<0xXX>" token text.
    static func byteValue(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count >= 5, u.starts(with: Array("<0x".utf8)) else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < vocabulary.tokens.count && vocabulary.type(Int(id)) == .control
    }
}

struct ScoredBigram {
    var score: Float
    var left: Int
    var right: Int
    var size: Int
}

extension String {
    /// The string with every `target` scalar replaced by `replacement`.
    func replacingScalar(_ target: Unicode.Scalar, with replacement: Unicode.Scalar) -> String {
        var v = String.UnicodeScalarView()
        for c in unicodeScalars { v.append(c == target ? replacement : c) }
        return String(v)
    }
}
