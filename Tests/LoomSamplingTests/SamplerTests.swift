// Sampler end to end: greedy is the exact argmax (ties → lowest id, also after penalties and with
// top_k = 1), typed errors for bad logits and options, the allowed-token mask, seed reproducibility,
// and the sampled distribution at temperature 1 (seeded, so deterministic).

import Testing
@testable import LoomSampling

/// Options with every filter off (temperature 1 unless given).
func plain(temperature: Float = 1, seed: Int = 1) -> SamplingOptions {
    SamplingOptions(temperature: temperature, topK: 0, topP: 1, minP: 0, typicalP: 1, seed: seed)
}

@Suite("Sampler")
struct SamplerTests {
    @Test("greedy returns the argmax, ties → lowest id", arguments: [
        ([0.5, 2.0, -1.0, 1.9] as [Float], Int32(1)),
        ([3.0, 3.0, 1.0] as [Float], Int32(0)),
        ([-5.0, -2.0, -2.0, -7.0] as [Float], Int32(1)),
        ([42.0] as [Float], Int32(0)),
    ])
    func greedy(logits: [Float], expected: Int32) throws {
        var sampler = Sampler(options: .greedy)
        for _ in 0..<3 { #expect(try sampler.sample(logits) == expected) }
    }

    @Test("greedy applies the penalties before the argmax")
    func greedyWithPenalties() throws {
        var sampler = Sampler(options: SamplingOptions(temperature: 0, repeatPenalty: 2))
        let logits: [Float] = [1.0, 3.0, 2.0, -1.0]
        #expect(try sampler.sample(logits) == 1)
        sampler.accept(1)  // 3.0 / 2 = 1.5 < 2.0
        #expect(try sampler.sample(logits) == 2)
        sampler.accept(2)  // 2.0 / 2 = 1.0: tie between ids 0, 2 at 1.0 and id 1 at 1.5 → 1
        #expect(try sampler.sample(logits) == 1)
        var freq = Sampler(options: SamplingOptions(temperature: 0, frequencyPenalty: 0.6))
        freq.accept(contentsOf: [1, 1] as [Int32])  // 3.0 − 1.2 = 1.8 < 2.0
        #expect(try freq.sample(logits) == 2)
    }

    @Test("top_k = 1 equals greedy for every seed")
    func topKOneIsGreedy() throws {
        var g = SplitMix64(state: 99)
        for seed in 0..<20 {
            let logits = (0..<500).map { _ in Float(Int(g.next() % 2000)) / 100 - 10 }
            var greedy = Sampler(options: .greedy)
            var k1 = Sampler(options: SamplingOptions(temperature: 1.5, topK: 1, seed: seed))
            #expect(try k1.sample(logits) == greedy.sample(logits))
        }
    }

    @Test("non-finite logits throw with the first offending index", arguments: [
        (Float.nan, 2), (Float.infinity, 0), (-Float.infinity, 3),
    ])
    func nonFinite(value: Float, index: Int) {
        var logits: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5]
        logits[index] = value
        logits[4] = .nan
        for options in [SamplingOptions.greedy, SamplingOptions()] {
            var sampler = Sampler(options: options)
            #expect {
                _ = try sampler.sample(logits)
            } throws: { error in
                guard case let .nonFiniteLogit(i, v) = error as? SamplingError else { return false }
                return i == index && (v == value || (v.isNaN && value.isNaN))
            }
        }
    }

    @Test("empty logits and invalid options throw typed errors")
    func otherErrors() {
        var sampler = Sampler(options: SamplingOptions())
        #expect(throws: SamplingError.emptyLogits) { _ = try sampler.sample([]) }
        var bad = Sampler(options: SamplingOptions(repeatPenalty: 0))
        #expect(throws: SamplingError.invalidOption(name: "repeat_penalty", value: 0)) {
            _ = try bad.sample([1, 2])
        }
        var inf = Sampler(options: SamplingOptions(topP: .infinity))
        #expect(throws: SamplingError.invalidOption(name: "top_p", value: .infinity)) {
            _ = try inf.sample([1, 2])
        }
        #expect(SamplingError.noAllowedToken.description.hasSuffix("."))
    }

    @Test("the allowed mask is respected by greedy and by sampling")
    func mask() throws {
        let logits: [Float] = [5, 4, 3, 2, 1, 0]
        var greedy = Sampler(options: .greedy)
        #expect(try greedy.sample(logits, allowed: { $0 >= 2 }) == 2)
        var sampler = Sampler(options: plain(temperature: 2, seed: 5))
        for _ in 0..<500 {
            let t = try sampler.sample(logits, allowed: { $0 % 2 == 1 })
            #expect(t % 2 == 1)
        }
        #expect(throws: SamplingError.noAllowedToken) {
            _ = try sampler.sample(logits, allowed: { _ in false })
        }
        #expect(throws: SamplingError.noAllowedToken) {
            _ = try greedy.sample(logits, allowed: { _ in false })
        }
    }

    @Test("the same seed reproduces 1000 samples; different seeds differ")
    func seeds() throws {
        var g = SplitMix64(state: 7)
        let logits = (0..<2000).map { _ in Float(Int(g.next() % 1000)) / 200 }
        func run(_ seed: Int) throws -> [Int32] {
            var s = Sampler(options: SamplingOptions(topK: 0, topP: 1, seed: seed))
            var out: [Int32] = []
            for _ in 0..<1000 {
                let t = try s.sample(logits)
                out.append(t)
            }
            return out
        }
        let a = try run(1234)
        #expect(try run(1234) == a)
        #expect(try run(1235) != a)
        #expect(Set(a).count > 100)
        var random1 = Sampler(options: SamplingOptions(seed: -1))
        let random2 = Sampler(options: SamplingOptions(seed: -1))
        #expect(random1.seed != random2.seed)
        _ = try random1.sample(logits)
    }

    @Test("20 000 draws at temperature 1 match a 4-token distribution within 2%")
    func distribution() throws {
        let probs: [Double] = [0.1, 0.2, 0.3, 0.4]
        let logits = probs.map { Float(SamplingMath.log($0)) + 3 }
        var sampler = Sampler(options: plain(seed: 2024))
        var counts = [Int](repeating: 0, count: 4)
        let n = 20_000
        for _ in 0..<n { counts[Int(try sampler.sample(logits))] += 1 }
        for i in 0..<4 {
            #expect(abs(Double(counts[i]) / Double(n) - probs[i]) < 0.02, "token \(i): \(counts[i])")
        }
    }

    @Test("the unsafe-buffer overload and the array overload agree")
    func overloads() throws {
        let logits: [Float] = (0..<300).map { Float($0 % 17) / 4 }
        var a = Sampler(options: SamplingOptions(seed: 3))
        var b = Sampler(options: SamplingOptions(seed: 3))
        for _ in 0..<50 {
            let x = try a.sample(logits)
            let y = try logits.withUnsafeBufferPointer { try b.sample($0) }
            #expect(x == y)
        }
    }
}
