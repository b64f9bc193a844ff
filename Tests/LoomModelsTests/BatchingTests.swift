// Continuous batching (BatchStepper, LlamaModel+Batch): seeded generations give the same tokens
// alone and batched eight at a time, for every weight type the fixtures have (the batched pass
// runs each row through the kernel it would use alone); a request sharing a long system prompt
// with an earlier one takes that one's slot and evaluates only its new tokens, even after an
// unrelated request ran in between; a pass takes prompt chunks up to num_batch tokens, in arrival order.

import Foundation
import LoomModels
@testable import LoomRuntime
import LoomSampling
import Testing

@Suite("continuous batching", .serialized)
struct BatchingTests {
    static let prompts = ["Once upon a time", "The capital of France is", "def fibonacci(n):", "Water boils at",
                          "My favourite colour", "In 1969, astronauts", "A haiku about rain:", "Three reasons to exercise:"]

    static func run(_ engine: Engine, _ prompt: String, seed: Int) async throws -> (String, GenerationStats?) {
        let options = GenerateOptions(sampling: SamplingOptions(temperature: 0.8, seed: seed), numPredict: 24)
        return try await EngineTests.collect(engine.generate(raw: prompt, options: options))
    }

    @Test("seeded outputs: alone (one slot, one at a time) == batched (eight slots, all at once)",
          .enabled(if: ModelFixtures.available), arguments: ["Q4_0", "Q4_1", "Q8_0", "F16", "gemma3"])
    func deterministic(variant: String) async throws {
        // gemma3: Gemma 3 270M Q4_K_M (K-quant kernels, sliding-window layers, soft-capped logits).
        let path = variant == "gemma3" ? Gemma3EngineTests.path : ModelFixtures.path(variant: variant)
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("missing \(path) (make models)")
            return
        }
        let alone = try Engine.load(path: path, contextLength: 256, threads: 2)
        var expected: [String] = []
        for (i, p) in Self.prompts.enumerated() { expected.append(try await Self.run(alone, p, seed: 100 + i).0) }
        let batched = try Engine.load(path: path, contextLength: 256, threads: 2, parallel: 8)
        let got = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, p) in Self.prompts.enumerated() { group.addTask { (i, try await Self.run(batched, p, seed: 100 + i).0) } }
            var out = [String](repeating: "", count: Self.prompts.count)
            for try await (i, text) in group { out[i] = text }
            return out
        }
        #expect(expected.allSatisfy { !$0.isEmpty })
        for i in Self.prompts.indices { #expect(got[i] == expected[i], "\(variant) prompt \(i)") }
    }

    @Test("a request sharing a 400-token system prompt with an earlier one evaluates only its new tokens",
          .enabled(if: ModelFixtures.available))
    func sharedPrefix() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 1024, threads: 2, parallel: 4)
        let readme = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/text/GPL-3.txt", encoding: .utf8)
        var system = ""
        for word in readme.split(separator: " ") {
            if engine.tokenize(system).count >= 400 { break }
            system += word + " "
        }
        func chat(_ user: String) -> [ChatMessage] { [ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: user)] }
        let options = ChatOptions(generation: GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 4))
        let (_, first) = try await EngineTests.collect(engine.chat(chat("What is this license about?"), options: options))
        // Something unrelated in between (it takes another slot).
        _ = try await EngineTests.collect(engine.chat([ChatMessage(role: "user", content: "Hi!")], options: options))
        let (_, second) = try await EngineTests.collect(engine.chat(chat("Can I sell copies?"), options: options))
        let a = engine.tokenize(try engine.render(chat("What is this license about?")))
        let b = engine.tokenize(try engine.render(chat("Can I sell copies?")))
        var shared = 0
        while shared < min(a.count, b.count) && a[shared] == b[shared] { shared += 1 }
        #expect(shared >= 400)
        #expect(first?.promptEvalCount == a.count)
        #expect(second?.promptEvalCount == b.count - shared)
    }

    @Test("a pass takes every decode step and prompt chunks up to num_batch tokens, first come first served",
          .enabled(if: ModelFixtures.available))
    func prefillBudget() throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 64, threads: 1)
        func request(_ n: Int) -> BatchStepper.Request { .init(BatchEntry(tokens: [Int32](repeating: 1, count: n), state: engine.state)) }
        let a = request(300), b = request(1), c = request(300), d = request(200), e = request(1)
        var pending = [a, b, c, d, e]
        let ids = { (rs: [BatchStepper.Request]) in rs.map(ObjectIdentifier.init) }
        #expect(ids(BatchStepper.take(&pending, prefillBudget: 512)) == ids([a, b, e]))   // d does not overtake c
        #expect(ids(pending) == ids([c, d]))
        #expect(ids(BatchStepper.take(&pending, prefillBudget: 512)) == ids([c, d]))
        var big = [request(600), request(1)]
        #expect(BatchStepper.take(&big, prefillBudget: 512).count == 2 && big.isEmpty)   // a first chunk always goes
    }
}
