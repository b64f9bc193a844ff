// ByteSink: where GGUFWriter's bytes go — memory, or a temp file that is atomically renamed into
// place on commit (write temp in the same folder → fsync → rename → fsync folder).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

protocol ByteSink {
    mutating func write(_ bytes: [UInt8]) throws(GGUFError)
}

struct MemorySink: ByteSink {
    var bytes: [UInt8] = []
    mutating func write(_ b: [UInt8]) throws(GGUFError) { bytes.append(contentsOf: b) }
}

struct FileSink: ByteSink {
    let finalPath: String
    let directory: String
    let tempPath: String
    private var fd: Int32

    init(finalPath: String) throws(GGUFError) {
        self.finalPath = finalPath
        let slash = finalPath.lastIndex(of: "/")
        let dir = slash.map { String(finalPath[..<$0]) } ?? "."
        directory = dir.isEmpty ? "/" : dir
        let base = slash.map { String(finalPath[finalPath.index(after: $0)...]) } ?? finalPath
        tempPath = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: finalPath, reason: FileBytes.errnoText()) }
    }

    mutating func write(_ b: [UInt8]) throws(GGUFError) {
        var done = 0
        while done < b.count {
            let n = b.withUnsafeBytes { posixWrite(fd, $0.baseAddress.map { $0 + done }, b.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: finalPath, reason: FileBytes.errnoText())
            }
            done += n
        }
    }

    /// Flushes, closes and renames the temp file over the final path.
    mutating func commit() throws(GGUFError) {
        guard fsync(fd) == 0 else { throw .writeFailed(path: finalPath, reason: "fsync: \(FileBytes.errnoText())") }
        close(fd)
        fd = -1
        guard rename(tempPath, finalPath) == 0 else {
            throw .writeFailed(path: finalPath, reason: "rename: \(FileBytes.errnoText())")
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Closes and removes the temp file after a failure.
    mutating func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(tempPath)
    }
}

/// `write(2)`, reachable from inside types that have a `write` method of their own.
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { write(fd, p, n) }
