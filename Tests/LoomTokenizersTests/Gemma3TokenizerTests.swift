// Gemma 3's tokenizer against llama.cpp: Fixtures/tokenizers/gemma3-goldens.json holds, for ~30 texts
// (chat turns with <start_of_turn>/<end_of_turn>, code with indentation, space/tab/newline runs —
// Gemma 3 has user-defined tokens for them —, digits, many scripts, emoji, HTML tags that are
// user-defined tokens, special-token texts), what libllama gives: ids with BOS and special tokens
// parsed (the prompt path), ids with neither, and the concatenated pieces of the first.
// Regenerate: .venv/bin/python Scripts/make_gemma3_tokenizer_goldens.py.
//
// The model comes from Scripts/fetch-models.sh; LOOM_REQUIRE_MODELS=1 (make test) requires it.

import Foundation
import LoomTokenizers
import Testing

/// Fixtures/tokenizers/gemma3-goldens.json.
struct Gemma3Goldens: Decodable {
    struct Case: Decodable {
        let text: String
        /// add_special true, parse_special true.
        let ids: [Int32]
        /// add_special false, parse_special false.
        let ids_plain: [Int32]
        /// llama_token_to_piece(special: true) of `ids`, concatenated.
        let pieces: String
        /// llama_detokenize(ids, remove_special: false, unparse_special: true).
        let detokenized: String
    }
    let generator: String
    let cases: [Case]

    static func load() throws -> Gemma3Goldens {
        let data = try Data(contentsOf: URL(fileURLWithPath: TokenizerFixtures.gemma3Goldens))
        return try JSONDecoder().decode(Gemma3Goldens.self, from: data)
    }
}

@Suite("Gemma 3 tokenizer vs llama.cpp",
       .enabled(if: TokenizerFixtures.hasGemma3, "run Scripts/fetch-models.sh (make test does)"))
struct Gemma3TokenizerTests {
    static let maxReported = 12

    @Test("the vocabulary is Gemma 3's")
    func vocabulary() throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.gemma3)
        let v = tokenizer.vocabulary
        #expect(v.model == .spm && v.tokens.count == 262_144 && !v.addSpacePrefix && v.addBOS)
        #expect(v.tokens[105] == "<start_of_turn>" && v.tokens[106] == "<end_of_turn>")
        #expect(try Gemma3Goldens.load().cases.count >= 30)
    }

    @Test("prompt path: encode(addSpecial: true, parseSpecial: true) matches llama.cpp")
    func prompt() throws {
        try compare { $0.ids } encode: { $0.encode($1, addSpecial: true, parseSpecial: true) }
    }

    @Test("plain: encode(addSpecial: false, parseSpecial: false) matches llama.cpp")
    func plain() throws {
        try compare { $0.ids_plain } encode: { $0.encode($1, addSpecial: false, parseSpecial: false) }
    }

    @Test("decode gives llama.cpp's pieces and detokenized text")
    func decode() throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.gemma3)
        for (index, c) in try Gemma3Goldens.load().cases.enumerated() {
            let text = tokenizer.decode(c.ids)
            #expect(text == c.pieces, "case \(index) \(TokenizerFixtures.escaped(c.text)): \(TokenizerFixtures.escaped(text))")
            #expect(text == c.detokenized, "case \(index): decode differs from llama_detokenize")
            #expect(tokenizer.decode(c.ids_plain) == c.text, "case \(index): decode(ids_plain) is not the text")
        }
    }

    private func compare(_ expected: (Gemma3Goldens.Case) -> [Int32],
                         encode: (any Tokenizer, String) -> [Int32]) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.gemma3)
        let goldens = try Gemma3Goldens.load()
        var failures = 0
        for (index, c) in goldens.cases.enumerated() {
            let want = expected(c), actual = encode(tokenizer, c.text)
            guard actual != want else { continue }
            failures += 1
            if failures <= Self.maxReported {
                Issue.record("""
                    case \(index) \(TokenizerFixtures.escaped(c.text)): ids differ; \
                    \(TokenizerFixtures.idDiff(expected: want, actual: actual)); \
                    expected \(TokenizerFixtures.ids(want)), actual \(TokenizerFixtures.ids(actual))
                    """)
            }
        }
        #expect(failures == 0, "\(failures) of \(goldens.cases.count) cases differ from llama.cpp")
    }
}
