// The smaller OpenAI endpoints (§15.2–15.4) and OpenAI's error shape:
//   POST /v1/completions   prompt (+ suffix) → native generate; `text_completion` objects
//   POST /v1/embeddings    input string | [string] → native embed; float arrays or base64
//                          (little-endian float32), `dimensions`
//   GET  /v1/models[/id]   the native model list as `model` objects (owned_by = namespace)
//   errors                 {"error": {"message", "type", "param": null, "code": null}}

public enum OpenAIError {
    /// `invalid_request_error` (400), `not_found_error` (404), else `api_error`.
    public static func body(_ e: APIError) -> JSONValue {
        let type = e.status == 404 ? "not_found_error" : (400..<500).contains(e.status) ? "invalid_request_error" : "api_error"
        return ["error": ["message": .string(e.message), "type": .string(type), "param": .null, "code": .null]]
    }
}

/// The translated /v1/completions request.
public struct OpenAICompletionRequest: Sendable {
    public var generate: GenerateRequest
    public var model: String
    public var stream: Bool
    public var includeUsage: Bool
}

public enum OpenAICompletions {
    public static func request(_ body: CompatBody) throws(APIError) -> OpenAICompletionRequest {
        let model = try body.model()
        let prompt: String
        switch body["prompt"] {
        case let .string(s)?: prompt = s
        case let .array(items)? where items.count == 1 && items[0].stringValue != nil: prompt = items[0].stringValue ?? ""
        case nil: prompt = ""
        case let other?: throw CompatBody.typeError("prompt", "a string", other)
        }
        if try body.bool("echo") == true { throw .badRequest("echo is not supported") }
        if let n = try body.int("n"), n != 1 { throw .badRequest("n = \(n) is not supported: Loom returns one choice (n = 1)") }
        var generate = GenerateRequest(model: model)
        generate.prompt = prompt
        generate.suffix = try body.string("suffix")
        generate.stream = true
        generate.options = .object(try OpenAIChat.options(body))
        if let top = try body.int("logprobs") {
            generate.logprobs = true
            generate.topLogprobs = top
        }
        return OpenAICompletionRequest(generate: generate, model: model, stream: try body.bool("stream") ?? false,
                                       includeUsage: try body.object("stream_options")?.bool("include_usage") ?? false)
    }

    static func finish(_ r: GenerateResponse) -> JSONValue {
        r.done ? .string(r.doneReason == "length" ? "length" : "stop") : .null
    }

    /// One `text_completion` object: the whole answer, or a stream chunk.
    public static func object(_ r: GenerateResponse, id: String, model: String, created: Int, usage: Bool) -> JSONValue {
        var out: [JSONValue.Member] = [("id", .string(id)), ("object", "text_completion"), ("created", JSONValue(created)),
                                       ("model", .string(model)), ("system_fingerprint", "fp_ollama"),
                                       ("choices", [["text": .string(r.response), "index": 0, "logprobs": .null, "finish_reason": finish(r)]])]
        if usage { out.append(("usage", OpenAIChat.usage(r.metrics))) }
        return .object(out)
    }

    /// The closing chunk with `choices: []` and the usage.
    public static func usageChunk(_ r: GenerateResponse, id: String, model: String, created: Int) -> JSONValue {
        ["id": .string(id), "object": "text_completion", "created": JSONValue(created), "model": .string(model),
         "system_fingerprint": "fp_ollama", "choices": [], "usage": OpenAIChat.usage(r.metrics)]
    }
}

/// The translated /v1/embeddings request.
public struct OpenAIEmbeddingRequest: Sendable {
    public var embed: EmbedRequest
    public var model: String
    public var base64: Bool
}

public enum OpenAIEmbeddings {
    public static func request(_ body: CompatBody) throws(APIError) -> OpenAIEmbeddingRequest {
        let model = try body.model()
        var embed = EmbedRequest(model: model)
        switch body["input"] {
        case let .string(s)?: embed.input = .array([.string(s)])
        case let .array(items)? where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }): embed.input = .array(items)
        default: throw .badRequest("invalid input")
        }
        embed.dimensions = try body.int("dimensions")
        let format = try body.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else {
            throw .badRequest("Invalid value for 'encoding_format' = \(format). Supported values: ['float', 'base64'].")
        }
        return OpenAIEmbeddingRequest(embed: embed, model: model, base64: format == "base64")
    }

    /// The `list` of `embedding` objects.
    public static func response(_ r: EmbedResponse, model: String, base64: Bool) -> JSONValue {
        let data: [JSONValue] = r.embeddings.enumerated().map { i, v in
            let embedding: JSONValue = base64 ? .string(Base64.encode(v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }))
                                              : .array(v.map { JSONValue(Double($0)) })
            return ["object": "embedding", "embedding": embedding, "index": JSONValue(i)]
        }
        let tokens = r.promptEvalCount ?? 0
        return ["object": "list", "data": .array(data), "model": .string(model),
                "usage": ["prompt_tokens": JSONValue(tokens), "total_tokens": JSONValue(tokens)]]
    }
}

public enum OpenAIModels {
    /// One `model` object; `created` from the listing's modification time.
    public static func object(id: String, created: Int) -> JSONValue {
        let path = id.split(separator: ":").first.map(String.init) ?? id
        let parts = path.split(separator: "/")
        let owner = parts.count >= 2 ? String(parts[parts.count - 2]) : "library"
        return ["id": .string(id), "object": "model", "created": JSONValue(created), "owned_by": .string(owner)]
    }

    public static func list(_ models: [(id: String, created: Int)]) -> JSONValue {
        ["object": "list", "data": .array(models.map { object(id: $0.id, created: $0.created) })]
    }
}

/// RFC 4648 base64 (LoomAPI imports no Foundation).
enum Base64 {
    static let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
