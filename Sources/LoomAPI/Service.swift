// OllamaService: what the HTTP layer needs from the engine side, and the remaining wire types
// (/api/ps, /api/version). The server decodes a request, calls the service and writes what it
// returns; errors thrown before a stream starts become an HTTP status, errors thrown by the stream
// become a final `{"error": …}` line.

/// The Ollama API as the server sees it.
public protocol OllamaService: Sendable {
    /// Validates and schedules a generate request; the stream yields its chunks, the last `done`.
    func generate(_ request: GenerateRequest) async throws(APIError) -> AsyncThrowingStream<GenerateResponse, Error>
    /// Validates and schedules a chat request; the stream yields its chunks, the last `done`.
    func chat(_ request: ChatRequest) async throws(APIError) -> AsyncThrowingStream<ChatResponse, Error>
    /// POST /api/embed: unit vectors of one or more inputs, in order.
    func embed(_ request: EmbedRequest) async throws(APIError) -> EmbedResponse
    /// POST /api/embeddings (legacy): one unnormalized vector.
    func embeddings(_ request: EmbeddingRequest) async throws(APIError) -> EmbeddingResponse
    /// The loaded models.
    func ps() async -> ProcessResponse
    /// The server version (semver).
    var version: String { get }
}

/// Model details (as in /api/tags and /api/ps).
public struct ModelDetails: Sendable, Equatable, Codable {
    public var parentModel: String
    public var format: String
    public var family: String
    public var families: [String]?
    public var parameterSize: String
    public var quantizationLevel: String

    enum CodingKeys: String, CodingKey {
        case format, family, families
        case parentModel = "parent_model", parameterSize = "parameter_size", quantizationLevel = "quantization_level"
    }

    public init(format: String = "gguf", family: String, parameterSize: String, quantizationLevel: String) {
        parentModel = ""
        self.format = format
        self.family = family
        families = [family]
        self.parameterSize = parameterSize
        self.quantizationLevel = quantizationLevel
    }
}

/// One loaded model in /api/ps.
public struct ProcessModel: Sendable, Equatable, Codable {
    public var name: String
    public var model: String
    public var size: Int
    public var digest: String
    public var details: ModelDetails
    public var expiresAt: String
    public var sizeVram: Int
    public var contextLength: Int

    enum CodingKeys: String, CodingKey {
        case name, model, size, digest, details
        case expiresAt = "expires_at", sizeVram = "size_vram", contextLength = "context_length"
    }

    public init(name: String, size: Int, digest: String, details: ModelDetails, expiresAt: String, contextLength: Int) {
        self.name = name
        model = name
        self.size = size
        self.digest = digest
        self.details = details
        self.expiresAt = expiresAt
        sizeVram = 0
        self.contextLength = contextLength
    }
}

/// The body of GET /api/ps.
public struct ProcessResponse: Sendable, Equatable, Codable {
    public var models: [ProcessModel]
    public init(models: [ProcessModel]) { self.models = models }
}

/// The body of GET /api/version.
public struct VersionResponse: Sendable, Equatable, Codable {
    public var version: String
    public init(version: String) { self.version = version }
}
