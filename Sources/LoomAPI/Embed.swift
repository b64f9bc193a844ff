// POST /api/embed and the legacy POST /api/embeddings (§7): request and response bodies.

/// The body of POST /api/embed.
public struct EmbedRequest: Sendable, Decodable {
    public var model: String?
    /// A string, an array of strings, or null/absent (then the model is only loaded).
    public var input: JSONValue?
    public var truncate: Bool?
    /// 0 or absent = the model's full width.
    public var dimensions: Int?
    public var options: JSONValue?
    public var keepAlive: KeepAlive?

    enum CodingKeys: String, CodingKey {
        case model, input, truncate, dimensions, options
        case keepAlive = "keep_alive"
    }

    public init(model: String, input: JSONValue? = nil) {
        self.model = model
        self.input = input
    }
}

/// The body of an /api/embed answer: unit vectors in input order.
public struct EmbedResponse: Sendable, Encodable {
    public var model: String
    public var embeddings: [[Float]]
    public var totalDuration: Int64?
    public var loadDuration: Int64?
    public var promptEvalCount: Int?

    enum CodingKeys: String, CodingKey {
        case model, embeddings
        case totalDuration = "total_duration", loadDuration = "load_duration", promptEvalCount = "prompt_eval_count"
    }

    public init(model: String, embeddings: [[Float]], totalDuration: Int64? = nil, loadDuration: Int64? = nil, promptEvalCount: Int? = nil) {
        self.model = model
        self.embeddings = embeddings
        self.totalDuration = totalDuration
        self.loadDuration = loadDuration
        self.promptEvalCount = promptEvalCount
    }
}

/// The body of POST /api/embeddings (legacy: one prompt, one unnormalized vector).
public struct EmbeddingRequest: Sendable, Decodable {
    public var model: String?
    public var prompt: String?
    public var options: JSONValue?
    public var keepAlive: KeepAlive?

    enum CodingKeys: String, CodingKey {
        case model, prompt, options
        case keepAlive = "keep_alive"
    }

    public init(model: String, prompt: String? = nil) {
        self.model = model
        self.prompt = prompt
    }
}

/// The body of an /api/embeddings answer.
public struct EmbeddingResponse: Sendable, Encodable {
    public var embedding: [Double]
    public init(embedding: [Double]) { self.embedding = embedding }
}
