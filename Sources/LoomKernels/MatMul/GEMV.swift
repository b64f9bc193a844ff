// GEMV: out[r] = W[r] · x for the rows in a range — one token (decode), one row range per thread.
//
// Quantized weights take int8 activations (`Q8Row`, quantized once per matmul by the caller); float
// weights take f32 activations. interleaved8 groups go through the AVX2 kernels (GEMV+AVX2.swift),
// rowMajor rows through the per-row dots — both the weight type's (PackedMatrix's format, one call
// per row range). Every output is computed by exactly one call, whatever the
// split, so results do not depend on the thread count.

import LoomTensor

enum GEMV {
    /// out[r] for r in `rows` (bounds of 8-row groups must fall on multiples of 8).
    static func quantized(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        guard let format = w.int8 else { preconditionFailure("\(w.type) has no int8 kernel") }
        var r = rows.lowerBound
        if w.layout == .interleaved8 {
            let g1 = min(rows.upperBound, w.groups * 8) / 8
            if r < g1 * 8 {
                precondition(r % 8 == 0, "row ranges split at 8-row groups")
                if let native = w.native {
                    native.gemv(w, a, out, groups: r / 8..<g1)
                } else {
                    #if LOOM_AVX2
                    format.gemv8(w, a, out, groups: r / 8..<g1)
                    #else
                    preconditionFailure("interleaved8 \(w.type) without kernels")
                    #endif
                }
                r = g1 * 8
            }
        }
        if r < rows.upperBound { format.gemvRows(w, a, out, rows: r..<rows.upperBound) }
    }

    /// The reference dot of one rowMajor row with quantized activations.
    static func rowDot(_ w: PackedMatrix, _ r: Int, _ a: Q8Row) -> Float {
        guard let format = w.int8 else { preconditionFailure("\(w.type) has no int8 kernel") }
        return format.dotReference(w.rowMajorRow(r), a, count: w.cols)
    }

    /// out[r] for r in `rows`, float weights (F32, F16, BF16) against f32 activations.
    static func float(_ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        precondition(w.layout == .rowMajor, "GEMV.float reads row-major weights")
        guard let format = w.float else { preconditionFailure("\(w.type) is not a float type") }
        format.gemvRows(w, x, out, rows: rows)
    }
}
