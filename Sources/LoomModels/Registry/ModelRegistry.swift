// ModelRegistry: every architecture Loom runs, keyed by GGUF's `general.architecture` (as
// mlx-swift-lm's LLMTypeRegistry). A new architecture is one file (a type conforming to
// `DecoderModel` or `EncoderModel`) plus one line here.

/// A model type of either kind.
public enum Architecture: Sendable {
    case decoder(any DecoderModel.Type)
    case encoder(any EncoderModel.Type)

    /// Whether the architecture only embeds (no generation).
    public var isEncoder: Bool {
        if case .encoder = self { return true }
        return false
    }

    /// Reads the hyperparameters `architecture` declares in `metadata`.
    public func shape(architecture name: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape {
        switch self {
        case let .decoder(type): return try type.shape(architecture: name, metadata: metadata)
        case let .encoder(type): return try type.shape(architecture: name, metadata: metadata)
        }
    }
}

/// The architectures by `general.architecture`.
public enum ModelRegistry {
    /// The one table.
    public static let architectures: [String: Architecture] = [
        "llama": .decoder(LlamaModel.self),
        "qwen2": .decoder(LlamaModel.self),
        "qwen3": .decoder(Qwen3Model.self),
        "gemma3": .decoder(Gemma3Model.self),
        "phi3": .decoder(Phi3Model.self),
        "bert": .encoder(BertModel.self),
    ]

    /// Supported `general.architecture` values, sorted.
    public static var supported: [String] { architectures.keys.sorted() }

    /// The architecture named `name`, or `ModelError.unknownArchitecture` naming it and the supported ones.
    public static func architecture(_ name: String) throws(ModelError) -> Architecture {
        guard let a = architectures[name] else { throw .unknownArchitecture(name, supported: supported) }
        return a
    }
}
