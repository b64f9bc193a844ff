// Tool calls on the wire: a parsed call (LoomRuntime's `ParsedToolCall`) in Ollama's shape, with
// an id "call_" + 8 [a-z0-9] as Ollama makes them, and the names of a request's offered tools.

import Foundation
import LoomAPI
import LoomRuntime

extension LoomService {
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
