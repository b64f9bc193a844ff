// POST /v1/responses (OpenAI's Responses API), stateless, onto the native chat:
//   input         a string (one user message) or items: messages ({role, content} with string or
//                 input_text / output_text parts), function_call (→ assistant tool_calls),
//                 function_call_output (→ a `tool` message), reasoning (→ the next assistant's thinking)
//   instructions  a leading system message
//   options       temperature (1.0 when absent), top_p, max_output_tokens → num_predict
//   tools         {type: "function", name, description, parameters} → native tools
//   text.format   json_schema → the schema as `format`; json_object → "json"
//   reasoning     effort as /v1/chat/completions' reasoning_effort
// Response: a `response` object whose output is a reasoning item (when thinking), then either
// function_call items or one assistant message with an output_text part. Stream events:
// response.created, response.in_progress, [reasoning item events], output_item.added,
// content_part.added, output_text.delta…, output_text.done, content_part.done, output_item.done
// (or function_call items with function_call_arguments.delta/done), response.completed; each
// event's data carries `type` and a `sequence_number`. `previous_response_id` is refused (Loom
// stores no responses).

/// The translated request.
public struct OpenAIResponsesRequest: Sendable {
    public var chat: ChatRequest
    public var model: String
    public var stream: Bool
    /// Echoed in the response object.
    public var instructions: String?
    public var tools: [JSONValue]
    public var temperature: Double
    public var topP: Double
    public var maxOutputTokens: Int?
    public var textFormat: JSONValue
}

public enum OpenAIResponses {
    public static func request(_ body: CompatBody) throws(APIError) -> OpenAIResponsesRequest {
        let model = try body.model()
        if try body.string("previous_response_id") != nil {
            throw .badRequest("previous_response_id is not supported: Loom stores no responses; send the whole conversation in input")
        }
        var messages: [Message] = []
        let instructions = try body.string("instructions")
        if let instructions, !instructions.isEmpty { messages.append(Message(role: "system", content: instructions)) }
        switch body["input"] {
        case let .string(s)?: messages.append(Message(role: "user", content: s))
        case let .array(items)?: messages += try inputItems(items)
        case nil: throw .badRequest("input is required")
        case let other?: throw CompatBody.typeError("input", "a string or an array of items", other)
        }
        var chat = ChatRequest(model: model, messages: messages)
        chat.stream = true
        let temperature = try body.double("temperature") ?? 1.0
        let topP = try body.double("top_p") ?? 1.0
        var options: [JSONValue.Member] = [("temperature", JSONValue(temperature)), ("top_p", JSONValue(topP))]
        let maxOutput = try body.int("max_output_tokens")
        if let maxOutput { options.append(("num_predict", JSONValue(maxOutput))) }
        chat.options = .object(options)
        let tools = try body.array("tools") ?? []
        if !tools.isEmpty {
            chat.tools = .array(try tools.map { t throws(APIError) in
                let tool = try CompatBody(value: t)
                let kind = try tool.string("type")
                guard kind == nil || kind == "function", let name = try tool.string("name") else {
                    throw .badRequest("tools: only function tools with a name are supported")
                }
                return CompatBody.functionTool(name: name, description: try tool.string("description"), parameters: tool["parameters"])
            })
        }
        var textFormat: JSONValue = ["type": "text"]
        if let format = try body.object("text")?.object("format") {
            textFormat = format.value
            switch try format.string("type") {
            case "json_schema":
                guard let schema = format["schema"] else { throw .badRequest("text.format.schema is required") }
                chat.format = schema
            case "json_object": chat.format = .string("json")
            case "text", nil: break
            case let other?: throw .badRequest("Invalid value for 'text.format.type': '\(other)'.")
            }
        }
        if let effort = try body.object("reasoning")?.string("effort") {
            chat.think = try OpenAIChat.think(try CompatBody(value: ["reasoning_effort": .string(effort)]))
        }
        return OpenAIResponsesRequest(chat: chat, model: model, stream: try body.bool("stream") ?? false, instructions: instructions,
                                      tools: tools, temperature: temperature, topP: topP, maxOutputTokens: maxOutput, textFormat: textFormat)
    }

    /// Input items → native messages.
    static func inputItems(_ items: [JSONValue]) throws(APIError) -> [Message] {
        var out: [Message] = []
        var pendingThinking: String?
        var toolNames: [String: String] = [:]
        for (i, raw) in items.enumerated() {
            let item = try CompatBody(value: raw)
            let given = try item.string("type")
            let type = given ?? (item["role"] != nil ? "message" : "")
            switch type {
            case "message":
                guard var role = try item.string("role") else { throw .badRequest("input[\(i)].role is required") }
                if role == "developer" { role = "system" }
                var message = Message(role: role, content: "")
                switch item["content"] {
                case let .string(s)?: message.content = s
                case let .array(parts)?:
                    var texts: [String] = []
                    for p in parts {
                        let part = try CompatBody(value: p)
                        switch try part.string("type") {
                        case "input_text", "output_text", "text": texts.append(try part.string("text") ?? "")
                        case "input_image":
                            message.images = (message.images ?? []) + [try OpenAIChat.image(try part.string("image_url") ?? "")]
                        case let other: throw .badRequest("input[\(i)]: unsupported content type \(other ?? "null")")
                        }
                    }
                    message.content = texts.joined()
                case nil: break
                case let other?: throw CompatBody.typeError("input[\(i)].content", "a string or an array", other)
                }
                if role == "assistant", let t = pendingThinking { message.thinking = t; pendingThinking = nil }
                out.append(message)
            case "function_call":
                let name = try item.string("name") ?? ""
                let callID = try item.string("call_id")
                if let callID { toolNames[callID] = name }
                var arguments: JSONValue = .object([])
                if let text = try item.string("arguments"), !text.isEmpty {
                    do { arguments = try JSONValue.parse(text) } catch { throw .badRequest("input[\(i)]: invalid function call arguments") }
                }
                let call = ToolCall(id: callID, function: .init(name: name, arguments: arguments))
                if var last = out.last, last.role == "assistant" {
                    last.toolCalls = (last.toolCalls ?? []) + [call]
                    out[out.count - 1] = last
                } else {
                    var m = Message(role: "assistant", content: "")
                    m.toolCalls = [call]
                    if let t = pendingThinking { m.thinking = t; pendingThinking = nil }
                    out.append(m)
                }
            case "function_call_output":
                var m = Message(role: "tool", content: "")
                switch item["output"] {
                case let .string(s)?: m.content = s
                case let .array(parts)?: m.content = parts.compactMap { $0["text"]?.stringValue }.joined()
                default: break
                }
                m.toolCallID = try item.string("call_id")
                m.toolName = m.toolCallID.flatMap { toolNames[$0] }
                out.append(m)
            case "reasoning":
                let encrypted = try item.string("encrypted_content")
                pendingThinking = encrypted ?? item["summary"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined()
            default:
                throw .badRequest(type.isEmpty ? "input[\(i)]: input item missing required 'type' field" : "input[\(i)]: unknown input item type: \"\(type)\"")
            }
        }
        return out
    }
}

/// Builds the response object and the stream events of one response.
public struct OpenAIResponsesStream: Sendable {
    public let id: String
    public let request: OpenAIResponsesRequest
    public let created: Int
    let messageID: String
    var sequence = 0
    var started = false
    var outputIndex = 0
    var text = ""
    var textStarted = false
    var thinking = ""
    var reasoningID: String?
    var reasoningDone = false
    var calls: [JSONValue] = []

    public init(id: String, request: OpenAIResponsesRequest, created: Int) {
        self.id = id
        self.request = request
        self.created = created
        messageID = "msg_" + id.replacingPrefix("resp_")
    }

    /// The `response` object in a state (usage when known).
    public func object(status: String, output: [JSONValue], usage: JSONValue = .null, completed: Bool = false) -> JSONValue {
        ["id": .string(id), "object": "response", "created_at": JSONValue(created), "completed_at": completed ? JSONValue(CompatIDs.now()) : .null,
         "status": .string(status), "incomplete_details": .null, "model": .string(request.model), "previous_response_id": .null,
         "instructions": request.instructions.map(JSONValue.string) ?? .null, "output": .array(output), "error": .null,
         "tools": .array(request.tools), "tool_choice": "auto", "truncation": "disabled", "parallel_tool_calls": true,
         "text": ["format": request.textFormat], "top_p": JSONValue(request.topP), "presence_penalty": 0, "frequency_penalty": 0,
         "top_logprobs": 0, "temperature": JSONValue(request.temperature), "reasoning": .null, "usage": usage,
         "max_output_tokens": request.maxOutputTokens.map { JSONValue($0) } ?? .null, "max_tool_calls": .null, "store": false,
         "background": false, "service_tier": "default", "metadata": [:], "safety_identifier": .null, "prompt_cache_key": .null]
    }

    static func usage(_ m: Metrics?) -> JSONValue {
        let i = m?.promptEvalCount ?? 0, o = m?.evalCount ?? 0
        return ["input_tokens": JSONValue(i), "output_tokens": JSONValue(o), "total_tokens": JSONValue(i + o),
                "input_tokens_details": ["cached_tokens": 0], "output_tokens_details": ["reasoning_tokens": 0]]
    }

    var reasoningItem: JSONValue? {
        reasoningID.map { ["id": .string($0), "type": "reasoning", "summary": [["type": "summary_text", "text": .string(thinking)]],
                           "encrypted_content": .string(thinking)] }
    }

    func messageItem(status: String) -> JSONValue {
        ["id": .string(messageID), "type": "message", "status": .string(status), "role": "assistant",
         "content": status == "in_progress" ? [] : [part]]
    }

    var part: JSONValue { ["type": "output_text", "text": .string(text), "annotations": [], "logprobs": []] }

    /// The output items so far (final form).
    var output: [JSONValue] {
        var out: [JSONValue] = reasoningItem.map { [$0] } ?? []
        if !calls.isEmpty { out += calls } else if textStarted || calls.isEmpty { out.append(messageItem(status: "completed")) }
        return out
    }

    /// The whole answer as one `response` (non-streaming).
    public mutating func response(_ r: ChatResponse) -> JSONValue {
        text = r.message.content
        textStarted = true
        if let t = r.message.thinking, !t.isEmpty { thinking = t; reasoningID = "rs_" + id.replacingPrefix("resp_") }
        calls = (r.message.toolCalls ?? []).enumerated().map { functionCall($1, index: $0, status: "completed") }
        return object(status: "completed", output: output, usage: Self.usage(r.metrics), completed: true)
    }

    func functionCall(_ call: ToolCall, index: Int, status: String, arguments: Bool = true) -> JSONValue {
        ["id": .string("fc_\(id.replacingPrefix("resp_"))_\(index)"), "type": "function_call", "status": .string(status),
         "call_id": .string(call.id ?? CompatIDs.make("call_", length: 8)), "name": .string(call.function.name),
         "arguments": .string(arguments ? call.function.arguments.compactText : "")]
    }

    mutating func event(_ type: String, _ members: [JSONValue.Member]) -> (String, JSONValue) {
        defer { sequence += 1 }
        return (type, .object([("type", .string(type)), ("sequence_number", JSONValue(sequence))] + members))
    }

    /// The events for one native object.
    public mutating func events(_ r: ChatResponse) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        if !started {
            started = true
            out.append(event("response.created", [("response", object(status: "in_progress", output: []))]))
            out.append(event("response.in_progress", [("response", object(status: "in_progress", output: []))]))
        }
        if let t = r.message.thinking, !t.isEmpty {
            if reasoningID == nil {
                reasoningID = "rs_" + id.replacingPrefix("resp_")
                out.append(event("response.output_item.added", [("output_index", JSONValue(outputIndex)),
                                                                 ("item", ["id": .string(reasoningID ?? ""), "type": "reasoning", "summary": []])]))
            }
            thinking += t
            out.append(event("response.reasoning_summary_text.delta", [("item_id", .string(reasoningID ?? "")), ("output_index", JSONValue(outputIndex)),
                                                                        ("summary_index", 0), ("delta", .string(t))]))
        }
        let hasCalls = !(r.message.toolCalls ?? []).isEmpty
        if hasCalls || !r.message.content.isEmpty || r.done { out += finishReasoning() }
        for call in r.message.toolCalls ?? [] {
            let index = calls.count
            let itemID = "fc_\(id.replacingPrefix("resp_"))_\(index)"
            out.append(event("response.output_item.added", [("output_index", JSONValue(outputIndex)), ("item", functionCall(call, index: index, status: "in_progress", arguments: false))]))
            out.append(event("response.function_call_arguments.delta", [("item_id", .string(itemID)), ("output_index", JSONValue(outputIndex)),
                                                                         ("delta", .string(call.function.arguments.compactText))]))
            out.append(event("response.function_call_arguments.done", [("item_id", .string(itemID)), ("output_index", JSONValue(outputIndex)),
                                                                        ("arguments", .string(call.function.arguments.compactText))]))
            let done = functionCall(call, index: index, status: "completed")
            out.append(event("response.output_item.done", [("output_index", JSONValue(outputIndex)), ("item", done)]))
            calls.append(done)
            outputIndex += 1
        }
        if !r.message.content.isEmpty && calls.isEmpty {
            out += startText()
            text += r.message.content
            out.append(event("response.output_text.delta", [("item_id", .string(messageID)), ("output_index", JSONValue(outputIndex)),
                                                             ("content_index", 0), ("delta", .string(r.message.content)), ("logprobs", [])]))
        }
        if r.done {
            if calls.isEmpty {
                out += startText()
                out.append(event("response.output_text.done", [("item_id", .string(messageID)), ("output_index", JSONValue(outputIndex)),
                                                                ("content_index", 0), ("text", .string(text)), ("logprobs", [])]))
                out.append(event("response.content_part.done", [("item_id", .string(messageID)), ("output_index", JSONValue(outputIndex)),
                                                                 ("content_index", 0), ("part", part)]))
                out.append(event("response.output_item.done", [("output_index", JSONValue(outputIndex)), ("item", messageItem(status: "completed"))]))
            }
            out.append(event("response.completed", [("response", object(status: "completed", output: output, usage: Self.usage(r.metrics), completed: true))]))
        }
        return out
    }

    /// The message item and its output_text part, opened once.
    mutating func startText() -> [(String, JSONValue)] {
        guard !textStarted else { return [] }
        textStarted = true
        return [event("response.output_item.added", [("output_index", JSONValue(outputIndex)), ("item", messageItem(status: "in_progress"))]),
                event("response.content_part.added", [("item_id", .string(messageID)), ("output_index", JSONValue(outputIndex)),
                                                      ("content_index", 0), ("part", ["type": "output_text", "text": "", "annotations": [], "logprobs": []])])]
    }

    mutating func finishReasoning() -> [(String, JSONValue)] {
        guard let rid = reasoningID, !reasoningDone else { return [] }
        reasoningDone = true
        defer { outputIndex += 1 }
        return [event("response.reasoning_summary_text.done", [("item_id", .string(rid)), ("output_index", JSONValue(outputIndex)),
                                                                ("summary_index", 0), ("text", .string(thinking))]),
                event("response.output_item.done", [("output_index", JSONValue(outputIndex)), ("item", reasoningItem ?? .null)])]
    }
}
