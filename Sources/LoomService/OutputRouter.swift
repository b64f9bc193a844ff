// OutputRouter: one request's generated text → Ollama's output fields. Pieces go through the
// thinking splitter (when thinking is on: reasoning → `thinking`, the tags never reach `content`),
// then through the tool-call parser (when tools were given: text before a call streams as content,
// each call is emitted whole as `tool_calls` with id "call_" + 8 [a-z0-9] and an increasing index).
// Used by chat and generate; the caller feeds pieces in order and calls `finish` at the end.

import Foundation
import LoomAPI
import LoomRuntime

final class OutputRouter: @unchecked Sendable {
    /// What one piece (or the end) produced.
    struct Routed {
        var thinking = ""
        var content = ""
        var calls: [ToolCall] = []
        var isEmpty: Bool { thinking.isEmpty && content.isEmpty && calls.isEmpty }
    }

    private var splitter: ThinkingSplitter?
    private var parser: ToolCallParser?
    private let lock = NSLock()

    /// `thinking`: the template's tags when thinking is on; `tools`: the call syntax and the offered
    /// tool names when tools were given.
    init(thinking: ThinkingTags?, prompt: String, tools: (ToolCallFormat, [String])?) {
        splitter = thinking.map { ThinkingSplitter(tags: $0, startsInside: ThinkingSplitter.promptEndsInside(prompt, tags: $0)) }
        parser = tools.map { ToolCallParser(format: $0.0, toolNames: $0.1) }
    }

    /// Whether the router changes anything (else pieces can pass straight through).
    var isActive: Bool { splitter != nil || parser != nil }

    func feed(_ piece: String) -> Routed {
        lock.lock()
        defer { lock.unlock() }
        var out = Routed()
        var content = piece
        if splitter != nil, let split = splitter?.feed(piece) {
            out.thinking = split.thinking
            content = split.content
        }
        route(content, final: false, into: &out)
        return out
    }

    func finish() -> Routed {
        lock.lock()
        defer { lock.unlock() }
        var out = Routed()
        var content = ""
        if splitter != nil, let split = splitter?.finish() {
            out.thinking = split.thinking
            content = split.content
        }
        route(content, final: true, into: &out)
        return out
    }

    private func route(_ content: String, final: Bool, into out: inout Routed) {
        guard parser != nil else { out.content = content; return }
        var parsed = parser?.feed(content) ?? (content: content, calls: [])
        if final, let rest = parser?.finish() {
            parsed.content += rest.content
            parsed.calls += rest.calls
        }
        out.content = parsed.content
        out.calls = parsed.calls.map(Self.wire)
    }

    /// A parsed call in Ollama's shape.
    static func wire(_ call: ParsedToolCall) -> ToolCall {
        let arguments = (try? JSONValue.parse(call.arguments)) ?? .object([])
        return ToolCall(id: callID(), function: ToolCall.Function(index: call.index, name: call.name, arguments: arguments))
    }

    /// "call_" + 8 random characters of [a-z0-9], as Ollama makes them.
    static func callID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "call_" + String((0..<8).map { _ in alphabet.randomElement() ?? "a" })
    }

    /// The names of the tools in a request's `tools` array ({"type": "function", "function": {"name": …}}).
    static func toolNames(_ tools: JSONValue?) -> [String] {
        guard case let .array(items)? = tools else { return [] }
        return items.compactMap { item in
            guard case let .object(pairs) = item else { return nil }
            let function = pairs.first { $0.0 == "function" }?.1
            guard case let .object(fields)? = function, case let .string(name)? = fields.first(where: { $0.0 == "name" })?.1 else { return nil }
            return name
        }
    }
}
