// Quantizer: one f32 row → GGUF bytes of a type, for every type Loom can quantize to
// (the store's `quantize`, tests and benchmarks), through the type table.

import LoomTensor

/// Row quantization into GGUF layout.
public enum Quantizer {
    /// Types `quantizeRow` can produce (TypeTable.convertible).
    public static var supportedTypes: Set<GGMLType> { TypeTable.convertible }

    /// Quantizes `count` floats into `type` blocks at `out` (type.byteCount(elements: count) bytes).
    public static func quantizeRow(_ type: GGMLType, _ x: UnsafePointer<Float>, count: Int,
                                   into out: UnsafeMutableRawPointer) throws(KernelError) {
        guard count % type.blockSize == 0 else { throw .invalidShape(rows: 1, cols: count, type: type) }
        guard let format = TypeTable.format(type) else { throw .unsupportedType(type, operation: "quantize") }
        format.quantize(x, count: count, into: out)
    }
}
