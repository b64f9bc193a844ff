// GEMV kernels against references, over many shapes (rows not multiples of 8, cols of 1–48 blocks)
// and seeded random data:
//   - int8 kernels (interleaved8 AVX2 and rowMajor) vs the scalar dotReference on the same
//     quantized activations: |Δ| ≤ 1e-5 · Σ|terms| (only the float epilogue order differs);
//   - float kernels vs a Double reference: relative 1e-5 of Σ|w·x|;
//   - Q8 activation quantization: SIMD and reference give identical bytes and scales.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("GEMV")
struct GEMVTests {
    static let shapes: [(Int, Int)] = [(1, 32), (7, 64), (8, 32), (9, 96), (16, 576), (23, 160), (64, 1536), (192, 576), (40, 1536)]

    static func layouts(_ path: KernelPath = .active) -> [PackedMatrix.Layout] {
        PackedMatrix.preferredLayout(for: .q4_0, path: path) == .interleaved8 ? [.rowMajor, .interleaved8] : [.rowMajor]
    }

    @Test("int8 kernels equal the scalar reference on every kernel path", arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0], KernelPath.supported)
    func quantized(_ type: GGMLType, _ path: KernelPath) throws {
        var rng = KernelRNG(UInt64(type.rawValue) * 977)
        for (rows, cols) in Self.shapes {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let x = rng.floats(cols, scale: 2)
            let act = Q8Activations(k: cols, capacity: 1)
            x.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<1) }
            let a = act.row(0)
            let rowBytes = type.byteCount(elements: cols)!
            let reference: [Float] = wbytes.withUnsafeBytes { w in
                (0..<rows).map { r in GEMV.rowDot(try! PackedMatrix(type: type, rows: 1, cols: cols,
                    bytes: UnsafeRawBufferPointer(rebasing: w[r * rowBytes..<(r + 1) * rowBytes]), layout: .rowMajor), 0, a) }
            }
            let magnitude = Self.magnitude(wbytes, type: type, rows: rows, cols: cols, a: a)
            for layout in Self.layouts(path) {
                let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: layout, path: path) }
                #expect(m.layout == layout)
                var out = [Float](repeating: .nan, count: rows)
                out.withUnsafeMutableBufferPointer { GEMV.quantized(m, a, $0.baseAddress!, rows: 0..<rows) }
                for r in 0..<rows {
                    #expect(abs(out[r] - reference[r]) <= 1e-5 * magnitude[r] + 1e-30,
                            "\(type) \(path) \(layout) \(rows)×\(cols) row \(r): \(out[r]) vs \(reference[r])")
                }
                // Split at a group boundary: the same bits as one call.
                if rows > 8 {
                    var split = [Float](repeating: .nan, count: rows)
                    split.withUnsafeMutableBufferPointer {
                        GEMV.quantized(m, a, $0.baseAddress!, rows: 0..<8)
                        GEMV.quantized(m, a, $0.baseAddress!, rows: 8..<rows)
                    }
                    #expect(split.map(\.bitPattern) == out.map(\.bitPattern))
                }
            }
        }
    }

    @Test("K-quant int8 kernels give the scalar reference's bits (same integer sums, same FMA order)", arguments: [GGMLType.q4_K, .q5_K, .q6_K])
    func kquants(_ type: GGMLType) throws {
        var rng = KernelRNG(UInt64(type.rawValue) * 331)
        for (rows, cols) in [(1, 256), (7, 512), (8, 256), (9, 768), (13, 256), (23, 1536), (64, 2048), (17, 4096)] {
            var x = rng.floats(rows * cols)
            for j in 0..<min(cols, 64) { x[j] *= 50 }           // a loud first block in row 0 (large scales)
            let wbytes = quantizeRows(x, rows: rows, cols: cols, type: type)
            let act = Q8Activations(k: cols, capacity: 1)
            var xa = rng.floats(cols, scale: 2)
            for j in 32..<64 where j < cols { xa[j] = 0 }            // an all-zero activation block
            xa.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<1) }
            let a = act.row(0)
            let rowBytes = type.byteCount(elements: cols)!
            let reference: [Float] = wbytes.withUnsafeBytes { w in (0..<rows).map { r in
                TypeTable.int8(type)!.dotReference(w.baseAddress! + r * rowBytes, a, count: cols) } }
            for layout in Self.layouts() {
                let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: layout) }
                var out = [Float](repeating: .nan, count: rows)
                out.withUnsafeMutableBufferPointer { GEMV.quantized(m, a, $0.baseAddress!, rows: 0..<rows) }
                #expect(out.map(\.bitPattern) == reference.map(\.bitPattern), "\(type) \(layout) \(rows)×\(cols): \(out.prefix(4)) vs \(reference.prefix(4))")
            }
            // A batch (int8 GEMM for 4-token tiles, GEMV for the rest): each token the reference's bits too.
            let tokens = 6
            let xs = rng.floats(tokens * cols, scale: 2)
            let acts = Q8Activations(k: cols, capacity: tokens)
            xs.withUnsafeBufferPointer { acts.quantize($0.baseAddress!, rows: 0..<tokens) }
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0) }
            var batch = [Float](repeating: .nan, count: tokens * rows)
            xs.withUnsafeBufferPointer { xp in batch.withUnsafeMutableBufferPointer {
                MatMul.run(m, xp.baseAddress!, tokens: tokens, $0.baseAddress!, scratch: MatMulScratch(maxTokens: tokens, maxCols: cols, threads: 1),
                           pool: ThreadPool(threads: 1), path: .ownKernels)
            } }
            for t in 0..<tokens {
                let expected: [Float] = wbytes.withUnsafeBytes { w in (0..<rows).map { r in
                    TypeTable.int8(type)!.dotReference(w.baseAddress! + r * rowBytes, acts.row(t), count: cols) } }
                #expect(batch[t * rows..<(t + 1) * rows].map(\.bitPattern) == expected.map(\.bitPattern), "\(type) batch \(rows)×\(cols) token \(t)")
            }
            // The reference against a Double sum over the dequantized weights (the dot is right, not only self-consistent).
            var deq = [Float](repeating: 0, count: cols)
            for r in 0..<rows {
                wbytes.withUnsafeBytes { p in deq.withUnsafeMutableBufferPointer { try? Dequantize.row(type, p.baseAddress! + r * rowBytes, count: cols, into: $0.baseAddress!) } }
                var ref = 0.0, mag = 0.0
                for j in 0..<cols { let t = Double(deq[j]) * Double(a.q[j]) * Double(a.d[j / 32]); ref += t; mag += abs(t) }
                #expect(abs(Double(reference[r]) - ref) <= 1e-5 * mag + 1e-6 * abs(ref) + 1e-30, "\(type) \(rows)×\(cols) row \(r): \(reference[r]) vs \(ref)")
            }
        }
    }

    /// Σ_j |w_j · a_j| per row (dequantized), the scale of the rounding error.
    static func magnitude(_ w: [UInt8], type: GGMLType, rows: Int, cols: Int, a: Q8Row) -> [Float] {
        var deq = [Float](repeating: 0, count: cols)
        let rowBytes = type.byteCount(elements: cols)!
        return (0..<rows).map { r in
            w.withUnsafeBytes { p in deq.withUnsafeMutableBufferPointer { try? Dequantize.row(type, p.baseAddress! + r * rowBytes, count: cols, into: $0.baseAddress!) } }
            var s: Float = 0
            for j in 0..<cols { s += abs(deq[j] * Float(a.q[j]) * a.d[j / 32]) + abs(type == .q4_1 || type == .q5_1 ? a.s[j / 32] : 0) }
            return s
        }
    }

    @Test("float kernels equal a Double reference", arguments: [GGMLType.f32, .f16, .bf16])
    func float(_ type: GGMLType) throws {
        var rng = KernelRNG(UInt64(type.rawValue) + 5)
        for (rows, cols) in Self.shapes + [(3, 1), (5, 17), (4, 33), (2, 1000)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let x = rng.floats(cols)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: .rowMajor) }
            var out = [Float](repeating: .nan, count: rows)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { GEMV.float(m, xp.baseAddress!, $0.baseAddress!, rows: 0..<rows) } }
            var deq = [Float](repeating: 0, count: cols)
            for r in 0..<rows {
                wbytes.withUnsafeBytes { p in deq.withUnsafeMutableBufferPointer { try? Dequantize.row(type, p.baseAddress! + r * m.rowBytes, count: cols, into: $0.baseAddress!) } }
                var ref = 0.0, mag = 0.0
                for j in 0..<cols { ref += Double(deq[j]) * Double(x[j]); mag += abs(Double(deq[j]) * Double(x[j])) }
                #expect(abs(Double(out[r]) - ref) <= 1e-5 * mag + 1e-30, "\(type) \(rows)×\(cols) row \(r)")
            }
        }
    }

    @Test("Q8 activation quantization: SIMD path equals the reference bit for bit")
    func activations() {
        var rng = KernelRNG(3)
        for k in [32, 64, 576, 1536] {
            var x = rng.floats(k * 3, scale: 3)
            x[5] = 0; for j in 32..<64 where j < k { x[j] = 0 }       // an all-zero block
            let act = Q8Activations(k: k, capacity: 3)
            x.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<3) }
            let ref = Q8Activations(k: k, capacity: 3)
            x.withUnsafeBufferPointer { xp in
                for t in 0..<3 {
                    Q8Activations.quantizeRowReference(xp.baseAddress! + t * k, k: k, q: ref.q + t * k, d: ref.d + t * k / 32, s: ref.s + t * k / 32, isum: ref.isum + t * k / 32)
                }
            }
            for i in 0..<3 * k { #expect(act.q[i] == ref.q[i], "k \(k) element \(i)") }
            for i in 0..<3 * k / 32 { #expect(act.d[i] == ref.d[i] && act.s[i] == ref.s[i] && act.isum[i] == ref.isum[i], "k \(k) block \(i)") }
        }
    }

    @Test("an interleaved8 request is honoured only where its kernels exist (C ones on avx2/avx512, or a -DLOOM_AVX2 build's)",
          arguments: KernelPath.supported)
    func interleavedOnlyWithKernels(_ path: KernelPath) throws {
        var rng = KernelRNG(17)
        for type in [GGMLType.q5_0, .q4_K] {
            let wbytes = quantizeRows(rng.floats(16 * 256), rows: 16, cols: 256, type: type)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: 16, cols: 256, bytes: $0, layout: .interleaved8, path: path) }
            let kernels = path != .baseline && (type == .q5_0 || SIMDPath.compiled == .avx2)
            #expect(m.layout == (kernels ? .interleaved8 : .rowMajor), "\(type) on \(path)")
            #expect((m.native != nil) == (path != .baseline && type == .q5_0), "\(type) on \(path)")
        }
    }

    @Test("PackedMatrix rejects what it cannot run")
    func rejects() {
        let bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeBytes { p in
            #expect(throws: KernelError.unsupportedType(.q8_K, operation: "matmul")) { try PackedMatrix(type: .q8_K, rows: 1, cols: 256, bytes: p) }
            #expect(throws: KernelError.invalidShape(rows: 1, cols: 33, type: .q4_0)) { try PackedMatrix(type: .q4_0, rows: 1, cols: 33, bytes: p) }
            #expect(throws: KernelError.sizeMismatch(expected: 36, actual: 64)) { try PackedMatrix(type: .q4_0, rows: 2, cols: 32, bytes: p) }
        }
    }
}
