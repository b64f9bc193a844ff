// Qwen 3 (dense), as llama.cpp's llama_model_qwen3 computes it (src/models/qwen3.cpp): llama with
// per-head RMSNorm of q and k (attn_q_norm, attn_k_norm [headDim]) before NeoX-style RoPE, no
// Q/K/V biases, the head width from `attention.key_length` (Qwen3-0.6B: 16 × 128 on a 1024 width),
// silu-gated FFN, tied or separate output.

/// A Qwen 3 model (`general.architecture` qwen3).
public final class Qwen3Model: LlamaFamilyModel, @unchecked Sendable {
    public let decoder: LlamaModel

    /// Qwen 3's hyperparameters: llama's keys, NeoX RoPE, QK-norm.
    public static func hyperparameters(architecture arch: String, metadata m: any ModelMetadata) throws(ModelError) -> LlamaHyperparameters {
        var hp = try LlamaHyperparameters(architecture: arch, metadata: m)
        hp.ropeStyle = .neox
        hp.variant.qkNorm = true
        return hp
    }

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try hyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        decoder = try LlamaModel(hyperparameters: Self.hyperparameters(architecture: architecture, metadata: metadata), weights: weights)
    }
}
