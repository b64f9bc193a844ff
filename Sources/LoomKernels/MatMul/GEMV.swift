// GEMV: out[r] = W[r] · x for the rows in a range — one token (decode), one row range per thread.
//
// Quantized weights take int8 activations (`Q8Row`, quantized once per matmul by the caller); float
// weights take f32 activations. interleaved8 groups go through the AVX2 kernels (GEMV+AVX2.swift),
// rowMajor rows through the per-row dots. Every output is computed by exactly one call, whatever the
// split, so results do not depend on the thread count.

import LoomTensor

enum GEMV {
    /// out[r] for r in `rows` (bounds of 8-row groups must fall on multiples of 8).
    static func quantized(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        var r = rows.lowerBound
        #if LOOM_AVX2
        if w.layout == .interleaved8 {
            let g1 = min(rows.upperBound, w.groups * 8) / 8
            if r < g1 * 8 {
                precondition(r % 8 == 0, "row ranges split at 8-row groups")
                GEMVAVX2.run(w, a, out, groups: r / 8..<g1)
                r = g1 * 8
            }
        }
        #endif
        while r < rows.upperBound {
            out[r] = rowDot(w, r, a)
            r += 1
        }
    }

    /// The dot of one rowMajor row with quantized activations.
    @inline(__always)
    static func rowDot(_ w: PackedMatrix, _ r: Int, _ a: Q8Row) -> Float {
        let p = w.rowMajorRow(r)
        switch w.type {
        case .q4_0: return Q4_0.dotReference(p, a, count: w.cols)
        case .q4_1: return Q4_1.dotReference(p, a, count: w.cols)
        case .q8_0: return Q8_0.dotReference(p, a, count: w.cols)
        default: preconditionFailure("\(w.type) has no int8 kernel")
        }
    }

    /// out[r] for r in `rows`, float weights (F32, F16, BF16) against f32 activations.
    static func float(_ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        precondition(w.layout == .rowMajor, "GEMV.float reads row-major weights")
        let k = w.cols
        switch w.type {
        case .f32:
            let base = w.tail.assumingMemoryBound(to: Float.self)
            for r in rows { out[r] = FloatRows.dotF32(base + r * k, x, count: k) }
        case .f16:
            for r in rows { out[r] = FloatRows.dotF16(w.tail + r * w.rowBytes, x, count: k) }
        case .bf16:
            for r in rows { out[r] = FloatRows.dotBF16(w.tail + r * w.rowBytes, x, count: k) }
        default:
            preconditionFailure("\(w.type) is not a float type")
        }
    }
}
