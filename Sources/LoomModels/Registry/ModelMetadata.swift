// ModelMetadata: the key/value metadata an architecture reads its hyperparameters from, without
// LoomModels knowing about GGUF (the runtime adapts a GGUF file's metadata; tests can hand in a
// dictionary). Keys are GGUF's (`llama.block_count`, `tokenizer.ggml.tokens`, …).
//
//   let keys = HyperparameterKeys(architecture: "llama", metadata: m)
//   let layers = try keys.int("block_count")                    // llama.block_count, required
//   let eps = try keys.float("attention.layer_norm_rms_epsilon") ?? 1e-5

/// Metadata values by key; nil when the key is absent, an error when it has another type.
public protocol ModelMetadata {
    /// An integer value (any GGUF integer type that fits an `Int`).
    func integer(_ key: String) throws(ModelError) -> Int?
    /// A floating-point value (f32 or f64).
    func float(_ key: String) throws(ModelError) -> Float?
    /// A string value.
    func string(_ key: String) throws(ModelError) -> String?
    /// The element count of an array value.
    func arrayCount(_ key: String) throws(ModelError) -> Int?
    /// An array of integers (per-layer values such as head counts).
    func integers(_ key: String) throws(ModelError) -> [Int]?
}

/// Reads `<architecture>.<name>` keys of one architecture.
public struct HyperparameterKeys {
    /// The `general.architecture` value, the prefix of every key read here.
    public let architecture: String
    public let metadata: any ModelMetadata

    /// Keys of `architecture` in `metadata`.
    public init(architecture: String, metadata: any ModelMetadata) {
        self.architecture = architecture
        self.metadata = metadata
    }

    /// The required integer `<arch>.name`.
    public func int(_ name: String) throws(ModelError) -> Int {
        guard let v = try metadata.integer(architecture + "." + name) else { throw .missingMetadata(architecture + "." + name) }
        return v
    }

    /// The integer `<arch>.name`, if present.
    public func optionalInt(_ name: String) throws(ModelError) -> Int? { try metadata.integer(architecture + "." + name) }

    /// The float `<arch>.name`, if present.
    public func float(_ name: String) throws(ModelError) -> Float? { try metadata.float(architecture + "." + name) }

    /// The string `<arch>.name`, if present.
    public func string(_ name: String) throws(ModelError) -> String? { try metadata.string(architecture + "." + name) }

    /// `<arch>.vocab_size`, else the length of `tokenizer.ggml.tokens` (what llama.cpp falls back to).
    public func vocabularySize() throws(ModelError) -> Int {
        if let n = try optionalInt("vocab_size") { return n }
        guard let n = try metadata.arrayCount("tokenizer.ggml.tokens") else { throw .missingMetadata(architecture + ".vocab_size") }
        return n
    }
}
