// Hostile input: every prefix of a valid file, and thousands of seeded random mutations of it, must
// be rejected with a GGUFError (or, for mutations that happen to stay valid, parse consistently) —
// never crash, hang, or allocate memory out of proportion to the file.

import Foundation
import LoomTensor
import Testing
@testable import LoomGGUF

@Suite("GGUF fuzz")
struct FuzzTests {
    static let tiny: [UInt8] = Array((try? Data(contentsOf: URL(fileURLWithPath: Paths.fixture("gguf/tiny.gguf")))) ?? Data())

    static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    @Test("every strict prefix of tiny.gguf (3584 bytes) is rejected")
    func prefixes() throws {
        let bytes = Self.tiny
        try #require(bytes.count == 3584)
        _ = try GGUFFile(bytes: bytes)
        var kinds: [String: Int] = [:]
        for n in 0..<bytes.count {
            do {
                _ = try GGUFFile(bytes: bytes[0..<n])
                Issue.record("prefix of \(n) bytes was accepted")
            } catch {
                kinds[Mirror(reflecting: error).children.first?.label ?? "\(error)", default: 0] += 1
            }
        }
        print("prefix rejections by error: \(kinds.sorted { $0.key < $1.key })")
    }

    @Test("every strict prefix of a Swift-written file with every value type is rejected")
    func prefixesOfOwnFile() throws {
        let bytes = try sampleWriter().serialized()
        for n in stride(from: 0, to: bytes.count, by: 1) {
            #expect(throws: GGUFError.self, "prefix \(n)") { try GGUFFile(bytes: bytes[0..<n]) }
        }
    }

    @Test("4000 seeded random mutations: typed error or a consistent file, bounded memory")
    func mutations() throws {
        let original = Self.tiny
        try #require(!original.isEmpty)
        var rng = SplitMix64(seed: 0x6767_7566)
        let before = Self.peakRSSKiB()
        var accepted = 0, rejected = 0
        for i in 0..<4000 {
            var b = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) { Self.mutate(&b, using: &rng) }
            do {
                let file = try GGUFFile(bytes: b)
                accepted += 1
                for t in file.tensors { #expect(file.dataOffset + t.offset + t.byteCount <= b.count, "mutation \(i)") }
            } catch {
                rejected += 1
                #expect(!error.description.isEmpty)
            }
        }
        let grown = Self.peakRSSKiB() - before
        print("mutations: \(accepted) accepted, \(rejected) rejected; peak RSS grew by \(grown) KiB")
        #expect(rejected > 1000)
        // Other suites run in parallel in this process (one maps and reads the 98 MB model), so
        // the bound is loose; it catches a parse that allocates gigabytes, which is the danger.
        #expect(grown < 1024 * 1024)
    }

    /// One random damage: a byte, a 32/64-bit field set to an extreme, an insertion, a deletion, or a cut.
    static func mutate(_ b: inout [UInt8], using rng: inout SplitMix64) {
        guard !b.isEmpty else { return }
        let at = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
        case 1: b[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 2:
            let extremes: [UInt64] = [0, 1, .max, 1 << 31, 1 << 32, 1 << 63, UInt64(b.count), .random(in: 0 ... .max, using: &rng)]
            let v = extremes.randomElement(using: &rng)!
            let width = Bool.random(using: &rng) ? 8 : 4
            for k in 0..<width where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        case 3: b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case 4: b.remove(at: at)
        default: b.removeLast(Int.random(in: 0...min(64, b.count), using: &rng))
        }
    }
}
