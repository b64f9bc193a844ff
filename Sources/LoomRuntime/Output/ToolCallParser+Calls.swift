// Which JSON objects are tool calls, and what their arguments are (ollama tools.go `findArguments`,
// made stricter where it would guess).
//
//   {"name": "f", "arguments": {…}}            Hermes, Mistral v3, OpenAI-style
//   {"name": "f", "parameters": {…}}           Llama 3.x
//   {"name": "f", "arguments": "{\"a\": 1}"}   arguments as a JSON-encoded string holding an object
//   {"name": "f"} / "arguments": null / ""     no arguments → {} (Ollama rejects these — its own TODO
//                                              calls that a gap; a call to an all-optional tool is real)
//   {"type": "function", "function": {…}}      the call nested under "function"
//   {"f": {…}}                                 a single key naming an offered tool (Ollama: "a key
//                                              equal to the tool name")
// Not a call: a name that is not offered, arguments that are neither object nor object-in-a-string,
// a "name" with other keys but no "arguments"/"parameters" (the arguments would be a guess).
// Arguments are written compactly by LoomJSON: model key order, numbers as written.

import LoomJSON

extension ToolCallParser {
    /// Model output is read as JSON with one leniency (raw control characters in strings: models
    /// write literal newlines in code arguments) and at most 128 levels of nesting.
    static let outputJSON = JSONValue.ParseOptions(maxDepth: 128, allowsControlCharacters: true)

    /// Whether `name` may be called: one of `toolNames`, or any non-empty name when none were given.
    func accepts(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return toolNames.isEmpty || toolNames.contains(name)
    }

    /// The name and canonical arguments of a call object, or nil when `value` is not a call.
    func callFields(_ value: JSONValue, depth: Int = 0) -> (name: String, arguments: String)? {
        guard case let .object(pairs) = value else { return nil }
        if case let .string(name)? = value["name"] {
            guard accepts(name), let arguments = Self.arguments(in: value) else { return nil }
            return (name, arguments)
        }
        if depth == 0, let function = value["function"], case .object = function {
            return callFields(function, depth: 1)
        }
        if pairs.count == 1, !toolNames.isEmpty, accepts(pairs[0].key), case .object = pairs[0].value {
            return (pairs[0].key, pairs[0].value.serialized())
        }
        return nil
    }

    /// Canonical arguments text of a call object that has a "name".
    static func arguments(in call: JSONValue) -> String? {
        guard let raw = call["arguments"] ?? call["parameters"] else {
            guard case let .object(pairs) = call else { return nil }
            let extra = pairs.contains { !["name", "id", "type"].contains($0.key) }
            return extra ? nil : "{}"
        }
        switch raw {
        case .null: return "{}"
        case .object: return raw.serialized()
        case let .string(text):
            if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { return "{}" }
            guard let inner = try? JSONValue.parse(text, options: Self.outputJSON), case .object = inner else { return nil }
            return inner.serialized()
        default: return nil
        }
    }
}
