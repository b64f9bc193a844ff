// Tokenizers.make: the tokenizer a vocabulary's model asks for, after checking the vocabulary.

/// Builds tokenizers from vocabularies.
public enum Tokenizers {
    /// The tokenizer for `vocabulary.model`; throws for malformed vocabularies.
    public static func make(_ vocabulary: Vocabulary) throws(TokenizerError) -> any Tokenizer {
        let v = vocabulary
        guard !v.tokens.isEmpty else { throw .emptyVocabulary }
        guard (v.scores.isEmpty || v.scores.count == v.tokens.count) && (v.types.isEmpty || v.types.count == v.tokens.count) else {
            throw .inconsistentLengths(tokens: v.tokens.count, scores: v.scores.count, types: v.types.count)
        }
        for (name, id) in [("bos", v.bos), ("eos", v.eos), ("eot", v.eot), ("unk", v.unk), ("sep", v.sep),
                           ("pad", v.pad), ("cls", v.cls), ("mask", v.mask)] {
            if let id, id < 0 || Int(id) >= v.tokens.count {
                throw .specialTokenOutOfRange(name: name, id: id, count: v.tokens.count)
            }
        }
        switch v.model {
        case .bpe, .gemma4: return try BPETokenizer(v)
        case .ugm: return try UGMTokenizer(v)
        case .spm: return try SPMTokenizer(v)
        case .wpm: return try WPMTokenizer(v)
        }
    }
}
