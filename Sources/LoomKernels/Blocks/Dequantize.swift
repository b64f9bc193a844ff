// Dequantize: one row of any supported type → f32 (embedding lookup, BLAS tiles, tests).

import LoomTensor

/// Row conversion to f32 for every type Loom has a reference dequantizer for.
public enum Dequantize {
    /// Types `row` supports.
    public static let supportedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q8_1]

    /// Converts `count` elements of `type` at `src` (GGUF layout) to f32 at `out`.
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int,
                           into out: UnsafeMutablePointer<Float>) throws(KernelError) {
        guard count % type.blockSize == 0 else { throw .invalidShape(rows: 1, cols: count, type: type) }
        switch type {
        case .f32: out.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: FloatRows.dequantizeF16(src, count: count, into: out)
        case .bf16: FloatRows.dequantizeBF16(src, count: count, into: out)
        case .q4_0: Q4_0.dequantize(src, count: count, into: out)
        case .q4_1: Q4_1.dequantize(src, count: count, into: out)
        case .q8_0: Q8_0.dequantize(src, count: count, into: out)
        case .q8_1: Q8_1.dequantize(src, count: count, into: out)
        default: throw .unsupportedType(type, operation: "dequantize")
        }
    }
}
