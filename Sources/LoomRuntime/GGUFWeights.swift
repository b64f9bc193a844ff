// GGUF → model: the WeightSource over an opened GGUFFile and its metadata as `ModelMetadata`, so
// architectures (LoomModels, which never imports GGUF) read their tensors and hyperparameters.

import LoomGGUF
import LoomModels
import LoomTensor

/// Tensors of a GGUF file (mmapped) by name.
public struct GGUFWeightSource: WeightSource {
    public let file: GGUFFile

    /// The tensors of `file`.
    public init(file: GGUFFile) { self.file = file }

    public func tensor(_ name: String) -> WeightTensor? {
        guard let info = file.tensor(named: name) else { return nil }
        return WeightTensor(type: info.type, shape: info.shape, bytes: file.bytes(of: info))
    }
}

/// A GGUF file's metadata as architectures read it.
public struct GGUFModelMetadata: ModelMetadata {
    public let metadata: GGUFMetadata

    /// The metadata of a GGUF file.
    public init(_ metadata: GGUFMetadata) { self.metadata = metadata }

    public func integer(_ key: String) throws(ModelError) -> Int? {
        do { return try metadata.integerIfPresent(key, as: Int.self) } catch { throw .badMetadata(key: key, reason: "\(error)") }
    }

    public func float(_ key: String) throws(ModelError) -> Float? {
        do { return try metadata.floatIfPresent(key) } catch { throw .badMetadata(key: key, reason: "\(error)") }
    }

    public func string(_ key: String) throws(ModelError) -> String? {
        do { return try metadata.stringIfPresent(key) } catch { throw .badMetadata(key: key, reason: "\(error)") }
    }

    public func arrayCount(_ key: String) throws(ModelError) -> Int? {
        guard metadata.contains(key) else { return nil }
        do { return try metadata.array(key).count } catch { throw .badMetadata(key: key, reason: "\(error)") }
    }

    public func integers(_ key: String) throws(ModelError) -> [Int]? {
        guard metadata.contains(key) else { return nil }
        do { return try metadata.integers(key, as: Int.self) } catch { throw .badMetadata(key: key, reason: "\(error)") }
    }
}
