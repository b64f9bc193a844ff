// The BERT encoder (bert-base, MiniLM, bge, …), as Hugging Face's BertModel computes it and
// llama.cpp's `bert` architecture names it:
//
//   x = LN(token_embd[id] + position_embd[p] + token_types[0]) · token_embd_norm     [T, dim]
//   for each layer (post-LN):
//     q = x·Wqᵀ+bq  k = x·Wkᵀ+bk  v = x·Wvᵀ+bv                                     [T, dim] ×3
//     a = softmax(q·kᵀ/√hd over the tokens of the same sequence) · v               [T, dim]
//     x = LN(x + a·Woᵀ + bo) · attn_output_norm
//     x = LN(x + gelu(x·Wupᵀ + bup)·Wdownᵀ + bdown) · layer_output_norm            (exact erf GELU)
//   embedding(sequence) = pool(x rows of the sequence): mean, first (CLS) or last token
//
// Sequences are packed, not padded: several sequences' tokens sit one after another in one [T, dim]
// batch, so every matmul is one GEMM over all of them, while attention (bidirectional) only looks
// at the rows of its own sequence — the same as padding with a mask, without computing the padding.
// Weights are bound by GGUF name; binding reports every missing tensor at once. Layer matrices are
// loaded as f32-activation panels (PackedMatrix.panels: quantized types expanded to F32) — encoders
// are small, run batches of every size, and their outlier dimensions need f32 activations.

import LoomKernels
import LoomTensor

/// How an encoder turns a sequence's hidden states into one vector (`bert.pooling_type`).
public enum PoolingType: Int, Sendable {
    /// No pooling declared (a generative model): Loom uses the last token, as llama.cpp does.
    case none = 0
    /// The mean of every token's hidden state.
    case mean = 1
    /// The first token's ([CLS]) hidden state.
    case cls = 2
    /// The last token's hidden state.
    case last = 3
}

/// Hyperparameters of a BERT-family encoder.
public struct BertHyperparameters: Sendable {
    public var layers: Int
    public var dim: Int
    public var heads: Int
    public var ffnDim: Int
    public var vocabulary: Int
    /// Positions the position embedding covers.
    public var contextLength: Int
    /// Rows of the token-type embedding.
    public var tokenTypes: Int
    public var eps: Float
    public var pooling: PoolingType

    public init(layers: Int, dim: Int, heads: Int, ffnDim: Int, vocabulary: Int, contextLength: Int,
                tokenTypes: Int, eps: Float, pooling: PoolingType) {
        self.layers = layers
        self.dim = dim
        self.heads = heads
        self.ffnDim = ffnDim
        self.vocabulary = vocabulary
        self.contextLength = contextLength
        self.tokenTypes = tokenTypes
        self.eps = eps
        self.pooling = pooling
    }
}

extension BertHyperparameters {
    /// Hyperparameters of a BERT model (`general.architecture` bert, as llama.cpp's converter writes it).
    public init(architecture arch: String, metadata m: any ModelMetadata) throws(ModelError) {
        let keys = HyperparameterKeys(architecture: arch, metadata: m)
        let raw = try keys.optionalInt("pooling_type") ?? PoolingType.mean.rawValue
        guard let pooling = PoolingType(rawValue: raw) else {
            throw .badMetadata(key: arch + ".pooling_type", reason: "\(raw) is not a pooling (0 none, 1 mean, 2 cls, 3 last)")
        }
        self.init(layers: try keys.int("block_count"), dim: try keys.int("embedding_length"),
                  heads: try keys.int("attention.head_count"), ffnDim: try keys.int("feed_forward_length"),
                  vocabulary: try keys.vocabularySize(), contextLength: try keys.int("context_length"),
                  tokenTypes: try m.integer("tokenizer.ggml.token_type_count") ?? 2,
                  eps: try keys.float("attention.layer_norm_epsilon") ?? 1e-12, pooling: pooling)
    }

    /// What the runtime needs of these sizes (an encoder has no KV cache: kvHeads·headDim = dim).
    public var shape: ModelShape {
        ModelShape(layers: layers, dim: dim, kvHeads: heads, headDim: dim / max(heads, 1), vocabulary: vocabulary, contextLength: contextLength)
    }
}

/// One encoder layer's weights.
struct BertLayer: @unchecked Sendable {
    let wq, wk, wv, wo: PackedMatrix     // [dim, dim] ×4
    let bq, bk, bv, bo: FloatBuffer      // [dim] ×4
    let attnNormW, attnNormB: FloatBuffer // [dim] ×2
    let up: PackedMatrix                 // [ffn, dim]
    let bUp: FloatBuffer                 // [ffn]
    let down: PackedMatrix               // [dim, ffn]
    let bDown: FloatBuffer               // [dim]
    let outNormW, outNormB: FloatBuffer  // [dim] ×2
}

/// A BERT encoder with its weights prepared for the kernels.
public final class BertModel: EncoderModel, @unchecked Sendable {
    public let hp: BertHyperparameters
    let tokenEmbedding: PackedMatrix     // [vocab, dim]
    let positions: FloatBuffer           // [contextLength, dim]
    let tokenType0: FloatBuffer          // [dim] (row 0 of token_types: every token is sequence A)
    let embNormW, embNormB: FloatBuffer  // [dim] ×2
    let layers: [BertLayer]

    /// The element type the layers' matmuls read: the file's F32/F16, or F32 where this build
    /// expanded other types into panels at load (AVX2); quantized only in the portable build.
    public var weightType: GGMLType { layers.first?.wq.type ?? tokenEmbedding.type }

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try BertHyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public convenience init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        try self.init(hyperparameters: BertHyperparameters(architecture: architecture, metadata: metadata), weights: weights)
    }

    public var shape: ModelShape { hp.shape }
    public var pooling: PoolingType { hp.pooling }

    /// Binds the weights named as llama.cpp names them.
    public init(hyperparameters hp: BertHyperparameters, weights: any WeightSource) throws(ModelError) {
        self.hp = hp
        var b = Binder(source: weights)
        let d = hp.dim, f = hp.ffnDim
        let embd = b.matrix("token_embd.weight", rows: hp.vocabulary, cols: d)
        let pos = b.vector("position_embd.weight", hp.contextLength * d, shape: [d, hp.contextLength])
        let types = b.vector("token_types.weight", hp.tokenTypes * d, shape: [d, hp.tokenTypes])
        let normW = b.vector("token_embd_norm.weight", d), normB = b.vector("token_embd_norm.bias", d)
        var layers: [BertLayer] = []
        for l in 0..<hp.layers {
            let p = "blk.\(l)."
            let wq = b.matrix(p + "attn_q.weight", rows: d, cols: d, panels: true), bq = b.vector(p + "attn_q.bias", d)
            let wk = b.matrix(p + "attn_k.weight", rows: d, cols: d, panels: true), bk = b.vector(p + "attn_k.bias", d)
            let wv = b.matrix(p + "attn_v.weight", rows: d, cols: d, panels: true), bv = b.vector(p + "attn_v.bias", d)
            let wo = b.matrix(p + "attn_output.weight", rows: d, cols: d, panels: true), bo = b.vector(p + "attn_output.bias", d)
            let anW = b.vector(p + "attn_output_norm.weight", d), anB = b.vector(p + "attn_output_norm.bias", d)
            let up = b.matrix(p + "ffn_up.weight", rows: f, cols: d, panels: true), bUp = b.vector(p + "ffn_up.bias", f)
            let down = b.matrix(p + "ffn_down.weight", rows: d, cols: f, panels: true), bDown = b.vector(p + "ffn_down.bias", d)
            let onW = b.vector(p + "layer_output_norm.weight", d), onB = b.vector(p + "layer_output_norm.bias", d)
            if let wq, let bq, let wk, let bk, let wv, let bv, let wo, let bo, let anW, let anB,
               let up, let bUp, let down, let bDown, let onW, let onB {
                let f = FloatBuffer.init(_:)
                layers.append(BertLayer(wq: wq, wk: wk, wv: wv, wo: wo, bq: f(bq), bk: f(bk), bv: f(bv), bo: f(bo),
                                        attnNormW: f(anW), attnNormB: f(anB), up: up, bUp: f(bUp), down: down, bDown: f(bDown),
                                        outNormW: f(onW), outNormB: f(onB)))
            }
        }
        if let failure = b.failure { throw failure }
        guard b.missing.isEmpty, let embd, let pos, let types, let normW, let normB else { throw .missingTensors(b.missing) }
        tokenEmbedding = embd
        positions = FloatBuffer(pos)
        tokenType0 = FloatBuffer(Array(types[0..<d]))
        embNormW = FloatBuffer(normW)
        embNormB = FloatBuffer(normB)
        self.layers = layers
    }
}
