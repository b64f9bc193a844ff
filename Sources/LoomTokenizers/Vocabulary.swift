// Vocabulary: everything a tokenizer is built from, as a plain value (LoomRuntime fills it from
// GGUF's tokenizer.ggml.* metadata; tests build it directly).
//
//   tokens[id]  the piece text — byte-level BPE: GPT-2's byte→unicode mapped bytes ("Ġhello");
//               SentencePiece: "▁hello" and "<0x0A>" byte tokens; WordPiece: "hello", "##llo"
//               (llama.cpp's GGUF stores WordPiece word starts with a leading "▁")
//   scores[id]  SentencePiece merge priority (higher merges first)
//   types[id]   llama.cpp's token types (normal, control, user-defined, byte, …)
//   merges      BPE merges in rank order, "left right" (byte-level text; gemma4: raw UTF-8 with "▁")
//   precompiledCharsmap  Unigram: SentencePiece's normalization table (XCDA trie + replacements)

/// A tokenizer's vocabulary and settings.
public struct Vocabulary: Sendable {
    /// `tokenizer.ggml.model`.
    public enum Model: String, Sendable {
        /// Byte-level BPE (GPT-2, Llama 3, Qwen, SmolLM, …).
        case bpe = "gpt2"
        /// SentencePiece-style BPE with scores and byte fallback (Llama 2, Mistral, Gemma, Phi-3).
        case spm = "llama"
        /// WordPiece (BERT).
        case wpm = "bert"
        /// SentencePiece Unigram (T5, nomic-embed-text-v2, XLM-R style): normalization, then Viterbi.
        case ugm = "t5"
        /// Gemma 4: BPE merges over raw UTF-8 with spaces escaped to "▁", byte fallback to <0xXX>.
        case gemma4 = "gemma4"
    }

    /// `tokenizer.ggml.token_type` values.
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var model: Model
    /// `tokenizer.ggml.pre` (byte-level BPE pre-tokenizer), "default" when absent.
    public var pre: String
    public var tokens: [String]
    /// One per token, or empty.
    public var scores: [Float]
    /// One per token, or empty (all normal).
    public var types: [TokenType]
    /// Byte-level BPE merges, rank order.
    public var merges: [String]
    public var bos: Int32?
    public var eos: Int32?
    public var eot: Int32?
    public var unk: Int32?
    public var sep: Int32?
    public var pad: Int32?
    public var cls: Int32?
    public var mask: Int32?
    /// Whether encode(addSpecial: true) prepends BOS (or CLS for WordPiece).
    public var addBOS: Bool
    /// Whether encode(addSpecial: true) appends EOS (or SEP for WordPiece).
    public var addEOS: Bool
    /// SentencePiece: prepend "▁" to the text.
    public var addSpacePrefix: Bool
    /// Unigram: collapse whitespace runs and drop leading/trailing whitespace
    /// (`tokenizer.ggml.remove_extra_whitespaces`).
    public var removeExtraWhitespaces: Bool
    /// Unigram: `tokenizer.ggml.precompiled_charsmap` (empty: no normalization table).
    public var precompiledCharsmap: [UInt8]
    /// FIM tokens the GGUF names (`tokenizer.ggml.fim_{pre,suf,mid,pad,rep,sep}_token_id`), by role.
    public var fimTokens: [String: Int32]
    /// `general.name` (llama.cpp sets per-token strip attributes by it, e.g. for Phi-3).
    public var name: String
    /// `general.architecture` (likewise, e.g. nomic-bert-moe's "<mask>").
    public var architecture: String

    /// A vocabulary; optional fields default to absent/false.
    public init(model: Model, pre: String = "default", tokens: [String], scores: [Float] = [], types: [TokenType] = [],
                merges: [String] = [], bos: Int32? = nil, eos: Int32? = nil, eot: Int32? = nil, unk: Int32? = nil,
                sep: Int32? = nil, pad: Int32? = nil, cls: Int32? = nil, mask: Int32? = nil,
                addBOS: Bool = false, addEOS: Bool = false, addSpacePrefix: Bool = false,
                removeExtraWhitespaces: Bool = false, precompiledCharsmap: [UInt8] = [], fimTokens: [String: Int32] = [:],
                name: String = "", architecture: String = "") {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.scores = scores
        self.types = types
        self.merges = merges
        self.bos = bos
        self.eos = eos
        self.eot = eot
        self.unk = unk
        self.sep = sep
        self.pad = pad
        self.cls = cls
        self.mask = mask
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.removeExtraWhitespaces = removeExtraWhitespaces
        self.precompiledCharsmap = precompiledCharsmap
        self.fimTokens = fimTokens
        self.name = name
        self.architecture = architecture
    }

    /// The type of token `id` (normal when types are absent).
    public func type(_ id: Int) -> TokenType { id < types.count ? types[id] : .normal }
}

/// Text ↔ token ids.
public protocol Tokenizer: Sendable {
    /// The vocabulary this tokenizer was built from.
    var vocabulary: Vocabulary { get }
    /// Token ids for `text`. `addSpecial`: BOS/EOS (CLS/SEP) as the vocabulary says;
    /// `parseSpecial`: control and user-defined token texts in `text` become those single tokens.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]
    /// The bytes token `id` stands for (byte-level BPE decoded, "▁" → " ", "<0x0A>" → 0x0A); empty
    /// for ids out of range.
    func piece(_ id: Int32) -> [UInt8]
    /// Whether `id` is a control token (BOS, EOS, <|im_start|>, …).
    func isControl(_ id: Int32) -> Bool
}

extension Tokenizer {
    /// The text of `ids`; control tokens are rendered unless `skipControl`. Invalid UTF-8 is
    /// replaced by U+FFFD (use `StreamingDecoder` to stream without splitting characters).
    public func decode(_ ids: [Int32], skipControl: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids where !(skipControl && isControl(id)) { bytes += piece(id) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
