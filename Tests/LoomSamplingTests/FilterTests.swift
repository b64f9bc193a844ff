// Each filter in isolation against a straightforward reference written here (kept ids in order and
// their renormalized probabilities), the penalties against hand-computed values, and the helpers
// (SplitMix64's published first output, exp/log against known values).

import Testing
@testable import LoomSampling

/// Softmax in the obvious way (reference).
func referenceSoftmax(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max() ?? 0)
    let e = logits.map { SamplingMath.exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

/// Ids sorted by descending logit, ties → lower id (reference, via the standard library sort).
func referenceOrder(_ logits: [Float]) -> [Int32] {
    logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        .map { Int32($0) }
}

func randomLogits(_ n: Int, seed: UInt64, scale: Float = 3) -> [Float] {
    var g = Xoshiro256StarStar(seed: seed)
    return (0..<n).map { _ in Float(g.nextUnit() * 2 - 1) * scale }
}

@Suite("Filters")
struct FilterTests {
    func check(_ set: CandidateSet, ids: [Int32], logits: [Float]) {
        #expect(set.items.map(\.id) == ids)
        let got = referenceSoftmax(set.items.map(\.logit))
        let want = referenceSoftmax(ids.map { logits[Int($0)] })
        for (g, w) in zip(got, want) { #expect(abs(g - w) < 1e-12) }
    }

    @Test("top_k keeps the k best, sorted", arguments: [1, 2, 40, 999, 1000, 5000, 0, -1])
    func topK(k: Int) {
        var logits = randomLogits(1000, seed: 1)
        logits[10] = logits[500]  // a tie
        var set = CandidateSet()
        logits.withUnsafeBufferPointer { set.fill(topK: k, from: $0) }
        let order = referenceOrder(logits)
        if k <= 0 || k >= 1000 {
            check(set, ids: (0..<1000).map { Int32($0) }, logits: logits)
        } else {
            check(set, ids: Array(order.prefix(k)), logits: logits)
        }
    }

    @Test("top_p keeps the shortest sorted prefix with mass ≥ p", arguments: [0.0, 0.3, 0.9, 0.999] as [Float])
    func topP(p: Float) {
        let logits = randomLogits(300, seed: 2)
        var set = CandidateSet(logits: logits)
        set.topP(p)
        let order = referenceOrder(logits)
        let probs = referenceSoftmax(logits)
        var cum = 0.0
        var kept: [Int32] = []
        for id in order {
            kept.append(id)
            cum += probs[Int(id)]
            if cum >= Double(p) { break }
        }
        check(set, ids: kept, logits: logits)
    }

    @Test("min_p keeps p_i ≥ p · p_max in the incoming order", arguments: [0.01, 0.1, 0.5, 2.0] as [Float])
    func minP(p: Float) {
        let logits = randomLogits(300, seed: 3)
        var set = CandidateSet(logits: logits)
        set.minP(p)
        let probs = referenceSoftmax(logits)
        let maxP = probs.max() ?? 0
        var kept = logits.indices.filter { probs[$0] >= Double(p) * maxP * (1 - 1e-6) }.map { Int32($0) }
        if kept.isEmpty { kept = (0..<300).map { Int32($0) } }
        check(set, ids: kept, logits: logits)
    }

    @Test("typical_p keeps the tokens closest to the entropy", arguments: [0.2, 0.5, 0.95] as [Float])
    func typical(p: Float) {
        let logits = randomLogits(200, seed: 4)
        var set = CandidateSet(logits: logits)
        set.typical(p)
        let probs = referenceSoftmax(logits)
        let h = -probs.reduce(0) { $0 + $1 * SamplingMath.log($1) }
        let rank = referenceOrder(logits)
        let byKey = rank.enumerated().sorted { a, b in
            let ka = abs(-SamplingMath.log(probs[Int(a.element)]) - h)
            let kb = abs(-SamplingMath.log(probs[Int(b.element)]) - h)
            return ka < kb || (ka == kb && a.offset < b.offset)
        }.map(\.element)
        var cum = 0.0
        var kept: [Int32] = []
        for id in byKey {
            kept.append(id)
            cum += probs[Int(id)]
            if cum > Double(p) { break }
        }
        check(set, ids: kept, logits: logits)
        #expect(!kept.contains(rank[0]) || p > 0.2)  // typical may drop the most likely token
    }

    @Test("temperature divides the logits")
    func temperature() {
        var set = CandidateSet(logits: [1, -2, 4])
        set.temperature(0.5)
        #expect(set.items.map(\.logit) == [2, -4, 8])
    }

    @Test("penalties match hand-computed values")
    func penalties() {
        var window = PenaltyWindow(capacity: 4)
        for t: Int32 in [1, 2, 2, 3, 3, 3] { window.append(t) }  // window: 2 3 3 3 (1 and one 2 evicted)
        #expect(window.counts == [2: 1, 3: 3])
        var logits: [Float] = [1.0, 2.0, 2.0, -1.0, 0.5]
        logits.withUnsafeMutableBufferPointer {
            window.apply(to: $0, repeatPenalty: 2, frequencyPenalty: 0.25, presencePenalty: 0.5)
        }
        // id 2: 2/2 − 1·0.25 − 0.5 = 0.25; id 3: −1·2 − 3·0.25 − 0.5 = −3.25
        #expect(logits == [1.0, 2.0, 0.25, -3.25, 0.5])
        var unbounded = PenaltyWindow(capacity: -1)
        var off = PenaltyWindow(capacity: 0)
        for t: Int32 in [7, 7, 7, 100_000] {
            unbounded.append(t)
            off.append(t)
        }
        #expect(unbounded.counts == [7: 3, 100_000: 1])
        #expect(off.isEmpty)
        var small: [Float] = [0, 0, 0, 0, 0, 0, 0, 0]  // token 100 000 is outside: ignored
        small.withUnsafeMutableBufferPointer {
            unbounded.apply(to: $0, repeatPenalty: 1.5, frequencyPenalty: 1, presencePenalty: 0)
        }
        #expect(small[7] == -3)
    }

    @Test("SplitMix64 and the exp/log helpers match known values")
    func helpers() {
        var s = SplitMix64(state: 0)
        #expect(s.next() == 0xE220_A839_7B1D_CDAF)
        for x in [-700.0, -20.5, -1, -1e-9, 0, 0.5, 1, 3.7, 88.7, 700] {
            let e = SamplingMath.exp(x)
            #expect(abs(SamplingMath.log(e) - x) <= 1e-13 * max(1, abs(x)))
        }
        #expect(abs(SamplingMath.exp(1) - 2.718_281_828_459_045) < 1e-15)
        #expect(abs(SamplingMath.log(10) - 2.302_585_092_994_046) < 1e-15)
        #expect(SamplingMath.exp(-800) == 0 && SamplingMath.log(0) == -.infinity)
    }
}

@Suite("Filters on large sets")
struct LargeFilterTests {
    @Test("top_p over an unsorted 49 152-token set equals the full-sort reference", arguments: [0.05, 0.5, 0.9, 0.99] as [Float])
    func topPPartial(p: Float) {
        let logits = randomLogits(49_152, seed: 9, scale: 8)
        var set = CandidateSet(logits: logits)
        set.topP(p)
        let order = referenceOrder(logits)
        let probs = referenceSoftmax(logits)
        var cum = 0.0
        var kept: [Int32] = []
        for id in order {
            kept.append(id)
            cum += probs[Int(id)]
            if cum >= Double(p) { break }
        }
        #expect(set.items.map(\.id) == kept)
        #expect(set.isSorted)
    }

    @Test("vectorized scans equal the scalar definitions")
    func scans() {
        var logits = randomLogits(1003, seed: 10)
        logits.withUnsafeBufferPointer { #expect(Sampler.firstNonFinite($0) == nil) }
        logits[1001] = 99  // in the scalar tail
        logits[17] = 99    // earlier tie wins
        logits.withUnsafeBufferPointer { #expect(Sampler.argmax($0) == 17) }
        for (i, v) in [(1002, Float.nan), (500, Float.infinity), (3, -Float.infinity)] {
            logits[i] = v
            logits.withUnsafeBufferPointer { #expect(Sampler.firstNonFinite($0) == i) }
        }
        let masked = [Float](repeating: -.infinity, count: 40)
        masked.withUnsafeBufferPointer { #expect(Sampler.argmax($0) == nil) }
    }
}
