// Helpers for the constrained-decoding tests: byte-level drivers, synthetic vocabularies, random
// walks over allowed tokens, and the Python reference (Scripts/make_schema_goldens.py: json.loads +
// jsonschema Draft 2020-12 with format checking), used when LOOM_PYTHON is set (make test sets it).

import Foundation
import Testing
@testable import LoomSampling

enum ConstraintPaths {
    /// The repository root (this file is Tests/LoomSamplingTests/…; symlinks resolved).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let script = root + "/Scripts/make_schema_goldens.py"
    static let smolLM2 = root + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    static var python: String? { ProcessInfo.processInfo.environment["LOOM_PYTHON"] }
    static var requireModels: Bool { ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1" }

    /// Runs the reference script with `arguments`, feeding `input`; returns stdout.
    static func runScript(_ arguments: [String], input: String = "") throws -> String {
        let python = try #require(python, "set LOOM_PYTHON to the .venv Python (make test does)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "make_schema_goldens.py failed: \(err)")
        return String(decoding: out, as: UTF8.self)
    }

    /// Validates each generated text against its schema with Python jsonschema; one verdict per text.
    static func validate(_ cases: [(schema: String, text: String)]) throws -> [String] {
        var input = ""
        for c in cases {
            let schema = try JSONSerialization.jsonObject(with: Data(c.schema.utf8))
            let line = try JSONSerialization.data(withJSONObject: ["schema": schema, "text": c.text])
            input += String(decoding: line, as: UTF8.self) + "\n"
        }
        let out = try runScript(["validate"], input: input)
        return out.split(separator: "\n").map(String.init)
    }
}

/// The 256 single bytes as tokens (id = byte value) and an end token with id 256.
let byteVocabulary: [[UInt8]] = (0..<256).map { [UInt8($0)] } + [[]]
let byteEnd: Int32 = 256
let byteTrie = TokenTrie(tokenBytes: byteVocabulary)

/// A constraint over the single-byte vocabulary.
func byteConstraint(_ spec: JSONConstraintSpec) -> TokenConstraint {
    TokenConstraint(spec: spec, trie: byteTrie, end: [byteEnd])
}

/// Feeds `text` byte by byte: the offset of the first rejected byte, or nil when all are accepted.
func firstRejected(_ spec: JSONConstraintSpec, _ text: String) -> Int? {
    firstRejected(spec, Array(text.utf8))
}

func firstRejected(_ spec: JSONConstraintSpec, _ bytes: [UInt8]) -> Int? {
    let c = byteConstraint(spec)
    for (i, b) in bytes.enumerated() where !c.accept(Int32(b)) { return i }
    return nil
}

/// True when every byte is accepted and the value may end right after them.
func matches(_ spec: JSONConstraintSpec, _ text: String) -> Bool {
    let c = byteConstraint(spec)
    for b in text.utf8 where !c.accept(Int32(b)) { return false }
    return c.canEnd
}

/// `text` split into random chunks of 1…7 bytes (seeded).
func randomChunks(_ text: String, seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(state: seed)
    let bytes = Array(text.utf8)
    var out: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
        let n = min(bytes.count - i, 1 + Int(rng.next() % 7))
        out.append(Array(bytes[i..<i + n]))
        i += n
    }
    return out
}

/// Strings the walks' vocabulary has as multi-byte tokens, including split UTF-8 sequences.
let walkChunks: [[UInt8]] = [
    "\":", "\": ", "true", "false", "null", "{\"", "\"}", "\",", ", \"", ",\"", "[", "]", "},", "}]",
    "[{", "\n  ", "  ", "\n", "0", "12", "123", "-1", ".5", "e+1", "E-", "2024-", "-01-", "-02-29",
    "T12:", ":00", ":00Z", "+01:00", "é", "€", "😀", "\\u00e9", "\\n", "\\\"", "\\ud83d\\ude00",
    "\\ud83d", "abc", "name", "id", "hello", " world", "\"a\"", "4f", "-4", "e89b-", "children",
    "\"children\":[", "tags", "\"x\"", "value", "kind", "circle", "square", "radius", "side",
] .map { Array($0.utf8) } + [[0xE2], [0x82, 0xAC], [0xF0, 0x9F], [0x98, 0x80], [0xC3], [0xA9, 0x22]]

/// Single bytes 0–255, the chunks above, then an end token.
let walkVocabulary: [[UInt8]] = (0..<256).map { [UInt8($0)] } + walkChunks + [[]]
let walkEnd = Int32(walkVocabulary.count - 1)
let walkTrie = TokenTrie(tokenBytes: walkVocabulary)

/// Single bytes, every string over {a, b} of 2–7 bytes, every digit string of 2–3 digits, the walk
/// chunks, then an end token: deep trie subtrees, so the mask's whole-subtree acceptance
/// (ConstraintEngine.coversSubtree) meets counters (maxLength), digit ranges and formats.
let deepVocabulary: [[UInt8]] = {
    var out: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    var level: [[UInt8]] = [[]]
    for length in 1...7 {
        level = level.flatMap { p in [p + [UInt8(ascii: "a")], p + [UInt8(ascii: "b")]] }
        if length >= 2 { out += level }
    }
    var digits: [[UInt8]] = [[]]
    for length in 1...3 {
        digits = digits.flatMap { p in (0...9).map { p + [UInt8(48 + $0)] } }
        if length >= 2 { out += digits }
    }
    return out + walkChunks + [[]]
}()
let deepEnd = Int32(deepVocabulary.count - 1)
let deepTrie = TokenTrie(tokenBytes: deepVocabulary)

/// The result of a random walk over allowed tokens.
struct Walk {
    var bytes: [UInt8] = []
    var steps = 0
    var finished = false
    var maskMismatches: [String] = []
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Picks random allowed tokens until the value is complete (or an end token is drawn); after
/// `budget` steps it steers to completion (the allowed token leaving the fewest bytes to write).
/// With `checkMask`, a shadow constraint compares the trie-walk mask with per-token `allows`.
func randomWalk(
    _ spec: JSONConstraintSpec, trie: TokenTrie = walkTrie, end: Int32 = walkEnd, seed: UInt64,
    budget: Int = 300, cap: Int = 5000, checkMask: Bool = false
) -> Walk {
    var rng = SplitMix64(state: seed)
    let c = TokenConstraint(spec: spec, trie: trie, end: [end])
    let shadow = TokenConstraint(spec: spec, trie: trie, end: [end])
    var walk = Walk()
    while walk.steps < cap {
        if c.isComplete { walk.finished = true; break }
        let mask = c.allowedTokens()
        if checkMask {
            for id in 0..<mask.count where mask[id] != shadow.allows(Int32(id)) {
                walk.maskMismatches.append("step \(walk.steps) token \(id): mask \(mask[id]) after \(walk.text.debugDescription)")
            }
        }
        let allowed = mask.indices.filter { mask[$0] }.map(Int32.init)
        guard !allowed.isEmpty else { break }
        var token: Int32
        if walk.steps < budget {
            token = allowed[Int(rng.next() % UInt64(allowed.count))]
        } else if c.canEnd {
            token = end
        } else {
            var best = Int.max
            token = allowed[0]
            for t in allowed where t != end {
                if let r = c.minimumBytesToComplete(after: t), r < best { best = r; token = t }
            }
        }
        walk.steps += 1
        if token == end { walk.finished = c.accept(token); break }
        #expect(c.accept(token))
        if checkMask { shadow.accept(token) }
        walk.bytes += trie.tokenBytes[Int(token)]
    }
    return walk
}
