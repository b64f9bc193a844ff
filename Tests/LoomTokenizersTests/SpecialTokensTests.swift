// Special-token partitioning on small vocabularies, against what llama.cpp's tokenizer_st_partition
// does by construction: special texts longest first (equal lengths by id), each taking the leftmost
// non-overlapping matches in what the earlier ones left; control only with parseSpecial; LSTRIP /
// RSTRIP eat adjacent whitespace. The real vocabularies are checked in VocabFileTests.

@testable import LoomTokenizers
import Testing

@Suite("special-token partitioning")
struct SpecialTokensTests {
    /// Fragments as strings: text as itself, tokens as "#id".
    static func render(_ fragments: [Fragment]) -> [String] {
        fragments.map {
            switch $0 {
            case let .text(s): return String(decoding: s, as: UTF8.self)
            case let .token(id): return "#\(id)"
            }
        }
    }

    static func partition(_ tokens: [(String, Vocabulary.TokenType)], _ text: String, parseSpecial: Bool = true,
                          name: String = "") -> [String] {
        let v = Vocabulary(model: .spm, tokens: tokens.map(\.0), types: tokens.map(\.1), name: name)
        return render(SpecialTokens(v).partition(Array(text.utf8), parseSpecial: parseSpecial))
    }

    @Test("longer texts first, then equal lengths by id; leftmost non-overlapping matches")
    func order() {
        let t: [(String, Vocabulary.TokenType)] = [("x", .normal), ("ab", .control), ("bc", .control), ("abc", .control), ("aa", .userDefined)]
        #expect(Self.partition(t, "abcbc") == ["#3", "#2"])
        #expect(Self.partition(t, "xabxbcab") == ["x", "#1", "x", "#2", "#1"])
        #expect(Self.partition(t, "zabcz") == ["z", "#3", "z"])
        #expect(Self.partition(t, "aaaaa") == ["#4", "#4", "a"])
        #expect(Self.partition(t, "abab", parseSpecial: false) == ["abab"])
        #expect(Self.partition(t, "aaab", parseSpecial: false) == ["#4", "ab"])
    }

    @Test("end-of-generation texts are control even when typed user-defined or normal")
    func eog() {
        let t: [(String, Vocabulary.TokenType)] = [("a", .normal), ("</s>", .normal), ("<|im_end|>", .userDefined)]
        #expect(Self.partition(t, "a</s>a<|im_end|>", parseSpecial: false) == ["a</s>a<|im_end|>"])
        #expect(Self.partition(t, "a</s>a<|im_end|>") == ["a", "#1", "a", "#2"])
    }

    @Test("Phi-3: special tokens eat the whitespace after them (RSTRIP), <s> and <unk> do not")
    func rstrip() {
        let t: [(String, Vocabulary.TokenType)] = [("<unk>", .unknown), ("<s>", .control), ("<|user|>", .control), ("x", .normal)]
        #expect(Self.partition(t, "x<|user|>  \n x", name: "Phi3") == ["x", "#2", "x"])
        #expect(Self.partition(t, "x<s>  x", name: "Phi3") == ["x", "#1", "  x"])
        #expect(Self.partition(t, "x<|user|>  x") == ["x", "#2", "  x"])
    }
}
