// MappedFile: a whole file mapped read-only (PROT_READ, MAP_PRIVATE) for this object's lifetime.
//
// Weights are read through the mapping one tensor at a time while the GGUF is written, so a
// conversion's resident memory is one tensor plus the page cache, never the whole model. A file
// truncated by another process while mapped raises SIGBUS on access; model files are immutable.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes of a mapped file.
final class MappedFile: @unchecked Sendable {   // the mapping is immutable and unmapped only in deinit
    /// The file's bytes (empty for an empty file).
    let buffer: UnsafeRawBufferPointer
    /// The path the file was mapped from.
    let path: String

    /// Maps the regular file at `path`.
    init(path: String) throws(ConvertError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotRead(path: path, reason: Self.errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size > 0 else {
            buffer = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .cannotRead(path: path, reason: "mmap failed: \(Self.errnoText())")
        }
        buffer = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = buffer.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), buffer.count) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
