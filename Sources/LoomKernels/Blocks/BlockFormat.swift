// BlockFormat: what one element type's folder provides; the rows of the one type table
// (TypeTable.swift).
//
//   BlockFormat      every type Loom converts: layout (from GGMLType.traits) + reference
//                    quantize (bit-exact with ggml's quantize_row_*_ref) and dequantize
//   ├─ Int8Format    weights dotted with int8 activations (Q8Row): reference dot, the rowMajor
//   │                GEMV, and the interleaved8 record (8 rows × one block, Repack.swift) with its
//   │                AVX2 GEMV/GEMM (in the type's `+AVX2.swift`)
//   │  └─ Interleaved32Format   32-element blocks whose record is a RecordLayout (Q4_x, Q5_x,
//   │                Q8_0; kernels through Record8Kernel); K-quants pack their own (KQuant.swift)
//   └─ FloatFormat   weights dotted with f32 activations (F32, F16, BF16)
//
// Dispatch happens once per matmul: PackedMatrix resolves its format when it is built, and GEMV /
// GEMM call one static function of it per row range; everything inside is specialized to the type
// (no existentials or closures in the loops).

import LoomTensor

/// One element type's layout and reference conversions (a row of `TypeTable`).
public protocol BlockFormat {
    /// The GGUF type this format implements; its name, block size and bytes per block come from
    /// `GGMLType.traits`.
    static var type: GGMLType { get }
    /// Quantizes `count` floats (whole blocks) into GGUF bytes at `out`, as ggml's reference does.
    static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer)
    /// Dequantizes `count` elements (whole blocks) from GGUF bytes at `blocks`.
    static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>)
}

extension BlockFormat {
    /// Elements per block (GGMLType.traits).
    @inline(__always) public static var blockSize: Int { type.blockSize }
    /// Bytes per block (GGMLType.traits).
    @inline(__always) public static var bytesPerBlock: Int { type.bytesPerBlock }
}

/// A weight format with int8-activation kernels: the reference dot, and the interleaved8 record
/// the AVX2 kernels stream (8 rows × one block, `8 · bytesPerBlock` bytes).
protocol Int8Format: BlockFormat {
    /// Reference dot of one GGUF row of `count` weights with quantized activations.
    static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float
    /// Writes the record of one block column: the blocks of 8 rows at `src`, `src + rowBytes`, ….
    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer)
    /// Writes lane `lane`'s GGUF block back from a record (the inverse of `packRecord`).
    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer)
    /// out[r] for r in `rows`, all stored rowMajor (the portable GEMV).
    static func gemvRows(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>)
    /// The C interleaved8 kernels for run-time path `path`, if the type has them (NativeKernels.swift).
    static func native(_ path: KernelPath) -> NativeRecordKernels?
    #if LOOM_AVX2
    /// out[8g…8g+7] for g in `groups` (interleaved8).
    static func gemv8(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>)
    /// out[t, 8g…8g+7] for t in `tokens` (a multiple of 4 long) and g in `groups` (interleaved8).
    static func gemm8(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                      tokens: Range<Int>, groups: Range<Int>)
    #endif
}

extension Int8Format {
    /// Bytes of one interleaved8 record.
    @inline(__always) static var recordBytes: Int { 8 * bytesPerBlock }

    static func gemvRows(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for r in rows { out[r] = dotReference(w.rowMajorRow(r), a, count: w.cols) }
    }
}

/// An int8 format with 32-element blocks whose interleaved8 record is described by a
/// RecordLayout (Interleave8 packs it, Repack.swift).
protocol Interleaved32Format: Int8Format {
    /// How a block maps to its interleaved8 record (Repack.swift).
    static var record: RecordLayout { get }
}

extension Interleaved32Format {
    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        Interleave8.pack(Self.record, src, rowBytes: rowBytes, into: record)
    }

    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        Interleave8.unpack(Self.record, record, lane: lane, into: block)
    }
}

/// A weight format dotted with f32 activations (rowMajor GEMV; OpenBLAS or panels for batches).
protocol FloatFormat: BlockFormat {
    /// Σ row[j]·x[j] over `count` elements of one GGUF row.
    static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float
    /// out[r] = row r · x for r in `rows` (rowMajor weights).
    static func gemvRows(_ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>)
}

extension FloatFormat {
    static func gemvRows(_ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for r in rows { out[r] = dot(w.tail + r * w.rowBytes, x, count: w.cols) }
    }
}
