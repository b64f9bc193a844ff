// The llama architecture (Llama 2/3, SmolLM/SmolLM2, Mistral, TinyLlama; Qwen2 adds Q/K/V biases),
// as llama.cpp's llm_build_llama computes it:
//
//   x = token_embd[tokens]                                        [T, dim]
//   for each layer:
//     h = rmsnorm(x) · attn_norm
//     q = h·Wqᵀ (+bq)  k = h·Wkᵀ (+bk)  v = h·Wvᵀ (+bv)            [T, nHead·hd], [T, nKV·hd] ×2
//     rope(q), rope(k) at the tokens' positions (NORM: adjacent pairs; NeoX: halves)
//     cache k, v; a = causal GQA attention(q, K[0..p], V[0..p])    [T, nHead·hd]
//     x += a·Woᵀ
//     h = rmsnorm(x) · ffn_norm
//     x += (silu(h·Wgateᵀ) ⊙ h·Wupᵀ)·Wdownᵀ
//   logits = rmsnorm(x) · output_norm · Woutᵀ (Wout = token_embd when tied)   [T, vocab]
//
// Weights are bound by GGUF name; binding reports every missing tensor at once.

import LoomKernels
import LoomTensor

/// Hyperparameters of a llama-family model.
public struct LlamaHyperparameters: Sendable {
    public var layers: Int
    public var dim: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ffnDim: Int
    public var vocabulary: Int
    public var contextLength: Int
    public var rmsEps: Float
    public var ropeBase: Float
    public var ropeScale: Float
    public var ropeDims: Int
    public var ropeStyle: RoPEStyle

    public init(layers: Int, dim: Int, heads: Int, kvHeads: Int, headDim: Int, ffnDim: Int, vocabulary: Int,
                contextLength: Int, rmsEps: Float, ropeBase: Float, ropeScale: Float, ropeDims: Int, ropeStyle: RoPEStyle) {
        self.layers = layers
        self.dim = dim
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.ffnDim = ffnDim
        self.vocabulary = vocabulary
        self.contextLength = contextLength
        self.rmsEps = rmsEps
        self.ropeBase = ropeBase
        self.ropeScale = ropeScale
        self.ropeDims = ropeDims
        self.ropeStyle = ropeStyle
    }
}

extension LlamaHyperparameters {
    /// Hyperparameters of a llama-family model (`general.architecture` llama or qwen2) from its
    /// `<arch>.…` metadata, with llama.cpp's defaults; qwen2 rotates NeoX-style (halves).
    public init(architecture arch: String, metadata m: any ModelMetadata) throws(ModelError) {
        let keys = HyperparameterKeys(architecture: arch, metadata: m)
        let dim = try keys.int("embedding_length")
        let heads = try keys.int("attention.head_count")
        let keyLength = try keys.optionalInt("attention.key_length")
        guard heads > 0, dim % heads == 0 || keyLength != nil else {
            throw .badMetadata(key: arch + ".attention.head_count", reason: "\(heads) heads do not divide the width \(dim)")
        }
        let kvHeads = try keys.optionalInt("attention.head_count_kv") ?? heads
        let headDim = keyLength ?? dim / heads
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw .badMetadata(key: arch + ".attention.head_count_kv", reason: "\(kvHeads) key/value heads for \(heads) heads")
        }
        self.init(layers: try keys.int("block_count"), dim: dim, heads: heads, kvHeads: kvHeads, headDim: headDim,
                  ffnDim: try keys.int("feed_forward_length"), vocabulary: try keys.vocabularySize(),
                  contextLength: try keys.int("context_length"),
                  rmsEps: try keys.float("attention.layer_norm_rms_epsilon") ?? 1e-5,
                  ropeBase: try keys.float("rope.freq_base") ?? 10_000,
                  ropeScale: 1 / (try keys.float("rope.scaling.factor") ?? 1),
                  ropeDims: try keys.optionalInt("rope.dimension_count") ?? headDim,
                  ropeStyle: arch == "qwen2" ? .neox : .normal)
    }

    /// What the runtime needs of these sizes.
    public var shape: ModelShape {
        ModelShape(layers: layers, dim: dim, kvHeads: kvHeads, headDim: headDim, vocabulary: vocabulary, contextLength: contextLength)
    }
}

/// One transformer layer's weights.
struct LlamaLayer: @unchecked Sendable {
    let attnNorm: FloatBuffer            // [dim]
    let wq, wk, wv, wo: PackedMatrix     // [nHead·hd, dim], [nKV·hd, dim] ×2, [dim, nHead·hd]
    let bq, bk, bv: FloatBuffer?         // qwen2 biases: [nHead·hd], [nKV·hd] ×2
    let ffnNorm: FloatBuffer             // [dim]
    let gate, up, down: PackedMatrix     // [ffn, dim] ×2, [dim, ffn]
}

/// A llama-family model with its weights prepared for the kernels.
public final class LlamaModel: DecoderModel, @unchecked Sendable {
    public let hp: LlamaHyperparameters
    let embedding: PackedMatrix          // [vocab, dim]
    let output: PackedMatrix             // [vocab, dim] (the embedding when tied)
    let outputNorm: FloatBuffer          // [dim]
    let layers: [LlamaLayer]
    let rope: RoPECache

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try LlamaHyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public convenience init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        try self.init(hyperparameters: LlamaHyperparameters(architecture: architecture, metadata: metadata), weights: weights)
    }

    public var shape: ModelShape { hp.shape }

    /// Binds the weights named as llama.cpp names them.
    public init(hyperparameters hp: LlamaHyperparameters, weights: any WeightSource) throws(ModelError) {
        self.hp = hp
        var binder = Binder(source: weights)
        let qDim = hp.heads * hp.headDim, kvDim = hp.kvHeads * hp.headDim
        let embd = binder.matrix("token_embd.weight", rows: hp.vocabulary, cols: hp.dim)
        let out = weights.tensor("output.weight") != nil ? binder.matrix("output.weight", rows: hp.vocabulary, cols: hp.dim) : embd
        let outNorm = binder.vector("output_norm.weight", hp.dim)
        var layers: [LlamaLayer?] = []
        for l in 0..<hp.layers {
            let p = "blk.\(l)."
            let attnNorm = binder.vector(p + "attn_norm.weight", hp.dim)
            let wq = binder.matrix(p + "attn_q.weight", rows: qDim, cols: hp.dim)
            let wk = binder.matrix(p + "attn_k.weight", rows: kvDim, cols: hp.dim)
            let wv = binder.matrix(p + "attn_v.weight", rows: kvDim, cols: hp.dim)
            let wo = binder.matrix(p + "attn_output.weight", rows: hp.dim, cols: qDim)
            let bq = binder.optionalVector(p + "attn_q.bias", qDim)
            let bk = binder.optionalVector(p + "attn_k.bias", kvDim)
            let bv = binder.optionalVector(p + "attn_v.bias", kvDim)
            let ffnNorm = binder.vector(p + "ffn_norm.weight", hp.dim)
            let gate = binder.matrix(p + "ffn_gate.weight", rows: hp.ffnDim, cols: hp.dim)
            let up = binder.matrix(p + "ffn_up.weight", rows: hp.ffnDim, cols: hp.dim)
            let down = binder.matrix(p + "ffn_down.weight", rows: hp.dim, cols: hp.ffnDim)
            if let attnNorm, let wq, let wk, let wv, let wo, let ffnNorm, let gate, let up, let down {
                layers.append(LlamaLayer(attnNorm: FloatBuffer(attnNorm), wq: wq, wk: wk, wv: wv, wo: wo,
                                         bq: bq.map(FloatBuffer.init), bk: bk.map(FloatBuffer.init), bv: bv.map(FloatBuffer.init),
                                         ffnNorm: FloatBuffer(ffnNorm), gate: gate, up: up, down: down))
            } else {
                layers.append(nil)
            }
        }
        if let failure = binder.failure { throw failure }
        guard binder.missing.isEmpty, let embd, let out, let outNorm else { throw .missingTensors(binder.missing) }
        embedding = embd
        output = out
        outputNorm = FloatBuffer(outNorm)
        self.layers = layers.compactMap { $0 }
        rope = RoPECache(maxPositions: hp.contextLength, nRot: hp.ropeDims, freqBase: hp.ropeBase, freqScale: hp.ropeScale)
    }
}
