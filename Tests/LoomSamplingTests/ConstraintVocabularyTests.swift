// TokenConstraint on SmolLM2-135M's real vocabulary (49 152 byte-level BPE tokens, read from the
// GGUF by Scripts/make_schema_goldens.py vocab): the trie-walk mask equals per-token `allows` for
// every token at sampled states, and a timing print of the per-step costs — `allows` (the fast
// path on the sampled token), the full mask, `accept` — over simulated generations. No timed
// assertions. Runs when LOOM_PYTHON is set and the model is fetched (make test: required).

import Foundation
import Testing
@testable import LoomSampling

@Suite("Constraint on SmolLM2's vocabulary", .serialized)
struct ConstraintVocabularyTests {
    static var enabled: Bool {
        (ConstraintPaths.python != nil && FileManager.default.fileExists(atPath: ConstraintPaths.smolLM2))
            || ConstraintPaths.requireModels
    }

    struct Vocabulary {
        var tokens: [[UInt8]]
        var eos: [Int32]
    }

    static func load() throws -> Vocabulary {
        let out = try ConstraintPaths.runScript(["vocab", ConstraintPaths.smolLM2])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let hex = try #require(object["tokens"] as? [String])
        let eos = try #require(object["eos"] as? [Int])
        let tokens = hex.map { h -> [UInt8] in
            let chars = Array(h.utf8)
            return stride(from: 0, to: chars.count, by: 2).map { i in
                UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) ?? 0
            }
        }
        return Vocabulary(tokens: tokens, eos: eos.map(Int32.init))
    }

    static let schemas: [(String, JSONConstraintSpec?)] = [
        ("format json", .anyJSON()),
        ("person", try? JSONConstraintSpec(schemaJSON: ConstraintPropertyTests.schemas[0].1)),
        ("shapes anyOf", try? JSONConstraintSpec(schemaJSON: ConstraintPropertyTests.schemas[3].1)),
        ("formats", try? JSONConstraintSpec(schemaJSON: ConstraintPropertyTests.schemas[5].1)),
        ("tree $ref", try? JSONConstraintSpec(schemaJSON: ConstraintPropertyTests.schemas[4].1)),
        ("bounded string", try? JSONConstraintSpec(schemaJSON: #"{"properties":{"text":{"type":"string","maxLength":300}},"required":["text"]}"#)),
        ("ranges", try? JSONConstraintSpec(schemaJSON: ConstraintPropertyTests.schemas[6].1)),
        ("short strings", try? JSONConstraintSpec(schemaJSON: #"""
            {"properties":{"a":{"type":"string","maxLength":12},"b":{"type":"string","minLength":2,"maxLength":5},
             "c":{"type":"number","exclusiveMinimum":-3,"maximum":250}},"required":["a","b","c"]}
            """#)),
    ]

    /// Picks the next token: random allowed, or after `budget` steps the short allowed token
    /// leaving the fewest bytes to write.
    static func choose(_ c: TokenConstraint, _ vocabulary: Vocabulary, step: Int, budget: Int,
                       rng: inout SplitMix64) -> Int32? {
        let mask = c.allowedTokens()
        let allowed = mask.indices.filter { mask[$0] }
        guard !allowed.isEmpty else { return nil }
        if c.canEnd, step >= budget || vocabulary.eos.contains(where: { mask[Int($0)] }) && rng.next() % 8 == 0 {
            return vocabulary.eos.first
        }
        if step < budget { return Int32(allowed[Int(rng.next() % UInt64(allowed.count))]) }
        var best = (Int.max, Int32(allowed[0]))
        for id in allowed where vocabulary.tokens[id].count <= 3 {
            if let r = c.minimumBytesToComplete(after: Int32(id)), r < best.0 { best = (r, Int32(id)) }
        }
        return best.1
    }

    @Test("the mask equals per-token allows for all 49152 tokens at sampled states", .enabled(if: enabled))
    func maskMatchesAllows() throws {
        let vocabulary = try Self.load()
        let trie = TokenTrie(tokenBytes: vocabulary.tokens)
        let end = Set(vocabulary.eos)
        for (name, spec) in Self.schemas {
            let spec = try #require(spec)
            var rng = SplitMix64(state: 42)
            let walker = TokenConstraint(spec: spec, trie: trie, end: end)
            let shadow = TokenConstraint(spec: spec, trie: trie, end: end)  // never computes a mask
            var text: [UInt8] = []
            for step in 0..<60 {
                if walker.isComplete { break }
                if step % 3 == 0 {
                    let mask = walker.allowedTokens()
                    var mismatches = 0
                    for id in 0..<mask.count where mask[id] != shadow.allows(Int32(id)) { mismatches += 1 }
                    #expect(mismatches == 0, "\(name) step \(step): \(mismatches) tokens differ after \(String(decoding: text, as: UTF8.self).debugDescription)")
                }
                guard let t = Self.choose(walker, vocabulary, step: step, budget: 40, rng: &rng) else { break }
                if vocabulary.eos.contains(t) { break }
                #expect(walker.accept(t) && shadow.accept(t))
                text += vocabulary.tokens[Int(t)]
            }
        }
    }

    @Test("timing: allows, full mask and accept per step (printed, not asserted)", .enabled(if: enabled))
    func timing() throws {
        let vocabulary = try Self.load()
        let clock = ContinuousClock()
        var trie: TokenTrie?
        let build = clock.measure { trie = TokenTrie(tokenBytes: vocabulary.tokens) }
        let t = try #require(trie)
        print("constraint timing: SmolLM2 vocabulary \(t.vocabularySize) tokens, \(t.nodeCount) trie nodes, built in \(Self.ms(build)) ms")
        let end = Set(vocabulary.eos)
        var all = Samples()
        for (name, spec) in Self.schemas {
            let spec = try #require(spec)
            var s = Samples()
            for seed in 0..<4 as Range<UInt64> {
                var rng = SplitMix64(state: seed)
                let planner = TokenConstraint(spec: spec, trie: t, end: end)
                let measured = TokenConstraint(spec: spec, trie: t, end: end)
                for step in 0..<400 {
                    if planner.isComplete { break }
                    guard let token = Self.choose(planner, vocabulary, step: step, budget: 120, rng: &rng) else { break }
                    var invalid = Int32(rng.next() % UInt64(t.vocabularySize))
                    while planner.allows(invalid) { invalid = Int32(rng.next() % UInt64(t.vocabularySize)) }
                    var ok = false
                    s.valid.append(clock.measure { ok = measured.allows(token) })
                    #expect(ok)
                    s.invalid.append(clock.measure { ok = measured.allows(invalid) })
                    #expect(!ok)
                    let walks = measured.statistics.maskWalks
                    let d = clock.measure { _ = measured.allowedTokens() }
                    if measured.statistics.maskWalks > walks { s.mask.append(d) } else { s.cached.append(d) }
                    s.accept.append(clock.measure { ok = measured.accept(token) })
                    if vocabulary.eos.contains(token) { break }
                    #expect(ok && planner.accept(token))
                }
            }
            print("  \(name): \(s.report)")
            all.merge(s)
        }
        print("  all: \(all.report)")
    }

    struct Samples {
        var valid: [Duration] = [], invalid: [Duration] = [], mask: [Duration] = [], cached: [Duration] = []
        var accept: [Duration] = []
        mutating func merge(_ o: Samples) {
            valid += o.valid; invalid += o.invalid; mask += o.mask; cached += o.cached; accept += o.accept
        }
        static func stats(_ d: [Duration]) -> String {
            guard !d.isEmpty else { return "-" }
            let us = d.map { Double($0.components.attoseconds) / 1e12 + Double($0.components.seconds) * 1e6 }
            return String(format: "mean %.1f µs, max %.1f µs", us.reduce(0, +) / Double(us.count), us.max() ?? 0)
        }
        var report: String {
            "\(accept.count) steps; allows(valid) \(Self.stats(valid)); allows(invalid) \(Self.stats(invalid)); "
                + "mask by trie walk \(Self.stats(mask)) (\(mask.count)×); mask from cache \(Self.stats(cached)) "
                + "(\(cached.count)×); accept \(Self.stats(accept))"
        }
    }

    static func ms(_ d: Duration) -> String {
        String(format: "%.1f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3)
    }
}
