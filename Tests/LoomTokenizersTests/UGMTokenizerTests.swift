// The Unigram tokenizer on a small T5-style vocabulary (add_space_prefix, remove_extra_whitespaces,
// no charsmap), with ids worked out by hand from llama.cpp's llm_tokenizer_ugm_session: Viterbi by
// summed scores, <unk> at (lowest normal score − 10) per uncovered character, consecutive <unk>s
// merged, special tokens partitioned out first. The real-vocabulary checks (nomic-bert-moe, with a
// precompiled charsmap) are in VocabFileTests.

import LoomTokenizers
import Testing

@Suite("Unigram tokenizer")
struct UGMTokenizerTests {
    static func vocabulary() -> Vocabulary {
        let entries: [(String, Float, Vocabulary.TokenType)] = [
            ("<pad>", 0, .control), ("</s>", 0, .control), ("<unk>", 0, .unknown),
            ("▁", -2, .normal), ("▁a", -1, .normal), ("b", -3, .normal), ("ab", -1.5, .normal),
            ("▁ab", -5, .normal), ("a", -2.5, .normal), ("<u>", -100, .userDefined), ("c", -4, .normal),
        ]
        return Vocabulary(model: .ugm, tokens: entries.map(\.0), scores: entries.map(\.1), types: entries.map(\.2),
                          eos: 1, unk: 2, pad: 0, addEOS: true, addSpacePrefix: true, removeExtraWhitespaces: true)
    }

    let tokenizer: any Tokenizer

    init() throws { tokenizer = try Tokenizers.make(Self.vocabulary()) }

    func ids(_ text: String, special: Bool = false) -> [Int32] {
        tokenizer.encode(text, addSpecial: false, parseSpecial: special)
    }

    @Test("Viterbi picks the best total score, not the longest first token")
    func viterbi() {
        // "▁ab": ▁ + ab = -3.5 beats ▁ab = -5 and ▁a + b = -4
        #expect(ids("ab") == [3, 6])
        // "▁a▁b" (runs collapsed)
        #expect(ids("a  b") == [4, 3, 5])
        #expect(ids("  a   b  ") == [4, 3, 5])
    }

    @Test("uncovered characters become one <unk> per run")
    func unknown() {
        #expect(ids("ad") == [4, 2])
        #expect(ids("addd") == [4, 2])
        #expect(ids("adcd") == [4, 2, 10, 2])
    }

    @Test("user-defined tokens are cut out first, and each fragment gets its own space prefix")
    func userDefined() {
        #expect(ids("a<u>b") == [4, 9, 3, 5])
    }

    @Test("control tokens only with parseSpecial; EOS with addSpecial")
    func control() {
        #expect(ids("</s>") == [3, 2])
        #expect(ids("</s>", special: true) == [1])
        #expect(tokenizer.encode("ab", addSpecial: true, parseSpecial: false) == [3, 6, 1])
        #expect(ids("   ").isEmpty && ids("").isEmpty)
    }

    @Test("pieces: ▁ as space, control and unknown as their text")
    func pieces() {
        #expect(tokenizer.decode([4, 3, 5]) == " a b")
        #expect(tokenizer.decode([1, 2]) == "</s><unk>")
        #expect(tokenizer.decode([1], skipControl: true) == "")
    }
}
