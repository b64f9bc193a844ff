// gemma3, qwen3, phi3 and mistral (a llama file declaring a sliding window) on tiny random-weight
// GGUFs made by Scripts/make_tiny_models.py (at test time, with LOOM_PYTHON): Loom's logits at every
// position against the float64 numpy reference (Scripts/reference_arch.py) and against llama.cpp's
// logits of the same file and tokens (Scripts/llama_logits.cpp, stored in the same golden), within
// 1e-3 × max |logit|; prefill-then-decode through the KV cache equals one pass; greedy decoding.

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import Testing

enum TinyModels {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let names = ["gemma3", "qwen3", "phi3", "mistral"]
    static var python: String? { ProcessInfo.processInfo.environment["LOOM_PYTHON"] }

    /// The tiny files, written once per test process by Scripts/make_tiny_models.py.
    static let directory: Result<String, TinyError> = {
        guard let python else { return .failure(.noPython) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-tiny-\(getpid())").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root + "/Scripts/make_tiny_models.py", dir, "--check"]
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(.script("\(error)")) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return .failure(.script("exit \(process.terminationStatus)")) }
        return .success(dir)
    }()

    enum TinyError: Error { case noPython, script(String) }

    struct Golden: Decodable {
        struct Model: Decodable { var file: String; var sha256: String }
        struct Greedy: Decodable { var prompt_ids: [Int32]; var token_ids: [Int32]; var top2_gap: [Double] }
        struct LlamaCpp: Decodable { var logits_f32le_b64: String; var max_rel_err_vs_numpy: Double }
        var model: Model
        var token_ids: [Int32]
        var logits_f32le_b64: String
        var max_abs_logit: [Double]
        var greedy: Greedy
        var llama_cpp: LlamaCpp
    }

    static func golden(_ name: String) throws -> Golden {
        let url = URL(fileURLWithPath: root + "/Fixtures/model/tiny-\(name)-reference.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    static func floats(_ b64: String) -> [Float] {
        guard let data = Data(base64Encoded: b64) else { return [] }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// The tiny model `name` through the registry, as the runtime loads it.
    static func load(_ name: String) throws -> (ModelInfo, any DecoderModel) {
        let info = try ModelInfo(path: try directory.get() + "/tiny-\(name).gguf")
        return (info, try info.loadDecoder())
    }

    /// max over positions of max |a − b| / max |b| (rows of V).
    static func relativeError(_ a: [Float], _ b: [Float], vocabulary V: Int) -> Double {
        precondition(a.count == b.count && a.count % V == 0)
        var worst = 0.0
        for t in 0..<(a.count / V) {
            var d = 0.0, m = 0.0
            for i in (t * V)..<((t + 1) * V) {
                d = max(d, Double(abs(a[i] - b[i])))
                m = max(m, Double(abs(b[i])))
            }
            worst = max(worst, d / m)
        }
        return worst
    }
}

@Suite("llama-family architectures on tiny random-weight files", .enabled(if: TinyModels.python != nil))
struct TinyArchitectureTests {
    @Test("the registry maps each tiny file to its architecture")
    func registry() throws {
        let expected: [String: String] = ["gemma3": "gemma3", "qwen3": "qwen3", "phi3": "phi3", "mistral": "llama"]
        for name in TinyModels.names {
            let (info, model) = try TinyModels.load(name)
            #expect(info.architectureName == expected[name])
            #expect(model.shape.vocabulary == 512)
        }
    }

    @Test("logits at every position within 1e-3 × max |logit| of numpy and of llama.cpp",
          arguments: TinyModels.names, [KVCacheType.f32, .f16])
    func logits(name: String, cacheType: KVCacheType) throws {
        let golden = try TinyModels.golden(name)
        let (_, model) = try TinyModels.load(name)
        let pool = ThreadPool(threads: 2)
        let V = model.shape.vocabulary
        for path in [MatMulPath.auto, .openBLAS] {
            let state = model.makeState(capacity: 64, cacheType: cacheType, batch: 1, threads: 2)
            let logits = model.forward(golden.token_ids, state: state, pool: pool, output: .allLogits, path: path)
            let numpy = TinyModels.relativeError(logits, TinyModels.floats(golden.logits_f32le_b64), vocabulary: V)
            let llama = TinyModels.relativeError(logits, TinyModels.floats(golden.llama_cpp.logits_f32le_b64), vocabulary: V)
            print("tiny \(name) \(path) \(cacheType) cache: max |Δ|/max|logit| vs numpy \(numpy), vs llama.cpp \(llama) (llama.cpp vs numpy \(golden.llama_cpp.max_rel_err_vs_numpy))")
            #expect(numpy < 1e-3, "\(name) \(path): vs numpy \(numpy)")
            #expect(llama < 1e-3, "\(name) \(path): vs llama.cpp \(llama)")
        }
    }

    @Test("prefill, then one token at a time through the KV cache: the same logits as one pass", arguments: TinyModels.names)
    func decode(name: String) throws {
        let golden = try TinyModels.golden(name)
        let (_, model) = try TinyModels.load(name)
        let pool = ThreadPool(threads: 2)
        let V = model.shape.vocabulary, ids = golden.token_ids
        let whole = model.forward(ids, state: model.makeState(capacity: 64, cacheType: .f32, batch: 1, threads: 2),
                                  pool: pool, output: .allLogits, path: .openBLAS)
        let state = model.makeState(capacity: 64, cacheType: .f32, batch: 1, threads: 2)
        var stepped = model.forward(Array(ids[..<6]), state: state, pool: pool, output: .allLogits, path: .openBLAS)
        for id in ids[6...] { stepped += model.forward([id], state: state, pool: pool, output: .lastLogits, path: .openBLAS) }
        let err = TinyModels.relativeError(stepped, whole, vocabulary: V)
        #expect(err < 1e-5, "\(name): stepped vs one pass \(err)")
    }

    @Test("greedy decoding reproduces the reference's 8 tokens", arguments: TinyModels.names)
    func greedy(name: String) throws {
        let golden = try TinyModels.golden(name)
        let (_, model) = try TinyModels.load(name)
        let pool = ThreadPool(threads: 2)
        let state = model.makeState(capacity: 64, cacheType: .f32, batch: 1, threads: 2)
        var row = model.forward(golden.greedy.prompt_ids, state: state, pool: pool, output: .lastLogits, path: .auto)
        var generated: [Int32] = []
        for _ in golden.greedy.token_ids {
            let next = Int32(row.indices.max { row[$0] < row[$1] } ?? 0)
            generated.append(next)
            row = model.forward([next], state: state, pool: pool, output: .lastLogits, path: .auto)
        }
        #expect(generated == golden.greedy.token_ids, "\(name): top-2 gaps \(golden.greedy.top2_gap)")
    }
}

extension TinyArchitectureTests {
    @Test("gemma3 context shift re-rotates each layer's keys with that layer's RoPE base (local 10000, global 1e6)")
    func gemma3Shift() throws {
        let golden = try TinyModels.golden("gemma3")
        let (_, model) = try TinyModels.load("gemma3")
        let pool = ThreadPool(threads: 2)
        let state = model.makeState(capacity: 64, cacheType: .f32, batch: 1, threads: 2)
        _ = model.forward(Array(golden.token_ids[..<16]), state: state, pool: pool, output: .lastLogits, path: .auto)
        // Tiny gemma3: sliding_window_pattern 2 → layers 0 and 2 local, layer 1 global; 2 KV heads × 32.
        let before = (0..<3).map { state.cache.row(keys: true, layer: $0, position: 10) }
        model.shift(state, keep: 2, discard: 4)
        for (layer, base) in [(0, Float(10_000)), (1, 1e6), (2, 10_000)] {
            var expected = before[layer]
            let delta: [Int32] = [-4]
            expected.withUnsafeMutableBufferPointer { e in
                delta.withUnsafeBufferPointer { d in
                    Ops.rope(e.baseAddress!, positions: d.baseAddress!, nTokens: 1, nHeads: 2, headDim: 32, nRot: 32,
                             freqBase: base, freqScale: 1, style: .neox)
                }
            }
            let after = state.cache.row(keys: true, layer: layer, position: 6)
            let err = zip(after, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(err < 1e-5, "layer \(layer): \(err)")
            let wrongBase = zip(after, before[layer]).map { abs($0 - $1) }.max() ?? 0
            #expect(wrongBase > 1e-3, "layer \(layer): the key did not move")
        }
    }
}
