// GGUFParser: bytes → header, metadata and tensor infos, validated. The byte layout is documented
// in GGUFFile.swift; value encodings in GGUFValue.swift; tensor checks in GGUFParser+Tensors.swift.

import LoomTensor

/// What parsing produced, before it is attached to its storage.
struct GGUFLayout {
    var version: UInt32
    var metadata: GGUFMetadata
    var tensors: [GGUFTensorInfo]
    var alignment: Int
    var dataOffset: Int
}

struct GGUFParser {
    static let magic: UInt32 = 0x4655_4747 // "GGUF" read as little-endian u32
    static let defaultAlignment = 32

    var reader: ByteReader
    let limits: GGUFLimits

    init(bytes: UnsafeRawBufferPointer, limits: GGUFLimits) {
        reader = ByteReader(bytes)
        self.limits = limits
    }

    mutating func parse() throws(GGUFError) -> GGUFLayout {
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        let version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        let tensorCount = try readCount("tensor count", items: "tensor infos", limit: limits.maxTensors, minimumSize: 24)
        let kvCount = try readCount("metadata count", items: "metadata entries", limit: limits.maxKeyValues, minimumSize: 13)

        var metadata = GGUFMetadata()
        for i in 0..<kvCount {
            let keyOffset = reader.offset
            let key = try reader.readString(maxLength: limits.maxKeyLength, "key of metadata entry #\(i)")
            let rawType = try reader.read(UInt32.self, "type of metadata '\(key)'")
            let value = try readValue(rawType: rawType, key: key, depth: 0)
            guard metadata.appendNew(key: key, value: value) else { throw .duplicateKey(key, offset: keyOffset) }
        }

        let alignment = try Self.alignment(of: metadata)
        var raw: [RawTensorInfo] = []
        raw.reserveCapacity(tensorCount)
        for i in 0..<tensorCount { raw.append(try readTensorInfo(index: i)) }

        let dataOffset = reader.aligned(reader.offset, to: alignment)
        let tensors = try Self.validate(raw, alignment: alignment, dataOffset: dataOffset,
                                        fileSize: reader.bytes.count)
        return GGUFLayout(version: version, metadata: metadata, tensors: tensors,
                          alignment: alignment, dataOffset: dataOffset)
    }

    /// Reads a u64 count and checks it against `limit` and against the bytes left, at least
    /// `minimumSize` for each of the items it counts.
    mutating func readCount(_ what: @autoclosure () -> String, items: @autoclosure () -> String,
                            limit: Int, minimumSize: Int) throws(GGUFError) -> Int {
        let at = reader.offset
        let n = try reader.read(UInt64.self, what())
        guard n <= UInt64(limit) else {
            throw .limitExceeded(what: what(), offset: at, value: n, limit: UInt64(limit))
        }
        try reader.needElements(n, size: minimumSize, "\(n) \(items()) (at least \(minimumSize) bytes each)")
        return Int(n)
    }

    /// `general.alignment`, or 32 when absent.
    static func alignment(of metadata: GGUFMetadata) throws(GGUFError) -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case let .uint32(a) = value, a != 0, a & (a - 1) == 0 else {
            throw .invalidAlignment("\(value)")
        }
        return Int(a)
    }

    // MARK: values

    mutating func readValue(rawType: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .unknownValueType(what: "metadata '\(key)'", offset: reader.offset - 4, raw: rawType)
        }
        let what = "value of metadata '\(key)'"
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, what))
        case .int8: return .int8(try reader.read(Int8.self, what))
        case .uint16: return .uint16(try reader.read(UInt16.self, what))
        case .int16: return .int16(try reader.read(Int16.self, what))
        case .uint32: return .uint32(try reader.read(UInt32.self, what))
        case .int32: return .int32(try reader.read(Int32.self, what))
        case .uint64: return .uint64(try reader.read(UInt64.self, what))
        case .int64: return .int64(try reader.read(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try reader.read(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try reader.read(UInt64.self, what)))
        case .bool:
            let at = reader.offset
            let b = try reader.read(UInt8.self, what)
            guard b <= 1 else { throw .invalidBool(what: what, offset: at, byte: b) }
            return .bool(b == 1)
        case .string: return .string(try reader.readString(maxLength: limits.maxStringLength, what))
        case .array: return .array(try readArray(key: key, depth: depth + 1))
        }
    }

    mutating func readArray(key: String, depth: Int) throws(GGUFError) -> GGUFArray {
        let at = reader.offset
        guard depth <= limits.maxArrayDepth else {
            throw .nestingTooDeep(key: key, offset: at, limit: limits.maxArrayDepth)
        }
        let what = "array of metadata '\(key)'"
        let rawType = try reader.read(UInt32.self, "element type of \(what)")
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .unknownValueType(what: "elements of \(what)", offset: at, raw: rawType)
        }
        let n = try readCount("length of \(what)", items: "elements of \(what)", limit: limits.maxArrayLength,
                              minimumSize: type.minimumSize)
        switch type {
        case .uint8: return .uint8(reader.readIntegers(UInt8.self, count: n))
        case .int8: return .int8(reader.readIntegers(Int8.self, count: n))
        case .uint16: return .uint16(reader.readIntegers(UInt16.self, count: n))
        case .int16: return .int16(reader.readIntegers(Int16.self, count: n))
        case .uint32: return .uint32(reader.readIntegers(UInt32.self, count: n))
        case .int32: return .int32(reader.readIntegers(Int32.self, count: n))
        case .uint64: return .uint64(reader.readIntegers(UInt64.self, count: n))
        case .int64: return .int64(reader.readIntegers(Int64.self, count: n))
        case .float32: return .float32(reader.readIntegers(UInt32.self, count: n).map(Float.init(bitPattern:)))
        case .float64: return .float64(reader.readIntegers(UInt64.self, count: n).map(Double.init(bitPattern:)))
        case .bool:
            let start = reader.offset
            let bytes = reader.readIntegers(UInt8.self, count: n)
            if let bad = bytes.firstIndex(where: { $0 > 1 }) {
                throw .invalidBool(what: "element \(bad) of \(what)", offset: start + bad, byte: bytes[bad])
            }
            return .bool(bytes.map { $0 == 1 })
        case .string:
            var out: [String] = []
            out.reserveCapacity(n)
            for i in 0..<n {
                out.append(try reader.readString(maxLength: limits.maxStringLength, "element \(i) of \(what)"))
            }
            return .string(out)
        case .array:
            var out: [GGUFArray] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try readArray(key: key, depth: depth + 1)) }
            return .array(out)
        }
    }
}
