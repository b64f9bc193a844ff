// The plain float types as rows of the type table: F32 (4 bytes), F16 (IEEE binary16), BF16 (the
// top half of an f32); one element per "block". Conversions and dots are FloatRows'.

import LoomTensor

/// F32 weights: stored as they are.
enum F32Format: FloatFormat {
    static var type: GGMLType { .f32 }
    static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        out.copyMemory(from: x, byteCount: 4 * count)
    }
    static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: blocks.assumingMemoryBound(to: Float.self), count: count)
    }
    @inline(__always)
    static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        FloatRows.dotF32(row.assumingMemoryBound(to: Float.self), x, count: count)
    }
}

/// F16 weights: IEEE binary16, rounded to nearest even.
enum F16Format: FloatFormat {
    static var type: GGMLType { .f16 }
    static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        for i in 0..<count { out.storeBytes(of: Half.f16(from: x[i]), toByteOffset: 2 * i, as: UInt16.self) }
    }
    static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        FloatRows.dequantizeF16(blocks, count: count, into: out)
    }
    @inline(__always)
    static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        FloatRows.dotF16(row, x, count: count)
    }
}

/// BF16 weights: the top 16 bits of an f32, rounded to nearest even.
enum BF16Format: FloatFormat {
    static var type: GGMLType { .bf16 }
    static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        for i in 0..<count { out.storeBytes(of: Half.bf16(from: x[i]), toByteOffset: 2 * i, as: UInt16.self) }
    }
    static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        FloatRows.dequantizeBF16(blocks, count: count, into: out)
    }
    @inline(__always)
    static func dot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        FloatRows.dotBF16(row, x, count: count)
    }
    /// Four rows per pass over x (BF16Rows.swift); each row's bits are `dot`'s.
    static func gemvRows(_ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        FloatRows.gemvBF16(w.tail, rowBytes: w.rowBytes, x, count: w.cols, out, rows: rows)
    }
}
