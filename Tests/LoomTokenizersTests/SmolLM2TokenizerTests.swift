// The default model's tokenizer against Hugging Face's Rust `tokenizers`: Fixtures/tokenizers/
// smollm2-goldens.json holds, for ~60 texts (prose, code, whitespace runs, numbers, emoji, CJK, Arabic,
// apostrophes, special-token text, chat-template output), the ids HF gives with special-token text
// taken as text (ids_plain) and recognized (ids_special), add_special_tokens=False either way.
// Regenerate: .venv/bin/python Scripts/make_tokenizer_goldens.py (tokenizers pinned in
// Scripts/requirements.txt).
//
// The model comes from Scripts/fetch-models.sh; LOOM_REQUIRE_MODELS=1 (make test) requires it.

import Foundation
import LoomTokenizers
import Testing

/// Fixtures/tokenizers/smollm2-goldens.json.
struct SmolLM2Goldens: Decodable {
    struct Case: Decodable {
        let text: String
        let ids_plain: [Int32]
        let ids_special: [Int32]
    }
    let generator: String
    let tokenizers_version: String
    let cases: [Case]

    static func load() throws -> SmolLM2Goldens {
        let data = try Data(contentsOf: URL(fileURLWithPath: TokenizerFixtures.smolLM2Goldens))
        return try JSONDecoder().decode(SmolLM2Goldens.self, from: data)
    }
}

@Suite("SmolLM2 tokenizer vs HF tokenizers",
       .enabled(if: TokenizerFixtures.hasSmolLM2, "run Scripts/fetch-models.sh (make test does)"))
struct SmolLM2TokenizerTests {
    static let maxReported = 12

    @Test("goldens file is well formed")
    func goldensLoad() throws {
        let goldens = try SmolLM2Goldens.load()
        #expect(goldens.cases.count >= 50)
        #expect(goldens.cases.contains { $0.ids_plain != $0.ids_special }, "no case exercises special tokens")
    }

    @Test("encode matches HF: special-token text as text (parseSpecial: false)")
    func plain() throws {
        try compare(parseSpecial: false)
    }

    @Test("encode matches HF: special tokens recognized (parseSpecial: true)")
    func special() throws {
        try compare(parseSpecial: true)
    }

    @Test("decode(encode(x)) == x, with and without special tokens")
    func roundTrip() throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.smolLM2)
        var failures = 0
        for (index, c) in try SmolLM2Goldens.load().cases.enumerated() {
            for parseSpecial in [false, true] {
                let back = tokenizer.decode(tokenizer.encode(c.text, addSpecial: false, parseSpecial: parseSpecial))
                if back != c.text {
                    failures += 1
                    if failures <= Self.maxReported {
                        Issue.record("""
                            case \(index) \(TokenizerFixtures.escaped(c.text)) parseSpecial: \(parseSpecial): \
                            decode(encode(x)) = \(TokenizerFixtures.escaped(back))
                            """)
                    }
                }
            }
        }
        #expect(failures == 0, "\(failures) round trips differ")
    }

    @Test("decode of the reference ids gives the text back")
    func decodeReference() throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.smolLM2)
        for (index, c) in try SmolLM2Goldens.load().cases.enumerated() {
            #expect(tokenizer.decode(c.ids_plain) == c.text, "case \(index) \(TokenizerFixtures.escaped(c.text)) (ids_plain)")
            #expect(tokenizer.decode(c.ids_special) == c.text, "case \(index) \(TokenizerFixtures.escaped(c.text)) (ids_special)")
        }
    }

    @Test("adding special tokens adds nothing (SmolLM2 has add_bos_token = false)")
    func addSpecial() throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.smolLM2)
        let text = "Hello world"
        #expect(tokenizer.encode(text, addSpecial: true, parseSpecial: false)
                == tokenizer.encode(text, addSpecial: false, parseSpecial: false))
        #expect(tokenizer.isControl(1) && tokenizer.isControl(2), "<|im_start|>/<|im_end|> are control tokens")
        #expect(!tokenizer.isControl(19556))
    }

    private func compare(parseSpecial: Bool) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(path: TokenizerFixtures.smolLM2)
        let goldens = try SmolLM2Goldens.load()
        var failures = 0
        for (index, c) in goldens.cases.enumerated() {
            let expected = parseSpecial ? c.ids_special : c.ids_plain
            let actual = tokenizer.encode(c.text, addSpecial: false, parseSpecial: parseSpecial)
            guard actual != expected else { continue }
            failures += 1
            if failures <= Self.maxReported {
                Issue.record("""
                    case \(index) \(TokenizerFixtures.escaped(c.text)) parseSpecial: \(parseSpecial): ids differ; \
                    \(TokenizerFixtures.idDiff(expected: expected, actual: actual)); \
                    expected \(TokenizerFixtures.ids(expected)), actual \(TokenizerFixtures.ids(actual))
                    """)
            }
        }
        #expect(failures == 0, "\(failures) of \(goldens.cases.count) cases differ from HF tokenizers \(goldens.tokenizers_version)")
    }
}
