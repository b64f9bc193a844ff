// Conversions of tiny synthetic folders, read back with Loom's GGUFFile: tensor names, ggml shapes,
// types and values (bit for bit where the type is unchanged), llama's q/k permutation, metadata
// and tokenizer keys.

import Foundation
import Testing
import LoomGGUF
import LoomTensor
@testable import LoomConvert

/// Converts `folder` into a temp file and opens the result.
func convertTiny(_ folder: TinyFolder, type: ConvertOutputType = .f32) throws -> (GGUFFile, ConversionSummary) {
    let dir = try folder.write()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/out.gguf"
    let summary = try HFConverter.convert(try HFModelFolder(directory: dir), to: out, type: type)
    return (try GGUFFile(path: out), summary)
}

/// The elements of GGUF tensor `name` as f32.
func ggufFloats(_ file: GGUFFile, _ name: String) throws -> [Float] {
    let t = try #require(file.tensor(named: name), "tensor \(name)")
    let dtype: SafetensorsDType = t.type == .f32 ? .f32 : t.type == .f16 ? .f16 : .bf16
    return file.withBytes(of: t) { TensorEncoding.decode($0, dtype: dtype) }
}

/// The f32 values of a test entry.
func entryFloats(_ e: STEntry) -> [Float] {
    e.bytes.withUnsafeBytes { TensorEncoding.decode($0, dtype: SafetensorsDType(rawValue: e.dtype) ?? .f32) }
}

@Suite("tiny synthetic conversions")
struct TinyConversionTests {
    @Test("BERT (BertForMaskedLM names, gamma/beta) to F32: every tensor bit for bit, metadata, vocab.txt tokenizer")
    func bertF32() throws {
        var folder = TinyFolder.bert(prefix: "bert.")
        folder.config["architectures"] = ["BertForMaskedLM"]
        let renamed = folder.shards["model.safetensors"]!.map { e -> STEntry in
            var e = e
            if e.name == "bert.embeddings.LayerNorm.weight" { e.name = "bert.embeddings.LayerNorm.gamma" }
            if e.name == "bert.embeddings.LayerNorm.bias" { e.name = "bert.embeddings.LayerNorm.beta" }
            return e
        }
        folder.shards["model.safetensors"] = renamed + [STEntry.f32("cls.predictions.bias", [12], randomFloats(12, seed: 9))]
        let (file, summary) = try convertTiny(folder)
        #expect(summary.architecture == "bert" && summary.tensorCount == 5 + 2 * 16 && file.tensors.count == 37)
        let source = Dictionary(uniqueKeysWithValues: folder.allTensors.map { ($0.name, $0) })
        let pairs = [("token_embd.weight", "bert.embeddings.word_embeddings.weight"),
                     ("token_embd_norm.weight", "bert.embeddings.LayerNorm.gamma"),
                     ("token_embd_norm.bias", "bert.embeddings.LayerNorm.beta"),
                     ("blk.1.attn_q.weight", "bert.encoder.layer.1.attention.self.query.weight"),
                     ("blk.0.ffn_up.weight", "bert.encoder.layer.0.intermediate.dense.weight"),
                     ("blk.0.ffn_down.weight", "bert.encoder.layer.0.output.dense.weight"),
                     ("blk.1.layer_output_norm.bias", "bert.encoder.layer.1.output.LayerNorm.bias")]
        for (g, h) in pairs {
            let e = try #require(source[h])
            let t = try #require(file.tensor(named: g))
            #expect(t.type == .f32 && t.shape == e.shape.reversed(), "\(g)")
            #expect(Array(file.bytes(of: t)) == e.bytes, "\(g)")
        }
        let m = file.metadata
        #expect(try m.string("general.architecture") == "bert")
        #expect(try m.uint32("bert.pooling_type") == 2)
        #expect(try m.bool("bert.attention.causal") == false)
        #expect(try m.uint32("general.file_type") == 0)
        #expect(try m.strings("tokenizer.ggml.tokens") == ["[PAD]", "\u{2581}[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                                           "\u{2581}hello", "\u{2581}world", "ing", "s", "\u{2581}a", "\u{2581}b"])
        #expect(try m.integers("tokenizer.ggml.token_type", as: Int32.self) == [3, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1])
        #expect(try m.uint32("tokenizer.ggml.cls_token_id") == 3 && m.uint32("tokenizer.ggml.seperator_token_id") == 4)
        #expect(try m.uint32("tokenizer.ggml.unknown_token_id") == 2 && m.uint32("tokenizer.ggml.mask_token_id") == 5)
        #expect(try m.uint32("tokenizer.ggml.padding_token_id") == 0)
    }

    @Test("BERT to F16: matrices F16 (nearest even), position_embd / token_types / 1-D stay F32")
    func bertF16() throws {
        let folder = TinyFolder.bert()
        let (file, _) = try convertTiny(folder, type: .f16)
        let source = Dictionary(uniqueKeysWithValues: folder.allTensors.map { ($0.name, $0) })
        let expectTypes: [(String, String, GGMLType)] = [
            ("token_embd.weight", "embeddings.word_embeddings.weight", .f16),
            ("position_embd.weight", "embeddings.position_embeddings.weight", .f32),
            ("token_types.weight", "embeddings.token_type_embeddings.weight", .f32),
            ("blk.0.attn_v.weight", "encoder.layer.0.attention.self.value.weight", .f16),
            ("blk.0.attn_v.bias", "encoder.layer.0.attention.self.value.bias", .f32),
            ("blk.0.attn_output_norm.weight", "encoder.layer.0.attention.output.LayerNorm.weight", .f32)]
        for (g, h, type) in expectTypes {
            #expect(file.tensor(named: g)?.type == type, "\(g)")
            let want = entryFloats(try #require(source[h])).map { type == .f16 ? Float(Float16($0)) : $0 }
            #expect(try ggufFloats(file, g) == want, "\(g)")
        }
        #expect(try file.metadata.uint32("general.file_type") == 1)
    }

    @Test("llama from two BF16 shards: q/k permuted per head, v not; output kept; rotary inv_freq dropped",
          arguments: [ConvertOutputType.bf16, .f16])
    func llama(type: ConvertOutputType) throws {
        let folder = TinyFolder.llama()
        let (file, summary) = try convertTiny(folder, type: type)
        #expect(summary.architecture == "llama" && file.tensors.count == 12 && file.tensor(named: "output.weight") != nil)
        let source = Dictionary(uniqueKeysWithValues: folder.allTensors.map { ($0.name, $0) })
        let convert: (Float) -> Float = { type == .f16 ? Float(Float16($0)) : $0 }
        for (g, h, heads) in [("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", 2),
                              ("blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight", 1),
                              ("blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight", 0)] {
            let e = try #require(source[h])
            let rows = e.shape[0], cols = e.shape[1], perHead = heads > 0 ? rows / heads : rows
            let x = entryFloats(e)
            var want: [Float] = []
            for r in 0..<rows {
                // Output row r = head h, pair i, half a  ←  input row h·d + a·d/2 + i.
                let (h, j) = (r / perHead, r % perHead)
                let from = heads == 0 ? r : h * perHead + (j % 2) * (perHead / 2) + j / 2
                want += x[(from * cols)..<(from * cols + cols)].map(convert)
            }
            #expect(try ggufFloats(file, g) == want, "\(g)")
            #expect(file.tensor(named: g)?.shape == [cols, rows])
        }
        if type == .bf16 {
            let t = try #require(file.tensor(named: "blk.0.ffn_down.weight"))
            #expect(Array(file.bytes(of: t)) == source["model.layers.0.mlp.down_proj.weight"]?.bytes)
        }
        let m = file.metadata
        #expect(try m.uint32("llama.attention.head_count_kv") == 1 && m.uint32("llama.rope.dimension_count") == 4)
        #expect(try m.float("llama.rope.freq_base") == 500000 && m.float("llama.attention.layer_norm_rms_epsilon") == 1e-5)
        #expect(try m.uint32("llama.vocab_size") == 10 && m.uint32("llama.context_length") == 64)
        #expect(try m.uint32("general.file_type") == type.fileType)
    }

    @Test("llama tokenizer: byte-level BPE tokens, types, pair merges, specials, add flags, templates")
    func llamaTokenizer() throws {
        let (file, _) = try convertTiny(TinyFolder.llama())
        let m = file.metadata
        #expect(try m.string("tokenizer.ggml.model") == "gpt2" && m.string("tokenizer.ggml.pre") == "gpt-2")
        #expect(try m.strings("tokenizer.ggml.tokens") == ["<|endoftext|>", "<|im_end|>", "a", "b", "Ġ", "ab", "Ġa", "[PAD7]", "[PAD8]", "<tool>"])
        #expect(try m.integers("tokenizer.ggml.token_type", as: Int32.self) == [3, 3, 1, 1, 1, 1, 1, 5, 5, 4])
        #expect(try m.strings("tokenizer.ggml.merges") == ["a b", "Ġ a"])
        #expect(try m.uint32("tokenizer.ggml.bos_token_id") == 0 && m.uint32("tokenizer.ggml.eos_token_id") == 1)
        #expect(try m.bool("tokenizer.ggml.add_bos_token") == true && m.bool("tokenizer.ggml.add_eos_token") == false)
        #expect(try m.string("tokenizer.chat_template") == "{{ messages }}")
        #expect(try m.string("tokenizer.chat_template.tool_use") == "T")
        #expect(try m.strings("tokenizer.chat_templates") == ["tool_use"])
    }

    @Test("chat_template.jinja wins over tokenizer_config.json's chat_template")
    func jinjaFileWins() throws {
        var folder = TinyFolder.llama()
        folder.texts["chat_template.jinja"] = "{{ 'from the file' }}"
        let (file, _) = try convertTiny(folder)
        #expect(try file.metadata.string("tokenizer.chat_template") == "{{ 'from the file' }}")
        #expect(!file.metadata.contains("tokenizer.chat_templates"))
    }

    @Test("qwen2, tied embeddings: no output.weight, q/k/v biases, no permutation")
    func qwen2Tied() throws {
        let folder = TinyFolder.llama(qwen2: true, tied: true)
        let (file, summary) = try convertTiny(folder)
        #expect(summary.architecture == "qwen2" && file.tensor(named: "output.weight") == nil)
        #expect(file.tensor(named: "blk.0.attn_q.bias")?.type == .f32)
        let source = Dictionary(uniqueKeysWithValues: folder.allTensors.map { ($0.name, $0) })
        for (g, h) in [("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"), ("blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias")] {
            #expect(try ggufFloats(file, g) == entryFloats(try #require(source[h])), "\(g)")
        }
        #expect(try file.metadata.uint32("qwen2.attention.head_count") == 2)
    }

    @Test("RoPE scaling: linear and yarn keys, llama3 rope_freqs tensor")
    func ropeScaling() throws {
        var folder = TinyFolder.llama()
        folder.config["rope_scaling"] = ["type": "linear", "factor": 4.0]
        var (file, _) = try convertTiny(folder)
        #expect(try file.metadata.string("llama.rope.scaling.type") == "linear" && file.metadata.float("llama.rope.scaling.factor") == 4)
        folder.config["rope_scaling"] = ["rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 32, "beta_fast": 32.0]
        (file, _) = try convertTiny(folder)
        #expect(try file.metadata.uint32("llama.rope.scaling.original_context_length") == 32)
        #expect(try file.metadata.float("llama.rope.scaling.yarn_beta_fast") == 32)
        folder.config["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                         "original_max_position_embeddings": 32]
        (file, _) = try convertTiny(folder)
        let freqs = try ggufFloats(file, "rope_freqs.weight")
        // d = 4, θ = 500000: wavelengths 2π < 32/4 (kept) and 2π·√500000 ≈ 4443 > 32/1 (divided by 8).
        #expect(freqs == [1, 8])
    }
}
