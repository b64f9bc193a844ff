// Tensor infos: reading them, then validating them against each other and the file size.
//
// Checks, in order: unique names; a known type; at most 4 dimensions, each ≤ Int64.max, whose
// element and byte counts fit in 64 bits; a row length that is a whole number of blocks; an
// offset that is a multiple of the alignment; bytes (and the padding after them, which every GGUF
// writer emits and llama.cpp requires) inside the data section; no two tensors overlapping.

import LoomTensor

/// A tensor info as it stands in the file, before validation.
struct RawTensorInfo {
    var name: String
    var dims: [UInt64]
    var rawType: UInt32
    var offset: UInt64
}

extension GGUFParser {
    mutating func readTensorInfo(index: Int) throws(GGUFError) -> RawTensorInfo {
        let name = try reader.readString(maxLength: limits.maxTensorNameLength, "name of tensor #\(index)")
        let nDims = try reader.read(UInt32.self, "dimension count of tensor '\(name)'")
        guard nDims <= UInt32(limits.maxDimensions) else {
            throw .tooManyDimensions(tensor: name, count: nDims, limit: limits.maxDimensions)
        }
        try reader.needElements(UInt64(nDims), size: 8, "shape of tensor '\(name)'")
        let dims = reader.readIntegers(UInt64.self, count: Int(nDims))
        let rawType = try reader.read(UInt32.self, "type of tensor '\(name)'")
        let offset = try reader.read(UInt64.self, "data offset of tensor '\(name)'")
        return RawTensorInfo(name: name, dims: dims, rawType: rawType, offset: offset)
    }

    static func validate(_ raw: [RawTensorInfo], alignment: Int, dataOffset: Int,
                         fileSize: Int) throws(GGUFError) -> [GGUFTensorInfo] {
        var names = Set<String>()
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        if !raw.isEmpty, dataOffset > fileSize {
            throw .truncated(what: "padding before the data section", offset: fileSize,
                             needed: UInt64(dataOffset - fileSize), fileSize: fileSize)
        }
        let dataSize = max(0, fileSize - dataOffset)
        for t in raw {
            guard names.insert(t.name).inserted else { throw .duplicateTensorName(t.name) }
            guard let type = GGMLType(rawValue: t.rawType) else {
                throw .unknownTensorType(tensor: t.name, raw: t.rawType)
            }
            let (shape, elements, bytes) = try sizes(of: t, type: type)
            guard t.offset % UInt64(alignment) == 0 else {
                throw .misalignedTensorOffset(tensor: t.name, offset: t.offset, alignment: alignment)
            }
            guard t.offset <= UInt64(dataSize), UInt64(bytes) <= UInt64(dataSize) - t.offset else {
                throw .tensorOutOfBounds(tensor: t.name, offset: t.offset, size: bytes, dataSize: dataSize)
            }
            let end = Int(t.offset) + bytes
            let paddedEnd = (end + alignment - 1) & ~(alignment - 1)
            guard paddedEnd <= dataSize else {
                throw .truncated(what: "padding after tensor '\(t.name)'", offset: dataOffset + end,
                                 needed: UInt64(paddedEnd - end), fileSize: fileSize)
            }
            tensors.append(GGUFTensorInfo(name: t.name, type: type, shape: shape, offset: Int(t.offset),
                                          byteCount: bytes, elementCount: elements))
        }
        try checkOverlaps(tensors)
        return tensors
    }

    /// Shape as Int, element count and byte count, all overflow-checked.
    static func sizes(of t: RawTensorInfo, type: GGMLType) throws(GGUFError) -> ([Int], Int, Int) {
        let overflow = GGUFError.elementCountOverflow(tensor: t.name, shape: t.dims)
        var shape: [Int] = []
        var elements = 1
        for d in t.dims {
            guard d <= UInt64(Int64.max) else { throw overflow }
            let (p, o) = elements.multipliedReportingOverflow(by: Int(d))
            guard !o else { throw overflow }
            shape.append(Int(d))
            elements = p
        }
        let rowLength = shape.first ?? 1
        guard let rowBytes = type.byteCount(elements: rowLength) else {
            throw .rowNotBlockMultiple(tensor: t.name, type: type, rowLength: rowLength)
        }
        var bytes = rowBytes
        for d in shape.dropFirst() {
            let (p, o) = bytes.multipliedReportingOverflow(by: d)
            guard !o else { throw overflow }
            bytes = p
        }
        return (shape, elements, bytes)
    }

    static func checkOverlaps(_ tensors: [GGUFTensorInfo]) throws(GGUFError) {
        let ranges = tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw .overlappingTensors(first: a.name, second: b.name)
        }
    }
}
