// Pre-tokenizer regex tests: goldens from Scripts/make_pretokenizer_goldens.py (llama.cpp semantics
// emulated with Python's `regex`), hand-checked splits, a concatenation property over random text,
// pattern-table coverage and syntax errors.

import Foundation
import Testing
@testable import LoomTokenizers

private struct GoldenFile: Decodable {
    struct Split: Decodable { let text: String; let pieces: [String] }
    struct Case: Decodable { let pre: String; let patterns: [String]; let splits: [Split] }
    let cases: [Case]
}

private enum Fixture {
    static let goldens: GoldenFile? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        url.appendPathComponent("Fixtures/tokenizers/pretokenizer-goldens.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(GoldenFile.self, from: data)
    }()
}

private func split(_ text: String, pre: String) throws -> [String] {
    let regexes = try #require(try PreTokenizer.regexes(for: pre))
    return PreTokenizer.split(text, regexes)
}

@Suite("PreTokenizer")
struct PreTokenizerTests {
    @Test("golden splits match the llama.cpp emulation", arguments: Fixture.goldens?.cases.map(\.pre) ?? [])
    func goldens(pre: String) throws {
        let file = try #require(Fixture.goldens)
        let golden = try #require(file.cases.first { $0.pre == pre })
        #expect(PreTokenizer.patterns(for: pre) == golden.patterns)
        let regexes = try golden.patterns.map { try PreTokenizerRegex($0) }
        for item in golden.splits {
            let got = PreTokenizer.split(item.text, regexes)
            #expect(got == item.pieces, "\(pre): \(item.text.debugDescription)")
        }
    }

    @Test func goldenFileIsPresent() throws {
        let file = try #require(Fixture.goldens)
        #expect(file.cases.count >= 9)
    }

    @Test func specificSplits() throws {
        #expect(try split("Hello world", pre: "gpt-2") == ["Hello", " world"])
        #expect(try split("  leading spaces", pre: "llama-bpe") == [" ", " leading", " spaces"])
        #expect(try split("a\n\n\nb", pre: "llama-bpe") == ["a", "\n\n\n", "b"])
        #expect(try split("a\n\n\nb", pre: "gpt-2") == ["a", "\n\n", "\n", "b"])
        #expect(try split("don't", pre: "llama-bpe") == ["don", "'t"])
        #expect(try split("I'M", pre: "llama-bpe") == ["I", "'M"])
        #expect(try split("I'M", pre: "gpt-2") == ["I", "'", "M"])
        #expect(try split("123456789", pre: "llama-bpe") == ["123", "456", "789"])
        #expect(try split("1234567", pre: "llama3") == ["123", "456", "7"])
        #expect(try split("123456789", pre: "smollm") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(try split("🦙🦙", pre: "llama-bpe") == ["🦙🦙"])
        #expect(try split("こんにちは世界", pre: "qwen2") == ["こんにちは世界"])
        #expect(try split("café ß", pre: "gpt-2") == ["café", " ß"])
        #expect(try split("x  y", pre: "gpt-2") == ["x", " ", " y"])
        #expect(try split("ÉCOLE", pre: "tekken") == ["É", "COLE"])  // \p{Lu} collapses to letter
    }

    @Test func customSplitters() throws {
        #expect(try split("a1234567b", pre: "afmoe") == ["a", "1", "234", "567", "b"])
        #expect(try split("1234567", pre: "tiny_aya").prefix(3) == ["1", "234", "567"])
        #expect(try split("中文abc It's 1234", pre: "kimi-k2") == ["中文", "abc", " It's", " ", "123", "4"])
    }

    @Test func everyKnownPreValueCompiles() throws {
        #expect(PreTokenizer.knownPreValues.count > 80)
        for pre in PreTokenizer.knownPreValues {
            let regexes = try #require(try PreTokenizer.regexes(for: pre), "\(pre)")
            #expect(!regexes.isEmpty)
        }
        #expect(PreTokenizer.patterns(for: "no-such-pre") == nil)
        #expect(PreTokenizer.patterns(for: "gpt2") == PreTokenizer.patterns(for: "gpt-2"))
        #expect(PreTokenizer.patterns(for: "phi-2") == PreTokenizer.patterns(for: "gpt-2"))
    }

    @Test(arguments: ["(", "a)", "[a", "a**", "a*?", "*a", "\\p{Xx}", "a{3,2}", "\\q", "(?<n>a)", "(a*)*", "é\\p{L}"])
    func invalidPatternsThrow(pattern: String) {
        #expect(throws: TokenizerError.self) { try PreTokenizerRegex(pattern) }
    }

    @Test func anchorsAndLookaheadsSeeOnlyThePiece() throws {
        let regexes = [try PreTokenizerRegex("[ab]+"), try PreTokenizerRegex("^x|y$|z(?=$)")]
        #expect(PreTokenizer.split("xyaxyz", regexes) == ["x", "y", "a", "x", "y", "z"])
        let words = [try PreTokenizerRegex("\\b\\w")]
        #expect(PreTokenizer.split("ab cd", words) == ["a", "b ", "c", "d"])  // "b" and "d" follow no boundary
    }

    @Test func pathologicalBacktrackingIsBoundedAndExact() throws {
        let spaces = String(repeating: " ", count: 3000)
        let regexes = [try PreTokenizerRegex("\\s+$|a")]
        #expect(PreTokenizer.split(spaces + "a" + spaces + "a  ", regexes) == [spaces, "a", spaces, "a", "  "])
        let deepseek = try #require(try PreTokenizer.regexes(for: "deepseek-llm"))
        #expect(PreTokenizer.split(spaces + "😀  ", deepseek) == [spaces + "😀", "  "])  // as the Python emulation
    }

    @Test func piecesConcatenateToInput() throws {
        let fragments: [String] = [
            "a", "Z", "é", "ß", "e\u{301}", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2028}",
            "\u{85}", "1", "42", "٣", "½", "世", "界", "こ", "한", "🦙", "👩\u{200d}💻", "🏽", "'", "'s", "'LL",
            ".", ",", "!", "$", "€", "—", "…", "(", "]", "\\", "/", "_", "\u{0}", "\u{1f}", "\u{feff}", "\u{E000}",
        ]
        var rng = SplitMix(seed: 0x5EED)
        let pres = ["gpt-2", "llama-bpe", "smollm", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder", "falcon",
                    "gpt-4o", "tekken", "default", "poro-chat", "chameleon", "kimi-k2", "afmoe", "superbpe", "jais-2"]
        let compiled = try pres.map { try #require(try PreTokenizer.regexes(for: $0)) }
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<Int(rng.next() % 24) { text += fragments[Int(rng.next() % UInt64(fragments.count))] }
            let scalars = Array(text.unicodeScalars)
            for regexes in compiled {
                let ranges = PreTokenizer.splitRanges(scalars, regexes)
                var cursor = 0
                for r in ranges {
                    #expect(r.lowerBound == cursor && !r.isEmpty)
                    cursor = r.upperBound
                }
                #expect(cursor == scalars.count)
            }
        }
    }

    @Test func splitsLargeText() throws {
        let line = "The quick brown fox, doesn't it? Jumps over 1234 lazy dogs — naïve café!\n    let x = a[i] + 42;\n"
        let text = Array(String(repeating: line, count: 100_000 / line.utf8.count + 1).unicodeScalars)
        for pre in ["llama-bpe", "gpt-2", "tekken", "deepseek-llm"] {
            let regexes = try #require(try PreTokenizer.regexes(for: pre))
            let clock = ContinuousClock()
            let start = clock.now
            let ranges = PreTokenizer.splitRanges(text, regexes)
            let elapsed = clock.now - start
            #expect(ranges.last?.upperBound == text.count)
            print("pre-tokenizer \(pre): \(text.count) scalars → \(ranges.count) pieces in \(elapsed)")
        }
    }
}

/// SplitMix64: a tiny seeded generator, so random runs are reproducible.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
