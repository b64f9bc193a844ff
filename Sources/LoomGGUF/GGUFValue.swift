// GGUF metadata values: the 13 value types of the format and their Swift representation.
//
//   id  type     bytes            id  type     bytes
//    0  uint8    1                 7  bool     1 (0 or 1)
//    1  int8     1                 8  string   u64 length + UTF-8 bytes
//    2  uint16   2                 9  array    u32 element type + u64 count + elements
//    3  int16    2                10  uint64   8
//    4  uint32   4                11  int64    8
//    5  int32    4                12  float64  8
//    6  float32  4
//
// All little-endian. An array's elements share one type; an array of arrays stores, per element,
// its own element type and count, so arrays nest. Equality compares floats by value (NaN ≠ NaN).

/// The type id of a GGUF metadata value.
public enum GGUFValueType: UInt32, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes per value for fixed-size types; nil for string and array.
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The smallest number of bytes one value of this type takes in a file.
    var minimumSize: Int {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return fixedSize ?? 1
        }
    }

    /// The name the GGUF specification uses ("uint32", "string", …).
    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// One GGUF metadata value.
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value's GGUF type id.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// A short type description: "uint32", or "[string × 49152]" for arrays.
    public var typeDescription: String {
        if case let .array(a) = self { return a.typeDescription }
        return type.description
    }
}

/// A GGUF metadata array: elements of one type, possibly arrays themselves.
public enum GGUFArray: Sendable, Hashable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16])
    case uint32([UInt32]), int32([Int32]), uint64([UInt64]), int64([Int64])
    case float32([Float]), float64([Double])
    case bool([Bool])
    case string([String])
    case array([GGUFArray])

    /// The type id of the elements.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// Number of elements.
    public var count: Int {
        switch self {
        case let .uint8(a): return a.count
        case let .int8(a): return a.count
        case let .uint16(a): return a.count
        case let .int16(a): return a.count
        case let .uint32(a): return a.count
        case let .int32(a): return a.count
        case let .uint64(a): return a.count
        case let .int64(a): return a.count
        case let .float32(a): return a.count
        case let .float64(a): return a.count
        case let .bool(a): return a.count
        case let .string(a): return a.count
        case let .array(a): return a.count
        }
    }

    /// The elements as individual values (arrays of arrays give `.array` values).
    public var values: [GGUFValue] {
        switch self {
        case let .uint8(a): return a.map { .uint8($0) }
        case let .int8(a): return a.map { .int8($0) }
        case let .uint16(a): return a.map { .uint16($0) }
        case let .int16(a): return a.map { .int16($0) }
        case let .uint32(a): return a.map { .uint32($0) }
        case let .int32(a): return a.map { .int32($0) }
        case let .uint64(a): return a.map { .uint64($0) }
        case let .int64(a): return a.map { .int64($0) }
        case let .float32(a): return a.map { .float32($0) }
        case let .float64(a): return a.map { .float64($0) }
        case let .bool(a): return a.map { .bool($0) }
        case let .string(a): return a.map { .string($0) }
        case let .array(a): return a.map { .array($0) }
        }
    }

    /// "[string × 49152]".
    public var typeDescription: String { "[\(elementType) × \(count)]" }
}
