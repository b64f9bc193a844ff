// The streaming decoder: over random token sequences of a byte-level vocabulary that splits
// multi-byte characters across tokens, the chunks concatenate to the full decode and every chunk
// is valid UTF-8 that never ends inside a character. Plus malformed vocabularies.

import Testing
@testable import LoomTokenizers

@Suite("streaming decoder and vocabulary checks")
struct StreamingDecoderTests {
    /// A byte-level "vocabulary": one token per byte (so every multi-byte character is split), plus
    /// a few whole-character tokens and a control token.
    static func byteVocabulary() -> Vocabulary {
        var tokens = (0..<256).map { ByteLevel.text(of: [UInt8($0)]) }
        tokens += [ByteLevel.text(of: Array("é".utf8)), ByteLevel.text(of: Array("🦙".utf8)), "<|im_end|>"]
        var types = [Vocabulary.TokenType](repeating: .normal, count: tokens.count)
        types[tokens.count - 1] = .control
        return Vocabulary(model: .bpe, tokens: tokens, types: types, merges: ["a b"])
    }

    @Test("chunks are valid UTF-8 and concatenate to the full decode")
    func property() throws {
        let tokenizer = try Tokenizers.make(Self.byteVocabulary())
        let samples = ["héllo wörld", "🦙🦙 emoji 👨‍👩‍👧", "日本語のテキスト", "mixed 中文 and عربى", "\u{1F600}x\u{10FFFF}"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            // Each character as its UTF-8 bytes (one token each), with whole-character and control
            // tokens inserted at random character boundaries.
            var ids: [Int32] = []
            for c in samples[round % samples.count].unicodeScalars {
                if Int.random(in: 0..<4, using: &rng) == 0 { ids.append(Int32.random(in: 256...258, using: &rng)) }
                for b in String(c).utf8 { ids.append(Int32(b)) }
            }
            var decoder = StreamingDecoder(tokenizer)
            var chunks: [String] = []
            for id in ids { chunks.append(decoder.push(id)) }
            chunks.append(decoder.flush())
            #expect(chunks.joined() == tokenizer.decode(ids))
            for c in chunks where !c.isEmpty {
                #expect(!c.unicodeScalars.contains("\u{FFFD}"), "chunk split a character: \(c.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }

    @Test("an incomplete character is held back, then emitted whole")
    func holdBack() throws {
        let tokenizer = try Tokenizers.make(Self.byteVocabulary())
        var decoder = StreamingDecoder(tokenizer)
        let bytes = Array("🦙".utf8).map { Int32($0) }
        #expect(decoder.push(bytes[0]) == "")
        #expect(decoder.push(bytes[1]) == "")
        #expect(decoder.push(bytes[2]) == "")
        #expect(decoder.push(bytes[3]) == "🦙")
        #expect(decoder.push(Int32(UInt8(ascii: "a"))) == "a")
        #expect(decoder.push(0xC3) == "")
        #expect(decoder.flush() == "\u{FFFD}")
    }

    @Test("malformed vocabularies throw typed errors")
    func malformed() {
        #expect(throws: TokenizerError.emptyVocabulary) { try Tokenizers.make(Vocabulary(model: .spm, tokens: [])) }
        #expect(throws: TokenizerError.specialTokenOutOfRange(name: "bos", id: 7, count: 2)) {
            try Tokenizers.make(Vocabulary(model: .spm, tokens: ["a", "b"], bos: 7))
        }
        #expect(throws: TokenizerError.missingMerges) { try Tokenizers.make(Vocabulary(model: .bpe, tokens: ["a", "b"])) }
        #expect(throws: TokenizerError.inconsistentLengths(tokens: 2, scores: 1, types: 0)) {
            try Tokenizers.make(Vocabulary(model: .spm, tokens: ["a", "b"], scores: [1]))
        }
        #expect(throws: TokenizerError.invalidMerge(index: 0, merge: "ab")) {
            try Tokenizers.make(Vocabulary(model: .bpe, tokens: ["a", "b"], merges: ["ab"]))
        }
    }
}

@Suite("pre-tokenizer fallback")
struct PreFallbackTests {
    @Test("an unknown tokenizer.ggml.pre falls back to llama.cpp's default patterns and says so")
    func unknownPre() throws {
        let tokens = ["a", "b", "ab", "Ġ"]
        let known = try BPETokenizer(Vocabulary(model: .bpe, pre: "default", tokens: tokens, merges: ["a b"]))
        let unknown = try BPETokenizer(Vocabulary(model: .bpe, pre: "no-such-pre", tokens: tokens, merges: ["a b"]))
        #expect(known.warnings.isEmpty)
        #expect(unknown.warnings.count == 1 && unknown.warnings[0].contains("no-such-pre"))
        #expect(unknown.encode("ab a", addSpecial: false, parseSpecial: false) == known.encode("ab a", addSpecial: false, parseSpecial: false))
    }
}
