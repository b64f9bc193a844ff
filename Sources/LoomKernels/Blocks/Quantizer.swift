// Quantizer: one f32 row → GGUF bytes of a type, for every type Loom can quantize to
// (the store's `quantize`, tests and benchmarks).

import LoomTensor

/// Row quantization into GGUF layout.
public enum Quantizer {
    /// Types `quantizeRow` can produce.
    public static let supportedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q8_1]

    /// Quantizes `count` floats into `type` blocks at `out` (type.byteCount(elements: count) bytes).
    public static func quantizeRow(_ type: GGMLType, _ x: UnsafePointer<Float>, count: Int,
                                   into out: UnsafeMutableRawPointer) throws(KernelError) {
        guard count % type.blockSize == 0 else { throw .invalidShape(rows: 1, cols: count, type: type) }
        switch type {
        case .f32: out.copyMemory(from: x, byteCount: 4 * count)
        case .f16: for i in 0..<count { out.storeBytes(of: Half.f16(from: x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16: for i in 0..<count { out.storeBytes(of: Half.bf16(from: x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .q4_0: Q4_0.quantize(x, count: count, into: out)
        case .q4_1: Q4_1.quantize(x, count: count, into: out)
        case .q8_0: Q8_0.quantize(x, count: count, into: out)
        case .q8_1: Q8_1.quantize(x, count: count, into: out)
        default: throw .unsupportedType(type, operation: "quantize")
        }
    }
}
