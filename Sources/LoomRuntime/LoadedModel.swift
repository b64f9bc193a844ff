// LoadedModel: a model file loaded as what its architecture is — a generator (llama family: chat,
// generate, and embeddings of the last token) or an embedder (BERT family: embeddings only).
// The one place that maps `general.architecture` to a runtime class.

import LoomGGUF
import LoomModels

/// A loaded model of either kind.
public enum LoadedModel: Sendable {
    case generator(Engine)
    case embedder(Embedder)

    /// Architectures served as embedders; every other one loads as an `Engine`.
    public static let encoderArchitectures: Set<String> = ["bert"]

    /// Loads `path` as its `general.architecture` says (options as `Engine.load` / `Embedder.load`).
    public static func load(path: String, contextLength: Int = 4096, threads: Int? = nil, batchSize: Int = 512,
                            cacheType: KVCacheType = .f16, template: String? = nil) throws(EngineError) -> LoadedModel {
        let arch: String
        do { arch = try GGUFFile(path: path).metadata.string("general.architecture") } catch { throw .load("\(error)") }
        if encoderArchitectures.contains(arch) {
            return .embedder(try Embedder.load(path: path, contextLength: contextLength, threads: threads,
                                               batchSize: max(batchSize, contextLength)))
        }
        return .generator(try Engine.load(path: path, contextLength: contextLength, threads: threads, batchSize: batchSize,
                                          cacheType: cacheType, template: template))
    }

    /// The model as an embedder (both kinds embed).
    public var embedder: any TextEmbedder {
        switch self {
        case let .generator(e): return e
        case let .embedder(e): return e
        }
    }

    /// The generator, or nil for an embedding-only model.
    public var engine: Engine? {
        if case let .generator(e) = self { return e }
        return nil
    }

    /// Context length in tokens.
    public var contextLength: Int {
        switch self {
        case let .generator(e): return e.contextLength
        case let .embedder(e): return e.contextLength
        }
    }
}
