// all-MiniLM-L6-v2 converted by Loom from its Safetensors folder (LoomConvert) to F32, F16 and
// Q8_0 GGUFs, embedded by the Embedder, against the independent float64 numpy reference
// (Scripts/reference_bert.py → Fixtures/model/minilm-reference.json): the WordPiece ids of every
// case, cosine ≥ 0.9999 (F32, F16) / ≥ 0.999 (Q8_0), the norm before normalization, the pairwise
// cosines, packed batches equal one-at-a-time, `dimensions`, and the context limit.

import Foundation
import LoomConvert
import LoomGGUF
import LoomKernels
import LoomModels
@testable import LoomRuntime
import LoomStore
import Testing

enum MiniLM {
    static let folder = ModelFixtures.root + "/.cache/models/all-MiniLM-L6-v2"
    static var available: Bool {
        FileManager.default.fileExists(atPath: folder + "/model.safetensors") || ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1"
    }

    struct Golden: Decodable {
        struct Case: Decodable {
            var text: String
            var truncated_to: Int?
            var ids: [Int32]
            var embedding: [Float]
            var cls_embedding: [Float]
            var last_embedding: [Float]
            var mean_pooled_norm: Double
        }
        var cases: [Case]
        var cosine: [[Double]]
    }

    static let golden: Golden? = {
        guard let data = FileManager.default.contents(atPath: ModelFixtures.root + "/Fixtures/model/minilm-reference.json") else { return nil }
        return try? JSONDecoder().decode(Golden.self, from: data)
    }()

    /// The folder converted once per type (f32, f16) or quantized from F32 (q8_0), in a temp dir.
    static func gguf(_ variant: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = made[variant] { return path }
        if made.isEmpty { removeStaleDirectories() }
        let dir = NSTemporaryDirectory() + "loom-minilm-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/minilm-\(variant).gguf"
        let source = try HFModelFolder(directory: folder)
        switch variant {
        case "f16": _ = try HFConverter.convert(source, to: path, type: .f16)
        case "f32": _ = try HFConverter.convert(source, to: path, type: .f32)
        default:
            let f32 = try gguf("f32")
            try GGUFQuantizer.quantize(try GGUFFile(path: f32), target: variant, to: path, threads: 2)
        }
        made[variant] = path
        return path
    }
    nonisolated(unsafe) static var made: [String: String] = [:]

    /// Deletes the conversion folders of earlier test processes that have exited (~160 MB each).
    static func removeStaleDirectories() {
        let tmp = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("loom-minilm-") {
            guard let pid = Int32(name.dropFirst("loom-minilm-".count)), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: tmp + "/" + name)
        }
    }
    static let lock = NSRecursiveLock()

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += Double(a[i]) * Double(b[i]); na += Double(a[i]) * Double(a[i]); nb += Double(b[i]) * Double(b[i]) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}

@Suite("BERT embeddings vs numpy reference (all-MiniLM-L6-v2)", .enabled(if: MiniLM.available))
struct BertEmbeddingTests {
    /// Every reference case (cut at 256 tokens where the reference cut it), with the context it needs.
    static func cases() throws -> [MiniLM.Golden.Case] { try #require(MiniLM.golden).cases }

    @Test("WordPiece ids equal Hugging Face's for every case")
    func tokenIDs() throws {
        let embedder = try Embedder.load(path: try MiniLM.gguf("f32"), contextLength: 512)
        for c in try Self.cases() where c.truncated_to == nil {
            let ids = try EmbeddingInputs(tokenizer: embedder.tokenizer, context: 512).tokens([c.text], truncate: false)[0]
            #expect(ids == c.ids, "\(c.text.debugDescription)")
        }
    }

    @Test("cosine to the reference ≥ bound, all cases in one packed batch", arguments: [("f32", 0.9999), ("f16", 0.9999), ("q8_0", 0.999)])
    func matchesReference(variant: String, bound: Double) async throws {
        let all = try Self.cases()
        let embedder = try Embedder.load(path: try MiniLM.gguf(variant), contextLength: 512)
        let whole = all.filter { $0.truncated_to == nil }
        let result = try await embedder.embed(whole.map(\.text))
        #expect(result.vectors.count == whole.count)
        #expect(result.promptEvalCount == whole.reduce(0) { $0 + $1.ids.count })
        var worst = 1.0
        for (c, v) in zip(whole, result.vectors) {
            let cos = MiniLM.cosine(v, c.embedding)
            worst = min(worst, cos)
            #expect(cos >= bound, "\(variant) \(c.text.debugDescription): cosine \(cos)")
            #expect(abs(MiniLM.cosine(v, v) - 1) < 1e-6)
        }
        print("minilm \(variant): worst cosine to the reference \(worst) over \(whole.count) cases")
        // The reference's cut at 256 tokens (sentence-transformers' max_seq_length) = Loom at num_ctx 256.
        if let cut = all.first(where: { $0.truncated_to == 256 }) {
            let short = try Embedder.load(path: try MiniLM.gguf(variant), contextLength: 256)
            let v = try await short.embed([cut.text]).vectors[0]
            #expect(MiniLM.cosine(v, cut.embedding) >= bound)
        }
    }

    @Test("CLS and LAST pooling (the file's pooling type overridden) match the reference's first/last hidden states",
          arguments: ["f32", "f16"])
    func otherPoolings(variant: String) throws {
        let whole = try Self.cases().filter { $0.truncated_to == nil }
        let file = try GGUFFile(path: try MiniLM.gguf(variant))
        var hp = try BertHyperparameters(architecture: "bert", metadata: GGUFModelMetadata(file.metadata))
        #expect(hp.pooling == .mean)
        for (pooling, want) in [(PoolingType.cls, \MiniLM.Golden.Case.cls_embedding), (.last, \.last_embedding)] {
            hp.pooling = pooling
            let model = try BertModel(hyperparameters: hp, weights: GGUFWeightSource(file: file))
            let vectors = model.encode(whole.map(\.ids), pool: ThreadPool(threads: 2))
            var worst = 1.0, farthestFromMean = 1.0
            for (c, v) in zip(whole, vectors) {
                let cos = MiniLM.cosine(v, c[keyPath: want])
                worst = min(worst, cos)
                farthestFromMean = min(farthestFromMean, MiniLM.cosine(v, c.embedding))
                #expect(cos >= 0.9999, "\(variant) \(pooling) \(c.text.debugDescription): cosine \(cos)")
            }
            // The check can tell the poolings apart: some vector is far from the mean-pooled one.
            #expect(farthestFromMean < 0.9)
            print("minilm \(variant) \(pooling): worst cosine to the reference \(worst); farthest from mean pooling \(farthestFromMean)")
        }
    }

    @Test("F32: norms before normalization and pairwise cosines match the reference")
    func normsAndPairs() async throws {
        let all = try Self.cases()
        let whole = all.filter { $0.truncated_to == nil }
        let embedder = try Embedder.load(path: try MiniLM.gguf("f32"), contextLength: 512)
        let raw = try await embedder.embed(whole.map(\.text), options: EmbedOptions(normalize: false)).vectors
        #expect(whole.count == all.count - 1 && all.last?.truncated_to != nil)   // pair indices below are the cases' own
        for (c, v) in zip(whole, raw) {
            let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - c.mean_pooled_norm) <= 1e-4 * c.mean_pooled_norm, "\(c.text.debugDescription): \(norm) vs \(c.mean_pooled_norm)")
        }
        for pair in try #require(MiniLM.golden).cosine {
            let (i, j, want) = (Int(pair[0]), Int(pair[1]), pair[2])
            guard i < raw.count, j < raw.count else { continue }
            #expect(abs(MiniLM.cosine(raw[i], raw[j]) - want) < 1e-4, "pair \(i), \(j)")
        }
    }

    @Test("a packed batch gives each input's one-at-a-time vector; order kept across batch splits")
    func batchingIsInvisible() async throws {
        let texts = try Self.cases().filter { $0.truncated_to == nil }.map(\.text)
        let path = try MiniLM.gguf("f32")
        let packed = try await Embedder.load(path: path, contextLength: 512).embed(texts).vectors
        // batchSize 64 forces many small batches (the 309-token case alone).
        let small = try await Embedder.load(path: path, contextLength: 512, batchSize: 64).embed(texts).vectors
        let single = try Embedder.load(path: path, contextLength: 512)
        for (i, text) in texts.enumerated() {
            let alone = try await single.embed([text]).vectors[0]
            #expect(MiniLM.cosine(packed[i], alone) > 0.999_999, "\(text.debugDescription)")
            #expect(MiniLM.cosine(small[i], alone) > 0.999_999, "\(text.debugDescription)")
        }
        #expect(Embedder.batches([5, 5, 5, 20, 1], limit: 10) == [0..<2, 2..<3, 3..<4, 4..<5])
    }

    @Test("dimensions cut and renormalize; truncate false refuses an input over the context")
    func dimensionsAndContext() async throws {
        let embedder = try Embedder.load(path: try MiniLM.gguf("f32"), contextLength: 16)
        let full = try await embedder.embed(["a short sentence"]).vectors[0]
        let cut = try await embedder.embed(["a short sentence"], options: EmbedOptions(dimensions: 8)).vectors[0]
        #expect(cut.count == 8)
        #expect(abs(MiniLM.cosine(cut, cut) - 1) < 1e-6)
        #expect(MiniLM.cosine(cut, Array(full[..<8])) > 0.999_999)
        let long = String(repeating: "word ", count: 40)
        let truncated = try await embedder.embed([long])
        #expect(truncated.promptEvalCount == 16)
        await #expect(throws: EngineError.self) { try await embedder.embed([long], options: EmbedOptions(truncate: false)) }
    }
}
