// `format` (§9): absent, null or "" → no constraint; "json" → any JSON object; an object → a JSON
// Schema compiled to a token-level constraint (LoomSampling). Anything else, a schema that is not
// valid, or one using keywords the constraint cannot enforce → 400 before anything is generated
// (the unsupported keywords are listed with their paths, never ignored silently).
//
// Schemas are LoomJSON values as the request decoded them (key order kept: properties are
// generated in the order the client declared them); the tool-call schema is built as a value too.

import LoomAPI
import LoomRuntime
import LoomSampling

extension LoomService {
    /// The constraint `format` asks for.
    static func constraint(_ format: JSONValue?) throws(APIError) -> JSONConstraintSpec? {
        switch format {
        case nil, .null?, .string("")?: return nil
        case .string("json")?: return .anyJSON()
        case let schema? where schema.members != nil:
            do { return try JSONConstraintSpec(schema: schema) } catch {
                throw .badRequest("invalid format: \(error)")
            }
        case let other?:
            throw .badRequest("invalid format: \(other.serialized()); expected \"json\" or a valid JSON Schema object")
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
        var branches: [JSONValue] = []
        for item in items {
            guard let function = item["function"], function.members != nil, case let .string(name)? = function["name"] else { continue }
            let parameters = function["parameters"] ?? ["type": "object"]
            branches.append([
                "type": "object",
                "properties": ["name": ["const": .string(name)], "arguments": parameters],
                "required": ["name", "arguments"],
            ])
        }
        guard !branches.isEmpty else { return nil }
        let call: JSONValue = branches.count == 1 ? branches[0] : ["anyOf": .array(branches)]
        let schema: JSONValue = format == .mistral ? ["type": "array", "items": call, "minItems": 1] : call
        guard let spec = try? JSONConstraintSpec(schema: schema) else { return nil }
        return ToolCallConstraint(tag: tag, spec: spec)
    }
}
