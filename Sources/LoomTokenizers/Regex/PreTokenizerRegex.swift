// TEMPORARY placeholder until the pre-tokenizer regex engine lands (same API): splits nothing.
// Byte-level BPE output is wrong with it; the vocabulary tests say so.

/// A compiled pre-tokenizer pattern (placeholder).
public struct PreTokenizerRegex: Sendable {
    /// Compiles `pattern` (placeholder: accepts anything).
    public init(_ pattern: String) throws(TokenizerError) {}
}

/// Pre-tokenizer pattern lists and splitting (placeholder).
public enum PreTokenizer {
    /// The patterns for a `tokenizer.ggml.pre` value (placeholder: none).
    public static func patterns(for pre: String) -> [String]? { [] }
    /// Splits `text` (placeholder: one piece).
    public static func split(_ text: [Unicode.Scalar], _ regexes: [PreTokenizerRegex]) -> [ArraySlice<Unicode.Scalar>] {
        text.isEmpty ? [] : [text[...]]
    }
}
