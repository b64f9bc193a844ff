// Llama family: LlamaForCausalLM → GGUF "llama", Qwen2ForCausalLM → GGUF "qwen2", following
// llama.cpp's conversion/llama.py (LlamaModel) and qwen.py (Qwen2Model) on top of base.py.
//
// Tensors (H hidden, F intermediate, V vocab, nh / nkv heads, d head_dim = config or H / nh):
//   model.embed_tokens.weight                      [V, H]       → token_embd.weight
//   model.layers.N.input_layernorm.weight          [H]          → blk.N.attn_norm.weight
//   model.layers.N.self_attn.q_proj.weight         [nh·d, H]    → blk.N.attn_q.weight    (llama: permuted, nh)
//   model.layers.N.self_attn.k_proj.weight         [nkv·d, H]   → blk.N.attn_k.weight    (llama: permuted, nkv)
//   model.layers.N.self_attn.v_proj.weight         [nkv·d, H]   → blk.N.attn_v.weight
//   model.layers.N.self_attn.o_proj.weight         [H, nh·d]    → blk.N.attn_output.weight
//   model.layers.N.self_attn.{q,k,v}_proj.bias     [nh·d | nkv·d] → blk.N.attn_{q,k,v}.bias (qwen2: required)
//   model.layers.N.post_attention_layernorm.weight [H]          → blk.N.ffn_norm.weight
//   model.layers.N.mlp.{gate,up}_proj.weight       [F, H]       → blk.N.ffn_{gate,up}.weight
//   model.layers.N.mlp.down_proj.weight            [H, F]       → blk.N.ffn_down.weight
//   model.norm.weight                              [H]          → output_norm.weight
//   lm_head.weight                                 [V, H]       → output.weight (omitted when tied or absent)
// Optional biases (llama's attention_bias / mlp_bias) are converted when present. The q/k
// permutation (TensorEncoding.permuteRows) turns HF's rotate-half layout into the interleaved pairs
// GGUF llama uses; qwen2 keeps HF's layout (llama.cpp runs it with NEOX-style RoPE).
// Metadata: <arch>.{block_count, context_length, embedding_length, feed_forward_length,
// attention.head_count, attention.head_count_kv, rope.freq_base, attention.layer_norm_rms_epsilon,
// attention.key_length/value_length (when config.json has head_dim), vocab_size,
// rope.dimension_count}, RoPE scaling (LlamaConversion+Rope.swift), and the byte-level BPE tokenizer.

import LoomGGUF

enum LlamaConversion {
    /// HF architecture → GGUF architecture.
    static let architectures = ["LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2"]

    struct Shape {
        var hidden, layers, heads, kvHeads, headDim, ff, vocab: Int
        var tied: Bool
    }

    static func shape(_ c: JSONObject) throws(ConvertError) -> Shape {
        let hidden = try c.positiveInt("hidden_size"), heads = try c.positiveInt("num_attention_heads")
        let kv = try c.intIfPresent("num_key_value_heads") ?? heads
        guard kv > 0, heads % kv == 0 else { throw .invalidConfig("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kv)") }
        let headDim: Int
        if let d = try c.intIfPresent("head_dim") { headDim = d } else {
            guard hidden % heads == 0 else { throw .invalidConfig("hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)") }
            headDim = hidden / heads
        }
        guard headDim > 0, headDim % 2 == 0 else { throw .invalidConfig("head dimension \(headDim) is not a positive even number") }
        return Shape(hidden: hidden, layers: try c.positiveInt("num_hidden_layers"), heads: heads, kvHeads: kv, headDim: headDim,
                     ff: try c.positiveInt("intermediate_size"), vocab: try c.positiveInt("vocab_size"),
                     tied: try c.boolIfPresent("tie_word_embeddings") ?? false)
    }

    static func plan(arch: String, folder: HFModelFolder, config c: JSONObject, index: WeightIndex, type: ConvertOutputType) throws(ConvertError) -> ArchitecturePlan {
        let s = try shape(c)
        var p = GGUFMetadata()
        p["\(arch).block_count"] = .uint32(UInt32(s.layers))
        if let ctx = try c.intIfPresent("max_position_embeddings") { p["\(arch).context_length"] = .uint32(UInt32(clamping: ctx)) }
        p["\(arch).embedding_length"] = .uint32(UInt32(s.hidden))
        p["\(arch).feed_forward_length"] = .uint32(UInt32(s.ff))
        p["\(arch).attention.head_count"] = .uint32(UInt32(s.heads))
        p["\(arch).attention.head_count_kv"] = .uint32(UInt32(s.kvHeads))
        let rope = try Rope(config: c)
        let ropeFreqs = try rope.write(arch: arch, headDim: s.headDim, into: &p)
        // LlamaConfig's and Qwen2Config's default when the key is absent.
        p["\(arch).attention.layer_norm_rms_epsilon"] = .float32(Float(try c.doubleIfPresent("rms_norm_eps") ?? 1e-6))
        if c.has("head_dim") {
            p["\(arch).attention.key_length"] = .uint32(UInt32(s.headDim))
            p["\(arch).attention.value_length"] = .uint32(UInt32(s.headDim))
        }
        p["\(arch).vocab_size"] = .uint32(UInt32(s.vocab))
        p["\(arch).rope.dimension_count"] = .uint32(UInt32(s.headDim))
        if arch == "qwen2", let pooling = try Pooling.type(folder: folder) { p["\(arch).pooling_type"] = .uint32(pooling) }

        let planner = try TensorPlanner(index: index)
        let specs = tensorSpecs(s, permute: arch == "llama", hasLMHead: !s.tied && planner.available["lm_head.weight"] != nil,
                                qkvBiasRequired: arch == "qwen2")
        var tensors = try planner.plan(specs, skip: { name in
            TensorPlanner.alwaysSkipped(name) || (s.tied && name == "lm_head.weight")
        }, type: type.ggmlType)
        if let ropeFreqs {
            tensors.insert(PlannedTensor(name: "rope_freqs.weight", source: .values(ropeFreqs), type: .f32, shape: [ropeFreqs.count]), at: 0)
        }
        let tokenizer = try tokenizerMetadata(arch: arch, folder: folder, config: c, vocab: s.vocab)
        return ArchitecturePlan(architecture: arch, parameters: p, tensors: tensors, tokenizer: tokenizer)
    }

    static func tensorSpecs(_ s: Shape, permute: Bool, hasLMHead: Bool, qkvBiasRequired: Bool) -> [TensorSpec] {
        let (H, F, V) = (s.hidden, s.ff, s.vocab)
        let q = s.heads * s.headDim, kv = s.kvHeads * s.headDim
        var specs = [TensorSpec(source: "model.embed_tokens.weight", target: "token_embd.weight", shape: [V, H])]
        for i in 0..<s.layers {
            let src = "model.layers.\(i).", dst = "blk.\(i)."
            func linear(_ from: String, _ to: String, _ out: Int, _ inner: Int, heads: Int? = nil, biasRequired: Bool = false) {
                specs.append(TensorSpec(source: src + from + ".weight", target: dst + to + ".weight", shape: [out, inner],
                                        permuteHeads: permute ? heads : nil))
                specs.append(TensorSpec(source: src + from + ".bias", target: dst + to + ".bias", shape: [out],
                                        required: biasRequired, permuteHeads: permute ? heads : nil))
            }
            specs.append(TensorSpec(source: src + "input_layernorm.weight", target: dst + "attn_norm.weight", shape: [H]))
            linear("self_attn.q_proj", "attn_q", q, H, heads: s.heads, biasRequired: qkvBiasRequired)
            linear("self_attn.k_proj", "attn_k", kv, H, heads: s.kvHeads, biasRequired: qkvBiasRequired)
            linear("self_attn.v_proj", "attn_v", kv, H, biasRequired: qkvBiasRequired)
            linear("self_attn.o_proj", "attn_output", H, q)
            specs.append(TensorSpec(source: src + "post_attention_layernorm.weight", target: dst + "ffn_norm.weight", shape: [H]))
            linear("mlp.gate_proj", "ffn_gate", F, H)
            linear("mlp.up_proj", "ffn_up", F, H)
            linear("mlp.down_proj", "ffn_down", H, F)
        }
        specs.append(TensorSpec(source: "model.norm.weight", target: "output_norm.weight", shape: [H]))
        if hasLMHead { specs.append(TensorSpec(source: "lm_head.weight", target: "output.weight", shape: [V, H])) }
        return specs
    }

    /// _set_vocab_gpt2 (with llama.py's add_space_prefix from tokenizer_config.json).
    static func tokenizerMetadata(arch: String, folder: HFModelFolder, config: JSONObject, vocab: Int) throws(ConvertError) -> GGUFMetadata {
        let files = try HFTokenizerFiles(folder: folder)
        guard files.tokenizer != nil else {
            let spm = folder.path("tokenizer.model") != nil ? " (SentencePiece tokenizer.model is not supported)" : ""
            throw .missingTokenizer(architecture: arch, needed: "tokenizer.json\(spm)")
        }
        let model = try files.model(type: "BPE", architecture: arch)
        if try model.boolIfPresent("byte_fallback") == true {
            throw .invalidTokenizer(file: "tokenizer.json", reason: "a SentencePiece-style BPE (byte_fallback); Loom converts byte-level BPE tokenizers")
        }
        let (list, merges, pre) = try files.bytePairs(vocabSize: vocab, architecture: arch)
        var m = GGUFMetadata()
        if arch == "llama", let prefix = try files.config?.boolIfPresent("add_prefix_space") {
            m["tokenizer.ggml.add_space_prefix"] = .bool(prefix)
        }
        m["tokenizer.ggml.model"] = .string("gpt2")
        m["tokenizer.ggml.pre"] = .string(pre)
        m["tokenizer.ggml.tokens"] = .array(.string(list.tokens))
        m["tokenizer.ggml.token_type"] = .array(.int32(list.types))
        m["tokenizer.ggml.merges"] = .array(.string(merges))
        try files.specialTokens(folder: folder, modelConfig: config, tokens: list.tokens).write(into: &m)
        return m
    }
}
