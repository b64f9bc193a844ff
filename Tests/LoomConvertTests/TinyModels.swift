// Tiny synthetic Hugging Face folders (a 2-layer BERT, a 1-layer llama / qwen2) with seeded random
// weights, written to a temp directory; tests mutate them to provoke each folder error.

import Foundation
@testable import LoomConvert

/// A model folder to be written: config.json, text files and safetensors shards.
struct TinyFolder {
    var config: [String: Any]
    /// Shard file name → tensors.
    var shards: [String: [STEntry]]
    /// Other files: relative name → text.
    var texts: [String: String] = [:]

    var allTensors: [STEntry] { shards.values.flatMap { $0 } }

    mutating func removeTensor(_ name: String) {
        for k in shards.keys { shards[k]?.removeAll { $0.name == name } }
    }

    mutating func replaceTensor(_ e: STEntry) {
        for k in shards.keys { shards[k] = shards[k]?.map { $0.name == e.name ? e : $0 } }
    }

    /// Writes the folder into a new temp directory and returns its path.
    func write() throws -> String {
        let dir = try ConvertFixtures.temporaryDirectory()
        let data = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        try writeText(String(decoding: data, as: UTF8.self), dir, "config.json")
        for (name, entries) in shards { try SafetensorsBuilder.write(dir + "/" + name, entries) }
        for (rel, text) in texts { try writeText(text, dir, rel) }
        return dir
    }

    static func bert(prefix: String = "", dtype: (String, [Int], [Float]) -> STEntry = STEntry.f32) -> TinyFolder {
        let (H, F, V, P, T, L) = (4, 8, 12, 6, 2, 2)
        var seed: UInt64 = 1
        var entries: [STEntry] = []
        func add(_ name: String, _ shape: [Int]) {
            seed += 1
            entries.append(dtype(prefix + name, shape, randomFloats(shape.reduce(1, *), seed: seed)))
        }
        add("embeddings.word_embeddings.weight", [V, H])
        add("embeddings.position_embeddings.weight", [P, H])
        add("embeddings.token_type_embeddings.weight", [T, H])
        add("embeddings.LayerNorm.weight", [H]); add("embeddings.LayerNorm.bias", [H])
        for i in 0..<L {
            let p = "encoder.layer.\(i)."
            for m in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                add(p + m + ".weight", [H, H]); add(p + m + ".bias", [H])
            }
            add(p + "attention.output.LayerNorm.weight", [H]); add(p + "attention.output.LayerNorm.bias", [H])
            add(p + "intermediate.dense.weight", [F, H]); add(p + "intermediate.dense.bias", [F])
            add(p + "output.dense.weight", [H, F]); add(p + "output.dense.bias", [H])
            add(p + "output.LayerNorm.weight", [H]); add(p + "output.LayerNorm.bias", [H])
        }
        add("pooler.dense.weight", [H, H]); add("pooler.dense.bias", [H])
        entries.append(STEntry(name: prefix + "embeddings.position_ids", dtype: "I64", shape: [1, P],
                               bytes: (0..<P).flatMap { le(Int64($0)) }))
        let config: [String: Any] = [
            "architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "intermediate_size": F,
            "num_hidden_layers": L, "num_attention_heads": 2, "max_position_embeddings": P, "type_vocab_size": T,
            "vocab_size": V, "layer_norm_eps": 1e-12, "pad_token_id": 0,
        ]
        let vocab = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##ing", "##s", "a", "b"]
        return TinyFolder(config: config, shards: ["model.safetensors": entries], texts: [
            "vocab.txt": vocab.joined(separator: "\n") + "\n",
            "tokenizer_config.json": #"{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}"#,
            "modules.json": #"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#,
            "1_Pooling/config.json": #"{"word_embedding_dimension": 4, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
        ])
    }

    /// A 1-layer llama (H 8, 2 heads of 4, 1 KV head, F 16, V 10) in BF16, split over two shards
    /// with an index; `qwen2` adds q/k/v biases and names Qwen2ForCausalLM.
    static func llama(qwen2: Bool = false, tied: Bool = false) -> TinyFolder {
        let (H, F, V, d) = (8, 16, 10, 4)
        var seed: UInt64 = 100
        var first: [STEntry] = [], second: [STEntry] = []
        func add(_ name: String, _ shape: [Int], toSecond: Bool = false) {
            seed += 1
            let e = STEntry.bf16(name, shape, randomFloats(shape.reduce(1, *), seed: seed))
            if toSecond { second.append(e) } else { first.append(e) }
        }
        add("model.embed_tokens.weight", [V, H])
        let p = "model.layers.0."
        add(p + "input_layernorm.weight", [H])
        add(p + "self_attn.q_proj.weight", [2 * d, H]); add(p + "self_attn.k_proj.weight", [d, H]); add(p + "self_attn.v_proj.weight", [d, H])
        if qwen2 { add(p + "self_attn.q_proj.bias", [2 * d]); add(p + "self_attn.k_proj.bias", [d]); add(p + "self_attn.v_proj.bias", [d]) }
        add(p + "self_attn.o_proj.weight", [H, 2 * d])
        add(p + "post_attention_layernorm.weight", [H], toSecond: true)
        add(p + "mlp.gate_proj.weight", [F, H], toSecond: true); add(p + "mlp.up_proj.weight", [F, H], toSecond: true)
        add(p + "mlp.down_proj.weight", [H, F], toSecond: true)
        add("model.norm.weight", [H], toSecond: true)
        if !tied { add("lm_head.weight", [V, H], toSecond: true) }
        add(p + "self_attn.rotary_emb.inv_freq", [d / 2], toSecond: true)
        var map: [String: String] = [:]
        for e in first { map[e.name] = "model-00001-of-00002.safetensors" }
        for e in second { map[e.name] = "model-00002-of-00002.safetensors" }
        let index = try? JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 0], "weight_map": map], options: [.sortedKeys])
        let config: [String: Any] = [
            "architectures": [qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"], "hidden_size": H, "intermediate_size": F,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": V,
            "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": tied,
            "bos_token_id": 0, "eos_token_id": 1,
        ]
        return TinyFolder(config: config, shards: ["model-00001-of-00002.safetensors": first, "model-00002-of-00002.safetensors": second],
                          texts: ["model.safetensors.index.json": String(decoding: index ?? Data(), as: UTF8.self),
                                  "tokenizer.json": tinyBPE, "tokenizer_config.json": tinyBPEConfig])
    }

    static let tinyBPE = #"""
    {"version": "1.0", "added_tokens": [
      {"id": 0, "content": "<|endoftext|>", "special": true, "normalized": false},
      {"id": 1, "content": "<|im_end|>", "special": true, "normalized": false},
      {"id": 9, "content": "<tool>", "special": false, "normalized": false}],
     "normalizer": null,
     "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
     "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
     "decoder": {"type": "ByteLevel"},
     "model": {"type": "BPE", "dropout": null, "unk_token": null, "byte_fallback": false,
               "vocab": {"<|endoftext|>": 0, "<|im_end|>": 1, "a": 2, "b": 3, "Ġ": 4, "ab": 5, "Ġa": 6},
               "merges": [["a", "b"], ["Ġ", "a"]]}}
    """#

    static let tinyBPEConfig = #"""
    {"bos_token": {"content": "<|endoftext|>", "special": true}, "eos_token": "<|im_end|>", "add_bos_token": true,
     "chat_template": [{"name": "default", "template": "{{ messages }}"}, {"name": "tool use", "template": "T"}]}
    """#
}
