/// JSONValue ↔ Swift's Codable.
///
/// Decoding: through `JSONValueDecoder` the value is taken as parsed (source order, number text
/// kept). Through another decoder (Foundation's `JSONDecoder`) it is rebuilt from containers:
/// objects in the order that decoder reports keys (not promised to be the document's), numbers
/// as Int64 when they decode as one, else Double.
///
/// Encoding (the Ollama wire through Foundation's `JSONEncoder`): objects in member order;
/// numbers as Int64 when their text is an Int64, or an integral value within ±2⁵³, else as Double
/// (so `1.0` goes out as `1`, as Go's encoder writes a float64 1).

extension JSONValue: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        if let ours = decoder as? ValueDecoder {
            self = ours.value
            return
        }
        if let keyed = try? decoder.container(keyedBy: AnyCodingKey.self) {
            var pairs: [Member] = []
            for key in keyed.allKeys { pairs.append((key.stringValue, try keyed.decode(JSONValue.self, forKey: key))) }
            self = .object(pairs)
            return
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !list.isAtEnd { items.append(try list.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let i = try? single.decode(Int64.self) { self = JSONValue(i) }
        else if let d = try? single.decode(Double.self) { self = JSONValue(d) }
        else { self = .string(try single.decode(String.self)) }
    }

    /// Encodes this value through any encoder.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case let .bool(b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case let .number(text):
            var c = encoder.singleValueContainer()
            if let i = Int64(text) { try c.encode(i); return }
            let d = Double(text) ?? .nan
            if d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 { try c.encode(Int64(d)) } else { try c.encode(d) }
        case let .string(s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case let .array(items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case let .object(members):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for m in members { try c.encode(m.value, forKey: AnyCodingKey(m.key)) }
        }
    }
}

/// A coding key made from any string or index.
public struct AnyCodingKey: CodingKey, Sendable {
    /// The key.
    public var stringValue: String
    /// The index, for array positions.
    public var intValue: Int?

    /// The key `s`.
    public init(_ s: String) { stringValue = s }
    /// The key `stringValue`.
    public init?(stringValue: String) { self.stringValue = stringValue }
    /// The array position `intValue`.
    public init?(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

/// Decodes `Decodable` types from JSON parsed once by `JSONValue.parse`: keyed containers list
/// keys in source order, and a `JSONValue` member is handed over as parsed (order and number text
/// kept). Errors are Swift's `DecodingError`s with the coding path, as Foundation's `JSONDecoder`
/// reports them; text that is not JSON is `.dataCorrupted` at the empty path naming the byte.
public struct JSONValueDecoder: Sendable {
    /// Parse options for `decode(_:from:)` on bytes.
    public var options: JSONValue.ParseOptions

    /// A decoder with strict parse options.
    public init(options: JSONValue.ParseOptions = .strict) { self.options = options }

    /// Decodes `type` from a parsed value.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try ValueDecoder(value, path: []).unbox(value, as: type)
    }

    /// Parses `bytes` and decodes `type` from them.
    public func decode<T: Decodable, C: Collection>(_ type: T.Type, from bytes: C) throws -> T where C.Element == UInt8 {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, options: options) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.description, underlyingError: error))
        }
        return try decode(type, from: value)
    }
}
