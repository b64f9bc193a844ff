// Each way a model folder can be unusable gives its own ConvertError, with the names the user needs,
// and leaves no output file behind.

import Foundation
import Testing
@testable import LoomConvert

@Suite("model folder errors")
struct FolderErrorTests {
    /// The error converting `folder`, after checking that no output was written.
    static func error(_ folder: TinyFolder, edit: (String) throws -> Void = { _ in }) throws -> ConvertError? {
        let dir = try folder.write()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try edit(dir)
        let out = dir + "/out.gguf"
        do {
            _ = try HFConverter.convert(try HFModelFolder(directory: dir), to: out)
            return nil
        } catch {
            #expect(!FileManager.default.fileExists(atPath: out), "a failed conversion left \(out)")
            return error
        }
    }

    @Test("no config.json")
    func missingConfig() throws {
        #expect(throws: ConvertError.missingConfig) { try HFModelFolder(files: ["model.safetensors": "/nonexistent"]) }
        let e = try Self.error(TinyFolder.bert()) { try FileManager.default.removeItem(atPath: $0 + "/config.json") }
        #expect(e == .missingConfig)
        #expect(e?.description == "the model folder has no config.json")
    }

    @Test("config.json that is not JSON, or lacks architectures")
    func badConfig() throws {
        let notJSON = try Self.error(TinyFolder.bert()) { try writeText("{ hidden_size: 4", $0, "config.json") }
        guard case let .invalidJSON(file, _)? = notJSON else { Issue.record("got \(String(describing: notJSON))"); return }
        #expect(file == "config.json")
        var folder = TinyFolder.bert()
        folder.config["architectures"] = nil
        #expect(try Self.error(folder) == .missingKey(file: "config.json", key: "architectures"))
        folder = TinyFolder.bert()
        folder.config["hidden_size"] = nil
        #expect(try Self.error(folder) == .missingKey(file: "config.json", key: "hidden_size"))
        folder.config["hidden_size"] = "four"
        #expect(try Self.error(folder) == .invalidValue(file: "config.json", key: "hidden_size", expected: "an integer", found: "the string \"four\""))
    }

    @Test("an unknown architecture is named, with the supported ones")
    func unknownArchitecture() throws {
        var folder = TinyFolder.bert()
        folder.config["architectures"] = ["GPT2LMHeadModel"]
        let e = try Self.error(folder)
        #expect(e == .unknownArchitecture("GPT2LMHeadModel", supported: ["BertForMaskedLM", "BertModel", "LlamaForCausalLM", "Qwen2ForCausalLM"]))
        #expect(e?.description == "architecture 'GPT2LMHeadModel' is not supported; Loom converts BertForMaskedLM, BertModel, LlamaForCausalLM, Qwen2ForCausalLM")
    }

    @Test("every missing tensor is reported at once")
    func missingTensors() throws {
        var folder = TinyFolder.bert()
        folder.removeTensor("embeddings.LayerNorm.bias")
        folder.removeTensor("encoder.layer.1.output.dense.weight")
        #expect(try Self.error(folder) == .missingTensors(["embeddings.LayerNorm.bias", "encoder.layer.1.output.dense.weight"]))
        var llama = TinyFolder.llama(qwen2: true)
        llama.removeTensor("model.layers.0.self_attn.v_proj.bias")
        #expect(try Self.error(llama) == .missingTensors(["model.layers.0.self_attn.v_proj.bias"]))
    }

    @Test("a shape that disagrees with config.json names tensor, expected and actual")
    func shapeMismatch() throws {
        var folder = TinyFolder.bert()
        folder.replaceTensor(STEntry.f32("encoder.layer.0.intermediate.dense.weight", [7, 4], randomFloats(28, seed: 3)))
        let e = try Self.error(folder)
        #expect(e == .shapeMismatch(tensor: "encoder.layer.0.intermediate.dense.weight", expected: [8, 4], actual: [7, 4]))
        #expect(e?.description == "tensor 'encoder.layer.0.intermediate.dense.weight' has shape [7, 4] but config.json implies [8, 4]")
    }

    @Test("missing tokenizer files")
    func missingTokenizer() throws {
        var bert = TinyFolder.bert()
        bert.texts["vocab.txt"] = nil
        #expect(try Self.error(bert) == .missingTokenizer(architecture: "bert", needed: "vocab.txt or a WordPiece tokenizer.json"))
        var llama = TinyFolder.llama()
        llama.texts["tokenizer.json"] = nil
        #expect(try Self.error(llama) == .missingTokenizer(architecture: "llama", needed: "tokenizer.json"))
    }

    @Test("no safetensors, or an index naming an absent shard")
    func missingWeights() throws {
        var folder = TinyFolder.bert()
        folder.shards = [:]
        folder.texts["pytorch_model.bin"] = "not really"
        let e = try Self.error(folder)
        guard case .noSafetensors? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(e?.description == "the model folder has no *.safetensors weights (PyTorch .bin/.pt weights are not supported)")
        let shard = try Self.error(TinyFolder.llama()) { try FileManager.default.removeItem(atPath: $0 + "/model-00002-of-00002.safetensors") }
        #expect(shard == .missingShard(file: "model-00002-of-00002.safetensors", index: "model.safetensors.index.json"))
    }

    @Test("tensors the architecture does not use, and used tensors of an unsupported dtype")
    func unexpectedAndDType() throws {
        var folder = TinyFolder.bert()
        folder.shards["model.safetensors"]?.append(STEntry.f32("encoder.layer.0.extra.weight", [2], [1, 2]))
        #expect(try Self.error(folder) == .unexpectedTensors(["encoder.layer.0.extra.weight"]))
        folder = TinyFolder.bert()
        folder.replaceTensor(STEntry(name: "embeddings.token_type_embeddings.weight", dtype: "I32", shape: [2, 4], bytes: [UInt8](repeating: 0, count: 32)))
        #expect(try Self.error(folder) == .unsupportedDType(file: "model.safetensors", tensor: "embeddings.token_type_embeddings.weight", dtype: "I32"))
    }

    @Test("a malformed shard surfaces its safetensors error")
    func malformedShard() throws {
        let e = try Self.error(TinyFolder.bert()) { try Data([1, 2, 3]).write(to: URL(fileURLWithPath: $0 + "/model.safetensors")) }
        #expect(e == .safetensorsTruncated(file: "model.safetensors", fileSize: 3))
    }

    @Test("unsupported RoPE scaling and pooling are refused")
    func unsupportedOptions() throws {
        var llama = TinyFolder.llama()
        llama.config["rope_scaling"] = ["type": "dynamic", "factor": 2.0]
        #expect(try Self.error(llama) == .unsupportedRopeScaling("dynamic"))
        var bert = TinyFolder.bert()
        bert.texts["1_Pooling/config.json"] = #"{"pooling_mode_max_tokens": true}"#
        #expect(try Self.error(bert) == .unsupportedPooling(file: "1_Pooling/config.json", reason: "none of mean, CLS or last-token pooling is enabled"))
    }

    @Test("a SentencePiece-style BPE (byte_fallback) is refused rather than mis-converted")
    func byteFallback() throws {
        var llama = TinyFolder.llama()
        llama.texts["tokenizer.json"] = TinyFolder.tinyBPE.replacingOccurrences(of: "\"byte_fallback\": false", with: "\"byte_fallback\": true")
        guard case .invalidTokenizer(file: "tokenizer.json", _)? = try Self.error(llama) else { Issue.record("expected invalidTokenizer"); return }
    }
}
