// MatMul end to end: every path (GEMV, int8 GEMM, OpenBLAS) against a Double reference over the
// dequantized weights and the quantized activations, and identical bits for 1, 2 and 3 threads —
// for every kernel path this CPU runs (KernelPath.supported: baseline, and the C avx2 / avx512
// kernels where the CPU has them), each matrix prepared for that path.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("MatMul")
struct MatMulTests {
    /// Reference out[t, r] in Double: dequantized weights × (quantized activations for int8 paths,
    /// raw activations otherwise).
    static func reference(_ wbytes: [UInt8], type: GGMLType, rows: Int, cols: Int, x: [Float], tokens: Int, int8: Bool) -> [Double] {
        let rowBytes = type.byteCount(elements: cols)!
        var w = [Float](repeating: 0, count: rows * cols)
        wbytes.withUnsafeBytes { p in w.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows { try? Dequantize.row(type, p.baseAddress! + r * rowBytes, count: cols, into: o.baseAddress! + r * cols) }
        } }
        var xa = x
        if int8 {
            let act = Q8Activations(k: cols, capacity: tokens)
            x.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<tokens) }
            for t in 0..<tokens { let a = act.row(t); for j in 0..<cols { xa[t * cols + j] = Float(a.q[j]) * a.d[j / 32] } }
        }
        var out = [Double](repeating: 0, count: tokens * rows)
        for t in 0..<tokens { for r in 0..<rows {
            var s = 0.0
            for j in 0..<cols { s += Double(w[r * cols + j]) * Double(xa[t * cols + j]) }
            out[t * rows + r] = s
        } }
        return out
    }

    static func run(_ m: PackedMatrix, x: [Float], tokens: Int, threads: Int, path: MatMulPath) -> [Float] {
        let pool = ThreadPool(threads: threads)
        let scratch = MatMulScratch(maxTokens: tokens, maxCols: m.cols, threads: threads)
        var out = [Float](repeating: .nan, count: tokens * m.rows)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { MatMul.run(m, xp.baseAddress!, tokens: tokens, $0.baseAddress!, scratch: scratch, pool: pool, path: path) } }
        return out
    }

    @Test("own kernels, OpenBLAS and auto match the reference in every layout and kernel path; 1, 2 and 3 threads give the same bits",
          arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .f32, .f16, .bf16, .q4_K, .q5_K, .q6_K], KernelPath.supported)
    func paths(_ type: GGMLType, _ kernels: KernelPath) throws {
        var rng = KernelRNG(UInt64(type.rawValue) &* 31 &+ 7)
        for (rows, cols) in [(8, 32), (13, 64), (48, 576), (67, 96), (21, 17), (19, 512)] where cols % type.blockSize == 0 { for layout in [nil, PackedMatrix.Layout.rowMajor] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: layout, path: kernels) }
            #expect(layout != nil || m.layout == PackedMatrix.preferredLayout(for: type, path: kernels))
            for tokens in [1, 3, 4, 7, 9, 33] { for path in [MatMulPath.ownKernels, .openBLAS, .auto] {
                let x = rng.floats(tokens * cols)
                let int8 = type.isQuantized && !MatMul.usesBLAS(type, tokens: tokens, path: path, layout: m.layout, kernels: kernels)
                let ref = Self.reference(wbytes, type: type, rows: rows, cols: cols, x: x, tokens: tokens, int8: int8)
                let one = Self.run(m, x: x, tokens: tokens, threads: 1, path: path)
                let mag = ref.map(abs).max() ?? 1
                let tolerance: Double = 2e-5 * mag * Double(cols).squareRoot() + 1e-6
                let bad: [Int] = (0..<ref.count).filter { (i: Int) -> Bool in abs(Double(one[i]) - ref[i]) > tolerance }
                let first: String = bad.first.map { (i: Int) -> String in "\(one[i]) vs \(ref[i])" } ?? ""
                #expect(bad.isEmpty, "\(type) \(kernels) \(m.layout) \(path) \(rows)×\(cols) tokens \(tokens): \(bad.count) outputs off, first \(first)")
                for threads in [2, 3] {
                    let other = Self.run(m, x: x, tokens: tokens, threads: threads, path: path)
                    let differing = zip(other, one).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "\(type) \(path) \(rows)×\(cols) tokens \(tokens), \(threads) threads: \(differing) outputs differ")
                }
            } }
        } }
    }

    @Test("embedding row lookup dequantizes interleaved rows like the GGUF rows")
    func interleavedRows() throws {
        var rng = KernelRNG(99)
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
            let cols = max(64, 2 * type.blockSize)
            let wbytes = quantizeRows(rng.floats(24 * cols), rows: 24, cols: cols, type: type)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: 24, cols: cols, bytes: $0) }
            for r in [0, 7, 8, 23] {
                var a = [Float](repeating: 0, count: cols), b = a
                a.withUnsafeMutableBufferPointer { m.dequantizeRow(r, into: $0.baseAddress!) }
                wbytes.withUnsafeBytes { p in b.withUnsafeMutableBufferPointer { try? Dequantize.row(type, p.baseAddress! + r * m.rowBytes, count: cols, into: $0.baseAddress!) } }
                #expect(a == b, "\(type) row \(r)")
            }
        }
    }

    @Test("panel16 (encoders): every path matches the reference, quantized types are expanded exactly, and a token's bits do not depend on the thread count or the batch",
          arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_1, .q5_0], KernelPath.supported)
    func panels(_ type: GGMLType, _ kernels: KernelPath) throws {
        var rng = KernelRNG(UInt64(type.rawValue) &* 131 &+ 5)
        for (rows, cols) in [(8, 32), (13, 64), (48, 576), (67, 96), (384, 1536)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix.panels(type: type, rows: rows, cols: cols, bytes: $0, path: kernels) }
            if PanelGEMM.supports(.f32, path: kernels) {
                #expect(m.layout == .panel16 && m.type == (type == .f16 || type == .bf16 ? type : .f32))
            } else {
                #expect(m.layout == .rowMajor && m.type == type)
            }
            // Row lookup gives the dequantized GGUF row back.
            for r in Set([0, rows / 2, rows - 1]) {
                var a = [Float](repeating: 0, count: cols), b = a
                a.withUnsafeMutableBufferPointer { m.dequantizeRow(r, into: $0.baseAddress!) }
                wbytes.withUnsafeBytes { p in b.withUnsafeMutableBufferPointer { try? Dequantize.row(type, p.baseAddress! + r * wbytes.count / rows, count: cols, into: $0.baseAddress!) } }
                #expect(a == b, "\(type) \(rows)×\(cols) row \(r)")
            }
            let batch = rows >= 384 ? [1, 23, 70] : [1, 2, 5, 6, 7, 13, 33]
            for tokens in batch { for path in [MatMulPath.auto, .openBLAS] {
                let x = rng.floats(tokens * cols)
                let int8 = m.type.isQuantized && !MatMul.usesBLAS(m.type, tokens: tokens, path: path, layout: m.layout, kernels: kernels)
                let ref = Self.reference(wbytes, type: type, rows: rows, cols: cols, x: x, tokens: tokens, int8: int8)
                let one = Self.run(m, x: x, tokens: tokens, threads: 1, path: path)
                let mag = ref.map(abs).max() ?? 1
                let tolerance: Double = 2e-5 * mag * Double(cols).squareRoot() + 1e-6
                let bad = (0..<ref.count).filter { abs(Double(one[$0]) - ref[$0]) > tolerance }
                #expect(bad.isEmpty, "\(type) \(kernels) panels \(path) \(rows)×\(cols) tokens \(tokens): \(bad.count) outputs off")
                for threads in [2, 3] {
                    let other = Self.run(m, x: x, tokens: tokens, threads: threads, path: path)
                    #expect(zip(other, one).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(type) panels \(tokens) tokens, \(threads) threads")
                }
                guard path == .auto, tokens > 1, m.layout == .panel16 else { continue }
                // Token t alone (GEMV) gives the same bits as token t inside the batch (GEMM).
                for t in Set([0, tokens / 2, tokens - 1]) {
                    let alone = Self.run(m, x: Array(x[t * cols..<(t + 1) * cols]), tokens: 1, threads: 2, path: path)
                    #expect(alone.elementsEqual(one[t * rows..<(t + 1) * rows]) { $0.bitPattern == $1.bitPattern },
                            "\(type) panels \(rows)×\(cols): token \(t) of \(tokens) differs from the token alone")
                }
            } }
        }
    }
}
