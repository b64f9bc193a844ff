// Model management (§8): /api/tags, /api/show, /api/copy, /api/delete, /api/create bodies.

/// One entry of /api/tags.
public struct ListedModel: Sendable, Equatable, Codable {
    public var name: String
    public var model: String
    public var modifiedAt: String
    public var size: Int
    public var digest: String
    public var details: ModelDetails

    enum CodingKeys: String, CodingKey { case name, model, size, digest, details, modifiedAt = "modified_at" }

    public init(name: String, modifiedAt: String, size: Int, digest: String, details: ModelDetails) {
        self.name = name
        model = name
        self.modifiedAt = modifiedAt
        self.size = size
        self.digest = digest
        self.details = details
    }
}

/// The body of GET /api/tags.
public struct TagsResponse: Sendable, Equatable, Codable {
    public var models: [ListedModel]
    public init(models: [ListedModel]) { self.models = models }
}

/// The body of POST /api/show.
public struct ShowRequest: Sendable, Decodable {
    public var model: String?
    public var name: String?
    public var verbose: Bool?
}

/// The answer of POST /api/show.
public struct ShowResponse: Sendable, Encodable {
    public var license: String?
    public var modelfile: String
    public var parameters: String?
    public var template: String?
    public var system: String?
    public var details: ModelDetails
    public var modelInfo: JSONValue
    public var capabilities: [String]
    public var modifiedAt: String

    enum CodingKeys: String, CodingKey {
        case license, modelfile, parameters, template, system, details, capabilities
        case modelInfo = "model_info", modifiedAt = "modified_at"
    }

    public init(license: String?, modelfile: String, parameters: String?, template: String?, system: String?,
                details: ModelDetails, modelInfo: JSONValue, capabilities: [String], modifiedAt: String) {
        self.license = license
        self.modelfile = modelfile
        self.parameters = parameters
        self.template = template
        self.system = system
        self.details = details
        self.modelInfo = modelInfo
        self.capabilities = capabilities
        self.modifiedAt = modifiedAt
    }
}

/// The body of POST /api/copy.
public struct CopyRequest: Sendable, Decodable {
    public var source: String?
    public var destination: String?
}

/// The body of DELETE /api/delete.
public struct DeleteRequest: Sendable, Decodable {
    public var model: String?
    public var name: String?
}

/// The body of POST /api/create.
public struct CreateRequest: Sendable, Decodable {
    public var model: String?
    public var name: String?
    public var from: String?
    public var files: [String: String]?
    public var template: String?
    public var system: String?
    public var license: JSONValue?
    public var parameters: JSONValue?
    public var messages: [Message]?
    public var quantize: String?
    public var stream: Bool?

    public init() {}
}

/// The body of POST /api/pull and POST /api/push (`username`/`password` are deprecated and ignored,
/// as in Ollama).
public struct RegistryRequest: Sendable, Decodable {
    public var model: String?
    public var name: String?
    /// Plain http, and `http://` names, allowed.
    public var insecure: Bool?
    public var stream: Bool?

    public init(model: String? = nil, insecure: Bool? = nil, stream: Bool? = nil) {
        self.model = model
        self.insecure = insecure
        self.stream = stream
    }
}

/// One progress object of /api/create (and pull/push).
public struct ProgressResponse: Sendable, Equatable, Encodable {
    public var status: String
    public var digest: String?
    public var total: Int?
    public var completed: Int?

    public init(status: String, digest: String? = nil, total: Int? = nil, completed: Int? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }
}

/// Model management, as the server sees it.
public protocol ModelManagement: Sendable {
    func tags() async throws(APIError) -> TagsResponse
    func show(_ request: ShowRequest) async throws(APIError) -> ShowResponse
    func copy(_ request: CopyRequest) async throws(APIError)
    func delete(_ request: DeleteRequest) async throws(APIError)
    /// Whether the blob exists (400 for a malformed digest).
    func hasBlob(_ digest: String) async throws(APIError) -> Bool
    /// Stores the uploaded bytes; true when created, false when it already existed.
    func uploadBlob(_ digest: String, _ body: AsyncThrowingStream<[UInt8], Error>) async throws(APIError) -> Bool
    func create(_ request: CreateRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error>
    /// Pulls a model from its registry into the store.
    func pull(_ request: RegistryRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error>
    /// Pushes a model from the store to its registry.
    func push(_ request: RegistryRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error>
}
