/// JSONValue: one JSON value (RFC 8259) as Loom keeps it everywhere — from an HTTP body, a JSON
/// Schema, a chat template context, model output or a Hugging Face config file.
///
/// * Objects keep their members in source order (a JSON Schema's property order is the order a
///   constrained model writes them; a tool schema renders in the order the client sent it). The
///   parser merges a repeated key as Python's dict does: first position, last value.
/// * Numbers keep their source text (`1.50` stays `1.50`, `10000000000000000001` stays exact);
///   `doubleValue` / `intValue` read them. Build one from a Swift number with `JSONValue(_:)`.
/// * Strings are decoded (escapes, surrogate pairs).
/// * Keys compare by `String` (canonical equivalence) in lookups; callers that must tell apart
///   byte-different keys (tokenizer vocabularies) iterate `members` themselves.
///
/// Reading: `JSONValue.parse` (JSONParser.swift). Writing: `serialized()` (JSONWriter.swift).
/// Swift types: `Codable` (JSONValue+Codable.swift) and `JSONValueDecoder`.

/// A JSON value with object members in source order and numbers as their source text.
public enum JSONValue: Sendable {
    /// One object member.
    public typealias Member = (key: String, value: JSONValue)

    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its JSON text (`-1.5e3`).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object's members in source order.
    case object([Member])
}

extension JSONValue {
    /// The number `d` (integral values within ±2⁵³ as integers, others in Swift's shortest
    /// round-trip form; non-finite values as `NaN` / `Infinity` / `-Infinity`, which are not JSON).
    public init(_ d: Double) {
        if d.isNaN { self = .number("NaN"); return }
        if d.isInfinite { self = .number(d < 0 ? "-Infinity" : "Infinity"); return }
        if d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 { self = .number(String(Int64(d))); return }
        self = .number(d.description)
    }

    /// The integer `i`.
    public init<I: BinaryInteger>(_ i: I) { self = .number(String(i)) }

    /// The string `s`.
    public init(_ s: String) { self = .string(s) }

    /// The bool `b`.
    public init(_ b: Bool) { self = .bool(b) }
}

extension JSONValue {
    /// The value of member `key` of an object (the last one if repeated); nil for a missing key or
    /// a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The element at `index` of an array; nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case let .array(items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The members of an object, nil for other values.
    public var members: [Member]? {
        if case let .object(m) = self { return m }
        return nil
    }

    /// The elements of an array, nil for other values.
    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The text of a string, nil for other values.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The value of a bool, nil for other values.
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// A number as Double (nearest value; ±infinity beyond range), nil for other values.
    public var doubleValue: Double? {
        guard case let .number(text) = self else { return nil }
        return Double(text)
    }

    /// A number that is an integer (`3`, `3.0`, `3e2`) as Int, nil for other values, fractions or
    /// integers out of Int's range.
    public var intValue: Int? {
        guard case let .number(text) = self else { return nil }
        if let i = Int(text) { return i }
        guard let d = Double(text), d == d.rounded(), abs(d) < 9.2e18 else { return nil }
        return Int(d)
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type's name, as JSON Schema spells it ("object", "array", "string", "number",
    /// "integer" for numbers without fraction or exponent, "boolean", "null").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case let .number(text): return text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") } ? "number" : "integer"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: Equatable, Hashable {
    /// Structural equality: numbers by their text, objects member by member in order.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Hashes consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case let .bool(b): hasher.combine(1); hasher.combine(b)
        case let .number(n): hasher.combine(2); hasher.combine(n)
        case let .string(s): hasher.combine(3); hasher.combine(s)
        case let .array(a): hasher.combine(4); hasher.combine(a)
        case let .object(o):
            hasher.combine(5)
            for m in o { hasher.combine(m.key); hasher.combine(m.value) }
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A bool literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal.
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    /// An array literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal: an object with the members in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements.map { (key: $0.0, value: $0.1) }) }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { serialized() }
}
