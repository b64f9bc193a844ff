// WordPiece (BERT), following llama.cpp's llm_tokenizer_wpm_session: normalize (NFD + drop accent
// marks when stripping accents; lower-case), split on whitespace, punctuation, ASCII symbols and CJK
// ideographs (each of those a word of its own), drop \p{C} characters; then for each word, with a
// leading "▁" (llama.cpp's GGUF marks word starts that way instead of "##" on continuations), take
// the longest token at each position; a word with any unmatched position becomes [UNK].

import Foundation  // canonical decomposition (NFD) for accent stripping

/// The WordPiece tokenizer.
public struct WPMTokenizer: Tokenizer {
    public let vocabulary: Vocabulary
    /// By UTF-8 bytes (a String key would match canonically equivalent texts).
    let ids: [[UInt8]: Int32]
    let maxTokenLength: Int
    let specials: SpecialTokens
    let lowercase: Bool
    let stripAccents: Bool

    /// Builds the tokenizer; lower-casing and accent stripping default on, as llama.cpp's.
    public init(_ v: Vocabulary, lowercase: Bool = true, stripAccents: Bool? = nil) throws(TokenizerError) {
        guard !v.tokens.isEmpty else { throw .emptyVocabulary }
        vocabulary = v
        var ids: [[UInt8]: Int32] = [:]
        for (i, t) in v.tokens.enumerated() where ids[Array(t.utf8)] == nil { ids[Array(t.utf8)] = Int32(i) }
        self.ids = ids
        maxTokenLength = v.tokens.map(\.utf8.count).max() ?? 1
        specials = SpecialTokens(v)
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, let cls = vocabulary.cls ?? vocabulary.bos { out.append(cls) }
        for fragment in specials.partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(id): out.append(id)
            case let .text(bytes):
                for word in preprocess(String(decoding: bytes, as: UTF8.self)) { encodeWord(word, into: &out) }
            }
        }
        if addSpecial, let sep = vocabulary.sep ?? vocabulary.eos { out.append(sep) }
        return out
    }

    func encodeWord(_ word: String, into out: inout [Int32]) {
        let w = Array(("▁" + word).utf8)
        let start = out.count
        var i = 0
        while i < w.count {
            var matched = false
            var j = min(w.count, i + maxTokenLength + 1)
            while j > i {
                if let id = ids[Array(w[i..<j])] {
                    out.append(id)
                    matched = true
                    i = j
                    break
                }
                j -= 1
            }
            if !matched {
                out.removeSubrange(start...)
                break
            }
        }
        if out.count == start, let unk = vocabulary.unk { out.append(unk) }
    }

    func preprocess(_ text: String) -> [String] {
        let scalars = stripAccents ? Array(text.decomposedStringWithCanonicalMapping.unicodeScalars) : Array(text.unicodeScalars)
        var words: [String] = [""]
        for c in scalars {
            if UnicodeFlags.isWhitespace(c) {
                if !words[words.count - 1].isEmpty { words.append("") }
                continue
            }
            // llama.cpp drops \p{C}: control, format, surrogate, private use, unassigned.
            switch c.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: continue
            default: break
            }
            if c.value == 0 || c.value == 0xFFFD { continue }
            if stripAccents && UnicodeFlags.isAccentMark(c) { continue }
            let s = lowercase ? Self.lower(c) : String(c)
            if UnicodeFlags.isPunctuation(c) || (c.value < 0x7F && UnicodeFlags.isSymbol(c)) || Self.isChinese(c.value) {
                if !words[words.count - 1].isEmpty { words.append("") }
                words[words.count - 1] = s
                words.append("")
            } else {
                words[words.count - 1] += s
            }
        }
        if words.last?.isEmpty == true { words.removeLast() }
        return words
    }

    /// Simple (one-to-one) lower-casing, as llama.cpp's unicode_tolower.
    static func lower(_ c: Unicode.Scalar) -> String {
        let m = c.properties.lowercaseMapping
        return m.unicodeScalars.count == 1 ? m : String(c)
    }

    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    public func piece(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.tokens.count else { return [] }
        let t = vocabulary.tokens[Int(id)]
        switch vocabulary.type(Int(id)) {
        case .control, .unknown, .userDefined: return Array(t.utf8)
        default: return Array(t.replacingScalar("▁", with: " ").utf8)
        }
    }

    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < vocabulary.tokens.count && vocabulary.type(Int(id)) == .control
    }
}

/// llama.cpp's code-point classes (unicode_cpt_flags), from Unicode general categories.
enum UnicodeFlags {
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
    static func isAccentMark(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }
    static func isSymbol(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return true
        default: return false
        }
    }
}
