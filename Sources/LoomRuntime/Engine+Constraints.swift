// The output constraints of one generation (LoomSampling's TokenConstraint):
//   format     the whole output is one JSON value / schema instance; generation ends when complete
//   tool call  after the model writes a tool-call tag (e.g. "<tool_call>", possibly already at the
//              end of the prompt), the call object — {"name": one of the tools, "arguments": that
//              tool's parameters schema} — is constrained until it closes; then the model is free
//              again (and may open another call)
// Sampling under a constraint: draw as usual; if the constraint rejects the draw, draw again from
// the allowed tokens only. Together that is exactly a draw from the masked distribution, and the
// full mask is only computed when the first draw is invalid.

import LoomSampling

/// Constrains tool calls' JSON once the model opens a call.
public struct ToolCallConstraint: Sendable {
    /// The text that opens a call ("<tool_call>", "[TOOL_CALLS]").
    public var tag: String
    /// The call's JSON (an object, or an array of objects after "[TOOL_CALLS]").
    public var spec: JSONConstraintSpec

    public init(tag: String, spec: JSONConstraintSpec) {
        self.tag = tag
        self.spec = spec
    }
}

/// Per-generation constraint state.
struct GenerationConstraints {
    let format: TokenConstraint?
    let call: ToolCallConstraint?
    let trie: TokenTrie?
    /// The call constraint while a call is being written.
    var active: TokenConstraint?
    /// The end of the text so far (prompt, then output), to see a tag arrive.
    var recent: String
    /// Closing the current value to fit num_predict (see `pick`).
    var closing = false
    /// Tokens kept in hand beyond the shortest completion before closing starts.
    static let reserve = 24

    init(options: GenerateOptions, engine: Engine, prompt: String) {
        let trie = options.format != nil || options.toolCall != nil ? engine.tokenTrie : nil
        self.trie = trie
        format = options.format.flatMap { spec in trie.map { TokenConstraint(spec: spec, trie: $0, end: engine.endTokens) } }
        call = options.format == nil ? options.toolCall : nil
        recent = String(prompt.suffix(64))
        activateIfTagged()
    }

    /// Whether the whole-output value is complete (generation ends).
    var formatComplete: Bool { format?.isComplete == true }

    /// The next token: `draw(nil)` samples freely, `draw(mask)` among the allowed tokens. Once only
    /// the value's shortest completion + `reserve` tokens are left, the generation is closing: every
    /// step takes the most likely allowed token that shortens the completion, so a value is always
    /// closed within num_predict (a byte-level vocabulary has a token for every next byte, and one
    /// free token adds at most about its own length to the completion).
    mutating func pick<E: Error>(remaining: Int?, logits: [Float], _ draw: ([Bool]?) throws(E) -> Int32) throws(E) -> Int32 {
        guard let constraint = format ?? active else { return try draw(nil) }
        let needed = constraint.minimumBytesToComplete
        if let remaining, needed > 0, closing || remaining <= needed + Self.reserve {
            closing = true
            if let closer = Self.closer(constraint, logits, needed) { return closer }
        }
        let first = try draw(nil)
        if constraint.allows(first) { return first }
        return try draw(constraint.allowedTokens())
    }

    /// The most likely allowed token after which the value needs fewer bytes than `needed`.
    static func closer(_ constraint: TokenConstraint, _ logits: [Float], _ needed: Int) -> Int32? {
        let mask = constraint.allowedTokens()
        let allowed = mask.indices.filter { mask[$0] }.sorted { logits[$0] > logits[$1] }
        for id in allowed {
            if let after = constraint.minimumBytesToComplete(after: Int32(id)), after < needed { return Int32(id) }
        }
        return nil
    }

    /// Records the chosen token and the text it added.
    mutating func accepted(_ token: Int32, text: String) {
        format?.accept(token)
        if let a = active {
            a.accept(token)
            if a.isComplete { active = nil; closing = false }
        }
        recent = String((recent + text).suffix(64))
        if active == nil { activateIfTagged() }
    }

    /// Starts the call constraint when the text ends with the tag (and only whitespace after it).
    mutating func activateIfTagged() {
        guard let call, let trie else { return }
        var end = recent.endIndex
        while end > recent.startIndex, recent[recent.index(before: end)].isWhitespace { end = recent.index(before: end) }
        if recent[..<end].hasSuffix(call.tag) { active = TokenConstraint(spec: call.spec, trie: trie, end: []) }
    }
}
