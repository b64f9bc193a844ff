// Grouped-query attention (Ops+AttentionGrouped.swift) and quantized KV caches (KVRowFormat.swift):
//   * for f32/f16 caches the grouped loop gives the same bits as the per-head loop (the loop before
//     it), whatever the tile widths (scratch rows), head ranges, token ranges and layout (row-major
//     or head-major);
//   * over a q8_0 / q4_0 cache, attention equals attention over an f32 cache holding the
//     dequantized values (within 1e-5 of max |out|; today the same bits, since the loads dequantize
//     exactly as Q8_0/Q4_0.dequantize do);
// on GQA ratios 1, 3, 4 (and 5, 7, 8 for uneven tiles), head dims 64 and 128 (and odd ones for the
// float caches), contexts 1…300, sliding windows.

import Foundation
import LoomTensor
import Testing
@testable import LoomKernels

@Suite("Ops: grouped attention and quantized KV caches")
struct OpsAttentionGroupedTests {
    static let shapes: [AttentionShape] = [
        AttentionShape(nTokens: 1, nHead: 4, nKVHead: 4, headDim: 64, nKV: 1, pos0: 0),       // ratio 1, context 1
        AttentionShape(nTokens: 1, nHead: 4, nKVHead: 4, headDim: 128, nKV: 300, pos0: 257),  // ratio 1, decode
        AttentionShape(nTokens: 1, nHead: 9, nKVHead: 3, headDim: 64, nKV: 300, pos0: 299),   // SmolLM2, context 300
        AttentionShape(nTokens: 1, nHead: 9, nKVHead: 3, headDim: 64, nKV: 2, pos0: 1),
        AttentionShape(nTokens: 13, nHead: 8, nKVHead: 2, headDim: 128, nKV: 120, pos0: 100), // ratio 4, prefill at depth
        AttentionShape(nTokens: 300, nHead: 6, nKVHead: 2, headDim: 64, nKV: 300, pos0: 0),   // ratio 3, prefill 300
        AttentionShape(nTokens: 9, nHead: 4, nKVHead: 1, headDim: 64, nKV: 60, pos0: 40, window: 16),   // window
        AttentionShape(nTokens: 1, nHead: 9, nKVHead: 3, headDim: 64, nKV: 200, pos0: 150, window: 64), // windowed decode
        AttentionShape(nTokens: 2, nHead: 8, nKVHead: 2, headDim: 128, nKV: 40, pos0: 3, window: 1),    // only itself
        AttentionShape(nTokens: 3, nHead: 5, nKVHead: 1, headDim: 64, nKV: 70, pos0: 61),     // ratio 5: tiles 3 + 2
        AttentionShape(nTokens: 2, nHead: 14, nKVHead: 2, headDim: 32, nKV: 33, pos0: 31),    // ratio 7: 4 + 3
        AttentionShape(nTokens: 4, nHead: 8, nKVHead: 1, headDim: 64, nKV: 20, pos0: 16, scale: 0.2),   // ratio 8: 4 + 4
        AttentionShape(nTokens: 2, nHead: 6, nKVHead: 2, headDim: 96, nKV: 50, pos0: 47),     // phi3's 96: 64 + 16 + 16 lanes
        AttentionShape(nTokens: 1, nHead: 4, nKVHead: 1, headDim: 256, nKV: 40, pos0: 39),    // gemma3's 256: 4 × 64 lanes
    ]

    /// The float-cache shapes: these, and the odd head dims of OpsAttentionTests (3, 8, 17, 24, 40…).
    static let floatShapes = shapes + OpsAttentionTests.shapes

    /// A cache of `type` holding `values` ([nKV, nKVHead·headDim] f32): each position's row quantized
    /// on its own (for q8_0/q4_0 a head row is whole blocks, so this is each head quantized alone).
    /// Rows at and after `valid` are 0xFF bytes (NaN scales or values), so reading them would show.
    static func cache(_ values: [Float], type: GGMLType, shape s: AttentionShape, valid: Int) -> [UInt8] {
        let width = s.nKVHead * s.headDim
        let rowBytes = width / type.blockSize * type.bytesPerBlock
        var bytes = [UInt8](repeating: 0xFF, count: s.nKV * rowBytes)
        bytes.withUnsafeMutableBytes { out in
            values.withUnsafeBufferPointer { x in
                for r in 0..<valid {
                    let src = x.baseAddress! + r * width, dst = out.baseAddress! + r * rowBytes
                    switch type {
                    case .f32: dst.copyMemory(from: src, byteCount: 4 * width)
                    case .f16: for i in 0..<width { dst.storeBytes(of: Float16(src[i]), toByteOffset: 2 * i, as: Float16.self) }
                    case .q8_0: Q8_0.quantize(src, count: width, into: dst)
                    case .q4_0: Q4_0.quantize(src, count: width, into: dst)
                    default: Issue.record("no \(type) cache")
                    }
                }
            }
        }
        return bytes
    }

    /// The f32 values of the first `valid` rows of a q8_0/q4_0 cache; NaN after them.
    static func dequantized(_ bytes: [UInt8], type: GGMLType, shape s: AttentionShape, valid: Int) -> [Float] {
        let width = s.nKVHead * s.headDim
        var out = [Float](repeating: .nan, count: s.nKV * width)
        bytes.withUnsafeBytes { b in
            out.opsWrite { o in
                if type == .q8_0 { Q8_0.dequantize(b.baseAddress!, count: valid * width, into: o) }
                if type == .q4_0 { Q4_0.dequantize(b.baseAddress!, count: valid * width, into: o) }
            }
        }
        return out
    }

    /// Attention over caches of `type` into `out` (only `heads` × `tokens` written), with
    /// `scoreRows` rows of scratch (nil = shape.scoreRows).
    static func run(_ q: [Float], _ k: [UInt8], _ v: [UInt8], type: GGMLType, _ s: AttentionShape, kernel: AttentionKernel,
                    heads: Range<Int>? = nil, tokens: Range<Int>? = nil, scoreRows: Int? = nil, into out: inout [Float]) {
        let count = (scoreRows ?? s.scoreRows) * (s.pos0 + s.nTokens)
        var scratch = [Float](repeating: .nan, count: max(1, count))
        k.withUnsafeBytes { kp in v.withUnsafeBytes { vp in q.opsRead { qp in out.opsWrite { op in scratch.opsWrite { sp in
            Ops.attention(q: qp, kCache: kp.baseAddress!, vCache: vp.baseAddress!, type: type, out: op, shape: s,
                          heads: heads, tokens: tokens, scratch: sp, scratchCount: count, kernel: kernel)
        } } } } }
    }

    static func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    @Test("f32/f16 caches: the grouped loop gives the per-head loop's bits, at every tile width",
          arguments: floatShapes.indices)
    func groupedEqualsPerHead(index: Int) {
        let s = Self.floatShapes[index]
        let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: UInt64(100 + index))
        let valid = s.pos0 + s.nTokens
        for type in [GGMLType.f32, .f16] {
            let k = Self.cache(k32, type: type, shape: s, valid: valid), v = Self.cache(v32, type: type, shape: s, valid: valid)
            var perHead = [Float](repeating: .nan, count: q.count)
            Self.run(q, k, v, type: type, s, kernel: .perHead, scoreRows: 1, into: &perHead)
            #expect(perHead.allSatisfy { $0.isFinite }, "\(type) \(s)")
            for rows in 1...4 {
                var grouped = [Float](repeating: .nan, count: q.count)
                Self.run(q, k, v, type: type, s, kernel: .grouped, scoreRows: rows, into: &grouped)
                #expect(Self.same(grouped, perHead), "\(type) \(s), \(rows) score rows")
            }
        }
    }

    @Test("grouped: head ranges that cut a group, and token ranges, give the same bits as one call")
    func groupedSplits() {
        let s = AttentionShape(nTokens: 17, nHead: 9, nKVHead: 3, headDim: 64, nKV: 40, pos0: 23)
        let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: 3)
        for type in [GGMLType.f16, .q8_0, .q4_0] {
            let k = Self.cache(k32, type: type, shape: s, valid: 40), v = Self.cache(v32, type: type, shape: s, valid: 40)
            var full = [Float](repeating: .nan, count: q.count)
            Self.run(q, k, v, type: type, s, kernel: .grouped, into: &full)
            for cuts in [[0, 5, 9], [0, 1, 2, 4, 8, 9], [0, 4, 7, 9]] {
                var split = [Float](repeating: .nan, count: q.count)
                for (a, b) in zip(cuts, cuts.dropFirst()) { Self.run(q, k, v, type: type, s, kernel: .grouped, heads: a..<b, into: &split) }
                #expect(Self.same(split, full), "\(type) heads cut at \(cuts)")
            }
            var byTokens = [Float](repeating: .nan, count: q.count)
            for part in 0..<3 { Self.run(q, k, v, type: type, s, kernel: .grouped, tokens: s.tokens(part: part, of: 3), into: &byTokens) }
            #expect(Self.same(byTokens, full), "\(type) token split")
        }
    }

    @Test("a head-major layout (each KV head's rows contiguous, with spare capacity) gives the row-major bits",
          arguments: shapes.indices)
    func headMajorLayout(index: Int) {
        let s = Self.shapes[index]
        let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: UInt64(300 + index))
        let valid = s.pos0 + s.nTokens, capacity = s.nKV + 5
        for type in [GGMLType.f16, .q8_0, .q4_0] {
            let k = Self.cache(k32, type: type, shape: s, valid: valid), v = Self.cache(v32, type: type, shape: s, valid: valid)
            let head = s.headDim / type.blockSize * type.bytesPerBlock
            func headMajor(_ rows: [UInt8]) -> [UInt8] {
                var out = [UInt8](repeating: 0xFF, count: s.nKVHead * capacity * head)
                for j in 0..<s.nKV {
                    for h in 0..<s.nKVHead {
                        let from = (j * s.nKVHead + h) * head, to = (h * capacity + j) * head
                        out[to..<(to + head)] = rows[from..<(from + head)]
                    }
                }
                return out
            }
            var rowMajor = [Float](repeating: .nan, count: q.count)
            Self.run(q, k, v, type: type, s, kernel: .grouped, into: &rowMajor)
            let kh = headMajor(k), vh = headMajor(v)
            for kernel in AttentionKernel.allCases {
                var got = [Float](repeating: .nan, count: q.count), scratch = [Float](repeating: .nan, count: s.scratchCount)
                kh.withUnsafeBytes { kp in vh.withUnsafeBytes { vp in q.opsRead { qp in got.opsWrite { op in scratch.opsWrite { sp in
                    Ops.attention(q: qp, kCache: kp.baseAddress!, vCache: vp.baseAddress!, type: type, out: op, shape: s,
                                  scratch: sp, scratchCount: s.scratchCount, kernel: kernel,
                                  layout: .headMajor(s, capacity: capacity, type: type))
                } } } } }
                #expect(Self.same(got, rowMajor), "\(type) \(kernel) \(s)")
            }
        }
    }

    @Test("q8_0/q4_0 caches equal an f32 cache of the dequantized values", arguments: shapes.indices)
    func quantizedEqualsDequantized(index: Int) {
        let s = Self.shapes[index]
        let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: UInt64(200 + index))
        let valid = s.pos0 + s.nTokens
        for type in [GGMLType.q8_0, .q4_0] {
            let k = Self.cache(k32, type: type, shape: s, valid: valid), v = Self.cache(v32, type: type, shape: s, valid: valid)
            let kf = Self.dequantized(k, type: type, shape: s, valid: valid), vf = Self.dequantized(v, type: type, shape: s, valid: valid)
            var want = [Float](repeating: .nan, count: q.count)
            Self.run(q, Self.cache(kf, type: .f32, shape: s, valid: valid), Self.cache(vf, type: .f32, shape: s, valid: valid),
                     type: .f32, s, kernel: .grouped, into: &want)
            let scale = Double(want.map { abs($0) }.max() ?? 1)
            for kernel in AttentionKernel.allCases {
                for rows in kernel == .grouped ? [1, 2, 4] : [1] {
                    var got = [Float](repeating: .nan, count: q.count)
                    Self.run(q, k, v, type: type, s, kernel: kernel, scoreRows: rows, into: &got)
                    let mismatch = OpsSupport.mismatch(got, want.map(Double.init), rtol: 1e-5, atol: 1e-5 * scale)
                    #expect(mismatch == nil, "\(type) \(kernel) \(rows) rows \(s): \(mismatch ?? "")")
                    // Today's loads dequantize exactly as Q8_0/Q4_0.dequantize: the same bits.
                    #expect(Self.same(got, want), "\(type) \(kernel) \(rows) rows \(s): not the same bits")
                }
            }
            // The quantized cache is a different cache: q4_0 moves the output, q8_0 much less.
            var exact = [Float](repeating: .nan, count: q.count)
            Self.run(q, Self.cache(k32, type: .f32, shape: s, valid: valid), Self.cache(v32, type: .f32, shape: s, valid: valid),
                     type: .f32, s, kernel: .grouped, into: &exact)
            let err = zip(exact, want).map { abs($0 - $1) }.max() ?? 0
            #expect(err < (type == .q8_0 ? 0.05 : 0.5) * Float(scale), "\(type) \(s): error \(err) vs f32")
        }
    }

    @Test("KV row formats read exactly the dequantized values, including scalar element reads")
    func rowFormats() {
        let x = OpsSupport.random(128, seed: 9, in: -4...4)
        for (type, load8, value): (GGMLType, (UnsafeRawPointer, Int) -> SIMD8<Float>, (UnsafeRawPointer, Int) -> Float) in [
            (.q8_0, Q8_0Rows.load8, Q8_0Rows.value), (.q4_0, Q4_0Rows.load8, Q4_0Rows.value),
        ] {
            let s = AttentionShape(nTokens: 1, nHead: 1, nKVHead: 1, headDim: 128, nKV: 1, pos0: 0)
            let bytes = Self.cache(x, type: type, shape: s, valid: 1)
            let want = Self.dequantized(bytes, type: type, shape: s, valid: 1)
            bytes.withUnsafeBytes { b in
                for i in stride(from: 0, to: 128, by: 8) {
                    let got = load8(b.baseAddress!, i)
                    #expect((0..<8).allSatisfy { got[$0].bitPattern == want[i + $0].bitPattern }, "\(type) load8 at \(i)")
                }
                #expect((0..<128).allSatisfy { value(b.baseAddress!, $0).bitPattern == want[$0].bitPattern }, "\(type) value")
            }
        }
    }
}
