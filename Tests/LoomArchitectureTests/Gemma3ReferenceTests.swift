// Gemma 3 270M (the real Q4_K_M file) against the float64 numpy reference of the same file
// (Scripts/reference_arch.py gemma3 → Fixtures/model/gemma3-270m-q4_k_m-reference.json): three
// prompts, one of 700+ tokens so the local layers' 512-position sliding window matters.
//   - exact path: LOOM_GEMMA3_F32 names a copy of the file with every tensor dequantized to f32
//     (Scripts/dequantize_gguf.py) — the same function; Loom's f32 logits must be within 1e-3 ×
//     max |logit| at every recorded position and the greedy continuations equal;
//   - real file: runs once Loom has the Q4_K and Q6_K kernels (PackedMatrix.supportedTypes); the
//     int8-activation kernels move logits as llama.cpp's do, so top-1 and greedy agree up to near-ties.

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import LoomTensor
import LoomTokenizers
import Testing

enum Gemma3Fixture {
    static let real = TinyModels.root + "/.cache/models/gemma-3-270m-Q4_K_M.gguf"
    static let f32Copy = ProcessInfo.processInfo.environment["LOOM_GEMMA3_F32"]
    static var hasKQuants: Bool { PackedMatrix.supportedTypes.isSuperset(of: [.q4_K, .q6_K]) }
    static var realAvailable: Bool { FileManager.default.fileExists(atPath: real) && hasKQuants }

    struct Golden: Decodable {
        struct Prompt: Decodable {
            struct Greedy: Decodable { var token_ids: [Int32]; var top2_gap: [Double] }
            var name: String
            var token_ids: [Int32]
            var argmax: [Int32]
            var top5: [[[Double]]]
            var max_abs_logit: [Double]
            var sample_positions: [Int]
            var sample_logits: [[Double]]
            var greedy: Greedy?
        }
        var sample_ids: [Int]
        var prompts: [Prompt]
    }

    static func golden() throws -> Golden {
        let url = URL(fileURLWithPath: TinyModels.root + "/Fixtures/model/gemma3-270m-q4_k_m-reference.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    static func load(_ path: String) throws -> any DecoderModel {
        let info = try ModelInfo(path: path)
        #expect(info.architectureName == "gemma3")
        return try info.loadDecoder()
    }

    /// Largest |Δlogit| / max |logit| over the top-5 ids of every position and the sampled ids at the
    /// sampled positions; and the positions whose top-1 differs.
    static func compare(_ logits: [Float], _ p: Golden.Prompt, _ g: Golden, vocabulary V: Int) -> (Double, [Int]) {
        var worst = 0.0, at = 0
        func note(_ d: Double, _ t: Int) { if d > worst { worst = d; at = t } }
        for t in p.token_ids.indices {
            for pair in p.top5[t] { note(abs(Double(logits[t * V + Int(pair[0])]) - pair[1]) / p.max_abs_logit[t], t) }
        }
        for (k, t) in p.sample_positions.enumerated() {
            for (i, id) in g.sample_ids.enumerated() {
                note(abs(Double(logits[t * V + id]) - p.sample_logits[k][i]) / p.max_abs_logit[t], t)
            }
        }
        print("gemma3 \(p.name): largest error at position \(at)")
        let mismatches = p.token_ids.indices.filter { t in
            let row = logits[(t * V)..<((t + 1) * V)]
            return Int32((row.indices.max { row[$0] < row[$1] } ?? 0) - t * V) != p.argmax[t]
        }
        return (worst, mismatches)
    }

    /// llama.cpp's logits [T, V] of `tokens` (Scripts/llama_logits.cpp, compiled).
    static func llamaCpp(tool: String, model: String, tokens: [Int32], vocabulary V: Int) throws -> [Float] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-gemma3-\(getpid()).f32")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [model, out.path, "1024"] + tokens.map(String.init)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let data = try Data(contentsOf: out)
        try? FileManager.default.removeItem(at: out)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func greedy(_ model: any DecoderModel, _ prompt: [Int32], steps: Int, cacheType: KVCacheType, path: MatMulPath) -> [Int32] {
        let pool = ThreadPool(threads: 2)
        let state = model.makeState(capacity: 1024, cacheType: cacheType, batch: prompt.count, threads: 2)
        var row = model.forward(prompt, state: state, pool: pool, output: .lastLogits, path: path)
        var out: [Int32] = []
        for _ in 0..<steps {
            let next = Int32(row.indices.max { row[$0] < row[$1] } ?? 0)
            out.append(next)
            row = model.forward([next], state: state, pool: pool, output: .lastLogits, path: path)
        }
        return out
    }
}

@Suite("Gemma 3 270M vs numpy reference")
struct Gemma3ReferenceTests {
    @Test("f32 copy: logits within 1e-3 × max |logit| at every position, top-1 and greedy identical",
          .enabled(if: Gemma3Fixture.f32Copy != nil))
    func f32Copy() throws {
        let golden = try Gemma3Fixture.golden()
        let model = try Gemma3Fixture.load(try #require(Gemma3Fixture.f32Copy))
        let pool = ThreadPool(threads: 2)
        let V = model.shape.vocabulary
        for prompt in golden.prompts {
            let state = model.makeState(capacity: 1024, cacheType: .f32, batch: prompt.token_ids.count, threads: 2)
            let logits = model.forward(prompt.token_ids, state: state, pool: pool, output: .allLogits, path: .auto)
            let (err, mismatches) = Gemma3Fixture.compare(logits, prompt, golden, vocabulary: V)
            print("gemma3 f32 \(prompt.name) (\(prompt.token_ids.count) tokens): max |Δ|/max|logit| \(err), top-1 differs at \(mismatches)")
            #expect(err < 1e-3, "\(prompt.name): \(err)")
            if let tool = ProcessInfo.processInfo.environment["LOOM_LLAMA_LOGITS"], let copy = Gemma3Fixture.f32Copy {
                // Measurement only: llama.cpp's logits of the same f32 file (its GELU reads an fp16
                // table, GGML_GELU_FP16, which Gemma's long contexts amplify; see the report).
                let theirs = try Gemma3Fixture.llamaCpp(tool: tool, model: copy, tokens: prompt.token_ids, vocabulary: V)
                var worst = 0.0
                for t in prompt.token_ids.indices {
                    let row = (t * V)..<((t + 1) * V)
                    let m = theirs[row].map { abs(Double($0)) }.max() ?? 1
                    worst = max(worst, zip(logits[row], theirs[row]).map { abs(Double($0 - $1)) }.max()! / m)
                }
                print("gemma3 f32 \(prompt.name): Loom vs llama.cpp max |Δ|/max|logit| \(worst)")
            }
            #expect(mismatches.allSatisfy { prompt.top5[$0][0][1] - prompt.top5[$0][1][1] < 1e-3 }, "\(prompt.name): \(mismatches)")
            if let greedy = prompt.greedy {
                let out = Gemma3Fixture.greedy(model, prompt.token_ids, steps: greedy.token_ids.count, cacheType: .f32, path: .auto)
                let first = zip(out, greedy.token_ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(first.map { greedy.top2_gap[$0] < 1e-3 } ?? true, "\(prompt.name): greedy diverges at \(first ?? -1)")
            }
        }
    }

    @Test("real Q4_K_M file: top-1 at every position and greedy agree with the reference up to near-ties",
          .enabled(if: Gemma3Fixture.realAvailable))
    func realFile() throws {
        let golden = try Gemma3Fixture.golden()
        let model = try Gemma3Fixture.load(Gemma3Fixture.real)
        let pool = ThreadPool(threads: 2)
        let V = model.shape.vocabulary
        for prompt in golden.prompts {
            let state = model.makeState(capacity: 1024, cacheType: .f16, batch: prompt.token_ids.count, threads: 2)
            let logits = model.forward(prompt.token_ids, state: state, pool: pool, output: .allLogits, path: .auto)
            let (err, mismatches) = Gemma3Fixture.compare(logits, prompt, golden, vocabulary: V)
            let gaps = mismatches.map { prompt.top5[$0][0][1] - prompt.top5[$0][1][1] }
            print("gemma3 Q4_K_M \(prompt.name): max |Δ|/max|logit| \(err), top-1 differs at \(mismatches), reference gaps \(gaps)")
            // Calibrated on llama.cpp's own logits of this file (Scripts/llama_logits.cpp): its int8
            // activations flip the top-1 at 0 / 2 / 23 positions of the three prompts, where the
            // reference's top-2 gaps are at most 0.44, and its greedy run of the first prompt
            // diverges at step 10 (gap 0.13); its max |Δ| / max |logit| is 6e-2 on the short prompts.
            #expect(gaps.allSatisfy { $0 < 0.75 }, "\(prompt.name): top-1 differs at \(mismatches), gaps \(gaps)")
            #expect(mismatches.count * 10 <= prompt.token_ids.count, "\(prompt.name): top-1 differs at \(mismatches)")
            if let greedy = prompt.greedy {
                let out = Gemma3Fixture.greedy(model, prompt.token_ids, steps: greedy.token_ids.count, cacheType: .f16, path: .auto)
                if let first = zip(out, greedy.token_ids).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                    print("gemma3 Q4_K_M \(prompt.name): greedy diverges at \(first), reference gap \(greedy.top2_gap[first])")
                    #expect(greedy.top2_gap[first] < 2.0 && first >= 8, "\(prompt.name): greedy diverges at \(first)")
                }
            }
        }
    }
}

extension Gemma3ReferenceTests {
    @Test("the runtime's tokenizer gives the golden prompts' ids (llama.cpp's llama-tokenize, BOS added)",
          .enabled(if: FileManager.default.fileExists(atPath: Gemma3Fixture.real)))
    func tokenizer() throws {
        let golden = try Gemma3Fixture.golden()
        let file = try GGUFFile(path: Gemma3Fixture.real)
        let tokenizer = try Tokenizers.make(try Vocabulary(metadata: file.metadata))
        let texts = try JSONDecoder().decode(Texts.self, from: Data(contentsOf: URL(fileURLWithPath:
            TinyModels.root + "/Fixtures/model/gemma3-270m-q4_k_m-reference.json"))).prompts
        for (prompt, text) in zip(golden.prompts, texts) {
            #expect(tokenizer.encode(text.text, addSpecial: true, parseSpecial: false) == prompt.token_ids, "\(prompt.name)")
        }
    }

    struct Texts: Decodable { struct Prompt: Decodable { var text: String }; var prompts: [Prompt] }
}
