// Gemma 3 (text), as llama.cpp's llama_model_gemma3 loads and computes it (src/models/gemma3.cpp):
// the shared llama-family decoder (LlamaModel.swift) with
//   - embeddings scaled by √dim;
//   - per-head RMSNorm of q and k (attn_q_norm, attn_k_norm) before RoPE, NeoX-style RoPE;
//   - RMSNorm of the attention and FFN outputs before each residual add (post_attention_norm,
//     post_ffw_norm); the GGUF's norm weights already hold Gemma's (1 + w), so every norm is x·w;
//   - FFN gelu_tanh(gate)·up;
//   - q·k scaled by f_attention_scale = 1/√headDim (1/√(dim/heads) for the 62-layer 27B);
//   - interleaved sliding-window attention: when `sliding_window` > 0, layer l is local iff
//     l % n < n − 1 with n = `attention.sliding_window_pattern` (default 6: five local layers, then
//     a global one), or per layer when that key is an array; a local layer's query at p sees keys
//     p − window + 1 … p and rotates with `rope.freq_base_swa` (default 10000), the global layers
//     with `rope.freq_base` (Gemma 3 270M: window 512, bases 10000 / 1e6);
//   - optional final logit soft-capping (`final_logit_softcapping`; absent in Gemma 3 files);
//   - tied output (token_embd) unless the file has output.weight.

/// A Gemma 3 model (`general.architecture` gemma3).
public final class Gemma3Model: LlamaFamilyModel, @unchecked Sendable {
    public let decoder: LlamaModel

    /// Gemma 3's hyperparameters, with llama.cpp's defaults.
    public static func hyperparameters(architecture arch: String, metadata m: any ModelMetadata) throws(ModelError) -> LlamaHyperparameters {
        let keys = HyperparameterKeys(architecture: arch, metadata: m)
        var hp = try LlamaHyperparameters(architecture: arch, metadata: m)
        guard try keys.float("attention.layer_norm_rms_epsilon") != nil else { throw .missingMetadata(arch + ".attention.layer_norm_rms_epsilon") }
        hp.ropeStyle = .neox
        var v = DecoderVariant()
        v.qkNorm = true
        v.postNorms = true
        v.activation = .geluTanh
        v.embeddingScale = Float(hp.dim).squareRoot()
        v.attentionScale = 1 / (hp.layers == 62 ? Float(hp.dim / hp.heads) : Float(hp.headDim)).squareRoot()
        if let cap = try keys.float("final_logit_softcapping"), cap > 0 { v.logitSoftcap = cap }
        if let window = try keys.optionalInt("attention.sliding_window"), window > 0 {
            v.slidingWindow = window
            let key = arch + ".attention.sliding_window_pattern"
            if let n = try? m.integer(key) {   // every n-th layer global (llama.cpp set_swa_pattern)
                v.slidingLayers = (0..<hp.layers).map { n == 0 || $0 % n < n - 1 }
            } else if let flags = try m.integers(key) {   // or one flag per layer
                guard flags.count >= hp.layers else {
                    throw .badMetadata(key: key, reason: "\(flags.count) flags for \(hp.layers) layers")
                }
                v.slidingLayers = flags.prefix(hp.layers).map { $0 != 0 }
            } else {
                v.slidingLayers = (0..<hp.layers).map { $0 % 6 < 5 }
            }
            v.slidingRopeBase = try keys.float("rope.freq_base_swa") ?? 10_000
        }
        hp.variant = v
        return hp
    }

    public static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        try hyperparameters(architecture: architecture, metadata: metadata).shape
    }

    public init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError) {
        decoder = try LlamaModel(hyperparameters: Self.hyperparameters(architecture: architecture, metadata: metadata), weights: weights)
    }
}
