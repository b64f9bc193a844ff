// Round trip on the real SmolLM2-135M-Instruct: Scripts/make_hf_folder.py turns the F16 GGUF into a
// Hugging Face folder (2 safetensors shards + index, q/k un-permuted to HF layout, tokenizer.json
// built with HF `tokenizers`); converting that folder back to F16 must give the original tensors byte
// for byte and the original hyperparameters and tokenizer metadata.

import Foundation
import Testing
import LoomGGUF
@testable import LoomConvert

@Suite("SmolLM2 HF folder → GGUF round trip", .serialized)
struct SmolLM2RoundTripTests {
    static let enabled = ConvertFixtures.available(ConvertFixtures.smolLM2HF)
    static let skipNote: Comment = "needs .cache/models/SmolLM2-135M-Instruct-hf (Scripts/make_hf_folder.py; make test requires it)"

    static func convert() throws -> (converted: GGUFFile, original: GGUFFile, dir: String) {
        let dir = try ConvertFixtures.temporaryDirectory()
        let out = dir + "/smollm2-f16.gguf"
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let summary = try HFConverter.convert(try HFModelFolder(directory: ConvertFixtures.smolLM2HF), to: out, type: .f16)
            #expect(summary.architecture == "llama" && summary.tensorCount == 272)
        }
        print("converted SmolLM2-135M-Instruct-hf to f16 in \(elapsed)")
        return (try GGUFFile(path: out), try GGUFFile(path: ConvertFixtures.smolLM2F16), dir)
    }

    @Test("every tensor equals the original F16 GGUF's byte for byte (names, shapes, types)", .enabled(if: enabled, skipNote))
    func tensorsIdentical() throws {
        let (converted, original, dir) = try Self.convert()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Set(converted.tensors.map(\.name)) == Set(original.tensors.map(\.name)))
        for t in original.tensors {
            let c = try #require(converted.tensor(named: t.name), "\(t.name) missing")
            #expect(c.type == t.type && c.shape == t.shape, "\(t.name): \(c.type) \(c.shape) vs \(t.type) \(t.shape)")
            let same = converted.withBytes(of: c) { a in original.withBytes(of: t) { b in a.elementsEqual(b) } }
            #expect(same, "\(t.name) bytes differ")
        }
    }

    @Test("hyperparameters and tokenizer metadata equal the original's", .enabled(if: enabled, skipNote))
    func metadataIdentical() throws {
        let (converted, original, dir) = try Self.convert()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = converted.metadata, o = original.metadata
        let keys = o.keys.filter { $0.hasPrefix("llama.") || $0.hasPrefix("tokenizer.") } + ["general.architecture", "general.file_type", "general.size_label"]
        for key in keys {
            #expect(c[key] == o[key], "\(key): \(c[key]?.typeDescription ?? "absent") vs \(o[key]?.typeDescription ?? "absent")")
        }
        #expect(try c.string("tokenizer.ggml.pre") == "smollm")
        #expect(try c.strings("tokenizer.ggml.merges").count == 48900)
        #expect(try c.string("tokenizer.chat_template") == o.string("tokenizer.chat_template"))
    }

    @Test("gguf-py reads the converted file as Loom does",
          .enabled(if: enabled && (ConvertFixtures.python != nil || ConvertFixtures.requireModels), "needs LOOM_PYTHON and the -hf folder"))
    func pythonReadsIt() throws {
        let (converted, _, dir) = try Self.convert()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PythonCheck.compare(converted, path: dir + "/smollm2-f16.gguf",
                                keys: ["general.architecture", "llama.block_count", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id"])
    }
}
