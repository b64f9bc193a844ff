// POST /v1/chat/completions (§15.1) onto the native chat: the request becomes a ChatRequest, the
// native stream becomes `chat.completion.chunk` objects (or one `chat.completion`).
//   messages    string content, or parts ({type:"text"} joined with "\n"; images → `images`);
//               assistant `tool_calls` (string `arguments` parsed) and `reasoning`; `tool` messages
//               (`tool_call_id` → the called function's name); `developer` is `system`
//   options     temperature and top_p (1.0 when absent, as OpenAI), max_tokens |
//               max_completion_tokens → num_predict, seed, stop, frequency/presence_penalty
//   format      response_format json_object → "json", json_schema → its schema, text → none
//   tools       passed through; tool_choice "none" drops them (other choices are not enforced)
//   think       reasoning_effort | reasoning.effort: none → false, minimal → low, low|medium|high,
//               max|xhigh → high
//   n           1 only (else 400); logprobs / top_logprobs passed through
// Stream: first chunk's delta carries `role`; content, `reasoning` and `tool_calls` deltas follow;
// then a chunk with `finish_reason` (stop | length | tool_calls) and an empty delta; then, with
// `stream_options.include_usage`, one with `choices: []` and `usage`; then `data: [DONE]`.

/// The translated request and what the response needs of it.
public struct OpenAIChatRequest: Sendable {
    public var chat: ChatRequest
    public var model: String
    public var stream: Bool
    public var includeUsage: Bool
}

public enum OpenAIChat {
    /// Reads a request body.
    public static func request(_ body: CompatBody) throws(APIError) -> OpenAIChatRequest {
        let model = try body.model()
        guard let raw = try body.array("messages") else { throw .badRequest("messages is required") }
        guard !raw.isEmpty else { throw .badRequest("[] is too short - 'messages'") }
        if let n = try body.int("n"), n != 1 { throw .badRequest("n = \(n) is not supported: Loom returns one choice (n = 1)") }
        var chat = ChatRequest(model: model, messages: try messages(raw))
        chat.stream = true
        chat.options = .object(try options(body))
        chat.format = try responseFormat(body)
        if let tools = try body.array("tools"), !tools.isEmpty {
            if case .string("none")? = body["tool_choice"] {} else { chat.tools = .array(tools) }
        }
        chat.think = try think(body)
        chat.logprobs = try body.bool("logprobs")
        chat.topLogprobs = try body.int("top_logprobs")
        let stream = try body.bool("stream") ?? false
        let includeUsage = try body.object("stream_options")?.bool("include_usage") ?? false
        return OpenAIChatRequest(chat: chat, model: model, stream: stream, includeUsage: includeUsage)
    }

    /// Sampling options (OpenAI's defaults where Ollama's differ).
    static func options(_ body: CompatBody) throws(APIError) -> [JSONValue.Member] {
        let temperature = try body.double("temperature") ?? 1.0
        let topP = try body.double("top_p") ?? 1.0
        var out: [JSONValue.Member] = [("temperature", JSONValue(temperature)), ("top_p", JSONValue(topP))]
        let maxCompletion = try body.int("max_completion_tokens")
        let maxTokens = try body.int("max_tokens")
        if let n = maxCompletion ?? maxTokens { out.append(("num_predict", JSONValue(n))) }
        if let seed = try body.int("seed") { out.append(("seed", JSONValue(seed))) }
        if let stop = try body.strings("stop") { out.append(("stop", .array(stop.map { JSONValue.string($0) }))) }
        if let f = try body.double("frequency_penalty") { out.append(("frequency_penalty", JSONValue(f))) }
        if let p = try body.double("presence_penalty") { out.append(("presence_penalty", JSONValue(p))) }
        return out
    }

    /// `response_format` → the native `format`.
    static func responseFormat(_ body: CompatBody) throws(APIError) -> JSONValue? {
        guard let format = try body.object("response_format") else { return nil }
        switch try format.string("type") {
        case "json_object": return .string("json")
        case "json_schema":
            guard let schema = try format.object("json_schema")?["schema"] else { throw .badRequest("response_format.json_schema.schema is required") }
            return schema
        case "text", nil: return nil
        case let other?: throw .badRequest("Invalid value for 'response_format.type': '\(other)'. Supported values: 'text', 'json_object', 'json_schema'.")
        }
    }

    /// `reasoning_effort` (or `reasoning.effort`) → `think`.
    static func think(_ body: CompatBody) throws(APIError) -> JSONValue? {
        var effort = try body.string("reasoning_effort")
        if effort == nil { effort = try body.object("reasoning")?.string("effort") }
        guard let effort else { return nil }
        switch effort {
        case "none": return .bool(false)
        case "minimal": return .string("low")
        case "low", "medium", "high": return .string(effort)
        case "max", "xhigh", "ultra": return .string("high")
        default: throw .badRequest("invalid reasoning value: '\(effort)' (must be \"none\", \"minimal\", \"low\", \"medium\", \"high\" or \"max\")")
        }
    }

    /// OpenAI messages → native messages.
    static func messages(_ raw: [JSONValue]) throws(APIError) -> [Message] {
        var out: [Message] = []
        var toolNames: [String: String] = [:]
        for (i, item) in raw.enumerated() {
            let m: CompatBody
            do { m = try CompatBody(value: item) } catch { throw .badRequest("messages[\(i)] must be an object") }
            guard var role = try m.string("role") else { throw .badRequest("messages[\(i)].role is required") }
            if role == "developer" { role = "system" }
            var message = Message(role: role, content: "")
            let (text, images) = try content(m["content"], at: i)
            message.content = text
            if !images.isEmpty { message.images = images }
            var reasoning = try m.string("reasoning")
            if reasoning == nil { reasoning = try m.string("reasoning_content") }
            if let reasoning, !reasoning.isEmpty { message.thinking = reasoning }
            if let calls = try m.array("tool_calls"), !calls.isEmpty {
                message.toolCalls = try calls.enumerated().map { (j, call) throws(APIError) in
                    let c = try CompatBody(value: call)
                    let f = try c.object("function")
                    let name = try f?.string("name") ?? ""
                    var arguments: JSONValue = .object([])
                    if let text = try f?.string("arguments"), !text.isEmpty {
                        do { arguments = try JSONValue.parse(text) } catch { throw .badRequest("invalid tool call arguments") }
                    }
                    let id = try c.string("id")
                    if let id { toolNames[id] = name }
                    return ToolCall(id: id, function: .init(index: j, name: name, arguments: arguments))
                }
            }
            if role == "tool" {
                message.toolCallID = try m.string("tool_call_id")
                let named = try m.string("name")
                message.toolName = named ?? message.toolCallID.flatMap { toolNames[$0] }
            }
            out.append(message)
        }
        return out
    }

    /// A message's `content`: a string, null, or an array of parts.
    static func content(_ value: JSONValue?, at i: Int) throws(APIError) -> (String, [String]) {
        guard let value, !value.isNull else { return ("", []) }
        if let s = value.stringValue { return (s, []) }
        guard let parts = value.arrayValue else { throw .badRequest("invalid message content type: \(value.typeName)") }
        var texts: [String] = [], images: [String] = []
        for part in parts {
            let p = try CompatBody(value: part)
            switch try p.string("type") {
            case "text", "input_text": texts.append(try p.string("text") ?? "")
            case "image_url":
                let url = p["image_url"]?.stringValue ?? p["image_url"]?["url"]?.stringValue ?? ""
                images.append(try image(url))
            case let other: throw .badRequest("messages[\(i)]: unsupported content part type \(other ?? "null")")
            }
        }
        return (texts.joined(separator: "\n"), images)
    }

    /// A `data:image/…;base64,` URL's payload.
    static func image(_ url: String) throws(APIError) -> String {
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            throw .badRequest("image URLs are not currently supported, please use base64 encoded data instead")
        }
        for prefix in ["data:image/jpeg;base64,", "data:image/jpg;base64,", "data:image/png;base64,", "data:image/webp;base64,", "data:;base64,"]
        where url.hasPrefix(prefix) {
            return String(url.dropFirst(prefix.count))
        }
        throw .badRequest("invalid image input")
    }

    // MARK: - responses

    /// `stop`, `length` or `tool_calls`.
    static func finishReason(_ last: ChatResponse, calledTools: Bool) -> String {
        if last.doneReason == "length" { return "length" }
        return calledTools ? "tool_calls" : "stop"
    }

    /// `{"prompt_tokens", "completion_tokens", "total_tokens"}`.
    static func usage(_ m: Metrics?) -> JSONValue {
        let p = m?.promptEvalCount ?? 0, c = m?.evalCount ?? 0
        return ["prompt_tokens": JSONValue(p), "completion_tokens": JSONValue(c), "total_tokens": JSONValue(p + c)]
    }

    /// Native tool calls as OpenAI's (arguments as JSON text).
    static func toolCalls(_ calls: [ToolCall], from index: Int) -> JSONValue {
        .array(calls.enumerated().map { j, call in
            ["id": .string(call.id ?? CompatIDs.make("call_", length: 8)), "index": JSONValue(index + j), "type": "function",
             "function": ["name": .string(call.function.name), "arguments": .string(call.function.arguments.compactText)]]
        })
    }

    /// `{"content": [{token, logprob, bytes, top_logprobs}]}`.
    static func logprobs(_ items: [TokenLogprob]) -> JSONValue {
        func entry(_ t: TokenLogprob) -> JSONValue {
            ["token": .string(t.token), "logprob": JSONValue(t.logprob), "bytes": .array((t.bytes ?? Array(t.token.utf8)).map { JSONValue(Int($0)) })]
        }
        return ["content": .array(items.map { t in
            var e = entry(t)
            if case var .object(members) = e {
                members.append(("top_logprobs", .array((t.topLogprobs ?? []).map(entry))))
                e = .object(members)
            }
            return e
        })]
    }

    /// The whole answer as one `chat.completion`.
    public static func completion(_ r: ChatResponse, id: String, model: String, created: Int, logprobs wanted: Bool) -> JSONValue {
        var message: [JSONValue.Member] = [("role", "assistant"), ("content", .string(r.message.content))]
        if let thinking = r.message.thinking, !thinking.isEmpty { message.append(("reasoning", .string(thinking))) }
        let calls = r.message.toolCalls ?? []
        if !calls.isEmpty { message.append(("tool_calls", toolCalls(calls, from: 0))) }
        var choice: [JSONValue.Member] = [("index", 0), ("message", .object(message)),
                                          ("finish_reason", .string(finishReason(r, calledTools: !calls.isEmpty)))]
        if wanted { choice.append(("logprobs", logprobs(r.logprobs ?? []))) }
        return ["id": .string(id), "object": "chat.completion", "created": JSONValue(created), "model": .string(model),
                "system_fingerprint": "fp_ollama", "choices": [.object(choice)], "usage": usage(r.metrics)]
    }
}

/// The chunks of a streamed chat completion, one native object at a time.
public struct OpenAIChatStream: Sendable {
    public let id: String
    public let model: String
    public let created: Int
    public let includeUsage: Bool
    var sentRole = false
    var toolCalls = 0

    public init(id: String, model: String, created: Int, includeUsage: Bool) {
        self.id = id
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
    }

    func chunk(_ delta: [JSONValue.Member], finish: String? = nil, logprobs: JSONValue? = nil) -> JSONValue {
        var choice: [JSONValue.Member] = [("index", 0), ("delta", .object(delta)), ("finish_reason", finish.map(JSONValue.string) ?? .null)]
        if let logprobs { choice.append(("logprobs", logprobs)) }
        return ["id": .string(id), "object": "chat.completion.chunk", "created": JSONValue(created), "model": .string(model),
                "system_fingerprint": "fp_ollama", "choices": [.object(choice)]]
    }

    /// The chunks for one native object (the last one adds the finish and usage chunks).
    public mutating func chunks(_ r: ChatResponse) -> [JSONValue] {
        var out: [JSONValue] = []
        func delta(_ members: [JSONValue.Member], logprobs: JSONValue? = nil) {
            var d = members
            if !sentRole { d.insert(("role", "assistant"), at: 0); sentRole = true }
            out.append(chunk(d, logprobs: logprobs))
        }
        if let thinking = r.message.thinking, !thinking.isEmpty { delta([("reasoning", .string(thinking))]) }
        let logprobs = (r.logprobs ?? []).isEmpty ? nil : OpenAIChat.logprobs(r.logprobs ?? [])
        if !r.message.content.isEmpty || logprobs != nil { delta([("content", .string(r.message.content))], logprobs: logprobs) }
        if let calls = r.message.toolCalls, !calls.isEmpty {
            delta([("tool_calls", OpenAIChat.toolCalls(calls, from: toolCalls))])
            toolCalls += calls.count
        }
        if r.done {
            if !sentRole { delta([("content", "")]) }
            out.append(chunk([], finish: OpenAIChat.finishReason(r, calledTools: toolCalls > 0)))
            if includeUsage {
                out.append(["id": .string(id), "object": "chat.completion.chunk", "created": JSONValue(created), "model": .string(model),
                            "system_fingerprint": "fp_ollama", "choices": [], "usage": OpenAIChat.usage(r.metrics)])
            }
        }
        return out
    }
}
