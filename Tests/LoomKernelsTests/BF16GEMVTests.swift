// BF16 decode GEMV (Blocks/Float/BF16Rows.swift): against a Double reference over the widened
// weights (within f32 rounding), and each row's bits equal to the single-row dot whatever row range
// (and so whatever four-row grouping) computes it. MatMul's BF16 paths (GEMV, OpenBLAS prefill,
// 1–3 threads) are MatMulTests'.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("BF16 GEMV")
struct BF16GEMVTests {
    @Test("four rows per pass: Double reference within f32 rounding; every row range gives dotBF16's bits")
    func rows() throws {
        var rng = KernelRNG(1616)
        for (rows, cols) in [(1, 1), (3, 15), (4, 16), (5, 17), (9, 33), (13, 576), (16, 1536), (7, 1000)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: .bf16)
            let x = rng.floats(cols, scale: 2)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: .bf16, rows: rows, cols: cols, bytes: $0, layout: .rowMajor) }
            let single: [Float] = wbytes.withUnsafeBytes { w in x.withUnsafeBufferPointer { xp in
                (0..<rows).map { FloatRows.dotBF16(w.baseAddress! + $0 * m.rowBytes, xp.baseAddress!, count: cols) }
            } }
            for start in Set([0, 1, min(3, rows - 1)]) {
                var out = [Float](repeating: .nan, count: rows)
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { GEMV.float(m, xp.baseAddress!, $0.baseAddress!, rows: start..<rows) } }
                #expect(out[start...].map(\.bitPattern) == single[start...].map(\.bitPattern), "\(rows)×\(cols) from row \(start)")
            }
            for r in 0..<rows {
                var ref = 0.0, mag = 0.0
                for j in 0..<cols {
                    let bits = UInt32(wbytes[r * m.rowBytes + 2 * j]) << 16 | UInt32(wbytes[r * m.rowBytes + 2 * j + 1]) << 24
                    let t = Double(Float(bitPattern: bits)) * Double(x[j])
                    ref += t; mag += abs(t)
                }
                #expect(abs(Double(single[r]) - ref) <= 2e-7 * Double(cols).squareRoot() * mag + 1e-30, "\(rows)×\(cols) row \(r): \(single[r]) vs \(ref)")
            }
        }
    }
}
