// Safetensors: header parse and typed tensor access for one .safetensors file, over a mapping.
//
// Byte layout (little-endian; https://github.com/huggingface/safetensors):
//
//   offset  field
//   0       N       u64   header length in bytes
//   8       header  N bytes of UTF-8 JSON:
//                   { "__metadata__": {string: string}?,                       (optional)
//                     "<name>": {"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]}, … }
//   8 + N   data    each tensor's bytes at [begin, end) relative to this point, row-major (C order)
//
// `shape` lists the outermost dimension first (PyTorch/numpy order): a Linear weight is [out, in],
// the reverse of ggml's order. Validation: the header fits the file and is a JSON object; every
// entry has a known dtype, non-negative dims, 0 ≤ begin ≤ end ≤ data size, and end − begin equal to
// elements × dtype size. Nothing else is read until a tensor's bytes are asked for.

import Foundation
import LoomJSON

/// An element type a safetensors header can name.
public enum SafetensorsDType: String, Sendable, CaseIterable, Hashable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// True for the types the converter reads (F32, F16, BF16).
    public var isConvertible: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// One tensor entry of a safetensors header.
public struct SafetensorsTensor: Sendable, Hashable {
    /// The tensor's name, e.g. "model.layers.0.self_attn.q_proj.weight".
    public let name: String
    /// Its element type.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (PyTorch order).
    public let shape: [Int]
    /// Its bytes, relative to the start of the data section.
    public let byteRange: Range<Int>

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// An opened, validated .safetensors file whose tensor bytes are served from a mapping.
public final class SafetensorsFile: Sendable {
    /// The name used in errors (the file's path relative to the model folder).
    public let name: String
    /// Tensors in data order.
    public let tensors: [SafetensorsTensor]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]
    /// Offset of the data section from the start of the file (8 + header length).
    public let dataOffset: Int
    private let file: MappedFile
    private let index: [String: Int]

    /// Maps and validates the file at `path`; `name` (default: the file name) appears in errors.
    public init(path: String, name: String? = nil) throws(ConvertError) {
        let label = name ?? URL(fileURLWithPath: path).lastPathComponent
        file = try MappedFile(path: path)
        self.name = label
        let header = try Self.parseHeader(file.buffer, file: label)
        dataOffset = header.dataOffset
        tensors = header.tensors
        metadata = header.metadata
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// The tensor named `name`, if any.
    public func tensor(named name: String) -> SafetensorsTensor? { index[name].map { tensors[$0] } }

    /// The bytes of `tensor` (which must come from this file); valid while this object lives.
    public func bytes(of tensor: SafetensorsTensor) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.byteRange.lowerBound
        precondition(start + tensor.byteRange.count <= file.buffer.count, "tensor from another file")
        return UnsafeRawBufferPointer(rebasing: file.buffer[start..<start + tensor.byteRange.count])
    }

    /// The elements of `tensor` as f32 (exact for F16 and BF16); other dtypes throw.
    public func floats(of tensor: SafetensorsTensor) throws(ConvertError) -> [Float] {
        guard tensor.dtype.isConvertible else {
            throw .unsupportedDType(file: name, tensor: tensor.name, dtype: tensor.dtype.rawValue)
        }
        return withExtendedLifetime(self) { TensorEncoding.decode(bytes(of: tensor), dtype: tensor.dtype) }
    }

    struct Header {
        var dataOffset: Int
        var tensors: [SafetensorsTensor]
        var metadata: [String: String]
    }

    static func parseHeader(_ buffer: UnsafeRawBufferPointer, file: String) throws(ConvertError) -> Header {
        guard buffer.count >= 8 else { throw .safetensorsTruncated(file: file, fileSize: buffer.count) }
        let length = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard length <= UInt64(buffer.count - 8) else {
            throw .safetensorsHeaderBeyondFile(file: file, headerLength: length, fileSize: buffer.count)
        }
        let dataOffset = 8 + Int(length)
        let object: JSONValue
        do { object = try JSONValue.parse(buffer[8..<dataOffset]) } catch {
            throw .safetensorsHeaderNotJSON(file: file, reason: error.description)
        }
        guard case let .object(entries) = object else {
            throw .safetensorsHeaderNotJSON(file: file, reason: "the top level is \(object.shortDescription)")
        }
        let dataSize = buffer.count - dataOffset
        var tensors: [SafetensorsTensor] = []
        var metadata: [String: String] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                for (k, v) in value.members ?? [] { metadata[k] = v.stringValue ?? v.serialized() }
                continue
            }
            tensors.append(try entry(name, value, file: file, dataSize: dataSize))
        }
        tensors.sort { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        return Header(dataOffset: dataOffset, tensors: tensors, metadata: metadata)
    }

    private static func entry(_ name: String, _ value: JSONValue, file: String, dataSize: Int) throws(ConvertError) -> SafetensorsTensor {
        func invalid(_ reason: String) -> ConvertError { .safetensorsInvalidEntry(file: file, tensor: name, reason: reason) }
        guard value.members != nil else { throw invalid("not an object") }
        guard let dtypeName = value["dtype"]?.stringValue else { throw invalid("no dtype string") }
        guard let rawShape = value["shape"]?.arrayValue else { throw invalid("no shape array") }
        let shape = rawShape.compactMap(\.intValue)
        guard shape.count == rawShape.count, shape.allSatisfy({ $0 >= 0 }) else { throw invalid("shape is not a list of non-negative integers") }
        guard let rawOffsets = value["data_offsets"]?.arrayValue, rawOffsets.count == 2,
              let begin = rawOffsets[0].intValue, let end = rawOffsets[1].intValue else {
            throw invalid("data_offsets is not a pair of integers")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw .safetensorsDataOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        var expected = dtype.byteSize
        for dim in shape {
            let (p, overflow) = expected.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw invalid("shape \(shape) overflows") }
            expected = p
        }
        guard expected == end - begin else {
            throw .safetensorsSizeMismatch(file: file, tensor: name, dtype: dtypeName, shape: shape,
                                           expected: expected, actual: end - begin)
        }
        return SafetensorsTensor(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }
}
