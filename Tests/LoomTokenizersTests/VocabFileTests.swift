// llama.cpp's tokenizer acceptance tests (tests/test-tokenizer-0.cpp, llama.cpp as vendored by
// llama-cpp-python 0.3.36), run against Loom's tokenizers on the same vocab-only GGUF files.
//
// What test-tokenizer-0 does, and so what this does:
//   - every .inp string is encoded with add_special = false and parse_special = false
//     (common_tokenize(ctx, text, false, false)); the input is NOT trimmed, the .out line is
//     (string_strip), and the ids must match exactly (same count, same ids, same order);
//   - the .out ids come from HF transformers, tokenizer.encode(text, add_special_tokens=False)
//     (convert_hf_to_gguf_update.py);
//   - it prints the detokenized result but does not check a round trip.
// The round trip is checked here where it holds for the reference (see `roundTrip`). Loom's `decode`
// concatenates the tokens' pieces, which llama.cpp's llama_token_to_piece(lstrip: 0, special: true)
// gives too; with libllama built from the same sdist, concatenated pieces of the reference ids are:
//   - byte-level BPE (all 13 gpt2-model vocabs, aquila and gpt-neox included) and gemma4 (gemma-4):
//     exactly the input, every case;
//   - SentencePiece with add_space_prefix (llama-spm, phi-3, baichuan): " " + input, except "" → "" (the
//     prefix "▁" is only added to non-empty text); llama_detokenize drops that leading space,
//     Loom's `decode` keeps pieces verbatim;
//   - WordPiece (bert-bge: lower-cases, strips accents, drops whitespace) and Unigram (nomic-bert-moe:
//     charsmap normalization, collapsed whitespace): not reversible, not checked.
// (llama_detokenize itself is not a round trip for vocabs with clean_spaces — gpt-2, llama-bpe,
// starcoder, falcon, mpt, refact lose " ?"-style spaces in cases 32 and 45 — so it is not the reference.)
// llama.cpp 0.3.36 passes every case of all 15 vocab files with these flags (and
// `Scripts/make_vocab_goldens.py --check` confirms libllama of .cache/llama-cpp/build reproduces every
// shipped .out, the instrument check for the goldens of the 4 vocab files without test files:
// aquila, baichuan, gpt-neox, nomic-bert-moe).
//
// Special tokens (parse_special false and true; test-tokenizer-0 never sets it) are checked against
// libllama's ids for texts around each vocabulary's special-token texts (`specialTokens`).
//
// Files: Scripts/fetch-llama-cpp-data.sh (make test runs it; LOOM_REQUIRE_MODELS=1 turns a missing
// file into a failure); Fixtures/tokenizers/llama-cpp-vocab (Scripts/make_vocab_goldens.py).

import Foundation
import LoomTokenizers
import Testing

@Suite("llama.cpp vocab files")
struct VocabFileTests {
    /// The vocabularies Loom must tokenize exactly like llama.cpp (and HF) does: all 15 of llama.cpp's
    /// models/ggml-vocab-*.gguf that ship .inp/.out files …
    static let required = [
        "llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3", "bert-bge",
        "starcoder", "deepseek-llm", "deepseek-coder", "falcon",
        "command-r", "mpt", "qwen35", "refact", "gemma-4",
    ]

    /// … and the 4 that ship without: their .out files were made by libllama itself
    /// (Scripts/make_vocab_goldens.py) over llama-spm's .inp and live in Fixtures/tokenizers/llama-cpp-vocab.
    static let measured = ["aquila", "baichuan", "gpt-neox", "nomic-bert-moe"]

    /// Every vocab file: special-token goldens (Fixtures/tokenizers/llama-cpp-vocab/special-<name>.json).
    static let all = required + measured

    @Test("ids match llama.cpp's test-tokenizer-0",
          .enabled(if: TokenizerFixtures.hasLlamaCppVocabs, "run Scripts/fetch-llama-cpp-data.sh (make test does)"),
          arguments: required)
    func requiredVocab(_ name: String) throws {
        try Self.check(name)
    }

    @Test("ids match libllama on the vocab files without test files",
          .enabled(if: TokenizerFixtures.hasLlamaCppVocabs, "run Scripts/fetch-llama-cpp-data.sh (make test does)"),
          arguments: measured)
    func measuredVocab(_ name: String) throws {
        try Self.check(name, testFiles: TokenizerFixtures.measuredVocabs + "/ggml-vocab-\(name).gguf")
    }

    @Test("special-token texts: ids match libllama with parseSpecial false and true, and so do the pieces",
          .enabled(if: TokenizerFixtures.hasLlamaCppVocabs, "run Scripts/fetch-llama-cpp-data.sh (make test does)"),
          arguments: all)
    func specialTokens(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.vocabPath(name))
        let goldens = try SpecialGoldens.load(name)
        #expect(goldens.cases.count >= 5)
        var failures = 0
        for (index, c) in goldens.cases.enumerated() {
            for (ids, hex) in [(c.plain, c.plain_pieces), (c.special, c.special_pieces)] {
                let pieces = ids.flatMap { tokenizer.piece($0) }
                #expect(pieces == TokenizerFixtures.bytes(hex: hex),
                        "\(name) special case \(index): pieces of \(TokenizerFixtures.ids(ids)) differ from llama_token_to_piece's")
            }
            for (parseSpecial, expected) in [(false, c.plain), (true, c.special)] {
                let actual = tokenizer.encode(c.text, addSpecial: false, parseSpecial: parseSpecial)
                guard actual != expected else { continue }
                failures += 1
                if failures <= Self.maxReported {
                    Issue.record("""
                        \(name) special case \(index) \(TokenizerFixtures.escaped(c.text)) parseSpecial: \(parseSpecial): \
                        \(TokenizerFixtures.idDiff(expected: expected, actual: actual)); \
                        expected \(TokenizerFixtures.ids(expected)), actual \(TokenizerFixtures.ids(actual))
                        """)
                }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(2 * goldens.cases.count) special-token encodings differ")
    }

    /// How decode(encode(x)) relates to x for a vocabulary, per the reference.
    enum RoundTrip { case exact, spacePrefixed, unchecked }

    static func roundTrip(_ vocabulary: Vocabulary) -> RoundTrip {
        switch vocabulary.model {
        case .bpe, .gemma4: return .exact
        case .spm: return vocabulary.addSpacePrefix ? .spacePrefixed : .exact
        // WordPiece and Unigram normalize (case, accents, NFKC, whitespace runs): not reversible.
        case .wpm, .ugm: return .unchecked
        }
    }

    /// At most this many failing cases are reported per vocabulary (then a count).
    static let maxReported = 12

    static func check(_ name: String, testFiles: String? = nil) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.vocabPath(name))
        let cases = try TokenizerFixtures.vocabCases(name, base: testFiles)
        #expect(!cases.isEmpty, "\(name): no test cases")
        let rule = roundTrip(tokenizer.vocabulary)
        var idFailures = 0, tripFailures = 0
        for c in cases {
            let actual = tokenizer.encode(c.text, addSpecial: false, parseSpecial: false)
            if actual != c.expected {
                idFailures += 1
                if idFailures <= maxReported {
                    Issue.record("""
                        \(name) case \(c.index) \(TokenizerFixtures.escaped(c.text)): ids differ; \
                        \(TokenizerFixtures.idDiff(expected: c.expected, actual: actual)); \
                        expected \(TokenizerFixtures.ids(c.expected)), actual \(TokenizerFixtures.ids(actual))
                        """)
                }
            }
            let want: String
            switch rule {
            case .exact: want = c.text
            case .spacePrefixed: want = c.text.isEmpty ? "" : " " + c.text
            case .unchecked: continue
            }
            let back = tokenizer.decode(actual)
            if back != want {
                tripFailures += 1
                if tripFailures <= maxReported {
                    Issue.record("""
                        \(name) case \(c.index) \(TokenizerFixtures.escaped(c.text)): decode(encode(x)) = \
                        \(TokenizerFixtures.escaped(back)), expected \(TokenizerFixtures.escaped(want)) (\(rule))
                        """)
                }
            }
        }
        #expect(idFailures == 0, "\(name): \(idFailures) of \(cases.count) cases give different ids")
        #expect(tripFailures == 0, "\(name): \(tripFailures) of \(cases.count) cases do not round-trip")
    }
}

@Suite("llama.cpp vocab file reader")
struct VocabFileReaderTests {
    @Test func splitsLikeTestTokenizer0() {
        let raw = Array("a\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n b \n__ggml_vocab_test__\ntail".utf8)
        let pieces = TokenizerFixtures.splitInputs(raw).map { String(decoding: $0, as: UTF8.self) }
        #expect(pieces == ["a", "", " b ", "tail"])
        let exact = Array("x\n__ggml_vocab_test__\n".utf8)
        #expect(TokenizerFixtures.splitInputs(exact).count == 1)
    }

    @Test func linesAndStrip() {
        #expect(TokenizerFixtures.splitLines(Array(" 1 2\n\n 3\n".utf8)).count == 3)
        #expect(TokenizerFixtures.splitLines(Array(" 1 2\n 3".utf8)).count == 2)
        #expect(String(decoding: TokenizerFixtures.strip(Array(" \t 12 34 \r".utf8)), as: UTF8.self) == "12 34")
    }
}
