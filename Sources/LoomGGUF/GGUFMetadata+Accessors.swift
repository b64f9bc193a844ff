// Typed accessors over GGUFMetadata: `metadata.uint32("llama.block_count")`, `metadata.strings(…)`.
//
// Integer accessors accept any integer-typed value that fits the asked type exactly (writers differ:
// one stores a context length as uint32, another as uint64); floats accept float32 and float64;
// nothing converts between strings, bools and numbers.

extension GGUFMetadata {
    /// The value for `key`, or `GGUFError.missingKey`.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let v = self[key] else { throw .missingKey(key) }
        return v
    }

    /// The integer at `key` converted exactly to `T`.
    public func integer<T: FixedWidthInteger>(_ key: String, as: T.Type = T.self) throws(GGUFError) -> T {
        try Self.integer(try value(key), key: key)
    }

    /// The integer at `key` as `T`, nil when the key is absent.
    public func integerIfPresent<T: FixedWidthInteger>(_ key: String, as: T.Type = T.self) throws(GGUFError) -> T? {
        guard let v = self[key] else { return nil }
        return try Self.integer(v, key: key)
    }

    /// The integer at `key` as UInt32.
    public func uint32(_ key: String) throws(GGUFError) -> UInt32 { try integer(key) }
    /// The integer at `key` as UInt64.
    public func uint64(_ key: String) throws(GGUFError) -> UInt64 { try integer(key) }
    /// The integer at `key` as Int32.
    public func int32(_ key: String) throws(GGUFError) -> Int32 { try integer(key) }
    /// The integer at `key` as Int.
    public func int(_ key: String) throws(GGUFError) -> Int { try integer(key) }

    /// The float32 or float64 at `key` as Float.
    public func float(_ key: String) throws(GGUFError) -> Float {
        switch try value(key) {
        case let .float32(f): return f
        case let .float64(d): return Float(d)
        case let other: throw .typeMismatch(key: key, expected: "a float", found: other.typeDescription)
        }
    }

    /// The float at `key`, nil when absent.
    public func floatIfPresent(_ key: String) throws(GGUFError) -> Float? {
        contains(key) ? try float(key) : nil
    }

    /// The bool at `key`.
    public func bool(_ key: String) throws(GGUFError) -> Bool {
        guard case let .bool(b) = try value(key) else { throw mismatch(key, "bool") }
        return b
    }

    /// The bool at `key`, nil when absent.
    public func boolIfPresent(_ key: String) throws(GGUFError) -> Bool? {
        contains(key) ? try bool(key) : nil
    }

    /// The string at `key`.
    public func string(_ key: String) throws(GGUFError) -> String {
        guard case let .string(s) = try value(key) else { throw mismatch(key, "string") }
        return s
    }

    /// The string at `key`, nil when absent.
    public func stringIfPresent(_ key: String) throws(GGUFError) -> String? {
        contains(key) ? try string(key) : nil
    }

    /// The array at `key`, whatever its element type.
    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        guard case let .array(a) = try value(key) else { throw mismatch(key, "array") }
        return a
    }

    /// The array of strings at `key`.
    public func strings(_ key: String) throws(GGUFError) -> [String] {
        guard case let .string(s) = try array(key) else { throw mismatch(key, "[string]") }
        return s
    }

    /// The array of float32 at `key`.
    public func floats(_ key: String) throws(GGUFError) -> [Float] {
        switch try array(key) {
        case let .float32(f): return f
        case let .float64(d): return d.map { Float($0) }
        default: throw mismatch(key, "[float32]")
        }
    }

    /// The array of integers at `key`, each converted exactly to `T`.
    public func integers<T: FixedWidthInteger>(_ key: String, as: T.Type = T.self) throws(GGUFError) -> [T] {
        let a = try array(key)
        guard a.elementType != .array, a.elementType.isInteger else { throw mismatch(key, "[integer]") }
        var out: [T] = []
        out.reserveCapacity(a.count)
        for v in a.values { out.append(try Self.integer(v, key: key)) }
        return out
    }

    private func mismatch(_ key: String, _ expected: String) -> GGUFError {
        .typeMismatch(key: key, expected: expected, found: self[key]?.typeDescription ?? "absent")
    }

    private static func integer<T: FixedWidthInteger>(_ v: GGUFValue, key: String) throws(GGUFError) -> T {
        let converted: T?
        switch v {
        case let .uint8(x): converted = T(exactly: x)
        case let .int8(x): converted = T(exactly: x)
        case let .uint16(x): converted = T(exactly: x)
        case let .int16(x): converted = T(exactly: x)
        case let .uint32(x): converted = T(exactly: x)
        case let .int32(x): converted = T(exactly: x)
        case let .uint64(x): converted = T(exactly: x)
        case let .int64(x): converted = T(exactly: x)
        default:
            throw .typeMismatch(key: key, expected: "an integer", found: v.typeDescription)
        }
        guard let converted else {
            throw .valueOutOfRange(key: key, value: "\(v)", target: "\(T.self)")
        }
        return converted
    }
}

extension GGUFValueType {
    /// True for the eight integer types.
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
        default: return false
        }
    }
}
