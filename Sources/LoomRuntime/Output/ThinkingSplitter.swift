// ThinkingSplitter: generated text → (thinking, content), mirroring Ollama's thinking/parser.go.
//
// State machine (spec ollama-api.md §10; Ollama thinking.Parser):
//   lookingForOpen ──open tag (after optional whitespace)──▶ eatingAfterOpen ──non-space──▶ thinking
//        │ anything else: all text so far, untrimmed, is content                              │ close tag
//        ▼                                                                                      ▼
//      done ◀──────────────────────────non-space─────────────────────────────── eatingAfterClose
// - Only a think block at the very start of the output counts (leading whitespace allowed); after
//   it, or when the output starts with anything else, every later tag is plain content.
// - Whitespace right after the open tag and right after the close tag is dropped; whitespace
//   before the close tag stays in `thinking` (as in Ollama).
// - Text that could still become a tag (a trailing "<thi") is held back until the next piece
//   decides it; so feeding any split of a text yields the same concatenated output.
// - `finish()` flushes held text (Ollama drops it): a held prefix of the open tag becomes content,
//   a held prefix of the close tag becomes thinking; unterminated thinking stays thinking.
// - `startsInside` = the rendered prompt already ends with the open tag (Ollama checks
//   `HasSuffix(TrimSpace(prompt), open)`; see `promptEndsInside`). An empty open tag also starts
//   inside; an empty close tag makes the splitter pass everything through as content.

/// The literal tags that surround a model's reasoning, e.g. `<think>` and `</think>`.
public struct ThinkingTags: Sendable, Equatable {
    /// Opening tag, e.g. `<think>`.
    public var open: String
    /// Closing tag, e.g. `</think>`.
    public var close: String

    /// Tags from their literal text.
    public init(open: String, close: String) {
        self.open = open
        self.close = close
    }
}

/// Splits streamed model output into reasoning (`thinking`) and answer (`content`).
public struct ThinkingSplitter: Sendable {
    enum State: Sendable { case lookingForOpen, eatingAfterOpen, thinking, eatingAfterClose, done }

    /// The tags this splitter looks for.
    public let tags: ThinkingTags
    private(set) var state: State
    private var held: [UInt8] = []
    private let open: [UInt8]
    private let close: [UInt8]

    /// `startsInside`: the rendered prompt already ends with the open tag (the parser starts in
    /// "thinking" state).
    public init(tags: ThinkingTags, startsInside: Bool = false) {
        self.tags = tags
        open = Array(tags.open.utf8)
        close = Array(tags.close.utf8)
        if close.isEmpty {
            state = .done
        } else {
            state = startsInside || open.isEmpty ? .eatingAfterOpen : .lookingForOpen
        }
    }

    /// Whether the splitter is inside the think block now (after the open tag, before the close tag).
    public var isThinking: Bool { state == .eatingAfterOpen || state == .thinking }

    /// Whether a rendered prompt leaves the model inside a think block: it ends, after trailing
    /// whitespace, with the open tag (as DeepSeek-R1's and Qwen3's generation prompts can).
    public static func promptEndsInside(_ prompt: String, tags: ThinkingTags) -> Bool {
        guard !tags.open.isEmpty else { return false }
        var scalars = Array(prompt.unicodeScalars)
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        var trimmed = ""
        trimmed.unicodeScalars.append(contentsOf: scalars)
        return Array(trimmed.utf8).suffix(tags.open.utf8.count).elementsEqual(tags.open.utf8)
    }

    /// Feeds a piece of generated text; returns what can be emitted now as (thinking, content) —
    /// text that could still be the start of a tag is held back.
    public mutating func feed(_ piece: String) -> (thinking: String, content: String) {
        held.append(contentsOf: piece.utf8)
        var thinking: [UInt8] = []
        var content: [UInt8] = []
        step(thinking: &thinking, content: &content)
        return (TextBytes.string(thinking[...]), TextBytes.string(content[...]))
    }

    /// End of generation: flushes what was held back.
    public mutating func finish() -> (thinking: String, content: String) {
        var thinking: [UInt8] = []
        var content: [UInt8] = []
        switch state {
        case .lookingForOpen, .done: content = held
        case .thinking: thinking = held
        case .eatingAfterOpen, .eatingAfterClose: break   // only whitespace is held there
        }
        held = []
        state = .done
        return (TextBytes.string(thinking[...]), TextBytes.string(content[...]))
    }

    /// Runs the state machine over `held` until it needs more text.
    private mutating func step(thinking: inout [UInt8], content: inout [UInt8]) {
        while true {
            switch state {
            case .lookingForOpen:
                let ws = TextBytes.whitespacePrefix(held)
                if TextBytes.hasPrefix(held, open, at: ws) {
                    held.removeFirst(ws + open.count)
                    state = .eatingAfterOpen
                } else if TextBytes.couldStart(open, held, at: ws) {
                    return                                    // whitespace and/or a tag prefix: wait
                } else {
                    content += held
                    held = []
                    state = .done
                }
            case .eatingAfterOpen, .eatingAfterClose:
                held.removeFirst(TextBytes.whitespacePrefix(held))
                guard !held.isEmpty else { return }
                state = state == .eatingAfterOpen ? .thinking : .done
            case .thinking:
                if let at = TextBytes.find(close, in: held) {
                    thinking += held[..<at]
                    held.removeFirst(at + close.count)
                    state = .eatingAfterClose
                } else {
                    let keep = TextBytes.suffixOverlap(held, close)
                    thinking += held[..<(held.count - keep)]
                    held.removeFirst(held.count - keep)
                    return
                }
            case .done:
                content += held
                held = []
                return
            }
        }
    }
}
