// Causal GQA attention (f32, Float16 and fp16-bits caches) against a scalar Double reference.

import Foundation
import Testing
@testable import LoomKernels

/// The scalar reference: for each (t, h), softmax(scale·q·Kᵀ) over positions 0...pos0+t (with a window
/// w: the positions p with pos0+t − p < w), times V, in Double.
/// - q: [nTokens, nHead, headDim]; k, v: [nKV, nKVHead, headDim] → [nTokens, nHead, headDim]
func attentionReference(q: [Float], k: [Double], v: [Double], shape s: AttentionShape) -> [Double] {
    var out = [Double](repeating: 0, count: s.nTokens * s.nHead * s.headDim)
    let group = s.nHead / s.nKVHead
    for t in 0..<s.nTokens {
        let n = s.pos0 + t + 1
        for h in 0..<s.nHead {
            let qo = (t * s.nHead + h) * s.headDim
            let kv = h / group
            var scores = [Double](repeating: -.infinity, count: n)
            for j in 0..<n where s.window.map({ s.pos0 + t - j < $0 }) ?? true {
                let ko = (j * s.nKVHead + kv) * s.headDim
                var d = 0.0
                for i in 0..<s.headDim { d += Double(q[qo + i]) * k[ko + i] }
                scores[j] = d * Double(s.scale)
            }
            let m = scores.max()!
            let e = scores.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            for j in 0..<n where e[j] > 0 {
                let vo = (j * s.nKVHead + kv) * s.headDim
                for i in 0..<s.headDim { out[qo + i] += e[j] / sum * v[vo + i] }
            }
        }
    }
    return out
}

@Suite("Ops: attention")
struct OpsAttentionTests {
    static let shapes: [AttentionShape] = [
        AttentionShape(nTokens: 1, nHead: 9, nKVHead: 3, headDim: 64, nKV: 1, pos0: 0),     // first token
        AttentionShape(nTokens: 1, nHead: 9, nKVHead: 3, headDim: 64, nKV: 60, pos0: 41),   // decode
        AttentionShape(nTokens: 7, nHead: 9, nKVHead: 3, headDim: 64, nKV: 7, pos0: 0),     // prefill
        AttentionShape(nTokens: 5, nHead: 4, nKVHead: 2, headDim: 8, nKV: 16, pos0: 3),
        AttentionShape(nTokens: 3, nHead: 4, nKVHead: 4, headDim: 17, nKV: 9, pos0: 6),     // MHA, odd dim
        AttentionShape(nTokens: 2, nHead: 6, nKVHead: 1, headDim: 40, nKV: 30, pos0: 20),   // MQA, 32+8
        AttentionShape(nTokens: 4, nHead: 2, nKVHead: 1, headDim: 128, nKV: 300, pos0: 250, scale: 0.3),
        AttentionShape(nTokens: 2, nHead: 2, nKVHead: 2, headDim: 3, nKV: 2, pos0: 0),
        AttentionShape(nTokens: 9, nHead: 4, nKVHead: 1, headDim: 32, nKV: 12, pos0: 3, window: 5),   // sliding window
        AttentionShape(nTokens: 1, nHead: 4, nKVHead: 2, headDim: 16, nKV: 40, pos0: 39, window: 8),  // windowed decode
        AttentionShape(nTokens: 3, nHead: 2, nKVHead: 1, headDim: 8, nKV: 3, pos0: 0, window: 1),     // only itself
        AttentionShape(nTokens: 2, nHead: 3, nKVHead: 1, headDim: 89, nKV: 11, pos0: 9),    // 64 + 16 + 8 + 1 lanes
    ]

    /// Inputs: random q, k, v; cache rows ≥ pos0 + nTokens are NaN, so attending to them would show.
    static func inputs(_ s: AttentionShape, seed: UInt64) -> (q: [Float], k: [Float], v: [Float]) {
        let row = s.nKVHead * s.headDim
        let valid = (s.pos0 + s.nTokens) * row
        var k = OpsSupport.random(s.nKV * row, seed: seed + 1, in: -2...2)
        var v = OpsSupport.random(s.nKV * row, seed: seed + 2)
        for i in valid..<k.count { k[i] = .nan; v[i] = .nan }
        return (OpsSupport.random(s.nTokens * s.nHead * s.headDim, seed: seed), k, v)
    }

    /// Runs the f32-cache kernel over `heads` into `out` (scratch of exactly scratchCount floats).
    static func run(_ q: [Float], _ k: [Float], _ v: [Float], _ s: AttentionShape,
                    heads: Range<Int>? = nil, tokens: Range<Int>? = nil, into out: inout [Float]) {
        var scratch = [Float](repeating: .nan, count: s.scratchCount)
        q.opsRead { qp in k.opsRead { kp in v.opsRead { vp in out.opsWrite { op in scratch.opsWrite { sp in
            Ops.attention(q: qp, kCache: kp, vCache: vp, out: op, shape: s, heads: heads, tokens: tokens,
                          scratch: sp, scratchCount: s.scratchCount)
        } } } } }
    }

    static func check(_ got: [Float], _ want: [Double]) -> String? {
        let scale = want.map { abs($0) }.max() ?? 1
        return OpsSupport.mismatch(got, want, rtol: 0, atol: 2e-5 * scale + 1e-7)
    }

    @Test("f32 cache matches the Double reference", arguments: shapes)
    func f32Cache(s: AttentionShape) {
        let (q, k, v) = Self.inputs(s, seed: UInt64(s.headDim * 100 + s.nTokens))
        var out = [Float](repeating: .nan, count: q.count)
        Self.run(q, k, v, s, into: &out)
        let want = attentionReference(q: q, k: k.map(Double.init), v: v.map(Double.init), shape: s)
        #expect(Self.check(out, want) == nil, "\(Self.check(out, want) ?? "")")
    }

    @Test("f16 caches (Float16 and fp16 bits) match the reference on the f16-rounded values",
          arguments: shapes)
    func f16Cache(s: AttentionShape) {
        let (q, k32, v32) = Self.inputs(s, seed: UInt64(s.headDim * 7 + s.pos0))
        let k = k32.map { Float16($0) }, v = v32.map { Float16($0) }
        let kBits = k.map(\.bitPattern), vBits = v.map(\.bitPattern)
        var out = [Float](repeating: .nan, count: q.count)
        var outBits = out
        var scratch = [Float](repeating: 0, count: s.nKV)   // nKV floats is always enough
        q.opsRead { qp in scratch.opsWrite { sp in
            k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in out.opsWrite {
                Ops.attention(q: qp, kCache: kp.baseAddress!, vCache: vp.baseAddress!, out: $0,
                              shape: s, scratch: sp, scratchCount: s.nKV)
            } } }
            kBits.withUnsafeBufferPointer { kp in vBits.withUnsafeBufferPointer { vp in outBits.opsWrite {
                Ops.attention(q: qp, kCache: kp.baseAddress!, vCache: vp.baseAddress!, out: $0,
                              shape: s, scratch: sp, scratchCount: s.nKV)
            } } }
        } }
        let want = attentionReference(q: q, k: k.map { Double(Float($0)) }, v: v.map { Double(Float($0)) }, shape: s)
        #expect(Self.check(out, want) == nil, "\(Self.check(out, want) ?? "")")
        #expect(out == outBits)
    }

    @Test("splitting heads across calls gives the same result and writes only those heads")
    func headSplit() {
        let s = Self.shapes[2]
        let (q, k, v) = Self.inputs(s, seed: 99)
        var full = [Float](repeating: .nan, count: q.count)
        Self.run(q, k, v, s, into: &full)
        var split = [Float](repeating: 12345, count: q.count)
        Self.run(q, k, v, s, heads: 2..<5, into: &split)
        for t in 0..<s.nTokens {
            for h in 0..<s.nHead {
                let row = (t * s.nHead + h) * s.headDim
                let got = Array(split[row..<row + s.headDim])
                if (2..<5).contains(h) {
                    #expect(got == Array(full[row..<row + s.headDim]), "t \(t) h \(h)")
                } else {
                    #expect(got.allSatisfy { $0 == 12345 }, "t \(t) h \(h) was written")
                }
            }
        }
        Self.run(q, k, v, s, heads: 0..<2, into: &split)
        Self.run(q, k, v, s, heads: 5..<9, into: &split)
        #expect(split == full)
    }

    @Test("token ranges of equal causal cost tile the batch; computing them in separate calls gives the same bits")
    func tokenSplit() {
        for (T, pos0) in [(1, 0), (7, 0), (64, 0), (512, 0), (100, 400), (3, 9)] {
            for parts in 1...4 {
                let s = AttentionShape(nTokens: T, nHead: 1, nKVHead: 1, headDim: 8, nKV: pos0 + T, pos0: pos0)
                let ranges = (0..<parts).map { s.tokens(part: $0, of: parts) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == T, "T \(T) parts \(parts)")
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                // Each part's cost is within one token's cost of the ideal share.
                let costs = ranges.map { r in r.reduce(0) { $0 + pos0 + $1 + 1 } }
                let ideal = Double(costs.reduce(0, +)) / Double(parts)
                #expect(costs.allSatisfy { abs(Double($0) - ideal) <= Double(pos0 + T) }, "T \(T) pos0 \(pos0) parts \(parts): \(costs)")
            }
        }
        let s = Self.shapes[2]
        let (q, k, v) = Self.inputs(s, seed: 7)
        var full = [Float](repeating: .nan, count: q.count)
        Self.run(q, k, v, s, into: &full)
        var split = [Float](repeating: .nan, count: q.count)
        for part in 0..<3 { Self.run(q, k, v, s, tokens: s.tokens(part: part, of: 3), into: &split) }
        #expect(zip(split, full).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test("prefill of n tokens equals n decode steps; a single position returns v exactly")
    func prefillEqualsDecode() {
        let s = AttentionShape(nTokens: 6, nHead: 4, nKVHead: 2, headDim: 24, nKV: 8, pos0: 2)
        let (q, k, v) = Self.inputs(s, seed: 5)
        var prefill = [Float](repeating: .nan, count: q.count)
        Self.run(q, k, v, s, into: &prefill)
        let rowQ = s.nHead * s.headDim
        for t in 0..<s.nTokens {
            let d = AttentionShape(nTokens: 1, nHead: 4, nKVHead: 2, headDim: 24, nKV: 8, pos0: s.pos0 + t)
            var one = [Float](repeating: .nan, count: rowQ)
            Self.run(Array(q[t * rowQ..<(t + 1) * rowQ]), k, v, d, into: &one)
            #expect(one == Array(prefill[t * rowQ..<(t + 1) * rowQ]), "token \(t)")
        }
        // Position 0 attends only to itself: the output is v₀ of its KV head (p = 1).
        let first = AttentionShape(nTokens: 1, nHead: 4, nKVHead: 2, headDim: 24, nKV: 8, pos0: 0)
        var out = [Float](repeating: .nan, count: rowQ)
        Self.run(Array(q[0..<rowQ]), k, v, first, into: &out)
        #expect(Array(out[0..<24]) == Array(v[0..<24]) && Array(out[72..<96]) == Array(v[24..<48]))
    }

    @Test("large scores (|q·k| ≫ 88) stay finite: the softmax subtracts the max")
    func largeScores() {
        let s = AttentionShape(nTokens: 1, nHead: 1, nKVHead: 1, headDim: 16, nKV: 3, pos0: 2, scale: 1)
        let q = [Float](repeating: 10, count: 16)
        var k = [Float](repeating: 10, count: 48)          // scores 1600, 1600, −1600
        for i in 32..<48 { k[i] = -10 }
        let v = (0..<48).map { Float($0 / 16) }             // rows of 0s, 1s, 2s
        var out = [Float](repeating: .nan, count: 16)
        Self.run(q, k, v, s, into: &out)
        #expect(out.allSatisfy { $0 == 0.5 })
    }
}
