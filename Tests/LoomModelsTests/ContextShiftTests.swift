// Context shift on the real SmolLM2 model: after `shift(keep:discard:)` the cache must behave as if
// only the kept tokens had ever been seen (the moved keys re-rotated to their new positions), and
// the engine truncates long prompts / shifts or stops at the context end as Ollama's options say.

import Foundation
import LoomKernels
@testable import LoomModels
@testable import LoomRuntime
import LoomSampling
import Testing

@Suite("context shift and truncation", .serialized)
struct ContextShiftTests {
    static let text = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. "
        + "How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow. The five boxing wizards jump quickly."

    @Test("after a shift the moved keys/values equal a fresh pass's at their new positions (layer 0, every cache type)",
          .enabled(if: ModelFixtures.available), arguments: KVCacheType.allCases)
    func shiftMovesAndRerotates(type: KVCacheType) throws {
        // Layer 0's keys and values depend only on the token and its position, so after dropping
        // positions keep..<keep+discard the moved rows must equal those of a fresh pass over the
        // kept tokens. (Deeper layers saw the dropped tokens; context shift approximates there.)
        let (_, _, model) = try LlamaReferenceTests.load()
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 128, threads: 2)
        let tokens = engine.tokenize(Self.text)
        #expect(tokens.count >= 40)
        let pool = ThreadPool(threads: 2)
        let keep = 4, discard = 18, n = 40
        func layer0(_ cache: KVCache) -> (k: [Float], v: [Float]) {
            var k: [Float] = [], v: [Float] = []
            for p in 0..<cache.count {
                k += cache.row(keys: true, layer: 0, position: p)
                v += cache.row(keys: false, layer: 0, position: p)
            }
            return (k, v)
        }
        let shifted = model.makeState(capacity: 64, cacheType: type)
        _ = model.forward(Array(tokens[..<n]), state: shifted, pool: pool)
        model.shift(shifted, keep: keep, discard: discard)
        #expect(shifted.cache.count == n - discard)
        let fresh = model.makeState(capacity: 64, cacheType: type)
        _ = model.forward(Array(tokens[..<keep]) + Array(tokens[(keep + discard)..<n]), state: fresh, pool: pool)
        let unrotated = model.makeState(capacity: 64, cacheType: type)
        _ = model.forward(Array(tokens[..<n]), state: unrotated, pool: pool)
        unrotated.cache.removeRows(keep: keep, discard: discard)   // the control: moved, not re-rotated

        let (ks, vs) = layer0(shifted.cache), (kf, vf) = layer0(fresh.cache), (ku, _) = layer0(unrotated.cache)
        let scale = kf.map(abs).max() ?? 1
        let kDiff = zip(ks, kf).map { abs($0 - $1) }.max() ?? .infinity
        let vDiff = zip(vs, vf).map { abs($0 - $1) }.max() ?? .infinity
        let control = zip(ku, kf).map { abs($0 - $1) }.max() ?? 0
        print("\(type) cache: layer-0 keys after shift vs fresh max |Δ| \(kDiff) (max |k| \(scale)), values \(vDiff); not re-rotated \(control)")
        // A quantized key is dequantized, rotated and quantized again (llama.cpp's K-shift does the
        // same): about two quantization steps (q8_0: amax/127, q4_0: amax/8 per block) off a fresh one.
        let bound: Float = switch type { case .f32: 1e-4; case .f16: 2e-3; case .q8_0: 1.0 / 64; case .q4_0: 0.25 }
        #expect(kDiff <= bound * scale)
        #expect(vDiff <= (type == .f32 ? 1e-5 : 1e-3) * scale)
        #expect(control > 0.1 * scale)
    }

    @Test("a prompt longer than num_ctx is truncated after num_keep (truncate) or refused (truncate: false)",
          .enabled(if: ModelFixtures.available))
    func truncation() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 32, threads: 2)
        let long = String(repeating: Self.text, count: 2)
        #expect(engine.tokenize(long).count > 64)
        let greedy = SamplingOptions(temperature: 0)
        let (_, stats) = try await EngineTests.collect(engine.generate(raw: long, options: GenerateOptions(sampling: greedy, numPredict: 2)))
        #expect(stats?.promptEvalCount == 32)
        #expect(Array(engine.cachedTokens.prefix(4)) == Array(engine.tokenize(long).prefix(4)))
        await #expect(throws: EngineError.self) {
            _ = try await EngineTests.collect(engine.generate(raw: long, options: GenerateOptions(sampling: greedy, numPredict: 2, truncate: false)))
        }
    }

    @Test("at the context end generation shifts and goes on (shift), or stops with done reason length",
          .enabled(if: ModelFixtures.available))
    func shiftWhileGenerating() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 32, threads: 2)
        let prompt = "Count: 1, 2, 3, 4, 5,"
        let p = engine.tokenize(prompt).count
        let sampling = SamplingOptions(temperature: 0.8, seed: 7)
        let (text, on) = try await EngineTests.collect(engine.generate(raw: prompt, options: GenerateOptions(sampling: sampling, numPredict: 80)))
        #expect(on?.evalCount == 80 && on?.doneReason == .length && !text.isEmpty)
        #expect(engine.cachedTokens.count <= 32 && engine.cachedTokens.count == engine.cache.count)
        let (_, off) = try await EngineTests.collect(engine.generate(raw: prompt, options: GenerateOptions(sampling: sampling, numPredict: 80, shift: false)))
        #expect(off?.evalCount == 32 - p + 1 && off?.doneReason == .length)
    }
}
