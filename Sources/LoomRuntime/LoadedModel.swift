// LoadedModel: a model file loaded as what its architecture is — a generator (a decoder: chat,
// generate, and embeddings of the last token) or an embedder (an encoder: embeddings only). The
// registry (LoomModels' `ModelRegistry`) says which; `ModelInfo` has read the file once.

import LoomModels

/// A loaded model of either kind.
public enum LoadedModel: Sendable {
    case generator(Engine)
    case embedder(Embedder)

    /// Loads `path` as its `general.architecture` says (options as `Engine.load` / `Embedder.load`;
    /// `parallel` slots and `promptCache` bytes of saved prompt prefixes for a generator).
    public static func load(path: String, contextLength: Int = 4096, threads: Int? = nil, batchSize: Int = 512,
                            cacheType: KVCacheType = .f16, template: String? = nil, parallel: Int = 1,
                            promptCache: Int = 0) throws(EngineError) -> LoadedModel {
        try load(info: ModelInfo(path: path), contextLength: contextLength, threads: threads, batchSize: batchSize,
                 cacheType: cacheType, template: template, parallel: parallel, promptCache: promptCache)
    }

    /// Loads a file already opened (no second parse of its header).
    public static func load(info: ModelInfo, contextLength: Int = 4096, threads: Int? = nil, batchSize: Int = 512,
                            cacheType: KVCacheType = .f16, template: String? = nil, parallel: Int = 1,
                            promptCache: Int = 0) throws(EngineError) -> LoadedModel {
        switch info.architecture {
        case .encoder:
            return .embedder(try Embedder.load(info: info, contextLength: contextLength, threads: threads,
                                               batchSize: max(batchSize, contextLength)))
        case .decoder:
            return .generator(try Engine.load(info: info, contextLength: contextLength, threads: threads, batchSize: batchSize,
                                              cacheType: cacheType, template: template, parallel: parallel, promptCache: promptCache))
        }
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
