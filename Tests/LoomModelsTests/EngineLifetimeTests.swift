// An engine that is no longer referenced is freed — its KV caches, states and thread pool with it —
// after it has generated (batched or not) and after its prompt cache kept prefixes: a server that
// loads and unloads models for hours must not keep old engines alive.

import Foundation
@testable import LoomRuntime
import LoomSampling
import Testing

@Suite("engine lifetime", .serialized)
struct EngineLifetimeTests {
    @Test("a dropped engine is freed after generating", .enabled(if: ModelFixtures.available), arguments: [1, 4])
    func freed(parallel: Int) async throws {
        weak var weakEngine: Engine?
        do {
            let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 2, parallel: parallel, promptCache: 16 << 20)
            weakEngine = engine
            let options = GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 4)
            for prompt in ["Once upon a time, in a land far away, there lived a very old dragon who", "Hi"] {
                _ = try await EngineTests.collect(engine.generate(raw: prompt, options: options))
            }
        }
        for _ in 0..<50 where weakEngine != nil { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(weakEngine == nil, "the engine outlived its last reference")
    }
}
