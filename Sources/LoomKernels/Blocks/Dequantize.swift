// Dequantize: one row of any supported type → f32 (embedding lookup, BLAS tiles, tests), through
// the type table.

import LoomTensor

/// Row conversion to f32 for every type Loom has a reference dequantizer for.
public enum Dequantize {
    /// Types `row` supports (TypeTable.convertible).
    public static var supportedTypes: Set<GGMLType> { TypeTable.convertible }

    /// Converts `count` elements of `type` at `src` (GGUF layout) to f32 at `out`.
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int,
                           into out: UnsafeMutablePointer<Float>) throws(KernelError) {
        guard count % type.blockSize == 0 else { throw .invalidShape(rows: 1, cols: count, type: type) }
        guard let format = TypeTable.format(type) else { throw .unsupportedType(type, operation: "dequantize") }
        format.dequantize(src, count: count, into: out)
    }
}
