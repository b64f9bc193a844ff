// format:"json" (JSONConstraintSpec.anyJSON) byte by byte: RFC 8259 syntax, the object at the top
// level, bounded whitespace, UTF-8 validity across token boundaries, completion and end tokens,
// and the trie-walk mask against per-token `allows`.

import Foundation
import Testing
@testable import LoomSampling

@Suite("Constraint grammar: format json")
struct ConstraintGrammarTests {
    let json = JSONConstraintSpec.anyJSON()

    static let valid = [
        "{}", "{ }", "{\"a\":1}", "{\"a\": [1, -2.5e+10, 0.0, -0, 1E5, true, false, null]}",
        "{\"a\":{\"b\":{\"c\":[]}},\"d\":\"\"}", "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
        "{\"é\":\"€😀\u{7F}\"}", "{\n  \"a\": 1,\n  \"b\": [\n\t\t1\n  ]\n}", "{\"a\" : 1 , \"b\" :2}",
        "{\"n\":1234567890123456,\"f\":0.1234567890123456,\"e\":1e-99}",
    ]

    @Test("valid objects are accepted byte by byte and complete exactly at their last byte", arguments: valid)
    func acceptsValid(text: String) {
        let c = byteConstraint(json)
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() {
            #expect(!c.isComplete, "complete before byte \(i)")
            #expect(c.allows(Int32(b)) && c.accept(Int32(b)), "byte \(i) of \(text.debugDescription)")
        }
        #expect(c.isComplete && c.canEnd)
        let mask = c.allowedTokens()
        #expect(mask.indices.filter { mask[$0] } == [Int(byteEnd)], "only the end token after the value")
        #expect(c.accept(byteEnd))
        #expect(!c.accept(byteEnd) && !c.allows(byteEnd), "nothing after the end token")
    }

    @Test("valid objects are accepted in random token splits, and the mask agrees", arguments: valid)
    func acceptsSplits(text: String) {
        for seed in 0..<5 as Range<UInt64> {
            let chunks = randomChunks(text, seed: seed)
            let vocabulary = Array(Set(chunks)).sorted { $0.lexicographicallyPrecedes($1) } + [[]]
            let c = TokenConstraint(spec: json, tokenBytes: vocabulary, end: [Int32(vocabulary.count - 1)])
            for chunk in chunks {
                let id = Int32(vocabulary.firstIndex(of: chunk) ?? 0)
                #expect(c.allowedTokens()[Int(id)], "mask rejects \(chunk) in \(text.debugDescription)")
                #expect(c.accept(id))
            }
            #expect(c.isComplete)
        }
    }

    static let invalid: [(String, [UInt8], Int)] = [
        ("array at top level", Array("[1]".utf8), 0),
        ("leading whitespace", Array(" {}".utf8), 0),
        ("leading zero", Array("{\"a\":01}".utf8), 6),
        ("trailing comma", Array("{\"a\":1,}".utf8), 7),
        ("missing colon", Array("{\"a\" 1}".utf8), 5),
        ("bad literal", Array("{\"a\":tru}".utf8), 8),
        ("raw control character", Array("{\"a\":\"".utf8) + [0x01], 6),
        ("bad escape", Array("{\"a\":\"\\q\"}".utf8), 7),
        ("lone high surrogate", Array("{\"a\":\"\\ud800\"}".utf8), 12),
        ("lone low surrogate", Array("{\"a\":\"\\udc00\"}".utf8), 9),
        ("fraction without digits", Array("{\"a\":1.}".utf8), 7),
        ("exponent without digits", Array("{\"a\":1e}".utf8), 7),
        ("minus alone", Array("{\"a\":-}".utf8), 6),
        ("content after the value", Array("{}}".utf8), 2),
        ("whitespace after the value", Array("{} ".utf8), 2),
        ("single quotes", Array("{'a':1}".utf8), 1),
        ("overlong UTF-8", Array("{\"a\":\"".utf8) + [0xC0, 0x80], 6),
        ("E0 overlong", Array("{\"a\":\"".utf8) + [0xE0, 0x80], 7),
        ("UTF-8 surrogate", Array("{\"a\":\"".utf8) + [0xED, 0xA0], 7),
        ("above U+10FFFF", Array("{\"a\":\"".utf8) + [0xF4, 0x90], 7),
        ("F5 lead byte", Array("{\"a\":\"".utf8) + [0xF5], 6),
        ("truncated sequence", Array("{\"a\":\"".utf8) + [0xE2, 0x82, 0x22], 8),
        ("continuation without lead", Array("{\"a\":\"".utf8) + [0x80], 6),
        ("17 integer digits", Array("{\"a\":12345678901234567".utf8), 21),
        ("3 exponent digits", Array("{\"a\":1e123".utf8), 9),
        ("two gaps of whitespace", Array("{  }".utf8), 2),
        ("two newlines", Array("{\n\n}".utf8), 2),
        ("21 indentation characters", Array("{\n".utf8) + Array(repeating: 0x20, count: 21), 22),
        ("tab without newline", Array("{\t}".utf8), 1),
        ("carriage return", Array("{\r\n}".utf8), 1),
    ]

    @Test("invalid documents are rejected at the right byte", arguments: invalid)
    func rejectsInvalid(name: String, bytes: [UInt8], offset: Int) {
        #expect(firstRejected(json, bytes) == offset, "\(name)")
    }

    @Test("whitespace: one newline with up to 20 spaces or tabs, or one space, per gap")
    func whitespaceBound() {
        let indent20 = "{\n" + String(repeating: " ", count: 10) + String(repeating: "\t", count: 10) + "\"a\":1}"
        #expect(matches(json, indent20))
        #expect(matches(json, "{\"a\":\n1}") && matches(json, "{\"a\" :\n 1 }"))
        #expect(!matches(json, "{\"a\":  1}"))
    }

    @Test("a multi-byte character split across tokens stays well-formed")
    func utf8Splits() throws {
        let vocabulary: [[UInt8]] = [Array("{\"a\":\"".utf8), [0xE2], [0x82, 0xAC], [0x82], [0xAC, 0x22, 0x7D], [0x41], [0x22, 0x7D], []]
        let c = TokenConstraint(spec: json, tokenBytes: vocabulary, end: [7])
        #expect(c.accept(0) && c.accept(1))
        let mask = c.allowedTokens()
        #expect(mask == [false, false, true, true, false, false, false, false], "only continuations after E2")
        #expect(!c.allows(5) && !c.allows(6))
        #expect(c.accept(3))  // E2 82: one continuation byte still due
        #expect(c.allowedTokens() == [false, false, false, true, true, false, false, false])
        #expect(c.accept(4) && c.isComplete && c.allows(7))  // AC closes U+20A2, then "}
        let d = TokenConstraint(spec: json, tokenBytes: vocabulary, end: [7])
        #expect(d.accept(0) && d.accept(1) && d.accept(2))  // E2 | 82 AC = "€"
        #expect(d.allowedTokens() == [false, true, false, false, false, true, true, false], "a character is done")
    }

    @Test("tokens out of range and control tokens are never allowed; end only when complete")
    func controlTokens() {
        let c = byteConstraint(json)
        #expect(!c.allows(-1) && !c.allows(257) && !c.accept(9999))
        #expect(!c.allows(byteEnd) && !c.accept(byteEnd))
        let mask = c.allowedTokens()
        #expect(mask.indices.filter { mask[$0] } == [Int(UInt8(ascii: "{"))])
        let empty = TokenConstraint(spec: json, tokenBytes: [[], Array("{}".utf8)], end: [])
        #expect(!empty.allows(0) && empty.allows(1) && empty.accept(1) && empty.isComplete)
        #expect(empty.allowedTokens() == [false, false])
    }

    @Test("a rejected token leaves the state unchanged")
    func rejectKeepsState() {
        let c = byteConstraint(json)
        #expect(c.accept(Int32(UInt8(ascii: "{"))))
        #expect(!c.accept(Int32(UInt8(ascii: "x"))))
        #expect(c.accept(Int32(UInt8(ascii: "}"))) && c.isComplete)
    }

    @Test("random walks over allowed tokens end in parseable JSON; mask == allows at every step",
          arguments: 0..<12 as Range<UInt64>)
    func randomWalks(seed: UInt64) throws {
        let walk = randomWalk(json, seed: seed, budget: 150, checkMask: seed < 4)
        #expect(walk.finished, "walk \(seed) did not finish in \(walk.steps) steps")
        #expect(walk.maskMismatches.isEmpty, "\(walk.maskMismatches.prefix(5))")
        let parsed = try? JSONSerialization.jsonObject(with: Data(walk.bytes))
        #expect(parsed is [String: Any], "not a JSON object: \(walk.text.debugDescription)")
    }
}
