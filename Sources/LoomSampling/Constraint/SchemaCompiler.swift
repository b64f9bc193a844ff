// SchemaCompiler: JSON Schema (a JSONValue) → GrammarBuilder rules for the values it accepts.
//
// Every schema node compiles to one rule deriving a JSON value without surrounding whitespace.
// Keywords per node, in this order:
//   annotations ($schema $id title description examples default $comment readOnly writeOnly
//   deprecated) and containers ($defs definitions) are ignored; any keyword not listed in `known`
//   is unsupported (every one is collected with its path before the compile fails).
//   $ref    local JSON pointers ("#", "#/$defs/x", "#/definitions/x", …), one rule per target, so
//           recursive schemas work; other constraining keywords beside it → unsupported ($.…$ref).
//   allOf   only when trivial: at most one member that is not `true`/`{}`, no other constraints.
//   anyOf / oneOf   a union of the members; oneOf is treated as anyOf (as llama.cpp does), so
//           overlapping oneOf members can yield a value that matches two of them.
//   enum / const    the listed values (compact JSON), filtered by `type`.
//   type    one name or a list; absent → inferred from the keywords present:
//           properties/required/additionalProperties → object; items/prefixItems/additionalItems/
//           minItems/maxItems/uniqueItems → array; minLength/maxLength/format → string;
//           minimum/maximum/exclusive* → number; none of them → any value.
// Per-type keywords: SchemaCompiler+Types.swift and +Object.swift. Errors: `unsupported` first
// (all of them), then the first `invalid` message; Grammar.init adds the size, productivity and
// recursion checks.

import LoomJSON

/// Compiles a JSON Schema document into a Grammar.
struct SchemaCompiler {
    static let annotations: Set<String> = [
        "$schema", "$id", "title", "description", "examples", "default", "$comment", "readOnly",
        "writeOnly", "deprecated",
    ]
    static let containers: Set<String> = ["$defs", "definitions"]
    static let known: Set<String> = [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items",
        "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf",
        "allOf", "$ref", "format", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum",
    ]
    static let typeNames: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]

    let document: JSONValue
    var b = GrammarBuilder()
    var unsupported: [String] = []
    var invalid: [String] = []
    private var refs: [String: Int] = [:]

    init(document: JSONValue) {
        self.document = document
    }

    /// The grammar of the document's values, or every problem found.
    mutating func compile() throws(ConstraintError) -> Grammar {
        let root = value(document, path: "$")
        if !unsupported.isEmpty {
            // A node reached twice (inline and through a $ref to it) reports once.
            var seen = Set<String>()
            throw .unsupported(keywords: unsupported.filter { seen.insert($0).inserted })
        }
        if let first = invalid.first { throw .invalidSchema(first) }
        return try Grammar(b, root: root)
    }

    /// The rule for the values `schema` accepts.
    mutating func value(_ schema: JSONValue, path: String) -> Int {
        let members: [JSONValue.Member]
        switch schema {
        case .bool(true): return b.anyValue()
        case .bool(false): return b.never()
        case let .object(m): members = m
        default:
            invalid.append("\(path) must be a schema (an object or a boolean)")
            return b.never()
        }
        var constraining: [String] = []
        for m in members where !Self.annotations.contains(m.key) && !Self.containers.contains(m.key) {
            if Self.known.contains(m.key) {
                if !constraining.contains(m.key) { constraining.append(m.key) }
            } else {
                unsupported.append("\(path).\(m.key)")
            }
        }
        let node = Node(schema: schema, path: path, keys: Set(constraining))
        if node.has("$ref") { return reference(node) }
        if node.has("allOf") { return allOf(node) }
        if node.has("anyOf") || node.has("oneOf") { return anyOf(node) }
        if node.has("enum") || node.has("const") { return enumeration(node) }
        guard let types = types(node) else { return b.anyValue() }
        return b.union("types", types.map { typed($0, node) })
    }

    /// One schema object being compiled: its keywords and path.
    struct Node {
        let schema: JSONValue
        let path: String
        /// The constraining keywords present.
        let keys: Set<String>

        func has(_ key: String) -> Bool { keys.contains(key) }
        subscript(_ key: String) -> JSONValue? { schema[key] }
        func at(_ key: String) -> String { "\(path).\(key)" }
    }

    private mutating func reference(_ node: Node) -> Int {
        guard node.keys == ["$ref"] else {
            unsupported.append(node.at("$ref"))
            return b.never()
        }
        guard case let .string(pointer)? = node["$ref"] else {
            invalid.append("\(node.at("$ref")) must be a string")
            return b.never()
        }
        if let id = refs[pointer] { return id }
        guard pointer.hasPrefix("#"), pointer == "#" || pointer.hasPrefix("#/") else {
            unsupported.append(node.at("$ref"))  // remote references and anchors
            return b.never()
        }
        guard let (target, path) = resolve(pointer) else {
            invalid.append("\(node.at("$ref")) points to \(pointer), which does not exist")
            return b.never()
        }
        let id = b.reserve("ref \(pointer)")
        refs[pointer] = id
        let body = value(target, path: path)
        b.define(id, [[.rule(body)]])
        return id
    }

    /// The value at a local JSON pointer ("#/a/b~1c/0") and its path ("$.a.b/c[0]").
    private func resolve(_ pointer: String) -> (JSONValue, String)? {
        var current = document
        var path = "$"
        let tokens = pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for raw in tokens {
            let token = raw.removingPercentEncodingIfPossible.replacing("~1", with: "/").replacing("~0", with: "~")
            switch current {
            case .object:
                guard let next = current[token] else { return nil }
                current = next
                path += ".\(token)"
            case let .array(items):
                guard let i = Int(token), i >= 0, i < items.count else { return nil }
                current = items[i]
                path += "[\(i)]"
            default:
                return nil
            }
        }
        return (current, path)
    }

    /// A schema that constrains nothing: `true`, or an object with annotations only.
    private func isTrivial(_ schema: JSONValue) -> Bool {
        switch schema {
        case .bool(true): return true
        case let .object(members): return members.allSatisfy { Self.annotations.contains($0.key) }
        default: return false
        }
    }

    private mutating func allOf(_ node: Node) -> Int {
        guard case let .array(items)? = node["allOf"], !items.isEmpty else {
            invalid.append("\(node.at("allOf")) must be a non-empty array")
            return b.never()
        }
        let real = items.enumerated().filter { !isTrivial($0.element) }
        guard node.keys == ["allOf"], real.count <= 1 else {
            unsupported.append(node.at("allOf"))
            return b.never()
        }
        guard let (i, only) = real.first else { return b.anyValue() }
        return value(only, path: "\(node.at("allOf"))[\(i)]")
    }

    private mutating func anyOf(_ node: Node) -> Int {
        let key = node.has("anyOf") ? "anyOf" : "oneOf"
        guard node.keys == [key] else {
            unsupported.append(node.at(node.has("oneOf") ? "oneOf" : "anyOf"))
            return b.never()
        }
        guard case let .array(items)? = node[key], !items.isEmpty else {
            invalid.append("\(node.at(key)) must be a non-empty array")
            return b.never()
        }
        let members = items.enumerated().map { value($0.element, path: "\(node.at(key))[\($0.offset)]") }
        return b.union(key, members)
    }

    private mutating func enumeration(_ node: Node) -> Int {
        guard node.keys.subtracting(["enum", "const", "type"]).isEmpty else {
            unsupported.append(node.at(node.has("enum") ? "enum" : "const"))
            return b.never()
        }
        var values: [JSONValue]
        if node.has("enum") {
            guard case let .array(items)? = node["enum"] else {
                invalid.append("\(node.at("enum")) must be an array")
                return b.never()
            }
            values = items
        } else {
            values = node["const"].map { [$0] } ?? []
        }
        if node.has("enum"), node.has("const"), let c = node["const"] {
            values = values.filter { $0 == c }
        }
        if let types = types(node) {
            values = values.filter { Self.value($0, hasOneOf: types) }
        }
        if values.isEmpty {
            invalid.append("\(node.at(node.has("enum") ? "enum" : "const")) allows no value")
            return b.never()
        }
        return b.rule("enum", values.map { GrammarBuilder.literal($0.serialized()) })
    }

    /// Whether `v` is an instance of one of the JSON Schema type names.
    static func value(_ v: JSONValue, hasOneOf types: [String]) -> Bool {
        switch v {
        case .null: return types.contains("null")
        case .bool: return types.contains("boolean")
        case .string: return types.contains("string")
        case .array: return types.contains("array")
        case .object: return types.contains("object")
        case let .number(text):
            if types.contains("number") { return true }
            return types.contains("integer") && DecimalText(text)?.isIntegral == true
        }
    }

    /// The type names `node` allows (explicit or inferred), or nil for any value.
    private mutating func types(_ node: Node) -> [String]? {
        if let t = node["type"] {
            var names: [String] = []
            switch t {
            case let .string(s): names = [s]
            case let .array(items):
                for case let .string(s) in items { names.append(s) }
                if names.count != items.count { invalid.append("\(node.at("type")) must list type names") }
            default: invalid.append("\(node.at("type")) must be a string or an array of strings")
            }
            for n in names where !Self.typeNames.contains(n) {
                invalid.append("\(node.at("type")) names an unknown type \"\(n)\"")
            }
            if names.isEmpty { invalid.append("\(node.at("type")) allows no type") }
            return names.filter { Self.typeNames.contains($0) }
        }
        var inferred: [String] = []
        let families: [(String, [String])] = [
            ("object", ["properties", "required", "additionalProperties"]),
            ("array", ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems"]),
            ("string", ["minLength", "maxLength", "format"]),
            ("number", ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
        ]
        for (type, keys) in families where keys.contains(where: node.has) { inferred.append(type) }
        return inferred.isEmpty ? nil : inferred
    }

    /// The rule for one type under `node`'s keywords.
    private mutating func typed(_ type: String, _ node: Node) -> Int {
        switch type {
        case "null": return b.null()
        case "boolean": return b.boolean()
        case "integer": return integer(node)
        case "number": return number(node)
        case "string": return string(node)
        case "array": return array(node)
        default: return object(node)
        }
    }
}

extension Substring {
    /// Percent-decoded text when it decodes as UTF-8, else the text unchanged.
    var removingPercentEncodingIfPossible: String {
        guard contains("%") else { return String(self) }
        var bytes: [UInt8] = []
        var i = utf8.startIndex
        let u = utf8
        while i < u.endIndex {
            let c = u[i]
            if c == UInt8(ascii: "%"), let h1 = u.index(i, offsetBy: 1, limitedBy: u.endIndex), h1 < u.endIndex,
               let h2 = u.index(i, offsetBy: 2, limitedBy: u.endIndex), h2 < u.endIndex,
               let v = UInt8(String(decoding: [u[h1], u[h2]], as: UTF8.self), radix: 16) {
                bytes.append(v)
                i = u.index(i, offsetBy: 3)
            } else {
                bytes.append(c)
                i = u.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? String(self)
    }
}
