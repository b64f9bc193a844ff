// Engine: a loaded model you can talk to — the embeddable API.
//
//   let engine = try Engine.load(path: "model.gguf")
//   for try await event in engine.chat([ChatMessage(role: "user", content: "Hi")]) { … }
//
// An engine holds `parallel` sequences (slots: a KV cache and the tokens in it each). A request
// renders the chat template (or takes the prompt raw), tokenizes, takes the free slot with the
// longest cached prefix of the new prompt (a chat's next turn, or any request sharing a system
// prompt with an earlier one, only evaluates the new tokens), prefills the rest, then samples
// token by token, streaming text that is whole UTF-8 and never part of a stop string, until
// EOS/EOT, a stop string, num_predict, the context end, or cancellation. The slots' forward passes
// run batched (continuous batching, BatchStepper.swift). Compute runs on compute threads, never
// on Swift's cooperative pool.

import Foundation
import LoomGGUF
import LoomJSON
import LoomKernels
import LoomModels
import LoomSampling
import LoomTemplate
import LoomTokenizers
#if canImport(Glibc)
import Glibc
#endif

/// A chat message.
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    public var content: String
    /// The assistant's reasoning (rendered by templates that show it).
    public var thinking: String?
    /// The assistant's tool calls: function name and arguments as a JSON object text.
    public var toolCalls: [ChatToolCall] = []
    /// For role "tool": the tool whose result this is.
    public var toolName: String?
    public init(role: String, content: String, thinking: String? = nil, toolCalls: [ChatToolCall] = [], toolName: String? = nil) {
        self.role = role
        self.content = content
        self.thinking = thinking
        self.toolCalls = toolCalls
        self.toolName = toolName
    }
}

/// A tool call in a chat message.
public struct ChatToolCall: Sendable, Hashable {
    public var name: String
    /// The arguments as JSON object text, e.g. {"city":"Paris"}.
    public var arguments: String
    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// Options of one generation (Ollama's names and defaults).
public struct GenerateOptions: Sendable {
    public var sampling = SamplingOptions()
    /// Most tokens to generate; -1 = until a stop condition or the context end.
    public var numPredict = -1
    /// Stop sequences; their text is never emitted.
    public var stop: [String] = []
    /// Prompt tokens kept from the start when the prompt is truncated or the context shifted.
    public var numKeep = 4
    /// A prompt longer than the context: true = drop tokens after the first `numKeep`, false = error.
    public var truncate = true
    /// Reaching the context end while generating: true = drop half of the tokens after `numKeep` and
    /// go on, false = stop with done reason `length`.
    public var shift = true
    /// Never end on an end-of-generation token (llama.cpp's `--ignore-eos`, for benchmarks that need
    /// equal lengths): end tokens get logit −1e30 (probability 0, still finite for the sampler's
    /// checks) before sampling; generation stops at `numPredict`.
    public var ignoreEOS = false
    /// Report each generated token's log-probability (a `.logprob` event before its text).
    public var logprobs = false
    /// Alternatives reported with each token's log-probability (0–20).
    public var topLogprobs = 0
    /// Output constraint (Ollama's `format`): only tokens that keep the output a valid prefix of
    /// the JSON value/schema are sampled, and generation ends when the value is complete.
    public var format: JSONConstraintSpec?
    /// Tool-call constraint: once the model writes the call tag, the call's JSON follows the tools'
    /// schemas (ignored when `format` is set).
    public var toolCall: ToolCallConstraint?
    public init(sampling: SamplingOptions = SamplingOptions(), numPredict: Int = -1, stop: [String] = [],
                numKeep: Int = 4, truncate: Bool = true, shift: Bool = true, logprobs: Bool = false, topLogprobs: Int = 0) {
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.sampling = sampling
        self.numPredict = numPredict
        self.stop = stop
        self.numKeep = numKeep
        self.truncate = truncate
        self.shift = shift
    }
}

/// Why generation ended.
public enum DoneReason: String, Sendable, Equatable {
    case stop, length
}

/// Ollama's statistics of one request (durations in nanoseconds).
public struct GenerationStats: Sendable, Equatable {
    public var promptEvalCount = 0
    public var promptEvalDuration: UInt64 = 0
    public var evalCount = 0
    public var evalDuration: UInt64 = 0
    public var totalDuration: UInt64 = 0
    /// Time spent loading the model, reported on the engine's first request only (then 0).
    public var loadDuration: UInt64 = 0
    public var doneReason = DoneReason.stop
    /// The `stop` string that ended generation (nil when it ended otherwise).
    public var stopSequence: String?
    /// The prompt's tokens (after truncation) followed by the generated ones (Ollama's `context`).
    public var tokens: [Int32] = []
}

/// A generated token's log-probability under the model (log-softmax of the raw logits, before any
/// sampling transform), with the most likely alternatives.
public struct TokenProbability: Sendable, Equatable {
    /// One candidate token.
    public struct Candidate: Sendable, Equatable {
        public var id: Int32
        /// The token's text (its bytes as UTF-8, invalid sequences replaced).
        public var token: String
        public var logprob: Double
        /// The token's bytes.
        public var bytes: [UInt8]
    }
    /// The token that was generated.
    public var chosen: Candidate
    /// The most likely tokens at this step, most likely first (`topLogprobs` of them).
    public var top: [Candidate]
}

/// What a generation stream yields.
public enum GenerationEvent: Sendable {
    /// A piece of the reply.
    case text(String)
    /// The log-probability of the token just generated (only with `GenerateOptions.logprobs`); the
    /// token's text follows in `.text` events (possibly later, held back by UTF-8 or stop strings).
    case logprob(TokenProbability)
    /// The end, with statistics.
    case done(GenerationStats)
}

/// Errors of loading or running a model.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case load(String)
    /// `general.architecture` is none of the registry's.
    case unknownArchitecture(String, supported: [String])
    case template(TemplateError)
    case promptTooLong(tokens: Int, context: Int)
    case sampling(SamplingError)
    /// An embedding input over the context (Ollama's wording: «the input length exceeds the context
    /// length»), or a context too small for the special tokens alone (`afterTruncation`).
    case inputTooLong(tokens: Int, context: Int, afterTruncation: Bool)
    /// A vector came out with NaN or infinite values.
    case nonFiniteEmbedding
    /// The model is an encoder (embeddings only) and was asked to generate.
    case embeddingOnly
    /// Thinking was asked for and the template has no thinking tags.
    case thinkingUnsupported
    /// Tools were offered and the template does not support them.
    case toolsUnsupported
    /// The KV cache type stores whole blocks per head and the model's head width is not a multiple
    /// of the block (q8_0/q4_0 need headDim % 32 == 0).
    case unsupportedCacheType(KVCacheType, headDim: Int)

    public var description: String {
        switch self {
        case let .load(m): return "cannot load the model: \(m)"
        case let .unknownArchitecture(name, supported):
            return "unknown model architecture '\(name)' (Loom runs \(supported.joined(separator: ", ")))"
        case let .template(e): return "chat template: \(e)"
        case let .promptTooLong(t, c): return "the prompt has \(t) tokens, more than the \(c)-token context"
        case let .sampling(e): return "sampling: \(e)"
        case let .inputTooLong(_, _, after):
            return after ? "input after truncation exceeds maximum context length" : "the input length exceeds the context length"
        case .nonFiniteEmbedding: return "embedding contains NaN or Inf values"
        case .embeddingOnly: return "the model only computes embeddings"
        case .thinkingUnsupported: return "the model does not support thinking"
        case .toolsUnsupported: return "the model does not support tools"
        case let .unsupportedCacheType(type, headDim):
            return "a \(type.rawValue) KV cache needs heads of a multiple of \(type.blockSize) values; this model's have \(headDim)"
        }
    }
}

/// A model loaded for generation.
public final class Engine: @unchecked Sendable {
    public let vocabulary: Vocabulary
    public let tokenizer: any Tokenizer
    let model: any DecoderModel
    let template: ChatTemplate?
    /// The model's Jinja chat template (`tokenizer.chat_template`), if it has one.
    public let chatTemplateSource: String?
    let pool: ThreadPool
    /// The sequences (KV cache and forward-pass buffers each, allocated once): requests run
    /// `slots.count` at a time, batched together (BatchStepper.swift).
    let slots: [Slot]
    let slotCondition = NSCondition()
    var useCounter: UInt64 = 0
    /// Coalesces the slots' forward passes.
    let stepper: BatchStepper
    /// Prefixes saved from slots before other requests overwrite them (PromptCache.swift).
    let promptCache: PromptCache
    /// The first slot's state, KV cache and cached tokens (a one-slot engine's only sequence).
    var state: DecoderState { slots[0].state }
    var cache: KVCache { slots[0].cache }
    var cachedTokens: [Int32] { slots[0].cachedTokens }
    /// Most prompt tokens per forward pass (prefill runs in batches of this size).
    public let batchSize: Int
    /// Sequences served at once.
    public var parallel: Int { slots.count }
    /// Control tokens that end a turn.
    let endTokens: Set<Int32>
    /// Nanoseconds `load` took; `loadReported` (under `slotCondition`) says whether a request has counted it.
    public internal(set) var loadDuration: UInt64 = 0
    var loadReported = false
    /// Every token's bytes in a trie, for output constraints (built on first use; control tokens
    /// have no bytes, so a constraint never allows them).
    lazy var tokenTrie: TokenTrie = TokenTrie(tokenBytes: (0..<vocabulary.tokens.count).map { id in
        tokenizer.isControl(Int32(id)) ? [] : tokenizer.piece(Int32(id))
    })

    /// Loads a decoder GGUF (any architecture of `ModelRegistry`) with a context of `contextLength`
    /// tokens (clamped to the model's) on `threads` threads, prefilling up to `batchSize` tokens per
    /// pass, keys/values in `cacheType`, serving `parallel` sequences at once (BatchStepper.swift) and
    /// keeping up to `promptCache` bytes of prompt prefixes beyond them (PromptCache.swift; 0: none).
    /// `template` (Jinja) replaces the GGUF's `tokenizer.chat_template`.
    public static func load(path: String, contextLength: Int = 4096, threads: Int? = nil, batchSize: Int = 512,
                            cacheType: KVCacheType = .f16, template: String? = nil, parallel: Int = 1,
                            promptCache: Int = 0) throws(EngineError) -> Engine {
        try load(info: ModelInfo(path: path), contextLength: contextLength, threads: threads, batchSize: batchSize,
                 cacheType: cacheType, template: template, parallel: parallel, promptCache: promptCache)
    }

    /// `load(path:…)` of a file already opened.
    public static func load(info: ModelInfo, contextLength: Int = 4096, threads: Int? = nil, batchSize: Int = 512,
                            cacheType: KVCacheType = .f16, template override: String? = nil, parallel: Int = 1,
                            promptCache: Int = 0) throws(EngineError) -> Engine {
        let start = GenerationJob.now()
        guard case let .decoder(type) = info.architecture else { throw .embeddingOnly }
        do {
            let vocabulary = try Vocabulary(metadata: info.file.metadata)
            let model = try type.init(architecture: info.architectureName, metadata: info.metadata, weights: GGUFWeightSource(file: info.file))
            guard cacheType.supports(headDim: model.shape.headDim) else {
                throw EngineError.unsupportedCacheType(cacheType, headDim: model.shape.headDim)
            }
            let source = override ?? info.chatTemplate
            let template = try source.map { s throws(TemplateError) in
                try ChatTemplate(source: s, name: override == nil ? "tokenizer.chat_template" : "template")
            }
            // The batch is at most the context, as llama.cpp clamps n_batch to n_ctx (a prompt never
            // needs more; a num_batch of 3.5e31 overflowed the state's buffer sizes: schemathesis).
            let context = max(4, min(contextLength, model.shape.contextLength))
            let engine = Engine(vocabulary: vocabulary, tokenizer: try Tokenizers.make(vocabulary), model: model, template: template,
                                templateSource: source,
                                contextLength: context, threads: threads ?? ThreadPool.shared.threadCount,
                                batchSize: max(1, min(batchSize, context)), cacheType: cacheType, parallel: parallel, promptCache: promptCache)
            engine.loadDuration = GenerationJob.now() - start
            return engine
        } catch let e as TemplateError {
            throw .template(e)
        } catch let e as EngineError {
            throw e
        } catch {
            throw .load("\(error)")
        }
    }

    init(vocabulary: Vocabulary, tokenizer: any Tokenizer, model: any DecoderModel, template: ChatTemplate?, templateSource: String? = nil,
         contextLength: Int, threads: Int, batchSize: Int, cacheType: KVCacheType, parallel: Int = 1, promptCache: Int = 0) {
        self.promptCache = PromptCache(budget: promptCache)
        chatTemplateSource = templateSource
        self.batchSize = batchSize
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.model = model
        self.template = template
        pool = ThreadPool(threads: threads)
        slots = (0..<max(1, parallel)).map { Slot(index: $0, state: model.makeState(capacity: contextLength, cacheType: cacheType, batch: batchSize, threads: threads)) }
        stepper = BatchStepper(model: model, pool: pool,
                               workspace: model.makeState(capacity: 1, cacheType: cacheType, batch: parallel > 1 ? batchSize + parallel : 1, threads: threads),
                               prefillBudget: batchSize)
        let names: Set<String> = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"]
        var ends = Set([vocabulary.eos, vocabulary.eot].compactMap { $0 })
        for (i, t) in vocabulary.tokens.enumerated() where names.contains(t) && vocabulary.type(i) == .control { ends.insert(Int32(i)) }
        endTokens = ends
    }

    /// Bytes held by the KV caches of all slots.
    public var kvCacheBytes: Int { slots.reduce(0) { $0 + $1.cache.byteCount } }

    /// Bytes held now by the prompt cache's saved prefixes (at most its budget; PromptCache.swift).
    public var promptCacheBytes: Int { promptCache.byteCount }

    /// Bytes held by the sequences' states (KV caches and forward-pass buffers) and the batch workspace.
    public var stateBytes: Int { slots.reduce(stepper.workspace.byteCount) { $0 + $1.state.byteCount } }

    /// The context length (KV cache positions).
    public var contextLength: Int { cache.capacity }

    /// Token ids of `text`.
    public func tokenize(_ text: String, special: Bool = true) -> [Int32] {
        tokenizer.encode(text, addSpecial: false, parseSpecial: special)
    }

    /// Text of `ids`.
    public func detokenize(_ ids: [Int32]) -> String { tokenizer.decode(ids) }

    /// The chat template applied to `messages`, with the assistant turn opened; `toolsJSON` (a JSON
    /// array of tool definitions) becomes the template's `tools`; `think` (when set) becomes
    /// `enable_thinking`, the switch thinking templates (Qwen 3, …) read.
    public func render(_ messages: [ChatMessage], toolsJSON: String?, think: Bool? = nil) throws(EngineError) -> String {
        var tools: JSONValue?
        if let toolsJSON {
            do { tools = try JSONValue.parse(toolsJSON) } catch { throw .template(.invalidJSON(error)) }
        }
        return try render(messages, tools: tools, think: think)
    }

    /// The chat template applied to `messages` (see `render(_:toolsJSON:think:)`), `tools` already parsed.
    public func render(_ messages: [ChatMessage], tools: JSONValue? = nil, think: Bool? = nil) throws(EngineError) -> String {
        guard let template else { return messages.map(\.content).joined(separator: "\n") }
        var context = JinjaObject()
        var messageValues: [JinjaValue] = []
        for m in messages {
            var o = JinjaObject()
            o["role"] = .string(m.role)
            o["content"] = .string(m.content)
            if let thinking = m.thinking, !thinking.isEmpty { o["reasoning_content"] = .string(thinking) }
            if let name = m.toolName { o["name"] = .string(name); o["tool_name"] = .string(name) }
            if !m.toolCalls.isEmpty {
                // Hugging Face's shape: {"type": "function", "function": {"name", "arguments": object}}.
                var calls: [JinjaValue] = []
                for call in m.toolCalls {
                    var function = JinjaObject()
                    function["name"] = .string(call.name)
                    do { function["arguments"] = try JinjaValue.parseJSON(call.arguments) } catch { throw .template(error) }
                    var c = JinjaObject()
                    c["type"] = .string("function")
                    c["function"] = .object(function)
                    calls.append(.object(c))
                }
                o["tool_calls"] = .array(calls)
            }
            messageValues.append(.object(o))
        }
        context["messages"] = .array(messageValues)
        if let tools { context["tools"] = JinjaValue(json: tools) }
        context["add_generation_prompt"] = .bool(true)
        if let think { context["enable_thinking"] = .bool(think) }
        context["bos_token"] = .string(vocabulary.bos.map { vocabulary.tokens[Int($0)] } ?? "")
        context["eos_token"] = .string(vocabulary.eos.map { vocabulary.tokens[Int($0)] } ?? "")
        do { return try template.render(context) } catch { throw .template(error) }
    }

    /// Generates a continuation of `prompt` exactly as given (no template).
    public func generate(raw prompt: String, options: GenerateOptions = GenerateOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        generate(prepare(raw: prompt), options: options)
    }

    /// Generates from a prepared turn's tokens (text events, not yet split into thinking/tool calls).
    func generate(_ turn: ChatTurn, options: GenerateOptions) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let cancelled = CancelFlag()
            continuation.onTermination = { _ in cancelled.set() }
            let job = GenerationJob(engine: self, prompt: turn.prompt, tokens: turn.tokens, options: options,
                                    continuation: continuation, cancelled: cancelled)
            ComputeThread.start { job.run() }
        }
    }
}
