// fuzz-schema: any bytes as a `format` JSON Schema → JSONConstraintSpec(schemaJSON:) → a compiled
// grammar or a typed ConstraintError (never a crash, hang or runaway grammar). A compiled schema
// then drives a TokenConstraint over a small vocabulary (the 256 bytes, a few multi-byte tokens, an
// end id): a few chosen steps, then the shortest completion. Checks: the mask is never empty unless
// the value may end; `allows` agrees with the mask; accepting an allowed token succeeds; a value
// that may end is valid JSON (LoomJSON's strict parser).
// Seeds: Fuzz/Corpus/schema (schemas from the constrained-decoding tests and Ollama's docs).

import FuzzSupport
import LoomJSON
import LoomSampling

let multiByte: [[UInt8]] = ["{\"", "\":", "\":\"", "\",\"", "\"}", "true", "false", "null", "[]", "{}", ", ", "\n  ", "12", "-0.5e3", "\\u00e9", "é", "🙂"]
    .map { Array($0.utf8) }
let tokenBytes: [[UInt8]] = (0...255).map { [UInt8($0)] } + multiByte + [[]]
let endToken = Int32(tokenBytes.count - 1)
let trie = TokenTrie(tokenBytes: tokenBytes)

Fuzz.run { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let spec = try? JSONConstraintSpec(schemaJSON: text) else { return }
    let constraint = TokenConstraint(spec: spec, trie: trie, end: [endToken])
    var output: [UInt8] = []
    var seed = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
    for step in 0..<64 {
        if constraint.isComplete { break }
        let mask = constraint.allowedTokens()
        let allowed = mask.indices.filter { mask[$0] }
        Fuzz.check(!allowed.isEmpty || constraint.canEnd, "dead end after \(output) for schema \(text.debugDescription)")
        Fuzz.check(mask[Int(endToken)] == constraint.canEnd, "end token allowed \(mask[Int(endToken)]) but canEnd \(constraint.canEnd)")
        let content = allowed.filter { $0 != Int(endToken) }
        if content.isEmpty { break }
        let choice: Int
        if step < 12 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            choice = content[Int(seed >> 33) % content.count]
        } else {
            if constraint.canEnd || constraint.minimumBytesToComplete > 48 { break }
            choice = content.min { (constraint.minimumBytesToComplete(after: Int32($0)) ?? .max) < (constraint.minimumBytesToComplete(after: Int32($1)) ?? .max) } ?? content[0]
        }
        Fuzz.check(constraint.allows(Int32(choice)), "allows(\(choice)) disagrees with the mask")
        Fuzz.check(constraint.accept(Int32(choice)), "accept(\(choice)) of an allowed token failed")
        output += tokenBytes[choice]
    }
    if constraint.canEnd {
        Fuzz.check((try? JSONValue.parse(output)) != nil,
                   "constrained output is not JSON: \(String(decoding: output, as: UTF8.self).debugDescription) for schema \(text.debugDescription)")
    }
}
