// GGUFLimits: the caps that keep a hostile file from making the reader allocate or loop without end.
//
// Every count is also checked against the bytes left in the file before anything is allocated, so
// memory use stays proportional to the file size; these caps bound the rest (nesting depth, and
// values so large that no real model has them).

/// Upper bounds the reader enforces while parsing; the defaults admit every real model.
public struct GGUFLimits: Sendable, Hashable {
    /// Most tensors a file may declare (large MoE models have tens of thousands).
    public var maxTensors: Int = 1 << 20
    /// Most metadata entries.
    public var maxKeyValues: Int = 1 << 16
    /// Longest metadata key in bytes (the GGUF specification's cap).
    public var maxKeyLength: Int = 65_535
    /// Longest tensor name in bytes.
    public var maxTensorNameLength: Int = 1 << 12
    /// Longest string value in bytes (chat templates are the longest, tens of KiB).
    public var maxStringLength: Int = 1 << 28
    /// Most elements in one array (vocabularies have up to a few hundred thousand).
    public var maxArrayLength: Int = 1 << 26
    /// Deepest nesting of arrays of arrays.
    public var maxArrayDepth: Int = 8
    /// Most dimensions of one tensor (ggml's GGML_MAX_DIMS).
    public var maxDimensions: Int = 4

    /// The default limits.
    public init() {}

    /// The default limits.
    public static let standard = GGUFLimits()
}
