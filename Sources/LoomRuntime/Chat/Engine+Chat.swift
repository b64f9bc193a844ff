// Chat turns: messages → rendered prompt → tokens → typed events. The engine owns a turn's
// semantics end to end, so a library user gets what the server sends:
//
//   prepare   render the template (tools, `enable_thinking`), fit the conversation to the context
//             (dropping the oldest non-system messages when `truncate`; the last message stays),
//             tokenize once; errors here are the caller's (unsupported thinking, template errors)
//   run       generate from those tokens; the text is split into `.thinking`, `.content` and
//             `.toolCall` events (ChatOutput), then `.done` with the statistics
//
// `chat(_:options:)` is both steps, with any error delivered through the stream.

import LoomJSON
import LoomSampling

/// How a chat turn is rendered and read back.
public struct ChatOptions: Sendable {
    /// Sampling, limits, stop strings, format and tool-call constraints.
    public var generation: GenerateOptions
    /// The offered tools, the JSON array the template gets as `tools` (nil: no tools), in the
    /// client's key order: [{"type": "function", "function": {"name", "description", "parameters"}}].
    public var tools: JSONValue?
    /// Thinking: nil = on when the template has thinking tags; true = on (an error when it has
    /// none); false = off. With a `format` the answer is constrained from its first token, so
    /// thinking is off.
    public var think: Bool?

    /// Options of a turn.
    public init(generation: GenerateOptions = GenerateOptions(), tools: JSONValue? = nil, think: Bool? = nil) {
        self.generation = generation
        self.tools = tools
        self.think = think
    }

    /// The offered tools' names (`function.name` of each): parsed calls must name one of them.
    public var toolNames: [String] {
        (tools?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
    }
}

/// What a chat stream yields.
public enum ChatEvent: Sendable, Equatable {
    /// A piece of the model's reasoning.
    case thinking(String)
    /// A piece of the answer.
    case content(String)
    /// A whole tool call.
    case toolCall(ParsedToolCall)
    /// The log-probability of the token just generated (with `GenerateOptions.logprobs`).
    case logprob(TokenProbability)
    /// The end, with statistics.
    case done(GenerationStats)
}

/// A turn ready to run: its prompt text and tokens and how its output is read.
public struct ChatTurn: Sendable {
    /// The rendered prompt.
    public let prompt: String
    /// The prompt's tokens (the engine truncates further only by `numKeep` when `truncate`).
    public let tokens: [Int32]
    /// The thinking tags, when thinking is on.
    public let thinking: ThinkingTags?
    /// The tool-call syntax and the offered tool names, when tools are read.
    public let tools: (format: ToolCallFormat, names: [String])?
}

extension Engine {
    /// The template's thinking tags, if it has a pair the splitter knows.
    public var thinkingTags: ThinkingTags? { chatTemplateSource.flatMap(ThinkingSplitter.tags(inTemplate:)) }

    /// The tool-call syntax the template implies (nil: the template does not support tools).
    public var toolCallFormat: ToolCallFormat? { chatTemplateSource.flatMap(ToolCallFormat.detect(template:)) }

    /// Whether the template supports tools (it mentions them: Ollama's rule for Jinja templates).
    public var supportsTools: Bool {
        guard let source = chatTemplateSource else { return false }
        return source.contains("tools") || source.contains("tool_call")
    }

    /// Renders, fits and tokenizes a conversation; `prefix` (e.g. a previous context's text) goes
    /// before the rendered prompt.
    public func prepare(_ messages: [ChatMessage], options: ChatOptions, prefix: String = "") throws(EngineError) -> ChatTurn {
        let tags = thinkingTags
        if options.think == true && tags == nil { throw .thinkingUnsupported }
        if options.tools != nil && !supportsTools { throw .toolsUnsupported }
        let thinkOn = tags != nil && options.generation.format == nil && options.think != false
        let think = tags == nil ? nil : thinkOn
        var prompt = prefix + (try render(messages, tools: options.tools, think: think))
        var tokens = templatedTokens(prompt)
        if options.generation.truncate && messages.count > 1 && tokens.count > contextLength {
            (prompt, tokens) = try fit(messages, options: options, think: think, prefix: prefix)
        }
        let format = options.tools == nil ? nil : (toolCallFormat ?? .json)
        let reads = options.generation.format == nil ? format.map { (format: $0, names: options.toolNames) } : nil
        return ChatTurn(prompt: prompt, tokens: tokens, thinking: thinkOn ? tags : nil, tools: reads)
    }

    /// A raw prompt as a turn (no template, no thinking, no tools).
    public func prepare(raw prompt: String) -> ChatTurn {
        ChatTurn(prompt: prompt, tokens: promptTokens(prompt), thinking: nil, tools: nil)
    }

    /// The oldest non-system messages dropped until the prompt fits (the last message stays).
    func fit(_ messages: [ChatMessage], options: ChatOptions, think: Bool?, prefix: String) throws(EngineError) -> (String, [Int32]) {
        for i in 1..<messages.count {
            let kept = messages[..<i].filter { $0.role == "system" } + messages[i...]
            let text = prefix + (try render(Array(kept), tools: options.tools, think: think))
            let tokens = templatedTokens(text)
            if tokens.count <= contextLength { return (text, tokens) }
        }
        let last = messages.dropLast().filter { $0.role == "system" } + [messages[messages.count - 1]]
        let text = prefix + (try render(last, tools: options.tools, think: think))
        return (text, templatedTokens(text))
    }

    /// A prompt's tokens as a generation evaluates them (with the vocabulary's BOS/EOS when it adds them).
    func promptTokens(_ text: String) -> [Int32] { tokenizer.encode(text, addSpecial: true, parseSpecial: true) }

    /// A rendered template's tokens: as llama.cpp's chat code does, a BOS the template wrote itself
    /// (`{{ bos_token }}`, Gemma, Llama 3) is dropped from the text when the vocabulary adds one anyway,
    /// so the prompt starts with one BOS, not two.
    func templatedTokens(_ text: String) -> [Int32] {
        if vocabulary.addBOS, let bos = vocabulary.bos, Int(bos) < vocabulary.tokens.count {
            let bosText = vocabulary.tokens[Int(bos)]
            if !bosText.isEmpty, text.hasPrefix(bosText) { return promptTokens(String(text.dropFirst(bosText.count))) }
        }
        return promptTokens(text)
    }

    /// Runs a prepared turn.
    public func run(_ turn: ChatTurn, options: GenerateOptions) -> AsyncThrowingStream<ChatEvent, Error> {
        let source = generate(turn, options: options)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var output = ChatOutput(thinking: turn.thinking, prompt: turn.prompt, tools: turn.tools)
                do {
                    for try await event in source {
                        switch event {
                        case let .text(piece): for e in output.feed(piece) { continuation.yield(e) }
                        case let .logprob(p): continuation.yield(.logprob(p))
                        case let .done(stats):
                            for e in output.finish() { continuation.yield(e) }
                            continuation.yield(.done(stats))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A chat turn: `prepare` then `run`, errors through the stream.
    public func chat(_ messages: [ChatMessage], options: ChatOptions = ChatOptions()) -> AsyncThrowingStream<ChatEvent, Error> {
        do {
            return run(try prepare(messages, options: options), options: options.generation)
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }
}
