// The run-time kernel paths (KernelPath): LOOM_KERNELS parsing and refusal, the C kernels
// (CLoomKernels) against the Swift AVX2 kernels they mirror (same bits, in a -DLOOM_AVX2 build),
// the C grouped attention, rmsNorm and swiglu against the Swift loops (same bits in a -DLOOM_AVX2
// build; attention for every KV format, tile width, head/token split and layout), and the f16 conversions the baseline build
// uses instead of libcalls. Every path's matmuls are
// also checked against the scalar references in GEMVTests and MatMulTests (arguments:
// KernelPath.supported); `make test` runs this suite again with LOOM_KERNELS=baseline.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("KernelPath")
struct KernelPathTests {
    @Test("LOOM_KERNELS: a supported path is taken, an unknown or unsupported one is refused with a clear error")
    func environment() throws {
        #expect(try KernelPath.fromEnvironment(nil) == nil)
        #expect(try KernelPath.fromEnvironment("") == nil)
        #expect(try KernelPath.fromEnvironment("baseline") == .baseline)
        for path in KernelPath.supported { #expect(try KernelPath.fromEnvironment(path.rawValue.uppercased()) == path) }
        #expect(throws: KernelError.invalidKernelPath("sse9", supported: KernelPath.supported.map(\.rawValue))) {
            try KernelPath.fromEnvironment("sse9")
        }
        for path in KernelPath.allCases where !path.isSupported {
            #expect(throws: KernelError.kernelPathUnsupported(path.rawValue, supported: KernelPath.supported.map(\.rawValue))) {
                try KernelPath.fromEnvironment(path.rawValue)
            }
        }
        #expect(KernelPath.supported.first == .baseline && KernelPath.best == KernelPath.supported.last)
        // The process's path is the forced one when LOOM_KERNELS is set (make test: baseline).
        if let forced = try KernelPath.fromEnvironment() { #expect(KernelPath.active == forced) } else { #expect(KernelPath.active == KernelPath.best) }
        #if arch(x86_64)
        let f = KernelPath.cpuFeatures
        #expect(KernelPath.avx2.isSupported == (f & 7 == 7))
        #endif
    }

    @Test("the C int8 kernels of every path give the Swift AVX2 kernels' bits (GEMV and 4-token GEMM)",
          arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func nativeMatchesSwift(_ type: GGMLType) throws {
        #if LOOM_AVX2
        var rng = KernelRNG(UInt64(type.rawValue) &* 7919)
        for (rows, cols, tokens) in [(8, 32, 4), (24, 576, 8), (64, 1536, 4), (40, 96, 12)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let x = rng.floats(tokens * cols, scale: 2)
            let act = Q8Activations(k: cols, capacity: tokens)
            x.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<tokens) }
            for path in KernelPath.supported where path != .baseline {
                let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: .interleaved8, path: path) }
                guard let native = m.native, let format = m.int8 else { Issue.record("\(type) \(path): no C kernels"); continue }
                var c = [Float](repeating: .nan, count: tokens * rows), s = c
                c.withUnsafeMutableBufferPointer { native.gemm(m, act, $0.baseAddress!, tokens: 0..<tokens, groups: 0..<rows / 8) }
                s.withUnsafeMutableBufferPointer { format.gemm8(m, act, $0.baseAddress!, tokens: 0..<tokens, groups: 0..<rows / 8) }
                #expect(c.map(\.bitPattern) == s.map(\.bitPattern), "\(type) \(path) GEMM \(rows)×\(cols)")
                var cv = [Float](repeating: .nan, count: rows), sv = cv
                cv.withUnsafeMutableBufferPointer { native.gemv(m, act.row(1), $0.baseAddress!, groups: 0..<rows / 8) }
                sv.withUnsafeMutableBufferPointer { format.gemv8(m, act.row(1), $0.baseAddress!, groups: 0..<rows / 8) }
                #expect(cv.map(\.bitPattern) == sv.map(\.bitPattern), "\(type) \(path) GEMV \(rows)×\(cols)")
            }
        }
        #endif
    }

    /// Attention over a cache of `type` on `path`, only `heads` × `tokens` written (NaN elsewhere).
    static func attention(_ q: [Float], _ k: [UInt8], _ v: [UInt8], type: GGMLType, _ s: AttentionShape, path: KernelPath,
                          heads: Range<Int>? = nil, tokens: Range<Int>? = nil, scoreRows: Int, layout: KVLayout? = nil,
                          kernel: AttentionKernel = .grouped) -> [Float] {
        var out = [Float](repeating: .nan, count: q.count)
        let count = scoreRows * (s.pos0 + s.nTokens)
        var scratch = [Float](repeating: .nan, count: max(1, count))
        k.withUnsafeBytes { kp in v.withUnsafeBytes { vp in q.opsRead { qp in out.opsWrite { op in scratch.opsWrite { sp in
            Ops.attention(q: qp, kCache: kp.baseAddress!, vCache: vp.baseAddress!, type: type, out: op, shape: s, heads: heads,
                          tokens: tokens, scratch: sp, scratchCount: count, kernel: kernel, layout: layout, path: path)
        } } } } }
        return out
    }

    @Test("the C grouped attention of every path gives the Swift loop's bits (f32, f16, q8_0, q4_0 caches; every tile width)",
          arguments: OpsAttentionGroupedTests.floatShapes.indices)
    func nativeAttentionMatchesSwift(index: Int) {
        var shapes = [OpsAttentionGroupedTests.floatShapes[index]]
        // Large scores: exp's out-of-range branch (results below 2⁻¹²⁶) runs too.
        if index == 0 { shapes.append(AttentionShape(nTokens: 5, nHead: 6, nKVHead: 2, headDim: 64, nKV: 70, pos0: 65, scale: 40)) }
        for s in shapes {
            let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: UInt64(700 + index))
            let valid = s.pos0 + s.nTokens
            for type in [GGMLType.f32, .f16, .q8_0, .q4_0] where type.blockSize == 1 || s.headDim % 32 == 0 {
                let k = OpsAttentionGroupedTests.cache(k32, type: type, shape: s, valid: valid)
                let v = OpsAttentionGroupedTests.cache(v32, type: type, shape: s, valid: valid)
                for rows in [1, 2, 3, 4] {
                    let want = Self.attention(q, k, v, type: type, s, path: .baseline, scoreRows: rows)
                    #expect(want.allSatisfy { $0.isFinite }, "\(type) \(s)")
                    let scale = want.map { abs($0) }.max() ?? 1
                    for path in KernelPath.supported where path != .baseline {
                        let got = Self.attention(q, k, v, type: type, s, path: path, scoreRows: rows)
                        if SIMDPath.compiled == .avx2 {
                            let same = OpsAttentionGroupedTests.same(got, want)
                            #expect(same, "\(type) \(path) \(rows) rows \(s)")
                        } else {
                            // Swift compiled for the baseline CPU multiplies and adds unfused: not the same bits.
                            let err = zip(got, want).map { abs($0 - $1) }.max() ?? .nan
                            #expect(err <= 1e-5 * scale, "\(type) \(path) \(rows) rows \(s): error \(err)")
                        }
                    }
                }
            }
        }
    }

    @Test("the C grouped attention: head and token splits and a head-major layout give one call's bits")
    func nativeAttentionSplits() {
        let s = AttentionShape(nTokens: 17, nHead: 9, nKVHead: 3, headDim: 64, nKV: 40, pos0: 23)
        let (q, k32, v32) = OpsAttentionTests.inputs(s, seed: 11)
        for path in KernelPath.supported where path != .baseline {
            for type in [GGMLType.f16, .q8_0, .q4_0] {
                let k = OpsAttentionGroupedTests.cache(k32, type: type, shape: s, valid: 40)
                let v = OpsAttentionGroupedTests.cache(v32, type: type, shape: s, valid: 40)
                let full = Self.attention(q, k, v, type: type, s, path: path, scoreRows: 3)
                var split = [Float](repeating: .nan, count: q.count)
                for (a, b) in [(0, 1), (1, 5), (5, 9)] {
                    let part = Self.attention(q, k, v, type: type, s, path: path, heads: a..<b, tokens: 0..<17, scoreRows: 3)
                    for t in 0..<17 { for i in (a * 64)..<(b * 64) { split[t * 576 + i] = part[t * 576 + i] } }
                }
                let samesplit = OpsAttentionGroupedTests.same(split, full)
                #expect(samesplit, "\(type) \(path) head split")
                var byTokens = [Float](repeating: .nan, count: q.count)
                for part in 0..<3 {
                    let r = s.tokens(part: part, of: 3)
                    let got = Self.attention(q, k, v, type: type, s, path: path, tokens: r, scoreRows: 3)
                    for i in (r.lowerBound * 576)..<(r.upperBound * 576) { byTokens[i] = got[i] }
                }
                let samebyTokens = OpsAttentionGroupedTests.same(byTokens, full)
                #expect(samebyTokens, "\(type) \(path) token split")
                // Head-major rows with spare capacity (KVCache's layout).
                let head = 64 / type.blockSize * type.bytesPerBlock, capacity = 45
                func headMajor(_ rows: [UInt8]) -> [UInt8] {
                    var out = [UInt8](repeating: 0xFF, count: 3 * capacity * head)
                    for j in 0..<40 { for h in 0..<3 { out[((h * capacity + j) * head)..<((h * capacity + j + 1) * head)] = rows[((j * 3 + h) * head)..<((j * 3 + h + 1) * head)] } }
                    return out
                }
                let hm = Self.attention(q, headMajor(k), headMajor(v), type: type, s, path: path, scoreRows: 3,
                                        layout: .headMajor(s, capacity: capacity, type: type))
                let samehm = OpsAttentionGroupedTests.same(hm, full)
                #expect(samehm, "\(type) \(path) head-major")
            }
        }
    }

    @Test("the C rmsNorm and swiglu of every path give the Swift loops' bits",
          arguments: [1, 7, 8, 9, 16, 17, 24, 64, 576, 1536, 1541])
    func nativeRowOps(n: Int) {
        let x = OpsSupport.random(n, seed: UInt64(n), in: -3...3), w = OpsSupport.random(n, seed: UInt64(n + 1))
        // Gates out to ±120: exp's out-of-range branch (e^−g beyond 2¹²⁶) runs too.
        let g = OpsSupport.random(n, seed: UInt64(n + 2), in: -120...120), u = OpsSupport.random(n, seed: UInt64(n + 3))
        for path in KernelPath.supported where path != .baseline {
            for weighted in [true, false] {
                var want = [Float](repeating: .nan, count: n), got = want
                x.opsRead { xp in w.opsRead { wp in
                    want.opsWrite { Ops.rmsNorm(xp, weight: weighted ? wp : nil, out: $0, n: n, eps: 1e-5, path: .baseline) }
                    got.opsWrite { Ops.rmsNorm(xp, weight: weighted ? wp : nil, out: $0, n: n, eps: 1e-5, path: path) }
                } }
                var inPlace = x
                w.opsRead { wp in inPlace.opsWrite { Ops.rmsNorm(UnsafePointer($0), weight: weighted ? wp : nil, out: $0, n: n, eps: 1e-5, path: path) } }
                Self.expectSame(got, want, "rmsNorm \(path) n \(n) weighted \(weighted)")
                Self.expectSame(inPlace, got, "rmsNorm \(path) n \(n) in place")
            }
            var want = [Float](repeating: .nan, count: n), got = want
            g.opsRead { gp in u.opsRead { up in
                want.opsWrite { Ops.swiglu(gate: gp, up: up, out: $0, n: n, path: .baseline) }
                got.opsWrite { Ops.swiglu(gate: gp, up: up, out: $0, n: n, path: path) }
            } }
            var inPlace = g
            u.opsRead { up in inPlace.opsWrite { Ops.swiglu(gate: UnsafePointer($0), up: up, out: $0, n: n, path: path) } }
            Self.expectSame(got, want, "swiglu \(path) n \(n)")
            Self.expectSame(inPlace, got, "swiglu \(path) n \(n) in place")
        }
    }

    /// The same bits in a -DLOOM_AVX2 build (Swift with FMAs); within 2e-6 relative + 1e-30 otherwise
    /// (a baseline build's Swift multiplies and adds unfused).
    static func expectSame(_ got: [Float], _ want: [Float], _ what: String) {
        if SIMDPath.compiled == .avx2 {
            let same = got.count == want.count && zip(got, want).allSatisfy { $0.bitPattern == $1.bitPattern }
            #expect(same, "\(what)")
        } else {
            let bad = zip(got, want).filter { abs($0 - $1) > 2e-6 * abs($1) + 1e-30 }.count
            #expect(bad == 0, "\(what): \(bad) values off")
        }
    }

    @Test("f16 widening without F16C (F16Widen) is exact for all 65 536 halves")
    func widen() {
        var halves = [UInt16](repeating: 0, count: 65536)
        for i in 0..<65536 { halves[i] = UInt16(i) }
        var bad = 0
        halves.withUnsafeBytes { p in
            for i in stride(from: 0, to: 65536, by: 8) {
                let v = F16Widen.load8(p.baseAddress! + 2 * i)
                for j in 0..<8 {
                    let ref = Float(Float16(bitPattern: halves[i + j]))
                    if !(v[j].bitPattern == ref.bitPattern || (v[j].isNaN && ref.isNaN)) { bad += 1 }
                }
            }
        }
        #expect(bad == 0)
    }

    @Test("f32 ↔ f16 row conversion equals Float16(x) / Float(h) on the active path")
    func convertF16() {
        var rng = KernelRNG(5)
        var x = rng.floats(1000, scale: 70000)
        x += [0, -0, 1e-8, -6e-5, 65504, 65520, .infinity, -.infinity, 1e-40]
        var h = [Float16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { FloatRows.convertToF16(xp.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        #expect(zip(h, x).allSatisfy { $0.bitPattern == Float16($1).bitPattern })
        var back = [Float](repeating: .nan, count: h.count)
        h.withUnsafeBufferPointer { hp in back.withUnsafeMutableBufferPointer { FloatRows.convertFromF16(hp.baseAddress!, count: h.count, into: $0.baseAddress!) } }
        #expect(zip(back, h).allSatisfy { $0.bitPattern == Float($1).bitPattern })
    }
}
