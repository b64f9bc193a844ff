// `format` (§9): absent, null or "" → no constraint; "json" → any JSON object; an object → a JSON
// Schema compiled to a token-level constraint (LoomSampling). Anything else, a schema that is not
// valid, or one using keywords the constraint cannot enforce → 400 before anything is generated
// (the unsupported keywords are listed with their paths, never ignored silently).

import Foundation
import LoomAPI
import LoomRuntime
import LoomSampling

extension LoomService {
    /// The constraint `format` asks for; `source` is its text as sent (kept key order), if known.
    static func constraint(_ format: JSONValue?, source: String? = nil) throws(APIError) -> JSONConstraintSpec? {
        switch format {
        case nil, .null?, .string("")?: return nil
        case .string("json")?: return .anyJSON()
        case .object?:
            var text = source ?? ""
            if source == nil {
                do { text = String(decoding: try JSONEncoder().encode(format), as: UTF8.self) } catch {
                    throw .badRequest("invalid format: \(error)")
                }
            }
            do { return try JSONConstraintSpec(schemaJSON: text) } catch {
                throw .badRequest("invalid format: \(error)")
            }
        case let other?:
            let shown = (try? JSONEncoder().encode(other)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            throw .badRequest("invalid format: \(shown); expected \"json\" or a valid JSON Schema object")
        }
    }
}

extension LoomService {
    /// The constraint for tool calls written in `format` (tag-based syntaxes only): after the tag,
    /// {"name": one of the tools, "arguments": that tool's `parameters` schema}, or an array of such
    /// objects after "[TOOL_CALLS]". nil when the syntax has no tag or a tool's schema cannot be
    /// enforced (the parser still checks every call).
    static func toolCallConstraint(_ format: ToolCallFormat, tools: JSONValue?) -> ToolCallConstraint? {
        let tag: String
        switch format {
        case .hermes: tag = "<tool_call>"
        case .mistral: tag = "[TOOL_CALLS]"
        default: return nil
        }
        guard case let .array(items)? = tools else { return nil }
        var branches: [String] = []
        let encoder = JSONEncoder()
        for item in items {
            guard case let .object(pairs) = item, case let .object(function)? = pairs.first(where: { $0.0 == "function" })?.1,
                  case let .string(name)? = function.first(where: { $0.0 == "name" })?.1 else { continue }
            let parameters = function.first { $0.0 == "parameters" }?.1 ?? .object([("type", .string("object"))])
            guard let nameJSON = try? encoder.encode(JSONValue.string(name)), let schema = try? encoder.encode(parameters) else { return nil }
            branches.append(#"{"type":"object","properties":{"name":{"const":"# + String(decoding: nameJSON, as: UTF8.self)
                            + #"},"arguments":"# + String(decoding: schema, as: UTF8.self) + #"},"required":["name","arguments"]}"#)
        }
        guard !branches.isEmpty else { return nil }
        let call = branches.count == 1 ? branches[0] : #"{"anyOf":["# + branches.joined(separator: ",") + "]}"
        let text = format == .mistral ? #"{"type":"array","items":"# + call + #","minItems":1}"# : call
        guard let spec = try? JSONConstraintSpec(schemaJSON: text) else { return nil }
        return ToolCallConstraint(tag: tag, spec: spec)
    }
}
