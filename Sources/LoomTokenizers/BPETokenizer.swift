// Byte-level BPE (GPT-2 style), following llama.cpp's llm_tokenizer_bpe_session:
//   special tokens partitioned out → each text fragment split by the pre-tokenizer regexes of
//   `tokenizer.ggml.pre` → each word's UTF-8 bytes mapped to byte-level characters → (if the
//   vocabulary sets ignore_merges and the whole word is a token: that token) → merges applied by
//   rank from a priority queue (lowest rank first, leftmost on ties) → each final symbol's id, or
//   its single bytes' ids when the symbol is not in the vocabulary. Texts are compared as UTF-8 bytes
//   (String keys would match canonically equivalent texts).
// The gemma4 model (llama.cpp: BPE with pre-tokenizer "gemma4") is the same loop on raw UTF-8: spaces
// become "▁" first, the text is split only into newline runs and the rest ("[^\n]+|[\n]+"), a
// newline run that is a token stays whole, and a final symbol that is no token falls back to its
// bytes' <0xXX> tokens.

/// The byte-level BPE tokenizer.
public struct BPETokenizer: Tokenizer {
    public let vocabulary: Vocabulary
    let ids: [[UInt8]: Int32]
    /// Merge rank by "left right" bytes.
    let ranks: [[UInt8]: Int]
    let regexes: [PreTokenizerRegex]
    let specials: SpecialTokens
    let ignoreMerges: Bool
    /// GPT-2 byte-to-unicode mapping of the words (false for gemma4: raw UTF-8).
    let byteEncode: Bool
    /// " " → "▁" before splitting (gemma4).
    let escapeWhitespaces: Bool
    /// Whole newline runs that are tokens are not merged (gemma4).
    let wholeNewlines: Bool
    let attributes: [TokenAttributes]
    /// Byte fallback ids (raw-UTF-8 mode: the <0xXX> tokens).
    let byteTokens: [Int32?]
    /// Problems found while building that did not stop it (e.g. an unknown `tokenizer.ggml.pre`).
    public let warnings: [String]

    /// Pre-tokenizer values whose tokenizers skip merges for words that are whole tokens (llama.cpp).
    static let ignoreMergesPre: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                                               "midm-2.0", "lfm2", "jina-v5-nano", "minicpm5", "youtu", "glm4", "glm5",
                                               "tekken", "kanana2", "talkie", "granite-embed-multi-97m"]

    /// Builds the tokenizer. An unknown `pre` value uses llama.cpp's `default` pattern list (the
    /// one llama.cpp uses for a missing value) and is reported in `warnings`.
    public init(_ v: Vocabulary) throws(TokenizerError) {
        guard !v.tokens.isEmpty else { throw .emptyVocabulary }
        guard !v.merges.isEmpty else { throw .missingMerges }
        vocabulary = v
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(v.tokens.count)
        for (i, t) in v.tokens.enumerated() where ids[Array(t.utf8)] == nil { ids[Array(t.utf8)] = Int32(i) }
        self.ids = ids
        var ranks: [[UInt8]: Int] = [:]
        ranks.reserveCapacity(v.merges.count)
        for (i, m) in v.merges.enumerated() {
            guard m.unicodeScalars.contains(" ") else { throw .invalidMerge(index: i, merge: m) }
            if ranks[Array(m.utf8)] == nil { ranks[Array(m.utf8)] = i }
        }
        self.ranks = ranks
        var warnings: [String] = []
        let known = PreTokenizer.patterns(for: v.pre)
        if known == nil {
            warnings.append("unknown tokenizer.ggml.pre '\(v.pre)': using llama.cpp's default pre-tokenizer")
        }
        self.warnings = warnings
        let patterns = known ?? PreTokenizer.patterns(for: "default") ?? []
        var regexes: [PreTokenizerRegex] = []
        for p in patterns { regexes.append(try PreTokenizerRegex(p)) }
        self.regexes = regexes
        let attributes = v.llamaAttributes()
        self.attributes = attributes
        specials = SpecialTokens(v, attributes: attributes)
        ignoreMerges = Self.ignoreMergesPre.contains(v.pre)
        let spmStyle = v.model == .gemma4 || v.pre == "gemma4" || v.pre == "granite-embed-multi-311m"
        byteEncode = !spmStyle
        escapeWhitespaces = spmStyle
        wholeNewlines = spmStyle
        byteTokens = (0..<256).map { b in
            if spmStyle { return ids[Array(SPMTokenizer.byteTokenText(UInt8(b)).utf8)] }
            return ids[[UInt8(b)]]
        }
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        for fragment in specials.partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(id): out.append(id)
            case let .text(bytes): encodeText(String(decoding: bytes, as: UTF8.self), into: &out)
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    func encodeText(_ text: String, into out: inout [Int32]) {
        let scalars = escapeWhitespaces ? text.unicodeScalars.map { $0 == " " ? "▁" : $0 } : Array(text.unicodeScalars)
        for piece in PreTokenizer.split(scalars, regexes) {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: piece)
            encodeWord(byteEncode ? ByteLevel.text(of: String(s).utf8) : String(s), into: &out)
        }
    }

    /// One pre-tokenized word (already byte-level text) → ids.
    func encodeWord(_ word: String, into out: inout [Int32]) {
        let bytes = Array(word.utf8)
        if ignoreMerges, let id = ids[bytes] { out.append(id); return }
        if wholeNewlines, bytes.allSatisfy({ $0 == 0x0A }), let id = ids[bytes] { out.append(id); return }
        // Symbols: one per UTF-8 character.
        var symbols: [[UInt8]] = []
        var k = 0
        while k < bytes.count {
            let n = min(SPMTokenizer.utf8Length(bytes[k]), bytes.count - k)
            symbols.append(Array(bytes[k..<k + n]))
            k += n
        }
        guard symbols.count > 1 else {
            emit(symbols, into: &out)
            return
        }
        var prev = Array(-1..<(symbols.count - 1))
        var next = Array(1...symbols.count)
        next[symbols.count - 1] = -1
        // llama.cpp's llm_bigram_bpe order: lowest rank first, leftmost on ties.
        var heap = Heap<Bigram> { a, b in a.rank != b.rank ? a.rank < b.rank : a.left < b.left }
        func add(_ l: Int, _ r: Int) {
            guard l >= 0, r >= 0, let rank = ranks[symbols[l] + [0x20] + symbols[r]] else { return }
            heap.push(Bigram(rank: rank, left: l, right: r, text: symbols[l] + symbols[r]))
        }
        for i in 1..<symbols.count { add(i - 1, i) }
        while let b = heap.pop() {
            let l = b.left, r = b.right
            guard !symbols[l].isEmpty, !symbols[r].isEmpty, next[l] == r, symbols[l] + symbols[r] == b.text else { continue }
            symbols[l] = b.text
            symbols[r] = []
            next[l] = next[r]
            if next[r] >= 0 { prev[next[r]] = l }
            add(prev[l], l)
            add(l, next[l])
        }
        emit(symbols.filter { !$0.isEmpty }, into: &out)
    }

    func emit(_ symbols: [[UInt8]], into out: inout [Int32]) {
        for s in symbols {
            if let id = ids[s] {
                out.append(id)
            } else {
                for b in s { if let id = byteTokens[Int(b)] { out.append(id) } }
            }
        }
    }

    public func piece(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.tokens.count else { return [] }
        let t = vocabulary.tokens[Int(id)]
        let a = attributes[Int(id)]
        if !a.isDisjoint(with: .special) { return Array(t.utf8) }
        if a.contains(.normal) { return escapeWhitespaces ? Array(t.replacingScalar("▁", with: " ").utf8) : ByteLevel.bytes(of: t) }
        if a.contains(.byte) { return SPMTokenizer.byteValue(t).map { [$0] } ?? [] }
        return []
    }

    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < vocabulary.tokens.count && vocabulary.type(Int(id)) == .control
    }
}

/// A candidate merge.
struct Bigram {
    var rank: Int
    var left: Int
    var right: Int
    var text: [UInt8]
}

/// A binary heap ordered by `before` (the first element is the one that comes before all others).
struct Heap<Element> {
    var items: [Element] = []
    let before: (Element, Element) -> Bool

    init(before: @escaping (Element, Element) -> Bool) { self.before = before }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && before(items[l], items[m]) { m = l }
            if r < items.count && before(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
