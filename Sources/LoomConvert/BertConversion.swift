// BERT (BertModel, BertForMaskedLM) → GGUF architecture "bert", following llama.cpp's
// conversion/bert.py (BertModel) on top of base.py (TextModel).
//
// Tensors (HF names after stripping "bert." and renaming .gamma/.beta → .weight/.bias):
//   embeddings.word_embeddings.weight          [V, H]  → token_embd.weight
//   embeddings.position_embeddings.weight      [P, H]  → position_embd.weight   (F32)
//   embeddings.token_type_embeddings.weight    [T, H]  → token_types.weight     (F32)
//   embeddings.LayerNorm.{weight,bias}         [H]     → token_embd_norm.{weight,bias}
//   encoder.layer.N.
//     attention.self.{query,key,value}.{weight [H, H], bias [H]}  → blk.N.attn_{q,k,v}
//     attention.output.dense.{weight [H, H], bias [H]}            → blk.N.attn_output
//     attention.output.LayerNorm.{weight,bias} [H]                → blk.N.attn_output_norm
//     intermediate.dense.{weight [F, H], bias [F]}                → blk.N.ffn_up
//     output.dense.{weight [H, F], bias [H]}                      → blk.N.ffn_down
//     output.LayerNorm.{weight,bias} [H]                          → blk.N.layer_output_norm
//   skipped: embeddings.position_ids (I64), pooler.*, cls.* (the MLM / NSP heads)
// Metadata: bert.{context_length, embedding_length, feed_forward_length, block_count,
// attention.head_count, attention.layer_norm_epsilon, attention.causal = false, pooling_type},
// tokenizer.ggml.token_type_count, and the WordPiece vocabulary in phantom-space form.
//
// tokenizer.ggml.pre: llama.cpp hashes the HF tokenizer's output; for bert-base-uncased-style
// vocabularies (all-MiniLM-L6-v2, bge-small) the hash is listed both as "bert-bge" and "jina-v2-en",
// and the later entry wins, so llama.cpp writes "jina-v2-en". Loom cannot run the HF tokenizer, so it
// writes "default"; llama.cpp and Loom ignore the value for WordPiece ("bert") vocabularies.

import LoomGGUF

/// The parts of a GGUF an architecture contributes.
struct ArchitecturePlan: Sendable {
    /// `general.architecture`.
    var architecture: String
    /// The `<arch>.*` hyperparameters, in writing order.
    var parameters: GGUFMetadata
    var tensors: [PlannedTensor]
    /// The `tokenizer.*` keys, in writing order.
    var tokenizer: GGUFMetadata
}

enum BertConversion {
    static let hfArchitectures = ["BertModel", "BertForMaskedLM"]

    static func plan(folder: HFModelFolder, config c: JSONObject, index: WeightIndex, type: ConvertOutputType) throws(ConvertError) -> ArchitecturePlan {
        let hidden = try c.positiveInt("hidden_size"), layers = try c.positiveInt("num_hidden_layers")
        let heads = try c.positiveInt("num_attention_heads"), ff = try c.positiveInt("intermediate_size")
        let positions = try c.positiveInt("max_position_embeddings"), vocab = try c.positiveInt("vocab_size")
        let typeVocab = try c.intIfPresent("type_vocab_size") ?? 1
        guard hidden % heads == 0 else { throw .invalidConfig("hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)") }
        // BertConfig's default when the key is absent.
        let eps = try c.doubleIfPresent("layer_norm_eps") ?? 1e-12

        var p = GGUFMetadata()
        p["bert.block_count"] = .uint32(UInt32(layers))
        p["bert.context_length"] = .uint32(UInt32(positions))
        p["bert.embedding_length"] = .uint32(UInt32(hidden))
        p["bert.feed_forward_length"] = .uint32(UInt32(ff))
        p["bert.attention.head_count"] = .uint32(UInt32(heads))
        p["bert.attention.layer_norm_epsilon"] = .float32(Float(eps))
        p["bert.attention.causal"] = .bool(false)
        // Without a sentence-transformers Pooling module (modules.json) llama.cpp writes no pooling
        // type; Loom writes mean pooling, what sentence-transformers defaults to for BERT encoders.
        p["bert.pooling_type"] = .uint32(try Pooling.type(folder: folder) ?? Pooling.mean)

        let specs = tensorSpecs(hidden: hidden, ff: ff, vocab: vocab, positions: positions, typeVocab: typeVocab, layers: layers)
        let planner = try TensorPlanner(index: index, normalize: normalize)
        let tensors = try planner.plan(specs, skip: skip, type: type.ggmlType)
        let tokenizer = try tokenizerMetadata(folder: folder, config: c, vocab: vocab, typeVocab: typeVocab)
        return ArchitecturePlan(architecture: "bert", parameters: p, tensors: tensors, tokenizer: tokenizer)
    }

    /// llama.cpp's BertModel.filter_tensors renames.
    static func normalize(_ name: String) -> String {
        var n = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
        if n.hasSuffix(".gamma") { n = String(n.dropLast(6)) + ".weight" }
        if n.hasSuffix(".beta") { n = String(n.dropLast(5)) + ".bias" }
        return n
    }

    static func skip(_ name: String) -> Bool {
        name == "embeddings.position_ids" || name.hasPrefix("pooler.") || name.hasPrefix("cls.")
            || TensorPlanner.alwaysSkipped(name)
    }

    static func tensorSpecs(hidden H: Int, ff F: Int, vocab V: Int, positions P: Int, typeVocab T: Int, layers: Int) -> [TensorSpec] {
        func pair(_ src: String, _ dst: String, _ out: Int, _ inner: Int?) -> [TensorSpec] {
            [TensorSpec(source: src + ".weight", target: dst + ".weight", shape: inner.map { [out, $0] } ?? [out]),
             TensorSpec(source: src + ".bias", target: dst + ".bias", shape: [out])]
        }
        var specs = [
            TensorSpec(source: "embeddings.word_embeddings.weight", target: "token_embd.weight", shape: [V, H]),
            TensorSpec(source: "embeddings.position_embeddings.weight", target: "position_embd.weight", shape: [P, H]),
            TensorSpec(source: "embeddings.token_type_embeddings.weight", target: "token_types.weight", shape: [T, H]),
        ]
        specs += pair("embeddings.LayerNorm", "token_embd_norm", H, nil)
        for i in 0..<layers {
            let src = "encoder.layer.\(i).", dst = "blk.\(i)."
            specs += pair(src + "attention.self.query", dst + "attn_q", H, H)
            specs += pair(src + "attention.self.key", dst + "attn_k", H, H)
            specs += pair(src + "attention.self.value", dst + "attn_v", H, H)
            specs += pair(src + "attention.output.dense", dst + "attn_output", H, H)
            specs += pair(src + "attention.output.LayerNorm", dst + "attn_output_norm", H, nil)
            specs += pair(src + "intermediate.dense", dst + "ffn_up", F, H)
            specs += pair(src + "output.dense", dst + "ffn_down", H, F)
            specs += pair(src + "output.LayerNorm", dst + "layer_output_norm", H, nil)
        }
        return specs
    }

    /// bert.py's set_vocab: token_type_count, model "bert", pre, phantom-space tokens, types, SpecialVocab.
    static func tokenizerMetadata(folder: HFModelFolder, config: JSONObject, vocab: Int, typeVocab: Int) throws(ConvertError) -> GGUFMetadata {
        let files = try HFTokenizerFiles(folder: folder)
        let list = try files.wordPiece(vocabSize: vocab)
        var m = GGUFMetadata()
        m["tokenizer.ggml.token_type_count"] = .uint32(UInt32(typeVocab))
        m["tokenizer.ggml.model"] = .string("bert")
        m["tokenizer.ggml.pre"] = .string("default")
        m["tokenizer.ggml.tokens"] = .array(.string(list.tokens))
        m["tokenizer.ggml.token_type"] = .array(.int32(list.types))
        try files.specialTokens(folder: folder, modelConfig: config, tokens: list.tokens).write(into: &m)
        return m
    }
}
