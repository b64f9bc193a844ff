// FileBytes: read-only bytes that stay put for the owner's lifetime — an mmapped file or a copy.
//
// Mapping (PROT_READ, MAP_PRIVATE) costs no memory up front: pages come in when a kernel touches
// them and the page cache shares them between processes. Caveat: a file truncated by another
// process while mapped raises SIGBUS on access; model files are treated as immutable.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes owned by this object: an mmapped file or an owned copy.
final class FileBytes: @unchecked Sendable {
    /// The bytes; valid for this object's lifetime.
    let buffer: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps the whole file at `path` read-only.
    init(mapping path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path: path, reason: Self.errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(st.st_size)
        guard size > 0 else {
            throw .truncated(what: "magic", offset: 0, needed: 4, fileSize: 0)
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(Self.errnoText())")
        }
        buffer = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    /// Copies `bytes` into memory owned by this object.
    init(copying bytes: some Collection<UInt8>) {
        let m = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        let copied = UnsafeMutableRawBufferPointer(rebasing: m[0..<bytes.count])
        copied.copyBytes(from: bytes)
        buffer = UnsafeRawBufferPointer(copied)
        mapped = false
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count)
        } else {
            buffer.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() }
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
