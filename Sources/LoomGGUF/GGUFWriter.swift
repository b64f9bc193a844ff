// GGUFWriter: metadata + tensors → a GGUF v3 (or v2) file that Loom's reader, llama.cpp and the
// `gguf` Python package read back. Layout: see GGUFFile.swift.
//
// Tensors are declared up front (name, type, shape) and their bytes are either given or produced by
// a provider at write time, one tensor at a time, so a quantizer can stream a large model to disk
// without holding it in memory. Offsets are assigned in declaration order, each padded to the
// alignment (`general.alignment` if set, else 32). `write(to:)` is atomic: a temp file in the same
// folder, fsync, rename, fsync of the folder — a crash leaves either the old file or the new one.

import LoomTensor

/// Builds a GGUF file from metadata and tensors.
public struct GGUFWriter: Sendable {
    /// Where a tensor's bytes come from.
    public enum TensorData: Sendable {
        /// Bytes held now.
        case bytes([UInt8])
        /// Bytes produced at write time (called once per write).
        case provider(@Sendable () throws -> [UInt8])
    }

    struct Pending: Sendable {
        var name: String
        var type: GGMLType
        var shape: [Int]
        var byteCount: Int
        var data: TensorData
    }

    /// Format version written (3 by default; 2 has the same layout).
    public var version: UInt32 = 3
    /// Metadata, written in order.
    public var metadata: GGUFMetadata
    private(set) var pending: [Pending] = []
    private var names = Set<String>()

    /// A writer with the given metadata and no tensors.
    public init(metadata: GGUFMetadata = GGUFMetadata()) {
        self.metadata = metadata
    }

    /// Declares a tensor with its bytes. `shape` is in ggml order (row length first).
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws(GGUFError) {
        let expected = try Self.byteCount(name: name, type: type, shape: shape)
        guard bytes.count == expected else {
            throw .tensorDataSizeMismatch(tensor: name, expected: expected, actual: bytes.count)
        }
        try append(Pending(name: name, type: type, shape: shape, byteCount: expected, data: .bytes(bytes)))
    }

    /// Declares a tensor whose bytes `provider` produces at write time.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int],
                                   provider: @escaping @Sendable () throws -> [UInt8]) throws(GGUFError) {
        let expected = try Self.byteCount(name: name, type: type, shape: shape)
        try append(Pending(name: name, type: type, shape: shape, byteCount: expected, data: .provider(provider)))
    }

    /// Number of tensors declared.
    public var tensorCount: Int { pending.count }

    private mutating func append(_ p: Pending) throws(GGUFError) {
        guard names.insert(p.name).inserted else { throw .duplicateTensorName(p.name) }
        pending.append(p)
    }

    static func byteCount(name: String, type: GGMLType, shape: [Int]) throws(GGUFError) -> Int {
        guard shape.count <= 4, shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(tensor: name, shape: shape) }
        let rowLength = shape.first ?? 1
        guard let rowBytes = type.byteCount(elements: rowLength) else {
            throw .rowNotBlockMultiple(tensor: name, type: type, rowLength: rowLength)
        }
        var bytes = rowBytes
        for d in shape.dropFirst() {
            let (p, o) = bytes.multipliedReportingOverflow(by: d)
            guard !o else { throw .elementCountOverflow(tensor: name, shape: shape.map { UInt64($0) }) }
            bytes = p
        }
        return bytes
    }

    /// The alignment this writer uses.
    public func alignment() throws(GGUFError) -> Int { try GGUFParser.alignment(of: metadata) }

    /// The whole file as bytes.
    public func serialized() throws(GGUFError) -> [UInt8] {
        var sink = MemorySink()
        try emit(to: &sink)
        return sink.bytes
    }

    /// Writes the file to `path` atomically (temp file, fsync, rename).
    public func write(to path: String) throws(GGUFError) {
        var sink = try FileSink(finalPath: path)
        do {
            try emit(to: &sink)
            try sink.commit()
        } catch {
            sink.abandon()
            throw error
        }
    }

    func emit<S: ByteSink>(to sink: inout S) throws(GGUFError) {
        let alignment = try alignment()
        var header = ByteEncoder()
        header.u32(GGUFParser.magic)
        header.u32(version)
        header.u64(UInt64(pending.count))
        header.u64(UInt64(metadata.count))
        for entry in metadata {
            header.string(entry.key)
            header.u32(entry.value.type.rawValue)
            header.value(entry.value)
        }
        var offset = 0
        for t in pending {
            header.string(t.name)
            header.u32(UInt32(t.shape.count))
            for d in t.shape { header.u64(UInt64(d)) }
            header.u32(t.type.rawValue)
            header.u64(UInt64(offset))
            offset = Self.padded(offset + t.byteCount, alignment)
        }
        header.zeros(Self.padded(header.bytes.count, alignment) - header.bytes.count)
        try sink.write(header.bytes)
        for t in pending {
            let bytes: [UInt8]
            switch t.data {
            case let .bytes(b): bytes = b
            case let .provider(make):
                do { bytes = try make() } catch {
                    throw .tensorDataUnavailable(tensor: t.name, reason: "\(error)")
                }
            }
            guard bytes.count == t.byteCount else {
                throw .tensorDataSizeMismatch(tensor: t.name, expected: t.byteCount, actual: bytes.count)
            }
            try sink.write(bytes)
            try sink.write([UInt8](repeating: 0, count: Self.padded(t.byteCount, alignment) - t.byteCount))
        }
    }

    static func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }
}
