// `format` (§9): absent, null or "" → no constraint; "json" → any JSON object; an object → a JSON
// Schema compiled to a token-level constraint (LoomSampling). Anything else, a schema that is not
// valid, or one using keywords the constraint cannot enforce → 400 before anything is generated
// (the unsupported keywords are listed with their paths, never ignored silently).

import Foundation
import LoomAPI
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
