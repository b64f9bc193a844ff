// The JSON written by Scripts/gguf_dump.py (gguf-py's view of a file), and a comparison of a
// GGUFFile against it that lists every difference. The rendering rules mirror the script's
// docstring: floats compare by bit pattern, long arrays by count + head/tail + FNV-1a of the
// canonical element encoding.

import Foundation
@testable import LoomGGUF

/// A JSON value, decoded without losing integer precision.
indirect enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case bool(Bool), int(Int64), uint(UInt64), double(Double), string(String), null
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// This value with the decimal "value" of every float object removed: floats compare by their
    /// "bits" (a JSON decoder may read 100000.0 as an integer).
    var bitsOnly: JSONValue {
        switch self {
        case let .array(a): return .array(a.map(\.bitsOnly))
        case var .object(o):
            if o["bits"] != nil { o["value"] = nil }
            return .object(o.mapValues(\.bitsOnly))
        default: return self
        }
    }

    var description: String {
        switch self {
        case let .bool(b): return "\(b)"
        case let .int(i): return "\(i)"
        case let .uint(u): return "\(u)"
        case let .double(d): return "\(d)"
        case let .string(s): return "\"\(s)\""
        case .null: return "null"
        case let .array(a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case let .object(o): return "{" + o.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

struct GGUFDump: Decodable {
    struct Tensor: Decodable {
        var name: String, type: String, type_id: UInt32, shape: [Int], offset: Int, n_bytes: Int, n_elements: Int
    }
    var version: UInt32, alignment: Int, data_offset: Int, tensor_count: Int, kv_count: Int
    var metadata: [[String: JSONValue]]
    var tensors: [Tensor]

    static func load(_ path: String) throws -> GGUFDump {
        try load(data: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func load(data: Data) throws -> GGUFDump {
        try JSONDecoder().decode(GGUFDump.self, from: data)
    }

    /// Every difference between `file` and this dump, as readable lines (empty when equal).
    func differences(from file: GGUFFile) -> [String] {
        var out: [String] = []
        func check<T: Equatable>(_ what: String, _ ours: T, _ theirs: T) {
            if ours != theirs { out.append("\(what): Loom \(ours), gguf-py \(theirs)") }
        }
        check("version", file.version, version)
        check("alignment", file.alignment, alignment)
        check("data offset", file.dataOffset, data_offset)
        check("metadata count", file.metadata.count, kv_count)
        check("tensor count", file.tensors.count, tensor_count)
        for (entry, golden) in zip(file.metadata, metadata) {
            let ours = Self.render(entry.value, withType: true).merging(["key": .string(entry.key)]) { a, _ in a }
            if JSONValue.object(ours).bitsOnly != JSONValue.object(golden).bitsOnly {
                out.append("metadata '\(entry.key)': Loom \(JSONValue.object(ours)), gguf-py \(JSONValue.object(golden))")
            }
        }
        for (t, g) in zip(file.tensors, tensors) {
            check("tensor name", t.name, g.name)
            check("type of \(t.name)", t.type.name, g.type)
            check("type id of \(t.name)", t.type.rawValue, g.type_id)
            check("shape of \(t.name)", t.shape, g.shape)
            check("offset of \(t.name)", t.offset, g.offset)
            check("bytes of \(t.name)", t.byteCount, g.n_bytes)
            check("elements of \(t.name)", t.elementCount, g.n_elements)
        }
        return out
    }

    // MARK: rendering our values the way gguf_dump.py renders gguf-py's

    static func render(_ v: GGUFValue, withType: Bool) -> [String: JSONValue] {
        var out: [String: JSONValue] = withType ? ["type": .string(v.type.description)] : [:]
        switch v {
        case let .float32(f):
            out["bits"] = .string(String(f.bitPattern, radix: 16))
            out["value"] = f.isFinite ? .double(Double(f)) : .null
        case let .float64(d):
            out["bits"] = .string(String(d.bitPattern, radix: 16))
            out["value"] = d.isFinite ? .double(d) : .null
        case let .array(a):
            let elements = a.values
            out["element_type"] = .string(a.elementType.description)
            out["count"] = .int(Int64(a.count))
            out["fnv1a64"] = .string(fnv1a64(a))
            let withInnerType = a.elementType == .array
            let item = { (v: GGUFValue) in scalar(v, withType: withInnerType) }
            if elements.count <= 64 {
                out["values"] = .array(elements.map(item))
            } else {
                out["head"] = .array(elements.prefix(8).map(item))
                out["tail"] = .array(elements.suffix(8).map(item))
            }
        default:
            out["value"] = scalar(v, withType: false)
        }
        return out
    }

    /// A value as it appears inside an array (or as a scalar's "value").
    static func scalar(_ v: GGUFValue, withType: Bool) -> JSONValue {
        switch v {
        case let .uint8(x): return .int(Int64(x))
        case let .int8(x): return .int(Int64(x))
        case let .uint16(x): return .int(Int64(x))
        case let .int16(x): return .int(Int64(x))
        case let .uint32(x): return .int(Int64(x))
        case let .int32(x): return .int(Int64(x))
        case let .uint64(x): return x <= UInt64(Int64.max) ? .int(Int64(x)) : .uint(x)
        case let .int64(x): return .int(x)
        case let .bool(b): return .bool(b)
        case let .string(s): return .string(s)
        case .float32, .float64, .array: return .object(render(v, withType: withType))
        }
    }

    /// FNV-1a 64 over the elements encoded as GGUF encodes them (no array header).
    static func fnv1a64(_ a: GGUFArray) -> String {
        var enc = ByteEncoder()
        enc.array(a)
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in enc.bytes.dropFirst(12) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
