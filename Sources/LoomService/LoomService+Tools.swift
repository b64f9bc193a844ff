// Tool calls on the wire: a parsed call (LoomRuntime's `ParsedToolCall`) in Ollama's shape, with
// an id "call_" + 8 [a-z0-9] as Ollama makes them.

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
}
