// Opening a model maps it: resident memory of the mapping right after open is the header, not the
// model. Measured as the Rss of this file's own mapping in /proc/self/smaps, so other tests running
// in parallel cannot disturb the figure.

import Testing
@testable import LoomGGUF

@Suite("mmap")
struct MappingTests {
    @Test("opening SmolLM2 (98 MB) leaves only the header resident",
          .enabled(if: Paths.hasSmolLM2, "run Scripts/fetch-models.sh (make test does)"))
    func residentAfterOpen() throws {
        let file = try GGUFFile(path: Paths.smolLM2)
        let resident = try #require(file.residentByteCount())
        print("SmolLM2 Q4_1: file \(file.fileSize) bytes, header \(file.dataOffset) bytes, resident after open \(resident) bytes")
        #expect(file.fileSize > 90_000_000)
        // The header (metadata incl. the 49k-token vocabulary) is 1.8 MB; allow for read-ahead.
        #expect(resident < file.fileSize / 10)

        // Touching one tensor brings (about) its pages in, and the bytes are the file's bytes.
        let embd = try #require(file.tensor(named: "token_embd.weight"))
        let sum = file.bytes(of: embd).reduce(0) { $0 &+ Int($1) }
        #expect(sum > 0)
        let after = try #require(file.residentByteCount())
        #expect(after >= resident + embd.byteCount / 2)
    }
}
