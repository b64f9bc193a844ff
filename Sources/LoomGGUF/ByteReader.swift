// ByteReader: a bounds-checked little-endian cursor over raw bytes, for parsing untrusted files.
//
// Every read first checks that the bytes exist and throws `GGUFError.truncated` (with what was
// being read and where) when they do not, so no read ever leaves the buffer. Counts read from the
// file are checked against the bytes left *before* anything is allocated for them.

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are available.
    func need(_ count: UInt64, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= UInt64(remaining) else {
            throw .truncated(what: what(), offset: offset, needed: count, fileSize: bytes.count)
        }
    }

    /// Throws unless `count` elements of at least `size` bytes each can still follow.
    func needElements(_ count: UInt64, size: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        let (total, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
        guard !overflow, total <= UInt64(remaining) else {
            throw .truncated(what: what(), offset: offset, needed: overflow ? .max : total, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(UInt64(MemoryLayout<T>.size), what())
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    /// Reads `count` integers; the caller has checked the bytes with `needElements`.
    mutating func readIntegers<T: FixedWidthInteger>(_: T.Type, count: Int) -> [T] {
        let size = MemoryLayout<T>.size
        let start = offset
        let out = [T](unsafeUninitializedCapacity: count) { buf, initialized in
            for i in 0..<count {
                buf[i] = T(littleEndian: bytes.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
            }
            initialized = count
        }
        offset += count * size
        return out
    }

    /// Reads a GGUF string: u64 byte length, then that many bytes of UTF-8.
    mutating func readString(maxLength: Int, _ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try read(UInt64.self, what())
        guard length <= UInt64(maxLength) else {
            throw .limitExceeded(what: "length of \(what())", offset: start, value: length, limit: UInt64(maxLength))
        }
        try need(length, what())
        let n = Int(length)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw .invalidUTF8(what: what(), offset: offset)
        }
        offset += n
        return s
    }

    /// Advances to the next multiple of `alignment` (a power of two), possibly past the end.
    func aligned(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) & ~(alignment - 1)
    }
}
