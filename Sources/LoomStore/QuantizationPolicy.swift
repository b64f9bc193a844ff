// QuantizationPolicy: which type each tensor of a model gets when it is quantized to a file type
// (`/api/create` with `quantize`) — llama.cpp's mix (`llama_tensor_get_type` in src/llama-quant.cpp),
// without an importance matrix, for the file types Loom offers. Pure: tensors and hyperparameters in,
// one type per tensor out; the quantizer (GGUFQuantizer) does the conversion.
//
// The rules, as llama.cpp applies them (tensors visited in its order: by layer, then by name):
//   - only 2-D+ tensors whose name ends in "weight" and is not a norm (nor BERT's position/token-type
//     embeddings, …) are quantized; every other tensor keeps its type;
//   - output.weight — and token_embd.weight when the model has no output.weight (tied) — get Q6_K
//     (Q8_0 when the file type's tensors are Q8_0, or when the rows are not whole 256-blocks);
//   - attn_v / attn_qkv, ffn_down and attn_output get more bits in the K mixes (use_more_bits: the
//     first and last eighth of the layers and every third one in between), by the tables below;
//   - a type whose block does not divide the row length falls back (Q4_K → Q5_0, Q5_K → Q5_1,
//     Q6_K → Q8_0, Q2_K/Q3_K → Q4_0; then F16).
// Mixes of the IQ1/IQ2/IQ3 file types (which need an importance matrix) are not offered.

import LoomTensor

/// llama.cpp's tensor-type mix for a target file type.
public struct QuantizationPolicy: Sendable {
    /// The hyperparameters the mix depends on.
    public struct Model: Sendable {
        /// `general.architecture`.
        public var architecture: String
        /// Transformer blocks.
        public var layers: Int
        /// Query heads.
        public var heads: Int
        /// Key/value heads.
        public var kvHeads: Int
        /// Experts per MoE layer (0 or 1 for dense models).
        public var experts: Int

        /// - Parameters mirror the properties.
        public init(architecture: String, layers: Int, heads: Int, kvHeads: Int, experts: Int = 0) {
            self.architecture = architecture
            self.layers = layers
            self.heads = heads
            self.kvHeads = kvHeads
            self.experts = experts
        }

        /// Query heads per key/value head.
        var gqa: Int { kvHeads > 0 ? heads / kvHeads : 1 }
        /// llama.cpp's LLM_TYPE_70B (80-layer llama with grouped-query attention).
        var is70B: Bool { architecture == "llama" && layers == 80 && heads != kvHeads }
        var isFalcon: Bool { architecture == "falcon" }
    }

    /// The file types a policy exists for (llama_ftype names), with the type most tensors get.
    public static let defaultTypes: [String: GGMLType] = [
        "F32": .f32, "F16": .f16, "BF16": .bf16,
        "Q4_0": .q4_0, "Q4_1": .q4_1, "Q5_0": .q5_0, "Q5_1": .q5_1, "Q8_0": .q8_0,
        "Q2_K": .q2_K, "Q3_K_S": .q3_K, "Q3_K_M": .q3_K, "Q3_K_L": .q3_K,
        "Q4_K_S": .q4_K, "Q4_K_M": .q4_K, "Q5_K_S": .q5_K, "Q5_K_M": .q5_K, "Q6_K": .q6_K,
        "IQ4_NL": .iq4_nl,
    ]

    /// The target file type's name ("Q4_K_M").
    public let fileType: String
    /// The type most tensors get.
    public let defaultType: GGMLType
    let model: Model

    /// The policy for `fileType` (a llama_ftype name, any case), or nil when there is none.
    public init?(fileType: String, model: Model) {
        guard let type = Self.defaultTypes[fileType.uppercased()] else { return nil }
        self.fileType = fileType.uppercased()
        self.defaultType = type
        self.model = model
    }

    /// The type of every tensor of `tensors` (name, type, shape with ne0 first), by name.
    public func types(for tensors: [(name: String, type: GGMLType, shape: [Int])]) -> [String: GGMLType] {
        let ordered = tensors.sorted { a, b in
            let la = Self.layer(a.name) ?? -1, lb = Self.layer(b.name) ?? -1
            return la != lb ? la < lb : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var state = Counters()
        state.attentionV = ordered.filter { Category($0.name).isAttentionV }.count
        state.tied = !ordered.contains { $0.name == "output.weight" }
        var out: [String: GGMLType] = [:]
        for t in ordered { out[t.name] = type(t.name, t.type, t.shape, &state) }
        return out
    }

    // MARK: - llama_tensor_get_type

    struct Counters {
        var attentionV = 0, iAttentionV = 0, iFFNDown = 0
        var tied = true
    }

    enum Category {
        case output, tokenEmbedding, attentionQKV, attentionKVB, attentionV, attentionK, attentionQ
        case attentionOutput, ffnUp, ffnGate, ffnDown, other

        init(_ name: String) {
            func has(_ s: String) -> Bool { name.contains(s) }
            if name == "output.weight" { self = .output }
            else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding }
            else if has("attn_qkv.weight") { self = .attentionQKV }
            else if has("attn_kv_b.weight") { self = .attentionKVB }
            else if has("attn_v.weight") { self = .attentionV }
            else if has("attn_k.weight") { self = .attentionK }
            else if has("attn_q.weight") { self = .attentionQ }
            else if has("attn_output.weight") { self = .attentionOutput }
            else if has("ffn_up") { self = .ffnUp }
            else if has("ffn_gate") { self = .ffnGate }
            else if has("ffn_down") { self = .ffnDown }
            else { self = .other }
        }

        var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// `blk.N.` → N.
    static func layer(_ name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }

    /// llama.cpp's tensor_allows_quantization for the tensors of the architectures Loom knows.
    static func allowsQuantization(_ name: String, shape: [Int]) -> Bool {
        guard shape.count >= 2, name.hasSuffix("weight"), !name.contains("_norm.weight") else { return false }
        let excluded = ["ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
                        "attn_rel_b.weight", ".position_embd", ".patch_embd"]
        if excluded.contains(where: { name.contains($0) }) { return false }
        return name != "position_embd.weight" && name != "token_types.weight"
    }

    func type(_ name: String, _ current: GGMLType, _ shape: [Int], _ s: inout Counters) -> GGMLType {
        guard Self.allowsQuantization(name, shape: shape) else { return current }
        guard defaultType.isQuantized else { return defaultType }
        let chosen = mix(name, Category(name), rowLength: shape[0], &s)
        return Self.fallback(chosen, rowLength: shape[0])
    }

    /// llama_tensor_get_type_impl, for the offered file types.
    func mix(_ name: String, _ category: Category, rowLength nx: Int, _ s: inout Counters) -> GGMLType {
        let ft = fileType
        var t = defaultType
        func useMoreBits(_ i: Int, _ n: Int) -> Bool { i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2 }
        let n = model.layers
        if category == .output || (s.tied && category == .tokenEmbedding) {
            if model.isFalcon || nx % t.blockSize != 0 { t = .q8_0 }
            else if t != .q8_0 { t = .q6_K }
        } else if category == .tokenEmbedding {
            // the token embedding of an untied model keeps the default type (IQ1/IQ2 mixes differ)
        } else if category.isAttentionV {
            if ft == "Q2_K" { t = model.gqa >= 4 ? .q4_K : .q3_K }
            else if ft == "Q3_K_M" { t = s.iAttentionV < 2 ? .q5_K : .q4_K }
            else if ft == "Q3_K_L" { t = .q5_K }
            else if ft == "IQ4_NL" && model.gqa >= 4 { t = .q5_K }
            else if (ft == "Q4_K_M" || ft == "Q5_K_M") && useMoreBits(s.iAttentionV, s.attentionV) { t = .q6_K }
            else if ft == "Q4_K_S" && s.iAttentionV < 4 { t = .q5_K }
            if model.is70B && (t == .q3_K || t == .q4_K) { t = .q5_K }
            if model.experts == 8 { t = .q8_0 }
            s.iAttentionV += 1
        } else if category == .attentionK {
            if model.experts == 8 { t = .q8_0 }
        } else if category == .ffnDown {
            let i = model.experts > 1 ? (Self.layer(name) ?? s.iFFNDown) : s.iFFNDown
            if ft == "Q2_K" { t = .q3_K }
            else if ft == "Q3_K_M" { t = i < n / 16 ? .q5_K : (!model.isFalcon || useMoreBits(i, n)) ? .q4_K : .q3_K }
            else if ft == "Q3_K_L" { t = model.isFalcon ? .q4_K : .q5_K }
            else if ft == "Q4_K_M" {
                if model.isFalcon { t = i < n / 16 ? .q6_K : useMoreBits(i, n) ? .q5_K : .q4_K }
                else if useMoreBits(i, n) { t = .q6_K }
            }
            else if i < n / 8 && ft == "IQ4_NL" { t = .q5_K }
            else if ft == "Q5_K_M" && useMoreBits(i, n) { t = .q6_K }
            else if ft == "Q4_K_S" && !model.isFalcon && i < n / 8 { t = .q5_K }
            s.iFFNDown += 1
        } else if category == .attentionOutput {
            if !model.isFalcon {
                if model.experts == 8 {
                    if ["Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M"].contains(ft) { t = .q5_K }
                } else if ft == "Q2_K" { t = .q3_K }
                else if ft == "Q3_K_M" { t = .q4_K }
                else if ft == "Q3_K_L" { t = .q5_K }
            } else if ft == "Q3_K_L" { t = .q4_K }
        } else if category == .attentionQKV {
            if ft == "Q3_K_M" || ft == "Q3_K_L" { t = .q4_K }
            else if ft == "Q4_K_M" { t = .q5_K }
            else if ft == "Q5_K_M" { t = .q6_K }
        }
        return t
    }

    /// tensor_type_fallback: a type whose block does not divide the row length is replaced.
    static func fallback(_ type: GGMLType, rowLength: Int) -> GGMLType {
        guard rowLength % type.blockSize != 0 else { return type }
        let smaller: GGMLType
        switch type {
        case .q2_K, .q3_K: smaller = .q4_0
        case .q4_K: smaller = .q5_0
        case .q5_K: smaller = .q5_1
        case .q6_K: smaller = .q8_0
        case .iq4_xs: smaller = .iq4_nl
        default: smaller = type
        }
        return rowLength % smaller.blockSize == 0 ? smaller : .f16
    }
}
