// POST /api/chat (§6): request and response bodies.

/// A tool call in an assistant message (§6.4): `function.arguments` is an object.
public struct ToolCall: Sendable, Equatable, Codable {
    /// The called function.
    public struct Function: Sendable, Equatable, Codable {
        public var index: Int?
        public var name: String
        public var arguments: JSONValue

        public init(index: Int? = nil, name: String, arguments: JSONValue) {
            self.index = index
            self.name = name
            self.arguments = arguments
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decodeIfPresent(Int.self, forKey: .index)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            arguments = try c.decodeIfPresent(JSONValue.self, forKey: .arguments) ?? .object([])
        }
    }
    /// "call_" + 8 characters [a-z0-9] (absent in requests from some clients).
    public var id: String?
    public var function: Function

    public init(id: String? = nil, function: Function) {
        self.id = id
        self.function = function
    }
}

/// A chat message (roles are lower-cased on input; not validated).
public struct Message: Sendable, Equatable, Codable {
    public var role: String
    public var content: String
    public var thinking: String?
    public var images: [String]?
    public var toolCalls: [ToolCall]?
    public var toolName: String?
    public var toolCallID: String?

    enum CodingKeys: String, CodingKey {
        case role, content, thinking, images, toolCalls = "tool_calls", toolName = "tool_name", toolCallID = "tool_call_id"
    }

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = (try c.decodeIfPresent(String.self, forKey: .role) ?? "").lowercased()
        content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        thinking = try c.decodeIfPresent(String.self, forKey: .thinking)
        images = try c.decodeIfPresent([String].self, forKey: .images)
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
        toolName = try c.decodeIfPresent(String.self, forKey: .toolName)
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
    }
}

/// The body of POST /api/chat.
public struct ChatRequest: Sendable, Decodable {
    public var model: String?
    public var messages: [Message]?
    public var tools: JSONValue?
    public var format: JSONValue?
    public var stream: Bool?
    public var options: JSONValue?
    public var keepAlive: KeepAlive?
    public var think: JSONValue?
    public var truncate: Bool?
    public var shift: Bool?
    public var logprobs: Bool?
    public var topLogprobs: Int?
    /// `think` is dropped instead of refused when the model cannot think (not on the wire: set by
    /// the Anthropic translation, whose clients ask for thinking whatever the model, as Ollama's
    /// `relax_thinking` does).
    public var relaxThinking = false

    enum CodingKeys: String, CodingKey {
        case model, messages, tools, format, stream, options, think, truncate, shift, logprobs
        case keepAlive = "keep_alive", topLogprobs = "top_logprobs"
    }

    public init(model: String, messages: [Message]) {
        self.model = model
        self.messages = messages
    }
}

/// One object of a /api/chat response.
public struct ChatResponse: Sendable, Equatable, Encodable {
    public var model: String
    public var createdAt: String
    public var message: Message
    public var done: Bool
    public var doneReason: String?
    public var metrics: Metrics?
    public var logprobs: [TokenLogprob]?
    /// The `stop` string that ended the answer, on the last object (not part of Ollama's wire
    /// format; Anthropic's `stop_sequence` reports it).
    public var stopSequence: String?

    enum CodingKeys: String, CodingKey { case model, message, done, logprobs, createdAt = "created_at", doneReason = "done_reason" }

    public init(model: String, createdAt: String, message: Message, done: Bool = false, doneReason: String? = nil,
                metrics: Metrics? = nil, logprobs: [TokenLogprob]? = nil) {
        self.model = model
        self.createdAt = createdAt
        self.message = message
        self.done = done
        self.doneReason = doneReason
        self.metrics = metrics
        self.logprobs = logprobs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(message, forKey: .message)
        try c.encode(done, forKey: .done)
        try c.encodeIfPresent(doneReason, forKey: .doneReason)
        try metrics?.encode(to: encoder)
        try c.encodeIfPresent(logprobs, forKey: .logprobs)
    }
}
