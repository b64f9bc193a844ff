// Goldens from Scripts/make_sampling_goldens.py (numpy implementing llama.cpp's sampler formulas):
// kept ids and renormalized probabilities for each filter chain on a fixed 1000-logit vector, token
// sequences drawn with seeded xoshiro256**, and the generator's raw output stream.

import Foundation
import Testing
@testable import LoomSampling

struct SamplingGoldens: Decodable {
    struct Case: Decodable {
        var options: [String: Double]
        var ids: [Int32]
        var probs: [Double]
    }
    struct Draw: Decodable {
        var seed: Int
        var options: [String: Double]
        var tokens: [Int32]
    }
    struct Stream: Decodable {
        var seed: UInt64
        var outputs: [String]
    }
    var logits: [Float]
    var cases: [Case]
    var draws: [Draw]
    var xoshiro256starstar: [Stream]

    static let shared: SamplingGoldens? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        url.appendPathComponent("Fixtures/sampling/goldens.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(SamplingGoldens.self, from: data)
    }()

    static func options(_ o: [String: Double], seed: Int = 0) -> SamplingOptions {
        SamplingOptions(
            temperature: Float(o["temperature"] ?? 1), topK: Int(o["top_k"] ?? 0),
            topP: Float(o["top_p"] ?? 1), minP: Float(o["min_p"] ?? 0),
            typicalP: Float(o["typical_p"] ?? 1), seed: seed)
    }
}

@Suite("Sampling goldens")
struct SamplingGoldenTests {
    @Test("filter chains keep the ids and probabilities numpy computes")
    func cases() throws {
        let goldens = try #require(SamplingGoldens.shared)
        #expect(goldens.cases.count == 10)
        for c in goldens.cases {
            let o = SamplingGoldens.options(c.options)
            var set = CandidateSet()
            goldens.logits.withUnsafeBufferPointer { set.fill(topK: o.topK, from: $0) }
            set.typical(o.typicalP)
            set.topP(o.topP)
            set.minP(o.minP)
            set.temperature(o.temperature)
            set.softmax(sorting: false)
            #expect(set.items.map(\.id) == c.ids, "\(c.options)")
            for (item, p) in zip(set.items, c.probs) {
                #expect(abs(item.p - p) < 1e-6, "\(c.options) id \(item.id)")
            }
        }
    }

    @Test("seeded draws reproduce the golden token sequences")
    func draws() throws {
        let goldens = try #require(SamplingGoldens.shared)
        for d in goldens.draws {
            var sampler = Sampler(options: SamplingGoldens.options(d.options, seed: d.seed))
            var tokens: [Int32] = []
            for _ in d.tokens { tokens.append(try sampler.sample(goldens.logits)) }
            #expect(tokens == d.tokens, "seed \(d.seed)")
        }
    }

    @Test("xoshiro256** seeded by SplitMix64 matches the reference stream")
    func stream() throws {
        let goldens = try #require(SamplingGoldens.shared)
        for s in goldens.xoshiro256starstar {
            var g = Xoshiro256StarStar(seed: s.seed)
            #expect(s.outputs.map { UInt64($0) } == s.outputs.map { _ in g.next() })
        }
    }
}
