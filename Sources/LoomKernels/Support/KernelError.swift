// KernelError: what preparing weights for the kernels can reject (it comes from file metadata, so it
// throws; shape errors inside kernel calls are preconditions).

import LoomTensor

/// A typed error from preparing tensors for the kernels.
public enum KernelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No matmul kernel exists for this weight type.
    case unsupportedType(GGMLType, operation: String)
    /// The bytes given do not match the type and shape.
    case sizeMismatch(expected: Int, actual: Int)
    /// The shape is not usable (row length not a whole number of blocks, or not positive).
    case invalidShape(rows: Int, cols: Int, type: GGMLType)
    /// LOOM_KERNELS names no kernel path.
    case invalidKernelPath(String, supported: [String])
    /// LOOM_KERNELS names a path this CPU (or this binary's architecture) cannot run.
    case kernelPathUnsupported(String, supported: [String])

    /// One sentence.
    public var description: String {
        switch self {
        case let .unsupportedType(t, op): return "\(op) does not support tensors of type \(t)"
        case let .sizeMismatch(e, a): return "tensor data has \(a) bytes, its type and shape need \(e)"
        case let .invalidShape(r, c, t): return "a \(r)×\(c) matrix of type \(t) is not a valid weight matrix"
        case let .invalidKernelPath(v, s): return "LOOM_KERNELS=\(v) is not a kernel path; this CPU runs \(s.joined(separator: ", "))"
        case let .kernelPathUnsupported(v, s): return "LOOM_KERNELS=\(v) needs instructions this CPU lacks; it runs \(s.joined(separator: ", "))"
        }
    }
}
