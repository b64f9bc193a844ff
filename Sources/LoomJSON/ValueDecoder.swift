/// ValueDecoder: Swift's `Decoder` over a parsed `JSONValue` (the engine of `JSONValueDecoder`).
///
/// Rules, as Foundation's JSONDecoder: a missing key is `.keyNotFound`; `null` where a value is
/// required is `.valueNotFound`; a value of another JSON type is `.typeMismatch`; a number that
/// does not fit the integer type asked for (or has a fraction) is `.dataCorrupted`. Integers accept
/// integral number text such as `3.0` or `3e2`. No key or date strategies: wire types spell their
/// keys in `CodingKeys`.

final class ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue, path: [any CodingKey]) {
        self.value = value
        self.codingPath = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if case .null = value { throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Cannot get keyed decoding container -- found null value instead")) }
        guard case let .object(members) = value else { throw mismatch([String: Any].self, value, codingPath) }
        return KeyedDecodingContainer(Keyed<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if case .null = value { throw DecodingError.valueNotFound([JSONValue].self, .init(codingPath: codingPath, debugDescription: "Cannot get unkeyed decoding container -- found null value instead")) }
        guard case let .array(items) = value else { throw mismatch([Any].self, value, codingPath) }
        return Unkeyed(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    /// `value` (found at `path`) as `T`.
    func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, path: [any CodingKey]? = nil) throws -> T {
        let path = path ?? codingPath
        if T.self == JSONValue.self, let v = value as? T { return v }
        if case .null = value, Self.isPrimitive(T.self) {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "Cannot get value of type \(T.self) -- found null value instead"))
        }
        if T.self == Bool.self {
            guard case let .bool(b) = value, let r = b as? T else { throw mismatch(T.self, value, path) }
            return r
        }
        if T.self == String.self {
            guard case let .string(s) = value, let r = s as? T else { throw mismatch(T.self, value, path) }
            return r
        }
        if let float = T.self as? any BinaryFloatingPoint.Type {
            guard case let .number(text) = value else { throw mismatch(T.self, value, path) }
            guard let d = Double(text), let r = float.init(d) as? T else { throw mismatch(T.self, value, path) }
            return r
        }
        if let int = T.self as? any FixedWidthInteger.Type {
            guard case let .number(text) = value else { throw mismatch(T.self, value, path) }
            guard let r = Self.integer(int, text) as? T else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "Parsed JSON number <\(text)> does not fit in \(T.self)."))
            }
            return r
        }
        return try T(from: ValueDecoder(value, path: path))
    }

    static func isPrimitive(_ t: Any.Type) -> Bool {
        t == Bool.self || t == String.self || t is any BinaryFloatingPoint.Type || t is any FixedWidthInteger.Type
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ text: String) -> I? {
        if let i = I(text) { return i }
        guard let d = Double(text), d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 else { return nil }
        return I(exactly: d)
    }
}

func mismatch(_ type: Any.Type, _ found: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    let what: String
    switch found {
    case .null: what = "null"
    case .bool: what = "bool"
    case .number: what = "number"
    case .string: what = "a string"
    case .array: what = "an array"
    case .object: what = "a dictionary"
    }
    return .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(what) instead."))
}

struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let members: [JSONValue.Member]
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    func value(_ key: Key) throws -> JSONValue {
        guard let v = members.last(where: { $0.key == key.stringValue })?.value else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key).isNull }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.unbox(try value(key), as: type, path: codingPath + [key])
    }
    func decode(_ t: Bool.Type, forKey key: Key) throws -> Bool { try decode(t, key) }
    func decode(_ t: String.Type, forKey key: Key) throws -> String { try decode(t, key) }
    func decode(_ t: Double.Type, forKey key: Key) throws -> Double { try decode(t, key) }
    func decode(_ t: Float.Type, forKey key: Key) throws -> Float { try decode(t, key) }
    func decode(_ t: Int.Type, forKey key: Key) throws -> Int { try decode(t, key) }
    func decode(_ t: Int8.Type, forKey key: Key) throws -> Int8 { try decode(t, key) }
    func decode(_ t: Int16.Type, forKey key: Key) throws -> Int16 { try decode(t, key) }
    func decode(_ t: Int32.Type, forKey key: Key) throws -> Int32 { try decode(t, key) }
    func decode(_ t: Int64.Type, forKey key: Key) throws -> Int64 { try decode(t, key) }
    func decode(_ t: UInt.Type, forKey key: Key) throws -> UInt { try decode(t, key) }
    func decode(_ t: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(t, key) }
    func decode(_ t: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(t, key) }
    func decode(_ t: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(t, key) }
    func decode(_ t: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(t, key) }
    private func decode<T: Decodable>(_ t: T.Type, _ key: Key) throws -> T { try decoder.unbox(try value(key), as: t, path: codingPath + [key]) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(try value(key), path: codingPath + [key]).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(try value(key), path: codingPath + [key]).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { ValueDecoder(.object(members), path: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder((try? value(key)) ?? .null, path: codingPath + [key])
    }
}

struct Unkeyed: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    let items: [JSONValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: ValueDecoder, items: [JSONValue]) {
        self.decoder = decoder
        self.items = items
    }

    mutating func next<T>(_ type: T.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [AnyCodingKey(intValue: currentIndex) ?? AnyCodingKey("")]
        guard !isAtEnd else { throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "Unkeyed container is at end.")) }
        defer { currentIndex += 1 }
        return (items[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, path) = try next(type)
        return try decoder.unbox(v, as: type, path: path)
    }
    mutating func decode(_ t: Bool.Type) throws -> Bool { try decodeAny(t) }
    mutating func decode(_ t: String.Type) throws -> String { try decodeAny(t) }
    mutating func decode(_ t: Double.Type) throws -> Double { try decodeAny(t) }
    mutating func decode(_ t: Float.Type) throws -> Float { try decodeAny(t) }
    mutating func decode(_ t: Int.Type) throws -> Int { try decodeAny(t) }
    mutating func decode(_ t: Int8.Type) throws -> Int8 { try decodeAny(t) }
    mutating func decode(_ t: Int16.Type) throws -> Int16 { try decodeAny(t) }
    mutating func decode(_ t: Int32.Type) throws -> Int32 { try decodeAny(t) }
    mutating func decode(_ t: Int64.Type) throws -> Int64 { try decodeAny(t) }
    mutating func decode(_ t: UInt.Type) throws -> UInt { try decodeAny(t) }
    mutating func decode(_ t: UInt8.Type) throws -> UInt8 { try decodeAny(t) }
    mutating func decode(_ t: UInt16.Type) throws -> UInt16 { try decodeAny(t) }
    mutating func decode(_ t: UInt32.Type) throws -> UInt32 { try decodeAny(t) }
    mutating func decode(_ t: UInt64.Type) throws -> UInt64 { try decodeAny(t) }
    private mutating func decodeAny<T: Decodable>(_ t: T.Type) throws -> T {
        let (v, path) = try next(t)
        return try decoder.unbox(v, as: t, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, path) = try next(type)
        return try ValueDecoder(v, path: path).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, path) = try next([JSONValue].self)
        return try ValueDecoder(v, path: path).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder {
        let (v, path) = try next(JSONValue.self)
        return ValueDecoder(v, path: path)
    }
}

struct Single: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.value.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.unbox(decoder.value, as: type) }
    func decode(_ t: Bool.Type) throws -> Bool { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: String.Type) throws -> String { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Double.Type) throws -> Double { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Float.Type) throws -> Float { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Int.Type) throws -> Int { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Int8.Type) throws -> Int8 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Int16.Type) throws -> Int16 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Int32.Type) throws -> Int32 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: Int64.Type) throws -> Int64 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: UInt.Type) throws -> UInt { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: UInt8.Type) throws -> UInt8 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: UInt16.Type) throws -> UInt16 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: UInt32.Type) throws -> UInt32 { try decoder.unbox(decoder.value, as: t) }
    func decode(_ t: UInt64.Type) throws -> UInt64 { try decoder.unbox(decoder.value, as: t) }
}
