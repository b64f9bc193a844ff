// TokenizerError: a vocabulary or pattern a tokenizer cannot be built from.

/// A typed error from building a tokenizer.
public enum TokenizerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A pre-tokenizer pattern does not compile.
    case invalidRegex(pattern: String, reason: String)
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// A special token id is outside the vocabulary.
    case specialTokenOutOfRange(name: String, id: Int32, count: Int)
    /// tokens, scores and types disagree in length.
    case inconsistentLengths(tokens: Int, scores: Int, types: Int)
    /// A merge is not "left right" with both sides in the vocabulary.
    case invalidMerge(index: Int, merge: String)
    /// A byte-level BPE vocabulary without merges.
    case missingMerges
    /// A Unigram vocabulary's precompiled charsmap is malformed.
    case invalidCharsmap(String)

    /// One sentence.
    public var description: String {
        switch self {
        case let .invalidRegex(pattern, reason): return "invalid pre-tokenizer pattern \(pattern): \(reason)"
        case .emptyVocabulary: return "the vocabulary has no tokens"
        case let .specialTokenOutOfRange(name, id, count): return "special token \(name) = \(id) is outside the \(count)-token vocabulary"
        case let .inconsistentLengths(t, s, ty): return "vocabulary arrays disagree: \(t) tokens, \(s) scores, \(ty) types"
        case let .invalidMerge(index, merge): return "merge #\(index) '\(merge)' is not two tokens of the vocabulary"
        case .missingMerges: return "a byte-level BPE vocabulary needs tokenizer.ggml.merges"
        case let .invalidCharsmap(reason): return "invalid tokenizer.ggml.precompiled_charsmap: \(reason)"
        }
    }
}
