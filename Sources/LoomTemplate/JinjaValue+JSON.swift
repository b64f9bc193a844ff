// JinjaValue ↔ JSON through LoomJSON: `parseJSON` / `init(json:)` keep object key order (a chat
// request's tool schemas render in the order the client sent them); integers without fraction or
// exponent that fit in Int become `.int`, other numbers `.double`. `toJSON` is Python's
// `json.dumps(x, ensure_ascii=…, indent=…, separators=…, sort_keys=…)` — what Hugging Face's
// `tojson` filter produces — by converting to a `JSONValue` and writing it in LoomJSON's Python
// style (floats as Python's repr, NaN/Infinity as Python writes them).

import LoomJSON

extension JinjaValue {
    /// Parses JSON text; objects keep their key order.
    public static func parseJSON(_ text: String) throws(TemplateError) -> JinjaValue {
        do { return JinjaValue(json: try JSONValue.parse(text)) } catch { throw .invalidJSON(error) }
    }

    /// The template value of a parsed JSON value.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case let .bool(b): self = .bool(b)
        case let .number(text):
            let integral = !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
            if integral, let i = Int(text) { self = .int(i) } else { self = .double(Double(text) ?? .nan) }
        case let .string(s): self = .string(s)
        case let .array(items): self = .array(items.map(JinjaValue.init(json:)))
        case let .object(members):
            var o = JinjaObject()
            for m in members { o[m.key] = JinjaValue(json: m.value) }
            self = .object(o)
        }
    }

    /// This value as JSON; throws for values JSON has no form for (undefined, callables, …).
    public func jsonValue() throws(TemplateError) -> JSONValue {
        switch self {
        case .none: return .null
        case let .bool(b): return .bool(b)
        case let .int(i): return JSONValue(i)
        case let .double(d):
            return .number(d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : Self.pythonFloat(d))
        case let .string(s), let .markup(s): return .string(s)
        case let .array(a), let .tuple(a):
            var items: [JSONValue] = []
            for v in a { items.append(try v.jsonValue()) }
            return .array(items)
        case let .object(o):
            var members: [JSONValue.Member] = []
            for p in o.pairs { members.append((p.key, try p.value.jsonValue())) }
            return .object(members)
        case .undefined, .namespace, .callable, .iterator, .view:
            throw TemplateError(.runtime, "Object of type \(typeName) is not JSON serializable")
        }
    }

    /// Values (lines of indented JSON) and nesting depth, for bounding `tojson(indent=…)`'s output.
    func jsonShape() -> (values: Int, depth: Int) {
        switch self {
        case let .array(a), let .tuple(a), let .view(_, a):
            return a.reduce((1, 1)) { acc, v in let s = v.jsonShape(); return (acc.0 + s.values, max(acc.1, s.depth + 1)) }
        case let .object(o):
            return o.entries.reduce((1, 1)) { acc, e in let s = e.value.jsonShape(); return (acc.0 + s.values, max(acc.1, s.depth + 1)) }
        default: return (1, 1)
        }
    }

    /// Python `json.dumps(self, ensure_ascii=ensureASCII, indent=indent, separators=…, sort_keys=…)`.
    func toJSON(indent: Int? = nil, sortKeys: Bool = false, itemSeparator: String? = nil,
                keySeparator: String? = nil, ensureASCII: Bool = false) throws(TemplateError) -> String {
        try jsonValue().serialized(.python(indent: indent, sortKeys: sortKeys, itemSeparator: itemSeparator,
                                           keySeparator: keySeparator, ensureASCII: ensureASCII))
    }
}

extension TemplateError {
    /// JSON text handed to a template (a context value, tools) that does not parse.
    public static func invalidJSON(_ error: JSONError) -> TemplateError {
        TemplateError(.syntax, "invalid JSON at byte \(error.offset): \(error.reason)", templateName: "json")
    }
}
