// The llama architecture (Llama 2/3, SmolLM/SmolLM2, Mistral, TinyLlama; Qwen2 adds Q/K/V biases),
// as llama.cpp's llm_build_llama computes it, and the shared decoder its relatives run on
// (Gemma3Model, Qwen3Model, Phi3Model: each reads its hyperparameters into a `DecoderVariant`):
//
//   x = token_embd[tokens] (· embeddingScale: gemma √dim)                 [T, dim]
//   for each layer:
//     h = rmsnorm(x) · attn_norm
//     q = h·Wqᵀ (+bq)  k = h·Wkᵀ (+bk)  v = h·Wvᵀ (+bv)            [T, nHead·hd], [T, nKV·hd] ×2
//         (phi3: one attn_qkv matrix, split by rows)
//     (qkNorm: q, k = per-head rmsnorm · attn_q_norm / attn_k_norm   qwen3, gemma3)
//     rope(q), rope(k) at the tokens' positions (NORM: adjacent pairs; NeoX: halves), with the
//         layer's base (gemma3: local layers rope.freq_base_swa) and freq factors (phi3)
//     cache k, v; a = causal GQA attention(q, K[0..p], V[0..p]) · scale
//         (sliding-window layers: K[p−w+1..p])                     [T, nHead·hd]
//     x += a·Woᵀ                    (postNorms: x += rmsnorm(a·Woᵀ) · post_attention_norm)
//     h = rmsnorm(x) · ffn_norm
//     x += (act(h·Wgateᵀ) ⊙ h·Wupᵀ)·Wdownᵀ    act = silu, or gelu-tanh (gemma); phi3: one ffn_up
//                                   matrix [gate; up];  postNorms: rmsnorm(…) · post_ffw_norm
//   logits = rmsnorm(x) · output_norm · Woutᵀ (Wout = token_embd when tied)   [T, vocab]
//         (logitSoftcap c: c·tanh(logits/c))
//
// Weights are bound by GGUF name; binding reports every missing tensor at once.
// `llama.attention.sliding_window` (declared by Mistral 7B v0.1 conversions) is not read: llama.cpp's
// llama architecture ignores it too (full causal attention), and Loom matches llama.cpp
// (tested on Fixtures/model/tiny-mistral-reference.json, a llama file declaring a window of 5).

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
    /// How the layer departs from llama's (plain llama by default).
    public var variant: DecoderVariant

    public init(layers: Int, dim: Int, heads: Int, kvHeads: Int, headDim: Int, ffnDim: Int, vocabulary: Int,
                contextLength: Int, rmsEps: Float, ropeBase: Float, ropeScale: Float, ropeDims: Int, ropeStyle: RoPEStyle,
                variant: DecoderVariant = DecoderVariant()) {
        self.variant = variant
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

/// How a llama-family relative departs from llama's layer (the differences between llama.cpp's
/// per-architecture graphs); the default value is plain llama.
public struct DecoderVariant: Sendable, Equatable {
    /// The FFN gate's activation.
    public enum Activation: Sendable, Equatable {
        /// silu(gate)·up (llama, qwen, phi3).
        case silu
        /// gelu_tanh(gate)·up (gemma).
        case geluTanh
    }
    /// Per-head RMSNorm of q and k before RoPE, `attn_q_norm` / `attn_k_norm` [hd] (qwen3, gemma3).
    public var qkNorm = false
    /// RMSNorm of the attention and FFN outputs before their residual adds, `post_attention_norm` /
    /// `post_ffw_norm` [dim] (gemma3).
    public var postNorms = false
    /// Q, K, V may come as one `attn_qkv` [nHead·hd + 2·nKV·hd, dim] matrix (phi3; used when present).
    public var fusedQKV = false
    /// The FFN gate and up come as one `ffn_up` [2·ffn, dim] matrix, gate rows first (phi3).
    public var fusedGateUp = false
    public var activation = Activation.silu
    /// Multiplier of the token embeddings (gemma: √dim), or nil.
    public var embeddingScale: Float?
    /// Multiplier of q·k, or nil for 1/√headDim.
    public var attentionScale: Float?
    /// Final logit soft-capping c (logits = c·tanh(logits/c)), or nil.
    public var logitSoftcap: Float?
    /// Sliding-window attention (llama.cpp LLAMA_SWA_TYPE_STANDARD): the window, and which layers use it.
    public var slidingWindow: Int?
    /// Per layer: whether it attends within `slidingWindow` (empty: none does).
    public var slidingLayers: [Bool] = []
    /// RoPE base and linear scale of the sliding-window layers (gemma3: rope.freq_base_swa, 10000).
    public var slidingRopeBase: Float = 10_000
    public var slidingRopeScale: Float = 1
    /// The tensor of RoPE frequency factors [ropeDims/2] (phi3 LongRoPE: rope_factors_long/short), or nil.
    public var ropeFactors: String?
    /// Multiplier of RoPE's cos/sin (ggml's attn_factor: rope.scaling.attn_factor), 1 for none.
    public var ropeMscale: Float = 1

    /// Plain llama.
    public init() {}

    /// Whether layer `l` attends within the sliding window.
    public func isSliding(_ l: Int) -> Bool { slidingWindow != nil && l < slidingLayers.count && slidingLayers[l] }
}

/// One transformer layer's weights, and how it attends.
struct LlamaLayer: @unchecked Sendable {
    let attnNorm: FloatBuffer            // [dim]
    let wq, wk, wv, wo: PackedMatrix     // [nHead·hd, dim], [nKV·hd, dim] ×2, [dim, nHead·hd]
    let bq, bk, bv: FloatBuffer?         // qwen2 biases: [nHead·hd], [nKV·hd] ×2
    let qNorm, kNorm: FloatBuffer?       // [hd] ×2 (qkNorm)
    let attnPostNorm: FloatBuffer?       // [dim] (postNorms)
    let ffnNorm: FloatBuffer             // [dim]
    let gate, up, down: PackedMatrix     // [ffn, dim] ×2, [dim, ffn]
    let ffnPostNorm: FloatBuffer?        // [dim] (postNorms)
    let rope: RoPECache                  // this layer's angles (gemma3: local or global base)
    let window: Int?                     // sliding window, or nil for full causal attention
}

/// A llama-family model with its weights prepared for the kernels.
public final class LlamaModel: DecoderModel, @unchecked Sendable {
    public let hp: LlamaHyperparameters
    let embedding: PackedMatrix          // [vocab, dim]
    let output: PackedMatrix             // [vocab, dim] (the embedding when tied)
    let outputNorm: FloatBuffer          // [dim]
    let layers: [LlamaLayer]

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try LlamaHyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public convenience init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        try self.init(hyperparameters: LlamaHyperparameters(architecture: architecture, metadata: metadata), weights: weights)
    }

    public var shape: ModelShape { hp.shape }

    /// Binds the weights named as llama.cpp names them (and as `hp.variant` asks).
    public init(hyperparameters hp: LlamaHyperparameters, weights: any WeightSource) throws(ModelError) {
        self.hp = hp
        let va = hp.variant
        var binder = Binder(source: weights)
        let qDim = hp.heads * hp.headDim, kvDim = hp.kvHeads * hp.headDim
        let embd = binder.matrix("token_embd.weight", rows: hp.vocabulary, cols: hp.dim)
        let out = weights.tensor("output.weight") != nil ? binder.matrix("output.weight", rows: hp.vocabulary, cols: hp.dim) : embd
        let outNorm = binder.vector("output_norm.weight", hp.dim)
        // One table of angles per distinct RoPE (global, and gemma3's local layers).
        let factors = va.ropeFactors.flatMap { binder.vector($0, hp.ropeDims / 2) }
        let global = RoPECache(maxPositions: hp.contextLength, nRot: hp.ropeDims, freqBase: hp.ropeBase,
                               freqScale: hp.ropeScale, freqFactors: factors, mscale: va.ropeMscale)
        let local = va.slidingWindow == nil ? global
            : RoPECache(maxPositions: hp.contextLength, nRot: hp.ropeDims, freqBase: va.slidingRopeBase,
                        freqScale: va.slidingRopeScale, freqFactors: factors, mscale: va.ropeMscale)
        var layers: [LlamaLayer?] = []
        for l in 0..<hp.layers {
            let p = "blk.\(l)."
            let attnNorm = binder.vector(p + "attn_norm.weight", hp.dim)
            let qkv = va.fusedQKV && weights.tensor(p + "attn_qkv.weight") != nil
                ? binder.rowBlocks(p + "attn_qkv.weight", rows: [qDim, kvDim, kvDim], cols: hp.dim)
                : [binder.matrix(p + "attn_q.weight", rows: qDim, cols: hp.dim),
                   binder.matrix(p + "attn_k.weight", rows: kvDim, cols: hp.dim),
                   binder.matrix(p + "attn_v.weight", rows: kvDim, cols: hp.dim)]
            let wo = binder.matrix(p + "attn_output.weight", rows: hp.dim, cols: qDim)
            let bq = binder.optionalVector(p + "attn_q.bias", qDim)
            let bk = binder.optionalVector(p + "attn_k.bias", kvDim)
            let bv = binder.optionalVector(p + "attn_v.bias", kvDim)
            let qNorm = va.qkNorm ? binder.vector(p + "attn_q_norm.weight", hp.headDim) : nil
            let kNorm = va.qkNorm ? binder.vector(p + "attn_k_norm.weight", hp.headDim) : nil
            let attnPost = va.postNorms ? binder.vector(p + "post_attention_norm.weight", hp.dim) : nil
            let ffnNorm = binder.vector(p + "ffn_norm.weight", hp.dim)
            let gateUp = va.fusedGateUp
                ? binder.rowBlocks(p + "ffn_up.weight", rows: [hp.ffnDim, hp.ffnDim], cols: hp.dim)
                : [binder.matrix(p + "ffn_gate.weight", rows: hp.ffnDim, cols: hp.dim),
                   binder.matrix(p + "ffn_up.weight", rows: hp.ffnDim, cols: hp.dim)]
            let down = binder.matrix(p + "ffn_down.weight", rows: hp.dim, cols: hp.ffnDim)
            let ffnPost = va.postNorms ? binder.vector(p + "post_ffw_norm.weight", hp.dim) : nil
            if let attnNorm, let wq = qkv[0], let wk = qkv[1], let wv = qkv[2], let wo, let ffnNorm,
               let gate = gateUp[0], let up = gateUp[1], let down,
               !va.qkNorm || (qNorm != nil && kNorm != nil), !va.postNorms || (attnPost != nil && ffnPost != nil) {
                let sliding = va.isSliding(l)
                layers.append(LlamaLayer(attnNorm: FloatBuffer(attnNorm), wq: wq, wk: wk, wv: wv, wo: wo,
                                         bq: bq.map(FloatBuffer.init), bk: bk.map(FloatBuffer.init), bv: bv.map(FloatBuffer.init),
                                         qNorm: qNorm.map(FloatBuffer.init), kNorm: kNorm.map(FloatBuffer.init),
                                         attnPostNorm: attnPost.map(FloatBuffer.init),
                                         ffnNorm: FloatBuffer(ffnNorm), gate: gate, up: up, down: down,
                                         ffnPostNorm: ffnPost.map(FloatBuffer.init),
                                         rope: sliding ? local : global, window: sliding ? va.slidingWindow : nil))
            } else {
                layers.append(nil)
            }
        }
        if let failure = binder.failure { throw failure }
        guard binder.missing.isEmpty, let embd, let out, let outNorm, layers.allSatisfy({ $0 != nil }) else {
            throw .missingTensors(binder.missing)
        }
        embedding = embd
        output = out
        outputNorm = FloatBuffer(outNorm)
        self.layers = layers.compactMap { $0 }
    }
}

/// An architecture that runs on the shared llama-family decoder (`LlamaModel`) with its own
/// hyperparameters, weight names and `DecoderVariant`: it only builds `decoder`; the pass, the
/// state and the context shift are the decoder's.
public protocol LlamaFamilyModel: DecoderModel {
    /// The bound decoder.
    var decoder: LlamaModel { get }
}

extension LlamaFamilyModel {
    public var shape: ModelShape { decoder.shape }

    public func makeState(capacity: Int, cacheType: KVCacheType, batch: Int, threads: Int) -> DecoderState {
        decoder.makeState(capacity: capacity, cacheType: cacheType, batch: batch, threads: threads)
    }

    public func forward(_ tokens: [Int32], state: DecoderState, pool: ThreadPool, output: ForwardOutput, path: MatMulPath) -> [Float] {
        decoder.forward(tokens, state: state, pool: pool, output: output, path: path)
    }

    public func shift(_ state: DecoderState, keep: Int, discard: Int) {
        decoder.shift(state, keep: keep, discard: discard)
    }

    public func forward(batch: [BatchEntry], workspace: DecoderState, pool: ThreadPool) -> [[Float]] {
        decoder.forward(batch: batch, workspace: workspace, pool: pool)
    }
}
