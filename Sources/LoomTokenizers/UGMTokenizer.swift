// SentencePiece Unigram (tokenizer.ggml.model "t5": T5, nomic-embed-text-v2 / XLM-R style), following
// llama.cpp's llm_tokenizer_ugm(_session):
//   special tokens partitioned out → each text fragment normalized:
//     at each position, the longest path into the user-defined-token trie (when it is > 0 bytes)
//     passes through unchanged; else the longest prefix the precompiled charsmap (XCDA trie)
//     replaces; else one UTF-8 character (an invalid byte: U+FFFD);
//     then " " → "▁" (escape_whitespaces, always on here), with remove_extra_whitespaces: leading
//     and trailing spaces dropped and runs collapsed to one; with add_space_prefix: one "▁" before
//     the first non-space character (treat_whitespace_as_suffix is never set by llama.cpp)
//   → Viterbi over the normalized bytes: best[0] = 0; at each character start i, every token t
//     (normal, user-defined or unused, by llama.cpp attributes) that the text at i starts with
//     offers best[i] + score(t) (user-defined: 0) to best[i + |t|]; when no token is exactly the one
//     character at i, <unk> offers best[i] + (lowest normal score − 10) to the character's end;
//     a strictly higher offer wins (so earlier starts win ties)
//   → backtrack from the end; consecutive <unk>s become one.
// No byte fallback: characters no token covers become <unk>.

/// The SentencePiece Unigram tokenizer.
public struct UGMTokenizer: Tokenizer {
    public let vocabulary: Vocabulary
    let attributes: [TokenAttributes]
    let specials: SpecialTokens
    let tokenTrie: ByteTrie
    let userDefinedTrie: ByteTrie
    let unknownScore: Double
    let unk: Int32
    let charsmap: Charsmap?

    /// Builds the tokenizer; throws for a malformed charsmap.
    public init(_ v: Vocabulary) throws(TokenizerError) {
        guard !v.tokens.isEmpty else { throw .emptyVocabulary }
        vocabulary = v
        let attributes = v.llamaAttributes()
        self.attributes = attributes
        specials = SpecialTokens(v, attributes: attributes)
        var tokenTrie = ByteTrie(), userDefinedTrie = ByteTrie()
        var minScore = Float.greatestFiniteMagnitude
        for (i, t) in v.tokens.enumerated() {
            let a = attributes[i]
            if a.contains(.normal), i < v.scores.count { minScore = min(minScore, v.scores[i]) }
            if !a.isDisjoint(with: [.normal, .userDefined, .unused]) { tokenTrie.insert(Array(t.utf8), value: Int32(i)) }
            if a.contains(.userDefined) { userDefinedTrie.insert(Array(t.utf8), value: Int32(i)) }
        }
        self.tokenTrie = tokenTrie
        self.userDefinedTrie = userDefinedTrie
        unknownScore = Double(minScore) - 10
        // llama.cpp's Unigram default <unk> is 2.
        unk = v.unk ?? 2
        charsmap = v.precompiledCharsmap.isEmpty ? nil : try Charsmap(v.precompiledCharsmap)
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        for fragment in specials.partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(id): out.append(id)
            case let .text(bytes): encodeText(normalize(bytes), into: &out)
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    /// llama.cpp's llm_tokenizer_ugm_session::normalize.
    func normalize(_ input: ArraySlice<UInt8>) -> [UInt8] {
        let space: [UInt8] = [0xE2, 0x96, 0x81]
        let prepend = vocabulary.addSpacePrefix, merge = vocabulary.removeExtraWhitespaces
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3)
        var spacePrepended = false, inWord = false
        var i = input.startIndex
        while i < input.endIndex {
            let (replacement, consumed) = normalizePrefix(input, at: i)
            for c in replacement {
                if c != 0x20 {
                    if !inWord {
                        inWord = true
                        if (prepend && !spacePrepended) || merge {
                            out += space
                            spacePrepended = true
                        }
                    }
                    out.append(c)
                } else {
                    inWord = false
                    if !merge { out += space }
                }
            }
            i += consumed
        }
        return out
    }

    func normalizePrefix(_ input: ArraySlice<UInt8>, at start: Int) -> (ArraySlice<UInt8>, Int) {
        let depth = userDefinedTrie.longestPath(input[start...])
        if depth > 0 { return (input[start..<start + depth], depth) }
        if let charsmap, let (replacement, length) = charsmap.longestMatch(input[start...]) { return (replacement, length) }
        let lead = input[start]
        let n = SPMTokenizer.utf8Length(lead)
        var valid = lead < 0x80 || (lead & 0x40 != 0 && lead < 0xF8 && start + n <= input.endIndex)
        if valid && n > 1 { for k in 1..<n where input[start + k] & 0xC0 != 0x80 { valid = false } }
        return valid ? (input[start..<start + n], n) : ([0xEF, 0xBF, 0xBD], 1)
    }

    struct Best {
        var id: Int32
        var start: Int
        var score: Double
    }

    /// Viterbi over normalized bytes.
    func encodeText(_ text: [UInt8], into out: inout [Int32]) {
        let n = text.count
        guard n > 0 else { return }
        var best = [Best](repeating: Best(id: unk, start: 0, score: -.greatestFiniteMagnitude), count: n + 1)
        best[0] = Best(id: unk, start: 0, score: 0)
        var i = 0
        while i < n {
            let charLength = min(SPMTokenizer.utf8Length(text[i]), n - i)
            let base = best[i].score
            var singleCharacterToken = false
            var node = 0
            var end = i
            while end < n, let child = tokenTrie.child(node, text[end]) {
                node = child
                end += 1
                guard let id = tokenTrie.value(node) else { continue }
                if end - i == charLength { singleCharacterToken = true }
                let score = attributes[Int(id)].contains(.userDefined) ? 0 : Double(vocabulary.scores.isEmpty ? 0 : vocabulary.scores[Int(id)])
                if base + score > best[end].score { best[end] = Best(id: id, start: i, score: base + score) }
            }
            if !singleCharacterToken {
                let end = i + charLength
                if base + unknownScore > best[end].score { best[end] = Best(id: unk, start: i, score: base + unknownScore) }
            }
            i += charLength
        }
        var reversed: [Int32] = []
        var previousUnknown = false
        var at = n
        while true {
            let b = best[at]
            let isUnknown = b.id == unk
            if !(previousUnknown && isUnknown) { reversed.append(b.id) }
            if b.start == 0 { break }
            previousUnknown = isUnknown
            at = b.start
        }
        out.append(contentsOf: reversed.reversed())
    }

    public func piece(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.tokens.count else { return [] }
        return SPMTokenizer.piece(vocabulary.tokens[Int(id)], attributes[Int(id)])
    }

    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < vocabulary.tokens.count && vocabulary.type(Int(id)) == .control
    }
}

/// SentencePiece's precompiled charsmap: a uint32 blob size, an XOR-compressed compact double array
/// (XCDA) of that many bytes mapping input prefixes to offsets, then NUL-terminated replacements.
struct Charsmap: Sendable {
    let xcda: [UInt32]
    let replacements: [UInt8]

    init(_ blob: [UInt8]) throws(TokenizerError) {
        guard blob.count >= 4 else { throw .invalidCharsmap("shorter than its 4-byte header") }
        let size = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard size + 4 < blob.count else { throw .invalidCharsmap("XCDA size \(size) exceeds the \(blob.count)-byte blob") }
        var xcda = [UInt32](repeating: 0, count: size / 4)
        for k in xcda.indices {
            let o = 4 + 4 * k
            xcda[k] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        self.xcda = xcda
        replacements = Array(blob[(4 + size)...])
    }

    private func node(_ i: Int) -> UInt32? { i < xcda.count ? xcda[i] : nil }
    private static func base(_ p: UInt32) -> Int { Int((p >> 10) << ((p & (1 << 9)) >> 6)) }

    /// The replacement of the longest input prefix the table maps, and that prefix's length.
    func longestMatch(_ input: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Int)? {
        guard let root = node(0) else { return nil }
        var index = Self.base(root)
        var length = 0, offset = 0
        for (k, c) in input.enumerated() {
            if c == 0 { break }
            index ^= Int(c)
            guard let p = node(index), p & ((1 << 31) | 0xFF) == UInt32(c) else { break }
            let leaf = (p >> 8) & 1 == 1
            index ^= Self.base(p)
            if leaf {
                guard let v = node(index) else { break }
                length = k + 1
                offset = Int(v & ((1 << 31) - 1))
            }
        }
        guard length > 0, offset < replacements.count else { return nil }
        var end = offset
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        guard end < replacements.count else { return nil }
        return (replacements[offset..<end], length)
    }
}
