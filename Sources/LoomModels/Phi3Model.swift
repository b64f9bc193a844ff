// Phi-3 / Phi-3.5 (dense), as llama.cpp's llama_model_phi3 loads and computes it (src/models/phi3.cpp):
// llama with
//   - Q, K, V in one `attn_qkv` matrix [nHead·hd + 2·nKV·hd, dim] (rows q, then k, then v) when the
//     file has it, else separate attn_q/k/v;
//   - the FFN gate and up in one `ffn_up` matrix [2·ffn, dim]: silu(first half)·second half
//     (ggml_swiglu of LLM_FFN_SWIGLU/LLM_FFN_SEQ);
//   - NeoX-style RoPE with LongRoPE frequency factors when the file has `rope_factors_long` /
//     `rope_factors_short` [ropeDims/2] (θᵢ divided by factorᵢ): llama.cpp takes the long ones when
//     the context (n_ctx_seq) exceeds `rope.scaling.original_context_length`; Loom decides once, at
//     load, with the model's trained context length (what llama.cpp does at its default n_ctx), and
//     cos/sin scaled by `rope.scaling.attn_factor` (ggml's attn_factor; 1 when absent);
//   - `attention.sliding_window` ignored, as llama.cpp does for phi3 (its SWA is disabled there).

/// A Phi-3 model (`general.architecture` phi3).
public final class Phi3Model: LlamaFamilyModel, @unchecked Sendable {
    public let decoder: LlamaModel

    /// Phi-3's hyperparameters (without the rope factors, which depend on the file's tensors).
    public static func hyperparameters(architecture arch: String, metadata m: any ModelMetadata) throws(ModelError) -> LlamaHyperparameters {
        let keys = HyperparameterKeys(architecture: arch, metadata: m)
        var hp = try LlamaHyperparameters(architecture: arch, metadata: m)
        hp.ropeStyle = .neox
        hp.variant.fusedQKV = true
        hp.variant.fusedGateUp = true
        hp.variant.ropeMscale = try keys.float("rope.scaling.attn_factor") ?? 1
        return hp
    }

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try hyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        var hp = try Self.hyperparameters(architecture: architecture, metadata: metadata)
        let original = try HyperparameterKeys(architecture: architecture, metadata: metadata)
            .optionalInt("rope.scaling.original_context_length") ?? hp.contextLength
        let long = hp.contextLength > original
        let name = long ? "rope_factors_long.weight" : "rope_factors_short.weight"
        if weights.tensor(name) != nil { hp.variant.ropeFactors = name }
        decoder = try LlamaModel(hyperparameters: hp, weights: weights)
    }
}
