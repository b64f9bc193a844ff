// SchemaCompiler+Object: objects with declared properties, and keys that avoid declared names.
//
// Properties p1…pn in declared order, each required or optional, then extra members X:
//     first[i] — the rest of the object when nothing has been written yet
//     after[i] — the rest of the object after at least one member
//     first[i] = kv_i ws after[i+1]           | first[i+1]   (second branch only if p_i is optional)
//     after[i] = "," ws kv_i ws after[i+1]    | after[i+1]   (idem)
//     first[n] = (X ws ("," ws X ws)*)?       after[n] = ("," ws X ws)*      (ε without extras)
//     object   = "{" ws first[1] "}"          kv_i = "\"p_i\"" ws ":" ws value_i
// Linear in n, unlike enumerating every subset of the optional properties.
//
// Extra keys: a JSON string (no escapes, so every spelling of a name is its raw bytes) whose
// content is none of the declared names — a byte trie of the names where each node may end
// (unless it is a name) or leave the trie with any other byte that keeps UTF-8 well-formed.

import LoomJSON

extension SchemaCompiler {
    mutating func object(_ node: Node) -> Int {
        var declared: [(name: String, schema: JSONValue)] = []
        if node.has("properties") {
            guard case let .object(members)? = node["properties"] else {
                invalid.append("\(node.at("properties")) must be an object")
                return b.never()
            }
            for m in members {
                if let i = declared.firstIndex(where: { $0.name == m.key }) { declared.remove(at: i) }
                declared.append((m.key, m.value))
            }
        }
        var required: [String] = []
        if node.has("required") {
            guard case let .array(items)? = node["required"] else {
                invalid.append("\(node.at("required")) must be an array of strings")
                return b.never()
            }
            for case let .string(s) in items where !required.contains(s) { required.append(s) }
        }
        let additional = node["additionalProperties"]
        if declared.isEmpty && required.isEmpty && (additional == nil || additional == .bool(true)) {
            return b.anyObject()
        }
        // Values of extra members (nil: none allowed).
        var extraValue: Int?
        switch additional {
        case nil, .bool(false)?: extraValue = nil
        case let schema?: extraValue = value(schema, path: node.at("additionalProperties"))
        }
        var properties: [(name: String, value: Int, required: Bool)] = declared.map { p in
            (p.name, value(p.schema, path: "\(node.at("properties")).\(p.name)"), required.contains(p.name))
        }
        for name in required where !declared.contains(where: { $0.name == name }) {
            if case .bool(false)? = additional {
                invalid.append("\(node.at("required")) requires \"\(name)\", which additionalProperties: false forbids")
                return b.never()
            }
            properties.append((name, extraValue ?? b.anyValue(), true))
        }
        let w = Symbol.rule(b.ws())
        let comma = GrammarBuilder.literal(",")
        var first: Int, after: Int
        if let extraValue {
            let key = keyExcluding(properties.map(\.name))
            let member: Alternative = [.rule(key), w] + GrammarBuilder.literal(":") + [w, .rule(extraValue), w]
            first = b.list("extra", member)
            after = b.reserve("extra-after")
            b.define(after, [comma + [w] + member + [.rule(after)], []])
        } else {
            first = b.empty()
            after = first
        }
        for p in properties.reversed() {
            let kv: Alternative = GrammarBuilder.literal(JSONValue.quoted(p.name)) + [w]
                + GrammarBuilder.literal(":") + [w, .rule(p.value), w]
            var firstAlternatives: [Alternative] = [kv + [.rule(after)]]
            var afterAlternatives: [Alternative] = [comma + [w] + kv + [.rule(after)]]
            if !p.required {
                firstAlternatives.append([.rule(first)])
                afterAlternatives.append([.rule(after)])
            }
            first = b.rule("first \(p.name)", firstAlternatives)
            after = b.rule("after \(p.name)", afterAlternatives)
        }
        return b.rule("object", [GrammarBuilder.literal("{") + [w, .rule(first)] + GrammarBuilder.literal("}")])
    }

    /// A quoted key without escapes whose content is none of `names`.
    mutating func keyExcluding(_ names: [String]) -> Int {
        // Names a raw key can spell (no quote, backslash or control character).
        let spellable = names.map { Array($0.utf8) }.filter { n in
            !n.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        let free = b.repeated("key-free", [.rule(b.stringChar(escapes: false))], min: 0, max: nil)
        let body = notName(prefix: [], names: spellable, free: free)
        let quote = GrammarBuilder.literal("\"")
        return b.rule("key", [quote + [.rule(body)] + quote])
    }

    /// Content continuing `prefix` (a prefix of some names) that does not end as one of `names`.
    private mutating func notName(prefix: [UInt8], names: [[UInt8]], free: Int) -> Int {
        let depth = prefix.count
        var children: [UInt8: [[UInt8]]] = [:]
        var isName = false
        for n in names {
            if n.count == depth { isName = true } else { children[n[depth], default: []].append(n) }
        }
        var alternatives: [Alternative] = []
        var used = ByteSet()
        for (byte, group) in children.sorted(by: { $0.key < $1.key }) {
            used.insert(byte)
            alternatives.append([.bytes(ByteSet([byte])), .rule(notName(prefix: prefix + [byte], names: group, free: free))])
        }
        let pending = Self.pendingUTF8(prefix)
        if pending.isEmpty {
            if !isName { alternatives.append([]) }
            alternatives.append([.bytes(GrammarBuilder.plainASCII.subtracting(used)), .rule(free)])
            for sequence in GrammarBuilder.utf8Sequences {
                let lead = sequence[0].subtracting(used)
                if !lead.isEmpty { alternatives.append([.bytes(lead)] + sequence.dropFirst().map { .bytes($0) } + [.rule(free)]) }
            }
        } else {
            let next = pending[0].subtracting(used)
            if !next.isEmpty { alternatives.append([.bytes(next)] + pending.dropFirst().map { .bytes($0) } + [.rule(free)]) }
        }
        return b.rule("not-name", alternatives.filter { alt in
            alt.allSatisfy { if case let .bytes(s) = $0 { return !s.isEmpty } else { return true } }
        })
    }

    /// The byte classes still needed to finish the UTF-8 character `bytes` ends inside (empty at a boundary).
    static func pendingUTF8(_ bytes: [UInt8]) -> [ByteSet] {
        var i = bytes.count - 1
        while i >= 0 && GrammarBuilder.continuation.contains(bytes[i]) { i -= 1 }
        guard i >= 0, bytes[i] >= 0xC0 else { return [] }
        let written = bytes.count - i  // lead + continuations so far
        for sequence in GrammarBuilder.utf8Sequences where sequence[0].contains(bytes[i]) {
            return written < sequence.count ? Array(sequence[written...]) : []
        }
        return []
    }
}
