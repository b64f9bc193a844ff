// WeightSource: where a model's tensors come from, without LoomModels knowing about GGUF (the
// runtime adapts a GGUFFile; tests can hand in random in-memory weights).

import LoomTensor

/// One tensor's type, shape (ggml order: row length first) and bytes (GGUF layout).
public struct WeightTensor: @unchecked Sendable {
    public let type: GGMLType
    public let shape: [Int]
    /// Valid while the source that produced it is alive.
    public let bytes: UnsafeRawBufferPointer

    public init(type: GGMLType, shape: [Int], bytes: UnsafeRawBufferPointer) {
        self.type = type
        self.shape = shape
        self.bytes = bytes
    }
}

/// Tensors by GGUF name.
public protocol WeightSource {
    /// The tensor named `name`, or nil.
    func tensor(_ name: String) -> WeightTensor?
}

/// Errors binding weights to an architecture.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Tensors the architecture needs that the file lacks — all of them, not just the first.
    case missingTensors([String])
    /// A tensor has a shape other than the hyperparameters imply.
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    /// A tensor's type has no kernel.
    case unsupported(tensor: String, reason: String)
    /// `general.architecture` names no registered architecture.
    case unknownArchitecture(String, supported: [String])
    /// A hyperparameter the architecture needs is absent.
    case missingMetadata(String)
    /// A metadata value has the wrong type or an impossible value.
    case badMetadata(key: String, reason: String)

    public var description: String {
        switch self {
        case let .missingTensors(names): return "the model file lacks \(names.count) tensor(s): \(names.joined(separator: ", "))"
        case let .wrongShape(t, e, f): return "tensor \(t) has shape \(f), expected \(e)"
        case let .unsupported(t, reason): return "tensor \(t): \(reason)"
        case let .unknownArchitecture(name, supported):
            return "unknown model architecture '\(name)'; Loom runs \(supported.joined(separator: ", "))"
        case let .missingMetadata(key): return "the model file lacks the metadata key \(key)"
        case let .badMetadata(key, reason): return "metadata \(key): \(reason)"
        }
    }
}
