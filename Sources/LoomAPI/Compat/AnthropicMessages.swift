// POST /v1/messages (Anthropic's Messages API) onto the native chat.
//   system        a string or text blocks → a leading system message
//   messages      content a string or blocks: text; image (base64 source → `images`); tool_use
//                 (assistant) → tool_calls; tool_result (user) → a `tool` message per result;
//                 thinking (assistant) → thinking
//   options       max_tokens (required) → num_predict, temperature, top_p, top_k,
//                 stop_sequences → stop
//   tools         {name, description, input_schema} → native function tools; tool_choice none drops them
//   thinking      {"type": "enabled" | "adaptive"} → think true (dropped when the model cannot
//                 think), {"type": "disabled"} → false, other types ignored
// Response: a `message` with thinking / text / tool_use blocks, stop_reason end_turn | max_tokens |
// stop_sequence | tool_use, usage. Stream: message_start, then per block content_block_start,
// content_block_delta (text_delta, thinking_delta, input_json_delta), content_block_stop, then
// message_delta (stop_reason, usage) and message_stop.
// Errors: {"type": "error", "error": {"type", "message"}}.

public enum AnthropicError {
    /// Anthropic's error type for a status.
    public static func type(_ status: Int) -> String {
        switch status {
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 503, 529: return "overloaded_error"
        case 400..<500: return "invalid_request_error"
        default: return "api_error"
        }
    }

    public static func body(_ e: APIError) -> JSONValue {
        ["type": "error", "error": ["type": .string(type(e.status)), "message": .string(e.message)]]
    }
}

/// The translated request.
public struct AnthropicRequest: Sendable {
    public var chat: ChatRequest
    public var model: String
    public var stream: Bool
}

public enum AnthropicMessages {
    public static func request(_ body: CompatBody) throws(APIError) -> AnthropicRequest {
        let model = try body.model()
        guard let maxTokens = try body.int("max_tokens") else { throw .badRequest("max_tokens: Field required") }
        guard maxTokens >= 1 else { throw .badRequest("max_tokens: must be at least 1") }
        guard let raw = try body.array("messages"), !raw.isEmpty else { throw .badRequest("messages is required") }
        var messages: [Message] = []
        switch body["system"] {
        case let .string(s)?: messages.append(Message(role: "system", content: s))
        case let .array(blocks)?: messages.append(Message(role: "system", content: try text(blocks, at: "system")))
        case nil: break
        case let other?: throw CompatBody.typeError("system", "a string or an array of text blocks", other)
        }
        var toolNames: [String: String] = [:]
        for (i, item) in raw.enumerated() {
            let m = try CompatBody(value: item)
            guard let role = try m.string("role"), role == "user" || role == "assistant" else {
                throw .badRequest("messages.\(i).role: Input should be 'user' or 'assistant'")
            }
            messages += try convert(m, role: role, at: i, toolNames: &toolNames)
        }
        var chat = ChatRequest(model: model, messages: messages)
        chat.stream = true
        var options: [JSONValue.Member] = [("num_predict", JSONValue(maxTokens))]
        if let t = try body.double("temperature") { options.append(("temperature", JSONValue(t))) }
        if let p = try body.double("top_p") { options.append(("top_p", JSONValue(p))) }
        if let k = try body.int("top_k") { options.append(("top_k", JSONValue(k))) }
        if let stops = try body.strings("stop_sequences"), !stops.isEmpty { options.append(("stop", .array(stops.map { JSONValue.string($0) }))) }
        chat.options = .object(options)
        let choice = try body.object("tool_choice")?.string("type")
        if let tools = try body.array("tools"), !tools.isEmpty, choice != "none" {
            chat.tools = .array(try tools.map { t throws(APIError) in
                let tool = try CompatBody(value: t)
                guard let name = try tool.string("name") else { throw .badRequest("tools: each tool needs a name") }
                return CompatBody.functionTool(name: name, description: try tool.string("description"), parameters: tool["input_schema"])
            })
        }
        if let thinking = try body.object("thinking") {
            // Unknown types are ignored, as Ollama does; thinking asked of a model that cannot think
            // is dropped, not refused.
            switch try thinking.string("type") {
            case "enabled", "adaptive": chat.think = .bool(true)
            case "disabled": chat.think = .bool(false)
            default: break
            }
            chat.relaxThinking = true
        }
        return AnthropicRequest(chat: chat, model: model, stream: try body.bool("stream") ?? false)
    }

    /// Text blocks → their text.
    static func text(_ blocks: [JSONValue], at path: String) throws(APIError) -> String {
        var out: [String] = []
        for b in blocks {
            let block = try CompatBody(value: b)
            guard try block.string("type") == "text" else { throw .badRequest("\(path): only text blocks are allowed here") }
            out.append(try block.string("text") ?? "")
        }
        return out.joined(separator: "\n")
    }

    /// One Anthropic message → native messages (tool results become `tool` messages, in order).
    static func convert(_ m: CompatBody, role: String, at i: Int, toolNames: inout [String: String]) throws(APIError) -> [Message] {
        guard let content = m["content"] else { throw .badRequest("messages.\(i).content: Field required") }
        if let s = content.stringValue { return [Message(role: role, content: s)] }
        guard let blocks = content.arrayValue else { throw CompatBody.typeError("messages.\(i).content", "a string or an array of blocks", content) }
        var message = Message(role: role, content: "")
        var texts: [String] = [], calls: [ToolCall] = [], images: [String] = [], results: [Message] = []
        for (j, b) in blocks.enumerated() {
            let block = try CompatBody(value: b)
            switch try block.string("type") {
            case "text": texts.append(try block.string("text") ?? "")
            case "image":
                guard let source = try block.object("source"), try source.string("type") == "base64", let data = try source.string("data") else {
                    throw .badRequest("messages.\(i).content.\(j): only base64 image sources are supported")
                }
                images.append(data)
            case "tool_use":
                let given = try block.string("id")
                let id = given ?? CompatIDs.make("toolu_")
                let name = try block.string("name") ?? ""
                toolNames[id] = name
                calls.append(ToolCall(id: id, function: .init(index: calls.count, name: name, arguments: block["input"] ?? .object([]))))
            case "tool_result":
                let id = try block.string("tool_use_id")
                var result = Message(role: "tool", content: "")
                switch block["content"] {
                case let .string(s)?: result.content = s
                case let .array(parts)?: result.content = try text(parts, at: "messages.\(i).content.\(j).content")
                case nil: break
                case let other?: throw CompatBody.typeError("messages.\(i).content.\(j).content", "a string or an array", other)
                }
                result.toolCallID = id
                result.toolName = id.flatMap { toolNames[$0] }
                results.append(result)
            case "thinking": message.thinking = try block.string("thinking")
            case "redacted_thinking": break
            case let other: throw .badRequest("messages.\(i).content.\(j).type: unsupported block type \(other ?? "null")")
            }
        }
        message.content = texts.joined(separator: "\n")
        if !calls.isEmpty { message.toolCalls = calls }
        if !images.isEmpty { message.images = images }
        let hasOwn = !message.content.isEmpty || !calls.isEmpty || !images.isEmpty || message.thinking != nil
        return results + (hasOwn || results.isEmpty ? [message] : [])
    }

    // MARK: - responses

    /// end_turn, max_tokens, stop_sequence or tool_use.
    static func stopReason(_ last: ChatResponse, calledTools: Bool) -> String {
        if calledTools { return "tool_use" }
        if last.doneReason == "length" { return "max_tokens" }
        return last.stopSequence != nil ? "stop_sequence" : "end_turn"
    }

    static func usage(_ m: Metrics?, output: Bool = true) -> JSONValue {
        output ? ["input_tokens": JSONValue(m?.promptEvalCount ?? 0), "output_tokens": JSONValue(m?.evalCount ?? 0)]
               : ["input_tokens": JSONValue(m?.promptEvalCount ?? 0), "output_tokens": 0]
    }

    static func toolUse(_ call: ToolCall) -> JSONValue {
        ["type": "tool_use", "id": .string(call.id.map { "toolu_" + $0.replacingPrefix("call_") } ?? CompatIDs.make("toolu_")),
         "name": .string(call.function.name), "input": call.function.arguments]
    }

    /// The whole answer as one `message`.
    public static func message(_ r: ChatResponse, id: String, model: String) -> JSONValue {
        var content: [JSONValue] = []
        if let t = r.message.thinking, !t.isEmpty { content.append(["type": "thinking", "thinking": .string(t), "signature": ""]) }
        if !r.message.content.isEmpty { content.append(["type": "text", "text": .string(r.message.content)]) }
        let calls = r.message.toolCalls ?? []
        content += calls.map(toolUse)
        return ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": .array(content),
                "stop_reason": .string(stopReason(r, calledTools: !calls.isEmpty)),
                "stop_sequence": r.stopSequence.map(JSONValue.string) ?? .null, "usage": usage(r.metrics)]
    }
}

/// Anthropic's stream events for a native stream: (event name, data).
public struct AnthropicStream: Sendable {
    public let id: String
    public let model: String
    var started = false
    /// The open block: its index and kind (`text`, `thinking`).
    var open: (index: Int, kind: String)?
    var next = 0
    var calledTools = false

    public init(id: String, model: String) {
        self.id = id
        self.model = model
    }

    public mutating func events(_ r: ChatResponse) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        if !started {
            started = true
            out.append(("message_start", ["type": "message_start", "message": [
                "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                "stop_reason": .null, "stop_sequence": .null, "usage": AnthropicMessages.usage(r.metrics, output: false)]]))
        }
        func close() {
            if let o = open { out.append(("content_block_stop", ["type": "content_block_stop", "index": JSONValue(o.index)])) }
            open = nil
        }
        func delta(_ kind: String, _ block: JSONValue, _ d: JSONValue) {
            if open?.kind != kind {
                close()
                open = (next, kind)
                out.append(("content_block_start", ["type": "content_block_start", "index": JSONValue(next), "content_block": block]))
                next += 1
            }
            out.append(("content_block_delta", ["type": "content_block_delta", "index": JSONValue(open?.index ?? 0), "delta": d]))
        }
        if let t = r.message.thinking, !t.isEmpty {
            delta("thinking", ["type": "thinking", "thinking": ""], ["type": "thinking_delta", "thinking": .string(t)])
        }
        if !r.message.content.isEmpty {
            delta("text", ["type": "text", "text": ""], ["type": "text_delta", "text": .string(r.message.content)])
        }
        for call in r.message.toolCalls ?? [] {
            close()
            calledTools = true
            var start = AnthropicMessages.toolUse(call)
            if case var .object(members) = start {
                members.removeAll { $0.key == "input" }
                members.append(("input", .object([])))
                start = .object(members)
            }
            out.append(("content_block_start", ["type": "content_block_start", "index": JSONValue(next), "content_block": start]))
            out.append(("content_block_delta", ["type": "content_block_delta", "index": JSONValue(next),
                                                "delta": ["type": "input_json_delta", "partial_json": .string(call.function.arguments.compactText)]]))
            out.append(("content_block_stop", ["type": "content_block_stop", "index": JSONValue(next)]))
            next += 1
        }
        if r.done {
            close()
            out.append(("message_delta", ["type": "message_delta",
                                          "delta": ["stop_reason": .string(AnthropicMessages.stopReason(r, calledTools: calledTools)),
                                                    "stop_sequence": r.stopSequence.map(JSONValue.string) ?? .null],
                                          "usage": ["input_tokens": JSONValue(r.metrics?.promptEvalCount ?? 0),
                                                    "output_tokens": JSONValue(r.metrics?.evalCount ?? 0)]]))
            out.append(("message_stop", ["type": "message_stop"]))
        }
        return out
    }
}

extension String {
    func replacingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
