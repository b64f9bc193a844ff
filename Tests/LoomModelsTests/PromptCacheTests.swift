// The prompt cache (LoomRuntime/PromptCache.swift): KV prefixes saved from a slot before another
// request overwrites it come back for a later request that starts with them — it evaluates only its
// new tokens and generates what an engine without the cache generates — within a byte budget,
// least recently used first out; and KVCache.snapshot/restore copy rows exactly.

import Foundation
@testable import LoomModels
@testable import LoomRuntime
import LoomSampling
import Testing

@Suite("prompt cache", .serialized)
struct PromptCacheTests {
    /// A 2-layer, 1-head, 32-wide f16 cache (256 bytes a position) holding `n` positions of values
    /// derived from `seed`.
    static func cache(_ n: Int, seed: Float, capacity: Int = 64, type: KVCacheType = .f16) -> KVCache {
        let c = KVCache(layers: 2, capacity: capacity, kvHeads: 1, headDim: 32, type: type)
        let k = (0..<(n * 32)).map { Float($0 % 97) * 0.01 + seed }, v = k.map { -$0 }
        for layer in 0..<2 { c.store(layer: layer, position: 0, rows: n, keys: k, values: v) }
        c.count = n
        return c
    }

    @Test("snapshot/restore copy the stored rows exactly, for a prefix too; other shapes are refused")
    func snapshotRestore() {
        for type in [KVCacheType.f16, .q8_0, .q4_0] {
            let a = Self.cache(20, seed: 1, type: type), b = Self.cache(3, seed: 5, type: type)
            let snap = a.snapshot()
            #expect(snap.positions == 20 && b.accepts(snap))
            b.restore(snap, positions: 12)
            #expect(b.count == 12)
            for p in 0..<12 { #expect(b.rawRow(keys: true, layer: 1, position: p) == a.rawRow(keys: true, layer: 1, position: p)) }
            for p in 0..<12 { #expect(b.rawRow(keys: false, layer: 0, position: p) == a.rawRow(keys: false, layer: 0, position: p)) }
        }
        #expect(!Self.cache(4, seed: 0, type: .q8_0).accepts(Self.cache(4, seed: 0).snapshot()))
        #expect(!Self.cache(4, seed: 0, capacity: 8).accepts(Self.cache(10, seed: 0).snapshot()))
    }

    @Test("within the budget, least recently used out; too short or too big not kept; a longer prefix replaces its own prefix")
    func budget() {
        let tokens = { (first: Int32, n: Int) in (0..<Int32(n)).map { first + $0 } }
        let cache = PromptCache(budget: 2 * 20 * 256 + 100)   // two entries of 20 positions
        cache.save(tokens: tokens(100, 20), from: Self.cache(20, seed: 1))
        cache.save(tokens: tokens(200, 20), from: Self.cache(20, seed: 2))
        #expect(cache.count == 2 && cache.byteCount == 2 * 20 * 256)
        #expect(cache.lookup(tokens(100, 30), better: 0)?.shared == 20)   // touches the first
        cache.save(tokens: tokens(300, 20), from: Self.cache(20, seed: 3))   // evicts the second
        #expect(cache.count == 2 && cache.lookup(tokens(200, 20), better: 0) == nil)
        #expect(cache.lookup(tokens(100, 20), better: 19)?.shared == 20 && cache.lookup(tokens(100, 20), better: 20) == nil)
        cache.save(tokens: tokens(400, 8), from: Self.cache(8, seed: 4))    // shorter than 16 tokens
        cache.save(tokens: tokens(500, 64), from: Self.cache(64, seed: 5))  // over the budget alone
        #expect(cache.count == 2)
        cache.save(tokens: tokens(300, 30), from: Self.cache(30, seed: 3))  // extends the third
        #expect(cache.count == 1 && cache.lookup(tokens(300, 40), better: 0)?.shared == 30)
        cache.save(tokens: tokens(300, 25), from: Self.cache(25, seed: 3))  // already held
        #expect(cache.count == 1)
        #expect(PromptCache(budget: 0).lookup(tokens(100, 20), better: 0) == nil)
    }

    @Test("one slot, clients taking turns: a returning conversation restores its prefix and evaluates only its new tokens",
          .enabled(if: ModelFixtures.available))
    func returningConversation() async throws {
        let text = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/text/GPL-3.txt", encoding: .utf8)
        let words = text.split(separator: " ")
        let options = ChatOptions(generation: GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 8))
        func conversation(_ engine: Engine) async throws -> (first: GenerationStats?, other: GenerationStats?, back: GenerationStats?, text: String, shared: Int, total: Int) {
            let system = words[0..<300].joined(separator: " "), unrelated = words[1000..<1200].joined(separator: " ")
            func chat(_ user: String) -> [ChatMessage] { [ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: user)] }
            let (_, first) = try await EngineTests.collect(engine.chat(chat("What is this license about?"), options: options))
            let (_, other) = try await EngineTests.collect(engine.chat([ChatMessage(role: "user", content: unrelated)], options: options))
            let (text, back) = try await EngineTests.collect(engine.chat(chat("Can I sell copies?"), options: options))
            let a = engine.tokenize(try engine.render(chat("What is this license about?")))
            let b = engine.tokenize(try engine.render(chat("Can I sell copies?")))
            return (first, other, back, text, PromptCache.sharedPrefix(a, b), b.count)
        }
        let cached = try await conversation(try Engine.load(path: ModelFixtures.smolLM2, contextLength: 1024, threads: 2, promptCache: 64 << 20))
        let plain = try await conversation(try Engine.load(path: ModelFixtures.smolLM2, contextLength: 1024, threads: 2))
        #expect(cached.shared >= 300)
        #expect(cached.back?.promptEvalCount == cached.total - cached.shared)
        // Without the cache the unrelated request wiped the slot (all but the chat template's first few tokens).
        #expect((plain.back?.promptEvalCount ?? 0) > plain.total - 16)
        #expect(cached.text == plain.text && !cached.text.isEmpty)
        #expect(cached.other?.promptEvalCount == plain.other?.promptEvalCount)
    }
}
