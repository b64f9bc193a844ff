// RowMajorInt8Format: an int8-activation weight format that has no interleaved8 record (yet) —
// Q3_K, Q2_K. PackedMatrix keeps such matrices rowMajor on every build, so GEMV and MatMul run
// the type's reference dot per row (Int8Format.gemvRows); the record requirements below exist
// only to satisfy Int8Format and are never reached (PackedMatrix never interleaves these types).

import LoomTensor

/// An Int8Format served by the rowMajor GEMV only (no interleaved8 record or AVX2 kernel).
protocol RowMajorInt8Format: Int8Format {}

extension RowMajorInt8Format {
    /// No record: PackedMatrix keeps these types rowMajor (`interleaves`), so this is never used.
    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        preconditionFailure("\(type) has no interleaved8 record")
    }

    /// No record (see packRecord).
    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        preconditionFailure("\(type) has no interleaved8 record")
    }

    #if LOOM_AVX2
    static func gemv8(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        preconditionFailure("\(type) has no interleaved8 kernel")
    }

    static func gemm8(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                      tokens: Range<Int>, groups: Range<Int>) {
        preconditionFailure("\(type) has no interleaved8 kernel")
    }
    #endif
}

extension TypeTable {
    /// Whether `type` has an interleaved8 record and kernels (int8 formats other than RowMajorInt8Format).
    static func interleaves(_ type: GGMLType) -> Bool {
        guard let format = int8(type) else { return false }
        return !(format is any RowMajorInt8Format.Type)
    }
}
