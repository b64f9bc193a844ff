// GGUFFile: an opened, validated GGUF file whose tensor bytes are served from an mmap.
//
// Byte layout (little-endian; GGUF v2 and v3 are identical here, v3 only adds big-endian files,
// which Loom rejects):
//
//   offset  field
//   0       magic      u32  0x46554747 ("GGUF")
//   4       version    u32  2 | 3
//   8       n_tensors  u64
//   16      n_kv       u64
//   24      kv[n_kv]          key: string · value_type: u32 · value   (GGUFValue.swift)
//           info[n_tensors]   name: string · n_dims: u32 · ne[n_dims]: u64 · type: u32 · offset: u64
//           padding to `general.alignment` (uint32, power of two, default 32)
//   data    tensor bytes, each at `data + offset` (offset a multiple of the alignment) and padded
//           with zeros to the alignment
//
//   string = u64 byte length · UTF-8 bytes (no terminator)
//
// Opening maps the file and parses only the header; tensor bytes are touched when a caller reads
// them, so resident memory right after `open` is the metadata, not the model.

import Synchronization

/// An opened, validated GGUF file.
public final class GGUFFile: Sendable {
    /// How many times this process has parsed the header of the file at `path` (a diagnostic:
    /// tests count the parses of one model load).
    public static func parseCount(path: String) -> Int { parses.withLock { $0[path] ?? 0 } }
    private static let parses = Mutex<[String: Int]>([:])

    /// The format version (2 or 3).
    public let version: UInt32
    /// The metadata, in file order.
    public let metadata: GGUFMetadata
    /// The tensor infos, in file order.
    public let tensors: [GGUFTensorInfo]
    /// The data alignment in bytes.
    public let alignment: Int
    /// Byte offset of the data section from the start of the file.
    public let dataOffset: Int
    /// The path the file was opened from; nil for files parsed from memory.
    public let path: String?
    private let storage: FileBytes
    private let tensorIndex: [String: Int]

    /// Maps and validates the GGUF file at `path`.
    public convenience init(path: String, limits: GGUFLimits = .standard) throws(GGUFError) {
        try self.init(storage: try FileBytes(mapping: path), path: path, limits: limits)
    }

    /// Validates a GGUF file held in memory (copied; useful for tests and uploads).
    public convenience init(bytes: some Collection<UInt8>, limits: GGUFLimits = .standard) throws(GGUFError) {
        try self.init(storage: FileBytes(copying: bytes), path: nil, limits: limits)
    }

    private init(storage: FileBytes, path: String?, limits: GGUFLimits) throws(GGUFError) {
        var parser = GGUFParser(bytes: storage.buffer, limits: limits)
        if let path { Self.parses.withLock { $0[path, default: 0] += 1 } }
        let layout = try parser.parse()
        version = layout.version
        metadata = layout.metadata
        tensors = layout.tensors
        alignment = layout.alignment
        dataOffset = layout.dataOffset
        self.path = path
        self.storage = storage
        var index: [String: Int] = [:]
        for (i, t) in layout.tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    /// Address of the first byte of the file's bytes (the mapping's start for mapped files).
    var mappingStart: UnsafeRawPointer? { storage.buffer.baseAddress }

    /// Size of the whole file in bytes.
    public var fileSize: Int { storage.buffer.count }

    /// The tensor named `name`, if any.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of `tensor` (which must come from this file's `tensors`). The buffer points into
    /// the mapping and stays valid as long as this `GGUFFile` is alive.
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.offset
        precondition(start + tensor.byteCount <= storage.buffer.count, "tensor from another file")
        return UnsafeRawBufferPointer(rebasing: storage.buffer[start..<start + tensor.byteCount])
    }

    /// Calls `body` with the bytes of `tensor` while keeping the file alive.
    public func withBytes<R>(of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(bytes(of: tensor)) }
    }

    /// Total bytes of all tensors' data (without padding).
    public var tensorDataSize: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}
