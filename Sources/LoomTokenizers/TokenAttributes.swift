// Token attributes as llama.cpp's llama_vocab::impl::load leaves them (LLAMA_TOKEN_ATTR_*): the GGUF
// token type, then llama.cpp's overrides by token text and model name, which decide which texts
// tokenizer_st_partition cuts out of the input and how tokens render:
//   1. type → attribute (normal, unknown, control, user-defined, unused, byte; anything else undefined)
//   2. FIM texts (<|fim_prefix|>, <PRE>, …) gain CONTROL when the GGUF names no token for that role
//   3. control tokens whose text contains "unused" gain UNUSED
//   4. end-of-generation texts (<|endoftext|>, </s>, <end_of_turn>, <|im_end|>, …) gain CONTROL
//      (so a user-defined or even normal "</s>" becomes a special token when parse_special is set)
//   5. gpt-oss: <|channel|> <|message|> <|start|> <|constrain|> become USER_DEFINED; with <|return|>
//      and <|call|> (or <|calls|> and <|flush|>) also end-of-generation, <|end|> becomes USER_DEFINED
//   6. gemma4 / plamo2 (<|tool_response>/<|plamo:eos|> present): "</s>" becomes NORMAL
//   7. LSTRIP/RSTRIP: "<mask>" LSTRIP for jina-v2-{de,es,code} pre and nomic-bert-moe / jina-bert-v3
//      architectures; every special token RSTRIP (but <unk> <s> <|endoftext|>, and </s> RSTRIP) when
//      general.name contains phi-3/phi3; "[MASK]" LSTRIP for modern-bert names.
// llama.cpp marks only the first FIM text it meets per role (hash-map order); this marks all of them.

/// llama.cpp's `llama_token_attr` bits.
public struct TokenAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unknown = TokenAttributes(rawValue: 1 << 0)
    public static let unused = TokenAttributes(rawValue: 1 << 1)
    public static let normal = TokenAttributes(rawValue: 1 << 2)
    public static let control = TokenAttributes(rawValue: 1 << 3)
    public static let userDefined = TokenAttributes(rawValue: 1 << 4)
    public static let byte = TokenAttributes(rawValue: 1 << 5)
    public static let normalized = TokenAttributes(rawValue: 1 << 6)
    public static let lstrip = TokenAttributes(rawValue: 1 << 7)
    public static let rstrip = TokenAttributes(rawValue: 1 << 8)
    public static let singleWord = TokenAttributes(rawValue: 1 << 9)

    /// What tokenizer_st_partition cuts out of text (control only with parse_special).
    public static let special: TokenAttributes = [.control, .userDefined, .unknown]

    /// The attribute of a GGUF token type.
    init(_ type: Vocabulary.TokenType) {
        switch type {
        case .undefined: self = []
        case .normal: self = .normal
        case .unknown: self = .unknown
        case .control: self = .control
        case .userDefined: self = .userDefined
        case .unused: self = .unused
        case .byte: self = .byte
        }
    }
}

extension Vocabulary {
    static let fimTexts: [(role: String, texts: Set<String>)] = [
        ("pre", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"]),
        ("suf", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"]),
        ("mid", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"]),
        ("pad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        ("rep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        ("sep", ["<|file_sep|>"]),
    ]

    /// Texts llama.cpp treats as end of generation (and so as control tokens).
    static let eogTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// Per-token attributes as llama.cpp computes them when it loads this vocabulary.
    public func llamaAttributes() -> [TokenAttributes] {
        var attrs = tokens.indices.map { TokenAttributes(type($0)) }
        var ids: [String: Int] = [:]
        for (i, t) in tokens.enumerated() { ids[t] = i }  // llama.cpp's token_to_id: the last wins
        // 2. FIM texts of roles the GGUF leaves unset.
        var fimIDs: [String: Int] = [:]
        for (role, texts) in Self.fimTexts {
            if let id = fimTokens[role], id >= 0, Int(id) < tokens.count { fimIDs[role] = Int(id); continue }
            for t in texts.sorted() { if let i = ids[t] { attrs[i].insert(.control); fimIDs[role] = fimIDs[role] ?? i } }
        }
        // 3. unused control tokens.
        for (i, t) in tokens.enumerated() where attrs[i].contains(.control) && t.contains("unused") { attrs[i].insert(.unused) }
        // 4. end-of-generation texts.
        var eog = Set<Int>()
        for role in ["pad", "rep", "sep"] { if let i = fimIDs[role] { eog.insert(i) } }
        for t in Self.eogTexts { if let i = ids[t] { eog.insert(i); attrs[i].insert(.control) } }
        // 5. gpt-oss.
        for t in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] { if let i = ids[t] { attrs[i] = .userDefined } }
        for id in [eos, eot] { if let id, id >= 0, Int(id) < tokens.count { eog.insert(Int(id)) } }
        let eogText = Set(eog.map { tokens[$0] })
        if eogText.contains("<|end|>"), (eogText.contains("<|return|>") && eogText.contains("<|call|>"))
            || (eogText.contains("<|calls|>") && eogText.contains("<|flush|>")), let i = ids["<|end|>"] {
            attrs[i] = .userDefined
        }
        // 6. gemma4 / plamo2: a normal "</s>".
        if eogText.contains("<|tool_response>") || eogText.contains("<|plamo:eos|>"), let i = ids["</s>"], eog.contains(i) {
            attrs[i] = .normal
        }
        // 7. lstrip / rstrip by model.
        let name = self.name.lowercased()
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: pre.contains)
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: architecture.contains) {
            if let i = ids["<mask>"] { attrs[i].insert(.lstrip) }
        } else if name.contains("phi-3") || name.contains("phi3") {
            for i in attrs.indices where !attrs[i].isDisjoint(with: .special) { attrs[i].insert(.rstrip) }
            if let i = ids["</s>"] { attrs[i].insert(.rstrip) }
            for t in ["<unk>", "<s>", "<|endoftext|>"] { if let i = ids[t] { attrs[i].remove(.rstrip) } }
        } else if name.contains("modern-bert") {
            if let i = ids["[MASK]"] { attrs[i].insert(.lstrip) }
        }
        return attrs
    }
}
