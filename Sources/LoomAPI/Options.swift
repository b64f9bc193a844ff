// Options (§3): the free-form `options` object decoded once into typed fields with Ollama's rules.
//   int fields accept JSON numbers (fractions truncated); float fields need numbers; bool fields
//   need booleans; `stop` needs an array of strings; null values and unknown keys are ignored.
//   A type violation is «option "x" must be of type float32 / integer / boolean / array», with
//   status 400: Ollama answers 500 (it raises the error during scheduling), but it is the client's
//   mistake, and a production server answers a malformed request with a 4xx (issue 21). Ollama's
//   clients raise the same ResponseError with the same message either way.

/// Typed generation and runner options; nil = not given (the model's or server's default applies).
public struct Options: Sendable, Equatable {
    public var numCtx: Int?
    public var numPredict: Int?
    public var numKeep: Int?
    public var seed: Int?
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var minP: Double?
    public var typicalP: Double?
    public var repeatLastN: Int?
    public var repeatPenalty: Double?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var stop: [String]?
    public var numBatch: Int?
    public var numThread: Int?
    /// Never end on an end-of-generation token (llama.cpp's `ignore_eos`; a Loom extension for
    /// benchmarks that need fixed output lengths).
    public var ignoreEOS: Bool?

    public init() {}

    static var intKeys: [String: WritableKeyPath<Options, Int?>] { [
        "num_ctx": \.numCtx, "num_predict": \.numPredict, "num_keep": \.numKeep, "seed": \.seed,
        "top_k": \.topK, "repeat_last_n": \.repeatLastN, "num_batch": \.numBatch, "num_thread": \.numThread,
    ] }
    static var floatKeys: [String: WritableKeyPath<Options, Double?>] { [
        "temperature": \.temperature, "top_p": \.topP, "min_p": \.minP, "typical_p": \.typicalP,
        "repeat_penalty": \.repeatPenalty, "presence_penalty": \.presencePenalty, "frequency_penalty": \.frequencyPenalty,
    ] }
    /// Accepted by Ollama but without effect here (GPU placement, mmap, removed options).
    static let ignoredKeys: Set<String> = ["num_gpu", "main_gpu", "use_mmap", "use_mlock", "numa", "low_vram", "f16_kv",
                                           "logits_all", "vocab_only", "mirostat", "mirostat_tau", "mirostat_eta",
                                           "tfs_z", "penalize_newline", "num_gqa", "draft_num_predict"]

    /// Decodes `object` (the request's `options`), overriding the fields it gives.
    public init(_ object: JSONValue?) throws(APIError) {
        self.init()
        try merge(object)
    }

    /// Overrides the fields `object` gives.
    public mutating func merge(_ object: JSONValue?) throws(APIError) {
        guard let object else { return }
        guard case let .object(pairs) = object else {
            if object == .null { return }
            throw .badRequest("options must be an object")
        }
        for (key, value) in pairs where value != .null {
            if let path = Self.intKeys[key] {
                guard let n = value.doubleValue, n.isFinite else { throw .badRequest("option \"\(key)\" must be of type integer") }
                self[keyPath: path] = Int(clamping: Int64(n.rounded(.towardZero).clamped(to: -9.2e18...9.2e18)))
            } else if let path = Self.floatKeys[key] {
                guard let n = value.doubleValue else { throw .badRequest("option \"\(key)\" must be of type float32") }
                self[keyPath: path] = n
            } else if key == "stop" {
                guard case let .array(items) = value else { throw .badRequest("option \"stop\" must be of type array") }
                var stops: [String] = []
                for item in items {
                    guard case let .string(s) = item else { throw .badRequest("option \"stop\" must be of an array of strings") }
                    stops.append(s)
                }
                stop = stops
            } else if key == "ignore_eos" {
                guard let b = value.boolValue else { throw .badRequest("option \"ignore_eos\" must be of type bool") }
                ignoreEOS = b
            }
            // Other keys: ignored (Ollama logs "invalid option provided").
        }
    }
}

extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
