// ConstraintError: why a `format` value could not be turned into a token constraint.
//
// * invalidJSON     — the schema text is not JSON (RFC 8259); the message names the byte offset.
// * unsupported     — the schema uses keywords Loom cannot enforce exactly; every one found in the
//                     reachable schema is listed with its JSON path ("$.properties.a.pattern"), so a
//                     client fixes them all at once. Combinations that would need an intersection
//                     ($ref / anyOf / allOf / enum next to constraining keywords) report the path of
//                     the combinator ("$.anyOf").
// * invalidSchema   — the schema is JSON but not a usable schema: a $ref to a missing definition,
//                     minItems > maxItems, an empty enum, a recursion that consumes no input, or no
//                     finite JSON value satisfies it.
// * tooComplex      — the grammar would be too large (e.g. maxLength 1 000 000 is one rule per count).

/// An error compiling a JSON Schema (or `format: "json"`) into a token constraint.
public enum ConstraintError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The schema text is not valid JSON; the message says where.
    case invalidJSON(String)
    /// Keywords that cannot be enforced exactly, each as a JSON path (e.g. "$.properties.a.pattern").
    case unsupported(keywords: [String])
    /// The schema is JSON but cannot be used (missing $ref target, minItems > maxItems, empty enum, …).
    case invalidSchema(String)
    /// The grammar for this schema would exceed Loom's size limits.
    case tooComplex(String)

    /// One sentence describing the error.
    public var description: String {
        switch self {
        case let .invalidJSON(message):
            return "The schema is not valid JSON: \(message)."
        case let .unsupported(keywords):
            return "The schema uses JSON Schema keywords Loom cannot enforce: \(keywords.joined(separator: ", "))."
        case let .invalidSchema(message):
            return "The schema is invalid: \(message)."
        case let .tooComplex(message):
            return "The schema is too complex to compile: \(message)."
        }
    }
}
