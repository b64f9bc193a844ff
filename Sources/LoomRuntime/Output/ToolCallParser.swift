// ToolCallParser: streamed model text → content to show + whole tool calls (spec ollama-api.md §6.4,
// §11.5; Ollama tools/tools.go). Formats: ToolCallFormat.swift; call objects: ToolCallParser+Calls.swift.
//
// A *candidate* is text that may be a tool call: from the format's tag (`<tool_call>`,
// `[TOOL_CALLS]`) or, for llama3/json, from the start of the message when its first non-space
// character is `{` or `[` (after an optional `<|python_tag|>`). Phases:
//   leading ─(json formats: `{`/`[`)─▶ payload      scanning ─(tag found)─▶ payload
//   payload: `{` → object, `[` → array of objects (each element its own call, emitted as it
//            closes), mistral only: `name[CALL_ID]id[ARGS]{…}` / `name[ARGS]{…}`
//   object:  bytes are held until the value balances (BalanceScanner), then parsed (LoomJSON);
//            a call is emitted only whole, with canonical compact arguments.
// Rules (decisions beside Ollama's, which is the reference):
// - Text before the tag streams as content; a trailing prefix of the tag is held back. For
//   llama3/json, leading whitespace is held until the first other character decides, and dropped
//   when a call follows (Ollama streams it as content).
// - A candidate that turns out not to be a call — malformed JSON, an unknown tool name, no usable
//   arguments, text that is not JSON after the tag, or still unterminated at finish() — is given
//   back verbatim as content when no call was emitted yet. (Ollama drops such text after a tag;
//   we never lose text and never put broken JSON in tool_calls.) Tagged formats then keep scanning
//   for the tag; llama3/json pass the rest of the message through (only a leading call counts).
// - After the first call, text outside calls is suppressed, as Ollama does (`Content()` is "" once
//   a call was parsed): `</tool_call>`, separators, trailing chatter, failed later candidates.
//   Later calls are still parsed: another tag (hermes/mistral) or another `{` (llama3/json, e.g.
//   `{…}; {…}`).
// - The name must be one of `toolNames` (Ollama's generic parser finds calls by tool name); an
//   empty `toolNames` accepts any non-empty name (library use without a tool list).
// - `index` counts calls from 0 over the whole message.
// Every decision depends only on the text so far, never on how it was split into pieces, so any
// split of a stream yields the same calls and the same concatenated content.

import LoomJSON

/// One complete tool call read from model output.
public struct ParsedToolCall: Sendable, Equatable {
    /// The tool's name (one of the names the parser was given).
    public var name: String
    /// The arguments object as canonical JSON text (keys in the model's order), e.g. {"city":"Paris"}.
    public var arguments: String
    /// Position of this call among the message's calls, from 0.
    public var index: Int

    /// A call from its parts.
    public init(name: String, arguments: String, index: Int) {
        self.name = name
        self.arguments = arguments
        self.index = index
    }
}

/// Splits streamed model output into content and whole tool calls.
public struct ToolCallParser: Sendable {
    enum Container: Sendable, Equatable { case call, element, mistralArgs(String) }
    enum Phase: Sendable, Equatable {
        case leading, scanning, payload, passthrough
        case object(Container), arrayNext, arraySeparator
        case mistralName, mistralCallID(String), mistralArgs(String)
    }

    /// The syntax this parser reads.
    public let format: ToolCallFormat
    /// Names of the tools offered.
    public let toolNames: [String]
    private let tag: [UInt8]
    static let pythonTag = Array("<|python_tag|>".utf8)
    static let argsTag = Array("[ARGS]".utf8)
    static let callIDTag = Array("[CALL_ID]".utf8)
    static let maxNameBytes = 256
    /// `currentToolName` looks for "name" only in a call's first KiB (keeps long JSON answers linear).
    static let maxPeekBytes = 1024

    private(set) var phase: Phase
    /// Unconsumed text; `buf[..<pos]` is the part of the current candidate already read.
    private var buf: [UInt8] = []
    private var pos = 0
    private var objectStart = 0
    private var scanner = BalanceScanner()
    private var callCount = 0
    private var peekedName: String?
    private var outContent: [UInt8] = []
    private var outCalls: [ParsedToolCall] = []

    /// `toolNames`: names of the tools offered; `format`: which syntax to expect (derive it from
    /// the chat template with `ToolCallFormat.detect(template:)`).
    public init(format: ToolCallFormat, toolNames: [String]) {
        self.format = format
        self.toolNames = toolNames
        tag = Array((format.tag ?? "").utf8)
        phase = format.tag == nil ? .leading : .scanning
    }

    /// Whether the parser is inside a (possible) tool call now — the runtime uses this to switch
    /// on argument constraints.
    public var inToolCall: Bool {
        switch phase {
        case .leading, .scanning, .passthrough: false
        default: true
        }
    }

    /// The tool whose call is being generated, once its name is known (for constraining its arguments).
    public var currentToolName: String? {
        switch phase {
        case let .mistralCallID(name), let .mistralArgs(name), let .object(.mistralArgs(name)): accepts(name) ? name : nil
        case .object(.call), .object(.element): peekedName
        default: nil
        }
    }

    /// Feeds generated text; returns content that can be streamed now and the tool calls completed
    /// by this piece (each call whole, never partial JSON).
    public mutating func feed(_ piece: String) -> (content: String, calls: [ParsedToolCall]) {
        buf.append(contentsOf: piece.utf8)
        while advance() {}
        if case .object(let container) = phase, container == .call || container == .element, peekedName == nil,
           let name = JSONScan.peekName(buf, from: objectStart, limit: Self.maxPeekBytes), accepts(name) {
            peekedName = name
        }
        return takeOutput()
    }

    /// End of generation: an unfinished candidate becomes content (if no call was emitted).
    public mutating func finish() -> (content: String, calls: [ParsedToolCall]) {
        while advance() {}
        if callCount == 0 || phase == .passthrough { outContent += buf }
        buf = []
        pos = 0
        phase = .passthrough
        return takeOutput()
    }

    private mutating func takeOutput() -> (content: String, calls: [ParsedToolCall]) {
        defer { outContent = []; outCalls = [] }
        return (TextBytes.string(outContent[...]), outCalls)
    }

    // MARK: the state machine

    /// One step over `buf`; false when more text is needed.
    private mutating func advance() -> Bool {
        switch phase {
        case .passthrough:
            outContent += buf
            buf = []
            return false
        case .leading: return leading()
        case .scanning: return scanning()
        case .payload:
            guard let c = skipSpace() else { return false }
            switch c {
            case UInt8(ascii: "{"): startObject(.call)
            case UInt8(ascii: "["): pos += 1; phase = .arrayNext
            default:
                if format == .mistral { phase = .mistralName } else { fail() }
            }
            return true
        case .object(let container): return objectStep(container)
        case .arrayNext:
            guard let c = skipSpace() else { return false }
            if c == UInt8(ascii: "{") { startObject(.element) } else if c == UInt8(ascii: "]"), callCount > 0 { pos += 1; completeCandidate() } else { fail() }
            return true
        case .arraySeparator:
            guard let c = skipSpace() else { return false }
            if c == UInt8(ascii: ",") { pos += 1; phase = .arrayNext } else if c == UInt8(ascii: "]") { pos += 1; completeCandidate() } else { fail() }
            return true
        case .mistralName: return mistralName()
        case let .mistralCallID(name): return mistralCallID(name)
        case let .mistralArgs(name):
            guard let c = skipSpace() else { return false }
            if c == UInt8(ascii: "{") { startObject(.mistralArgs(name)) } else { fail() }
            return true
        }
    }

    /// llama3/json, start of the message: whitespace is held until the first other character decides.
    private mutating func leading() -> Bool {
        let ws = TextBytes.whitespacePrefix(buf)
        guard ws < buf.count else { return false }
        if format == .llama3 {
            if TextBytes.hasPrefix(buf, Self.pythonTag, at: ws) {
                pos = ws + Self.pythonTag.count
                phase = .payload
                return true
            }
            if TextBytes.couldStart(Self.pythonTag, buf, at: ws) { return false }
        }
        if buf[ws] == UInt8(ascii: "{") || buf[ws] == UInt8(ascii: "[") {
            pos = ws
            phase = .payload
        } else {
            phase = .passthrough
        }
        return true
    }

    /// Looks for the next candidate; text before it is content (or suppressed after a call).
    private mutating func scanning() -> Bool {
        if tag.isEmpty {   // llama3/json after a call: the next `{` may start another call
            guard let at = buf.firstIndex(of: UInt8(ascii: "{")) else { release(buf.count); return false }
            release(at)
            startObject(.call)
            return true
        }
        if let at = TextBytes.find(tag, in: buf) {
            release(at)
            pos = tag.count
            phase = .payload
            return true
        }
        release(buf.count - TextBytes.suffixOverlap(buf, tag))
        return false
    }

    private mutating func startObject(_ container: Container) {
        objectStart = pos
        scanner = BalanceScanner()
        peekedName = nil
        phase = .object(container)
    }

    private mutating func objectStep(_ container: Container) -> Bool {
        guard let length = scanner.scan(buf, from: objectStart) else { return false }
        pos = objectStart + length
        guard let value = try? JSONValue.parse(buf[objectStart..<pos], options: Self.outputJSON) else { fail(); return true }
        let call: (name: String, arguments: String)?
        switch container {
        case .call, .element: call = callFields(value)
        case let .mistralArgs(name):
            if case .object = value, accepts(name) { call = (name, value.serialized()) } else { call = nil }
        }
        guard let call else { fail(); return true }
        outCalls.append(ParsedToolCall(name: call.name, arguments: call.arguments, index: callCount))
        callCount += 1
        peekedName = nil
        if container == .element {
            buf.removeFirst(pos)
            pos = 0
            phase = .arraySeparator
        } else {
            completeCandidate()
        }
        return true
    }

    /// Mistral `[TOOL_CALLS]name[CALL_ID]…` / `[TOOL_CALLS]name[ARGS]…`: the name runs to the first `[`.
    private mutating func mistralName() -> Bool {
        var i = pos
        while i < buf.count, isNameByte(buf[i]) { i += 1 }
        guard i - pos <= Self.maxNameBytes else { fail(); return true }
        guard i < buf.count else { return false }
        let name = TextBytes.string(buf[pos..<i])
        guard !name.isEmpty, buf[i] == UInt8(ascii: "[") else { fail(); return true }
        if TextBytes.hasPrefix(buf, Self.argsTag, at: i) {
            pos = i + Self.argsTag.count
            phase = .mistralArgs(name)
        } else if TextBytes.hasPrefix(buf, Self.callIDTag, at: i) {
            pos = i + Self.callIDTag.count
            phase = .mistralCallID(name)
        } else if TextBytes.couldStart(Self.argsTag, buf, at: i) || TextBytes.couldStart(Self.callIDTag, buf, at: i) {
            return false
        } else {
            fail()
        }
        return true
    }

    /// Mistral Small 3.2's `[CALL_ID]abc123def[ARGS]`: the id (ignored; the server makes its own) runs to `[ARGS]`.
    private mutating func mistralCallID(_ name: String) -> Bool {
        var i = pos
        while i < buf.count, isNameByte(buf[i]) { i += 1 }
        guard i - pos <= Self.maxNameBytes else { fail(); return true }
        guard i < buf.count else { return false }
        if TextBytes.hasPrefix(buf, Self.argsTag, at: i) {
            pos = i + Self.argsTag.count
            phase = .mistralArgs(name)
        } else if TextBytes.couldStart(Self.argsTag, buf, at: i) {
            return false
        } else {
            fail()
        }
        return true
    }

    private func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b >= 0x80
    }

    // MARK: buffer bookkeeping

    /// Skips whitespace at `pos`; the next byte, or nil when the buffer ends first.
    private mutating func skipSpace() -> UInt8? {
        pos += TextBytes.whitespacePrefix(buf, from: pos)
        return pos < buf.count ? buf[pos] : nil
    }

    /// Emits `buf[..<end]` as content (suppressed after a call) and drops it from the buffer.
    private mutating func release(_ end: Int) {
        if callCount == 0 { outContent += buf[..<end] }
        buf.removeFirst(end)
        pos = 0
    }

    /// The candidate `buf[..<pos]` was (or ended with) calls: drop its text, look for the next one.
    private mutating func completeCandidate() {
        buf.removeFirst(pos)
        pos = 0
        phase = .scanning
    }

    /// The candidate `buf[..<pos]` is not a call: give it back as content (if no call was emitted);
    /// the rest of the buffer is read again from the new phase.
    private mutating func fail() {
        release(pos)
        phase = tag.isEmpty && callCount == 0 ? .passthrough : .scanning
    }
}
