// `create` with `quantize` against llama.cpp's `llama-quantize` (no importance matrix): the tensor
// types of every file type's mix on SmolLM2 (30 layers, 3 query heads per KV head) and Gemma 3 (4 per
// KV head, rows of 640 that are not whole 256-blocks), and — quantizing SmolLM2 F16 for real — every
// tensor's bytes. Goldens: Fixtures/quantize/ (Scripts/make_quantize_goldens.py).

import Crypto
import Foundation
import LoomGGUF
import LoomKernels
import LoomStore
import LoomTensor
import Testing

enum QuantizeFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let smolLM2F16 = root + "/.cache/models/SmolLM2-135M-Instruct.F16.gguf"
    static let gemma3 = root + "/.cache/models/gemma-3-270m-Q4_K_M.gguf"
    static func available(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path) || ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1"
    }

    struct Golden: Decodable {
        struct Mix: Decodable { var file_type: UInt32; var tensors: [String: [String?]] }
        var source_sha256: String
        var file_types: [String: Mix]
    }

    static func golden(_ name: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/quantize/" + name)))
    }
}

@Suite("quantize: llama.cpp's tensor-type mix")
struct QuantizationPolicyTests {
    @Test("the types of every tensor match llama-quantize's, per file type",
          .enabled(if: QuantizeFixtures.available(QuantizeFixtures.smolLM2F16)), arguments: ["smollm2-f16.json", "gemma3-types.json"])
    func types(golden name: String) throws {
        let golden = try QuantizeFixtures.golden(name)
        let source = try GGUFFile(path: name.hasPrefix("gemma3") ? QuantizeFixtures.gemma3 : QuantizeFixtures.smolLM2F16)
        #expect(golden.file_types.count >= 7)
        for (fileType, mix) in golden.file_types.sorted(by: { $0.key < $1.key }) {
            let types = try #require(GGUFQuantizer.types(source, fileType: fileType), "no policy for \(fileType)")
            #expect(types.count == mix.tensors.count)
            var wrong: [String] = []
            for (tensor, expected) in mix.tensors where types[tensor]?.name != expected[0] {
                wrong.append("\(tensor): \(types[tensor]?.name ?? "missing") ≠ \(expected[0] ?? "")")
            }
            #expect(wrong.isEmpty, "\(fileType): \(wrong.count) tensors differ, e.g. \(wrong.sorted().prefix(4))")
            #expect(FileType(name: fileType)?.rawValue == mix.file_type)
        }
    }

    @Test("an unknown or importance-matrix file type has no policy")
    func unknown() {
        let model = QuantizationPolicy.Model(architecture: "llama", layers: 2, heads: 4, kvHeads: 1)
        #expect(QuantizationPolicy(fileType: "Q4_K_M", model: model) != nil)
        #expect(QuantizationPolicy(fileType: "IQ2_XXS", model: model) == nil)
        #expect(QuantizationPolicy(fileType: "Q9_9", model: model) == nil)
        #expect(GGUFQuantizer.targets["q4_k_m"]?.rawValue == 15)
        #expect(GGUFQuantizer.targets["f32"] == nil)
    }

    /// The file types whose whole mix Loom writes, quantized from SmolLM2 F16 and compared byte for byte.
    static let byteTypes = ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q2_K", "IQ4_NL",
                            "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "BF16", "F16"]

    @Test("create quantize writes llama-quantize's bytes, tensor by tensor",
          .enabled(if: QuantizeFixtures.available(QuantizeFixtures.smolLM2F16)), arguments: byteTypes)
    func bytes(fileType: String) throws {
        let golden = try QuantizeFixtures.golden("smollm2-f16.json")
        let mix = try #require(golden.file_types[fileType])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-quantize-\(fileType)-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try GGUFQuantizer.quantize(try GGUFFile(path: QuantizeFixtures.smolLM2F16), target: fileType, to: out, threads: 2)
        let file = try GGUFFile(path: out)
        #expect(try file.metadata.uint32("general.file_type") == mix.file_type)
        var wrong: [String] = []
        for tensor in file.tensors {
            let digest = SHA256.hash(data: file.bytes(of: tensor)).map { String(format: "%02x", $0) }.joined()
            let expected = mix.tensors[tensor.name]
            if expected?[0] != tensor.type.name || expected?[1] != digest { wrong.append("\(tensor.name) (\(tensor.type.name))") }
        }
        #expect(file.tensors.count == mix.tensors.count)
        #expect(wrong.isEmpty, "\(fileType): \(wrong.count) of \(file.tensors.count) tensors differ from llama-quantize, e.g. \(wrong.prefix(4))")
    }
}
