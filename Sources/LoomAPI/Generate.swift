// POST /api/generate (§5): request and response bodies, field for field (snake_case; optional
// fields omitted when empty; durations in integer nanoseconds).

/// The body of POST /api/generate.
public struct GenerateRequest: Sendable, Decodable {
    public var model: String?
    public var prompt: String?
    public var suffix: String?
    public var system: String?
    public var template: String?
    public var context: [Int]?
    public var stream: Bool?
    public var raw: Bool?
    public var format: JSONValue?
    public var images: [String]?
    public var options: JSONValue?
    public var keepAlive: KeepAlive?
    public var think: JSONValue?
    public var truncate: Bool?
    public var shift: Bool?
    public var logprobs: Bool?
    public var topLogprobs: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, suffix, system, template, context, stream, raw, format, images, options, think, truncate, shift, logprobs
        case keepAlive = "keep_alive", topLogprobs = "top_logprobs"
    }

    public init(model: String) { self.model = model }
}

/// Ollama's statistics of a finished request (omitted when zero).
public struct Metrics: Sendable, Equatable, Codable {
    public var totalDuration: Int64?
    public var loadDuration: Int64?
    public var promptEvalCount: Int?
    public var promptEvalDuration: Int64?
    public var evalCount: Int?
    public var evalDuration: Int64?

    enum CodingKeys: String, CodingKey {
        case totalDuration = "total_duration", loadDuration = "load_duration", promptEvalCount = "prompt_eval_count"
        case promptEvalDuration = "prompt_eval_duration", evalCount = "eval_count", evalDuration = "eval_duration"
    }

    public init(totalDuration: Int64 = 0, loadDuration: Int64 = 0, promptEvalCount: Int = 0, promptEvalDuration: Int64 = 0,
                evalCount: Int = 0, evalDuration: Int64 = 0) {
        self.totalDuration = totalDuration == 0 ? nil : totalDuration
        self.loadDuration = loadDuration == 0 ? nil : loadDuration
        self.promptEvalCount = promptEvalCount == 0 ? nil : promptEvalCount
        self.promptEvalDuration = promptEvalDuration == 0 ? nil : promptEvalDuration
        self.evalCount = evalCount == 0 ? nil : evalCount
        self.evalDuration = evalDuration == 0 ? nil : evalDuration
    }
}

/// One log-probability entry (§5.5).
public struct TokenLogprob: Sendable, Equatable, Codable {
    public var token: String
    public var logprob: Double
    public var bytes: [UInt8]?
    public var topLogprobs: [TokenLogprob]?

    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }

    public init(token: String, logprob: Double, bytes: [UInt8]?, topLogprobs: [TokenLogprob]? = nil) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }
}

/// One object of a /api/generate response (a stream chunk, or the whole non-streamed answer).
public struct GenerateResponse: Sendable, Equatable, Encodable {
    public var model: String
    public var createdAt: String
    public var response: String
    public var thinking: String?
    public var done: Bool
    public var doneReason: String?
    public var context: [Int]?
    public var metrics: Metrics?
    public var logprobs: [TokenLogprob]?

    enum CodingKeys: String, CodingKey {
        case model, response, thinking, done, context, logprobs
        case createdAt = "created_at", doneReason = "done_reason"
    }

    public init(model: String, createdAt: String, response: String = "", done: Bool = false, doneReason: String? = nil,
                context: [Int]? = nil, metrics: Metrics? = nil, logprobs: [TokenLogprob]? = nil) {
        self.model = model
        self.createdAt = createdAt
        self.response = response
        self.done = done
        self.doneReason = doneReason
        self.context = context
        self.metrics = metrics
        self.logprobs = logprobs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(response, forKey: .response)
        try c.encodeIfPresent(thinking, forKey: .thinking)
        try c.encode(done, forKey: .done)
        try c.encodeIfPresent(doneReason, forKey: .doneReason)
        try c.encodeIfPresent(context, forKey: .context)
        try metrics?.encode(to: encoder)
        try c.encodeIfPresent(logprobs, forKey: .logprobs)
    }
}
