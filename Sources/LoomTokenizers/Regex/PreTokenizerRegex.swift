// One compiled pre-tokenizer pattern, with llama.cpp's choice of how to run it
// (src/unicode.cpp, unicode_regex_split + unicode_regex_split_custom):
//
//   "\p{Han}+"                         → Kimi-K2's hand-written splitter (all K2 rules at once)
//   "\p{AFMoE_digits}", "\d{1,3}(?=(?:\d{3})*\b)" → the AFMoE digit splitter (groups of 3 from the right)
//   the original "(?i:'s|…)" llama3/qwen2 patterns → their "(?:'[sS]|…)" adaptations (same splits)
//   anything else                      → the regex engine; collapsed mode when the pattern contains one
//                                        of \p{N} \p{L} \p{P} \p{M} \p{S} \p{Lu} \p{Ll} \p{Lt} \p{Lm} \p{Lo}
//                                        (then non-ASCII literals are an error, as in llama.cpp),
//                                        code-point mode otherwise (llama.cpp's std::wregex path).
//
// llama.cpp's hand-written gpt2 / llama3 / qwen2 / qwen35 splitters are equivalent to the regex
// semantics of their patterns (checked by PreTokenizerTests), so those run on the engine.

/// A compiled pre-tokenizer regex (see `PreTokenizer.split`).
public struct PreTokenizerRegex: Sendable {
    enum Kind: Sendable {
        case program(RegexProgram)
        case kimiK2
        case afmoeDigits
    }

    /// The pattern as given.
    public let pattern: String
    let kind: Kind

    /// Compiles one pattern; throws `TokenizerError.invalidRegex(pattern:reason:)` on bad or unsupported syntax.
    public init(_ pattern: String) throws(TokenizerError) {
        self.pattern = pattern
        switch pattern {
        case #"\p{Han}+"#:
            kind = .kimiK2
            return
        case #"\p{AFMoE_digits}"#, #"\d{1,3}(?=(?:\d{3})*\b)"#:
            kind = .afmoeDigits
            return
        default:
            break
        }
        let source = Self.caseInsensitiveAdaptations[pattern] ?? pattern
        let collapsed = Self.collapsingProperties.contains { source.contains($0) }
        if collapsed, source.unicodeScalars.contains(where: { !$0.isASCII }) {
            throw .invalidRegex(pattern: pattern, reason: "a pattern with Unicode categories may not contain non-ASCII characters")
        }
        var parser = RegexParser(source)
        let node = try parser.parse()
        kind = .program(try RegexProgram(node, collapsed: collapsed, pattern: pattern))
    }

    /// The category names whose presence makes llama.cpp use its collapsed text.
    static let collapsingProperties = [
        #"\p{N}"#, #"\p{L}"#, #"\p{P}"#, #"\p{M}"#, #"\p{S}"#,
        #"\p{Lu}"#, #"\p{Ll}"#, #"\p{Lt}"#, #"\p{Lm}"#, #"\p{Lo}"#,
    ]

    private static let contractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#
    private static let contractionsI = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)"#

    /// Original tokenizer.json patterns with `(?i:…)` (which std::regex lacks) → llama.cpp's adaptations.
    static let caseInsensitiveAdaptations: [String: String] = {
        let tails = [
            #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
            #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
            #"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
        ]
        var table: [String: String] = [:]
        for tail in tails { table[contractionsI + tail] = contractions + tail }
        return table
    }()
}

/// Splits one piece with a pattern or a custom splitter, appending the pieces to `out`.
struct PieceSplitter {
    var matcher = Matcher()

    mutating func split(_ regex: PreTokenizerRegex, _ input: MatchInput, into out: inout [Range<Int>]) {
        switch regex.kind {
        case let .program(program): matcher.splitPiece(program, input, into: &out)
        case .kimiK2: CustomSplitters.kimiK2(input, into: &out)
        case .afmoeDigits: CustomSplitters.afmoeDigits(input, into: &out)
        }
    }
}
