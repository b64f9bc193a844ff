// Embeddings, whatever the model: the request options, the result, and the steps every embedding
// model shares — tokenizing an input with the model's special tokens around it, fitting it to the
// context (Ollama's rule: the limit is the context minus the added BOS/CLS and EOS/SEP; longer
// inputs are cut, or refused with `truncate: false`), and L2 normalization with Ollama's
// `dimensions` (cut, then normalize again).
//
//   let e = try Embedder.load(path: "all-minilm.gguf")          // or any Engine: its last token
//   let result = try await e.embed(["a sentence", "another"])   // result.vectors: [2][dim], unit length

import LoomTokenizers

/// Options of one embedding request (Ollama's `/api/embed`).
public struct EmbedOptions: Sendable {
    /// An input longer than the context: true = keep its first tokens, false = error.
    public var truncate = true
    /// Scale each vector to unit L2 norm (Ollama's `/api/embed`; `/api/embeddings` does not).
    public var normalize = true
    /// 0 = the model's full width; 0 < n < width = the first n values (normalized again).
    public var dimensions = 0

    public init(truncate: Bool = true, normalize: Bool = true, dimensions: Int = 0) {
        self.truncate = truncate
        self.normalize = normalize
        self.dimensions = dimensions
    }
}

/// The vectors of one request, in input order, with Ollama's statistics.
public struct Embeddings: Sendable {
    /// One vector per input.
    public var vectors: [[Float]]
    /// Tokens evaluated (all inputs, special tokens included).
    public var promptEvalCount = 0
    /// Nanoseconds for the whole request.
    public var totalDuration: UInt64 = 0
    /// Nanoseconds loading the model took, on the model's first request only (then 0).
    public var loadDuration: UInt64 = 0
}

/// A model that turns texts into vectors.
public protocol TextEmbedder: AnyObject, Sendable {
    /// Width of the vectors.
    var embeddingLength: Int { get }
    /// Embeds `inputs` (order kept).
    func embed(_ inputs: [String], options: EmbedOptions) async throws -> Embeddings
}

extension TextEmbedder {
    /// Embeds `inputs` with the default options (truncate, normalize, full width).
    public func embed(_ inputs: [String]) async throws -> Embeddings { try await embed(inputs, options: EmbedOptions()) }
}

/// Tokenizing and fitting inputs to a context (see the file header).
struct EmbeddingInputs {
    let tokenizer: any Tokenizer
    /// Tokens put before and after every input.
    let prefix: [Int32], suffix: [Int32]
    let context: Int

    init(tokenizer: any Tokenizer, context: Int) {
        self.tokenizer = tokenizer
        self.context = context
        let v = tokenizer.vocabulary
        if v.model == .wpm {
            prefix = [v.cls ?? v.bos].compactMap { $0 }
            suffix = [v.sep ?? v.eos].compactMap { $0 }
        } else {
            prefix = v.addBOS ? [v.bos].compactMap { $0 } : []
            suffix = v.addEOS ? [v.eos].compactMap { $0 } : []
        }
    }

    /// The token ids of each input, specials included, cut to the context when `truncate`.
    func tokens(_ inputs: [String], truncate: Bool) throws(EngineError) -> [[Int32]] {
        let limit = context - prefix.count - suffix.count
        guard limit > 0 else { throw .inputTooLong(tokens: 0, context: context, afterTruncation: true) }
        return try inputs.map { text throws(EngineError) in
            var ids = tokenizer.encode(text, addSpecial: false, parseSpecial: true)
            if ids.count > limit {
                guard truncate else { throw .inputTooLong(tokens: ids.count + prefix.count + suffix.count, context: context, afterTruncation: false) }
                ids.removeSubrange(limit...)
            }
            return prefix + ids + suffix
        }
    }

    /// `v` cut to `options.dimensions` and normalized as the options say; throws on NaN/Inf.
    static func finish(_ v: [Float], _ options: EmbedOptions) throws(EngineError) -> [Float] {
        guard v.allSatisfy(\.isFinite) else { throw .nonFiniteEmbedding }
        guard options.normalize else { return v }
        var out = normalized(v)
        if options.dimensions > 0 && options.dimensions < out.count { out = normalized(Array(out[..<options.dimensions])) }
        return out
    }

    /// v / ‖v‖ (computed in Double; a zero vector stays zero).
    static func normalized(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return norm > 0 ? v.map { Float(Double($0) / norm) } : v
    }
}
