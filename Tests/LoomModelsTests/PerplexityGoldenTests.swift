// Perplexity against llama.cpp's `llama-perplexity` on the same weights (ctx 512, Fixtures/text/GPL-3.txt):
// the real Gemma 3 270M Q4_K_M file, and SmolLM2 in every type of issue 17 — each SmolLM2 file made
// here by Loom's own quantizer from the F16 variant, which writes llama-quantize's tensors byte for byte
// (LoomStoreTests), so the figures of Fixtures/perplexity/gpl3-ctx512.json (Scripts/
// make_perplexity_goldens.py, llama-quantize's files) apply. Within 0.5%.

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import LoomStore
import LoomTokenizers
import Testing

@Suite("perplexity vs llama-perplexity", .serialized)
struct PerplexityGoldenTests {
    struct Golden: Decodable {
        struct Model: Decodable { var file_type: String; var ppl: Double; var chunks: Int }
        var ctx: Int
        var models: [String: Model]
    }

    static let golden: Golden? = try? JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: ModelFixtures.root + "/Fixtures/perplexity/gpl3-ctx512.json")))
    static var names: [String] { (golden?.models.keys.sorted()) ?? [] }

    @Test("within 0.5% of llama.cpp", .enabled(if: ModelFixtures.available), arguments: names)
    func perplexity(name: String) throws {
        let golden = try #require(Self.golden)
        let expected = try #require(golden.models[name])
        var path = ModelFixtures.root + "/.cache/models/gemma-3-270m-Q4_K_M.gguf"
        var temporary: String?
        if name.hasPrefix("SmolLM2") {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-ppl-\(UUID().uuidString).gguf").path
            try GGUFQuantizer.quantize(try GGUFFile(path: ModelFixtures.path(variant: "F16")), target: expected.file_type, to: out, threads: 2)
            path = out
            temporary = out
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        let info = try ModelInfo(path: path)
        let vocabulary = try Vocabulary(metadata: info.file.metadata)
        let tokenizer = try Tokenizers.make(vocabulary)
        let text = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/text/GPL-3.txt", encoding: .utf8)
        let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        let model = try info.loadDecoder()
        let result = model.perplexity(tokens, chunk: golden.ctx, bos: vocabulary.addBOS ? vocabulary.bos : nil, pool: ThreadPool(threads: 2))
        #expect(result.perChunk.count == expected.chunks)
        let ratio = result.perplexity / expected.ppl
        print("perplexity \(name): Loom \(String(format: "%.4f", result.perplexity)), llama.cpp \(expected.ppl), ratio \(String(format: "%.4f", ratio))")
        #expect(abs(ratio - 1) < 0.005, "\(name): Loom \(result.perplexity) vs llama.cpp \(expected.ppl)")
    }
}
