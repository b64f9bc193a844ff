// ByteEncoder: appends GGUF's little-endian encodings (integers, strings, values, arrays) to bytes.
// The inverse of ByteReader + GGUFParser; the value encodings are listed in GGUFValue.swift.

struct ByteEncoder {
    var bytes: [UInt8] = []

    mutating func integer<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func u32(_ v: UInt32) { integer(v) }
    mutating func u64(_ v: UInt64) { integer(v) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            u64(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func value(_ v: GGUFValue) {
        switch v {
        case let .uint8(x): integer(x)
        case let .int8(x): integer(x)
        case let .uint16(x): integer(x)
        case let .int16(x): integer(x)
        case let .uint32(x): integer(x)
        case let .int32(x): integer(x)
        case let .uint64(x): integer(x)
        case let .int64(x): integer(x)
        case let .float32(x): integer(x.bitPattern)
        case let .float64(x): integer(x.bitPattern)
        case let .bool(x): integer(UInt8(x ? 1 : 0))
        case let .string(s): string(s)
        case let .array(a): array(a)
        }
    }

    mutating func array(_ a: GGUFArray) {
        u32(a.elementType.rawValue)
        u64(UInt64(a.count))
        switch a {
        case let .uint8(xs): bytes.append(contentsOf: xs)
        case let .int8(xs): for x in xs { integer(x) }
        case let .uint16(xs): for x in xs { integer(x) }
        case let .int16(xs): for x in xs { integer(x) }
        case let .uint32(xs): for x in xs { integer(x) }
        case let .int32(xs): for x in xs { integer(x) }
        case let .uint64(xs): for x in xs { integer(x) }
        case let .int64(xs): for x in xs { integer(x) }
        case let .float32(xs): for x in xs { integer(x.bitPattern) }
        case let .float64(xs): for x in xs { integer(x.bitPattern) }
        case let .bool(xs): for x in xs { integer(UInt8(x ? 1 : 0)) }
        case let .string(xs): for x in xs { string(x) }
        case let .array(xs): for x in xs { array(x) }
        }
    }
}
