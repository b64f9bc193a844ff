// Python's str(), repr(), == and < for JinjaValue — what `{{ x }}`, `{{ [x] }}`, `==` and `sort`
// produce in Jinja. Strings compare by Unicode scalar values, as Python compares code points.

extension JinjaValue {
    /// Python `str(value)`; `undefined` renders as "".
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case let .string(s), let .markup(s): return s
        default: return pythonRepr
        }
    }

    /// Python `repr(value)`. A namespace met again inside itself prints as `<Namespace {...}>`, as
    /// Python's recursive-repr guard does, and nesting deeper than `reprDepthLimit` prints `...`
    /// (Python would raise RecursionError) — so a template can't overflow the stack through repr.
    var pythonRepr: String {
        var open: Set<ObjectIdentifier> = []
        return pythonRepr(depth: 0, open: &open)
    }

    /// How deep `pythonRepr` descends into arrays, objects and namespaces before printing `...`.
    static let reprDepthLimit = 256

    private func pythonRepr(depth: Int, open: inout Set<ObjectIdentifier>) -> String {
        func items(_ a: [JinjaValue]) -> String {
            a.map { $0.pythonRepr(depth: depth + 1, open: &open) }.joined(separator: ", ")
        }
        switch self {
        case .array, .tuple, .view, .object, .namespace:
            if depth >= Self.reprDepthLimit { return "..." }
        default: break
        }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return Self.pythonFloat(d)
        case let .string(s): return Self.pythonQuoted(s)
        case let .markup(s): return "Markup(" + Self.pythonQuoted(s) + ")"
        case let .array(a): return "[" + items(a) + "]"
        case let .tuple(a): return "(" + items(a) + (a.count == 1 ? ",)" : ")")
        case let .view(kind, a): return kind + "([" + items(a) + "])"
        case let .object(o):
            return "{" + o.entries.map {
                $0.key.pythonRepr(depth: depth + 1, open: &open) + ": " + $0.value.pythonRepr(depth: depth + 1, open: &open)
            }.joined(separator: ", ") + "}"
        case let .namespace(n):
            let id = ObjectIdentifier(n)
            guard open.insert(id).inserted else { return "<Namespace {...}>" }
            defer { open.remove(id) }
            return "<Namespace " + JinjaValue.object(n.attributes).pythonRepr(depth: depth + 1, open: &open) + ">"
        case let .callable(c): return "<function \(c.name)>"
        case let .iterator(g): return "<generator object \(g.name)>"
        }
    }

    /// Python's repr of a float: shortest round-trip digits, "1.0" for integral values.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return d.description
    }

    /// Python's repr of a string: single quotes unless the string contains ' and no ".
    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(c) == quote { out += "\\" + String(quote) }
                else if c.value < 0x20 || c.value == 0x7f { out += "\\x" + hex2(c.value) }
                else { out.unicodeScalars.append(c) }
            }
        }
        out.append(quote)
        return out
    }

    static func hex2(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return h.count < 2 ? "0" + h : h
    }

    /// Python `==`.
    func pythonEquals(_ other: JinjaValue) -> Bool {
        switch (self.plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)), let (.tuple(a), .tuple(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case let (.object(a), .object(b)):
            return a.count == b.count && a.entries.allSatisfy { p in
                DictKey(p.key).flatMap { b[dictKey: $0] }.map { p.value.pythonEquals($0) } ?? false
            }
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.callable(a), .callable(b)): return a === b
        default:
            if let x = number, let y = other.number { return x == y }
            return false
        }
    }

    /// Python `<`; throws TypeError-like errors for unorderable types.
    func pythonLess(_ other: JinjaValue) throws(TemplateError) -> Bool {
        switch (self.plain, other.plain) {
        case let (.string(a), .string(b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case let (.array(a), .array(b)), let (.tuple(a), .tuple(b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonLess(y) }
            return a.count < b.count
        default:
            if let x = number, let y = other.number { return x < y }
            throw TemplateError(.runtime, "'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }
}
