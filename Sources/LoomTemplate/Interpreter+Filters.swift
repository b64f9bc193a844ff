// Filters: jinja2's builtin filters that chat templates use, plus Hugging Face's `tojson`
// (json.dumps with ensure_ascii=False, indent, separators, sort_keys). `map`, `select`, `reject`,
// `selectattr`, `rejectattr`, `unique` and `items` return one-pass iterators, as jinja2's
// generators, so `| map(...) | tojson` fails exactly where jinja2 fails. Unknown filters fail when
// they run (jinja2 ≥ 3.0 defers them too when inside a branch).

extension Interpreter {
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: Arguments) throws(TemplateError) -> JinjaValue {
        func arg(_ i: Int, _ n: String) -> JinjaValue? { args.value(i, n) }
        switch name {
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "tojson":
            let indent = arg(1, "indent").flatMap(\.integer)
            var itemSep: String?, keySep: String?
            if let separators = arg(2, "separators"), case let .array(seps) = separators.listLike, seps.count == 2 {
                itemSep = seps[0].pythonString
                keySep = seps[1].pythonString
            }
            if let indent, indent > 0 {   // each of the lines gets up to depth × indent spaces
                let (lines, depth) = value.jsonShape()
                try Self.ensure(bytes: Self.size(Self.size(lines, times: depth), times: indent))
            }
            return .string(try value.toJSON(indent: indent, sortKeys: arg(3, "sort_keys")?.isTruthy ?? false,
                                            itemSeparator: itemSep, keySeparator: keySep,
                                            ensureASCII: arg(0, "ensure_ascii")?.isTruthy ?? false))
        case "length", "count":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .array(a), let .tuple(a), let .view(_, a): return .int(a.count)
            case let .object(o): return .int(o.count)
            case .undefined: return .int(0)
            default: throw error("object of type '\(value.typeName)' has no len()")
            }
        case "list": return .array(try iterate(value))
        case "first":
            if case let .iterator(g) = value { return g.next() ?? .undefined }
            return try iterate(value).first ?? .undefined
        case "last":
            if case .iterator = value { throw error("'generator' object is not reversible") }
            return try iterate(value).last ?? .undefined
        case "join":
            var items = try iterate(value)
            if let attribute = arg(1, "attribute") { items = try items.map { v throws(TemplateError) in try attributePath(v, attribute) } }
            let parts = items.map(\.pythonString), separator = arg(0, "d")?.pythonString ?? ""
            try Self.ensure(bytes: Self.size(parts.count - 1, times: separator.utf8.count, plus: parts.reduce(0) { $0 + $1.utf8.count }))
            return .string(parts.joined(separator: separator))
        case "string": return .string(value.pythonString)
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "title": return .string(Self.jinjaTitle(value.pythonString))
        case "capitalize": return .string(Builtins.capitalize(value.pythonString))
        case "trim": return .string(Builtins.strip(value.pythonString, arg(0, "chars"), leading: true, trailing: true))
        case "replace":
            let count = arg(2, "count")?.integer ?? -1
            return .string(try Builtins.replace(value.pythonString, arg(0, "old")?.pythonString ?? "", arg(1, "new")?.pythonString ?? "", count: count))
        case "indent": return .string(try Self.indent(value.pythonString, width: arg(0, "width") ?? .int(4),
                                                  first: arg(1, "first")?.isTruthy ?? false, blank: arg(2, "blank")?.isTruthy ?? false))
        case "int":
            switch value {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d) where d.isFinite: return .int(Int(d.rounded(.towardZero)))
            case let .string(s):
                let t = Builtins.strip(s, nil, leading: true, trailing: true)
                if let i = Int(t, radix: arg(1, "base")?.integer ?? 10) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(Int(d.rounded(.towardZero))) }
                return arg(0, "default") ?? .int(0)
            default: return arg(0, "default") ?? .int(0)
            }
        case "float":
            if let n = value.number { return .double(n) }
            if case let .string(s) = value, let d = Double(Builtins.strip(s, nil, leading: true, trailing: true)) { return .double(d) }
            return arg(0, "default") ?? .double(0)
        case "abs":
            switch value {
            case let .int(i): return .int(abs(i))
            case let .double(d): return .double(abs(d))
            case let .bool(b): return .int(b ? 1 : 0)
            default: throw error("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let d = value.number else { throw error("round of a non-number") }
            let precision = arg(0, "precision")?.integer ?? 0
            var scale = 1.0
            for _ in 0..<max(0, precision) { scale *= 10 }
            let method = arg(1, "method")?.pythonString ?? "common"
            switch method {
            case "common":
                // Python's round(): halves to even; an int stays an int.
                if case .int = value { return value }
                return .double((d * scale).rounded(.toNearestOrEven) / scale)
            case "ceil", "floor":
                return .double((d * scale).rounded(method == "ceil" ? .up : .down) / scale)
            default:
                throw error("method must be common, ceil or floor")
            }
        case "items":
            guard case let .object(o) = value else {
                if value.isUndefined { return .iterator(JinjaIterator("items", [])) }
                throw error("'\(value.typeName)' object has no attribute 'items'")
            }
            return .iterator(JinjaIterator("items", o.entries.map { .tuple([$0.key, $0.value]) }))
        case "keys":
            guard case let .object(o) = value else { throw error("'\(value.typeName)' object has no attribute 'keys'") }
            return .array(o.entries.map(\.key))
        case "values":
            guard case let .object(o) = value else { throw error("'\(value.typeName)' object has no attribute 'values'") }
            return .array(o.pairs.map(\.value))
        case "dictsort":
            guard case let .object(o) = value else { throw error("dictsort expects a dict") }
            let byValue = arg(1, "by")?.pythonString == "value"
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            var pairs = o.entries.map { JinjaValue.tuple([$0.key, $0.value]) }
            try sortValues(&pairs, key: { v throws(TemplateError) in
                guard case let .tuple(kv) = v else { return v }
                return Self.caseKey(kv[byValue ? 1 : 0], caseSensitive)
            })
            if arg(2, "reverse")?.isTruthy ?? false { pairs.reverse() }
            return .array(pairs)
        case "sort":
            var items = try iterate(value)
            let caseSensitive = arg(1, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(2, "attribute")
            try sortValues(&items, key: { v throws(TemplateError) in
                Self.caseKey(try attribute.map { a throws(TemplateError) in try attributePath(v, a) } ?? v, caseSensitive)
            })
            if arg(0, "reverse")?.isTruthy ?? false { items.reverse() }
            return .array(items)
        case "reverse":
            if case let .string(s) = value { return .string(String(s.reversed())) }
            return .array(try iterate(value).reversed())
        case "unique":
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(1, "attribute")
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for v in try iterate(value) {
                let k = Self.caseKey(try attribute.map { a throws(TemplateError) in try attributePath(v, a) } ?? v, caseSensitive)
                if !seen.contains(where: { $0.pythonEquals(k) }) { seen.append(k); out.append(v) }
            }
            return .iterator(JinjaIterator("unique", out))
        case "map":
            let items = value.isTruthy ? try iterate(value) : []
            if let attribute = arg(-1, "attribute") {
                let fallback = arg(-1, "default")
                return .iterator(JinjaIterator("map", try items.map { v throws(TemplateError) in
                    let r = try attributePath(v, attribute)
                    return r.isUndefined ? (fallback ?? r) : r
                }))
            }
            guard let filterName = args.positional.first?.pythonString else { return .iterator(JinjaIterator("map", items)) }
            let rest = Arguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .iterator(JinjaIterator("map", try items.map { v throws(TemplateError) in try applyFilter(filterName, v, rest) }))
        case "select", "reject":
            let keep = name == "select"
            let items = value.isTruthy ? try iterate(value) : []
            let testName = args.positional.first?.pythonString
            let rest = Arguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            var kept: [JinjaValue] = []
            for v in items where (try testName.map { t throws(TemplateError) in try applyTest(t, v, rest) } ?? v.isTruthy) == keep {
                kept.append(v)
            }
            return .iterator(JinjaIterator(name, kept))
        case "selectattr", "rejectattr":
            let keep = name == "selectattr"
            let items = value.isTruthy ? try iterate(value) : []
            guard let attribute = args.positional.first else { throw error("\(name) needs an attribute") }
            let testName = args.positional.count > 1 ? args.positional[1].pythonString : nil
            let rest = Arguments(positional: Array(args.positional.dropFirst(2)), keyword: args.keyword)
            var kept: [JinjaValue] = []
            for v in items {
                let a = try attributePath(v, attribute)
                if (try testName.map { t throws(TemplateError) in try applyTest(t, a, rest) } ?? a.isTruthy) == keep { kept.append(v) }
            }
            return .iterator(JinjaIterator(name, kept))
        case "sum":
            var total = arg(1, "start") ?? .int(0)
            for v in try iterate(value) {
                total = try binary("+", total, try arg(0, "attribute").map { a throws(TemplateError) in try attributePath(v, a) } ?? v)
            }
            return total
        case "min", "max":
            var items = try iterate(value)
            guard !items.isEmpty else { return .undefined }
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(1, "attribute")
            try sortValues(&items, key: { v throws(TemplateError) in
                Self.caseKey(try attribute.map { a throws(TemplateError) in try attributePath(v, a) } ?? v, caseSensitive)
            })
            return name == "min" ? items[0] : items[items.count - 1]
        case "attr": return try attribute(of: value, arg(0, "name")?.pythonString ?? "")
        case "format": return .string(try Builtins.percentFormat(value.pythonString, .tuple(args.positional)))
        case "center":
            let width = arg(0, "width")?.integer ?? 80
            let s = value.pythonString
            let n = max(0, width - s.count)
            try Self.ensure(bytes: Self.size(n, times: 1, plus: s.utf8.count))
            let left = n / 2 + (n & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: n - left))
        case "wordcount": return .int(Builtins.split(value.pythonString, nil, -1).count)
        case "truncate": return .string(Self.truncate(value.pythonString, args))
        case "safe": return .markup(value.pythonString)
        case "escape", "e", "forceescape":
            if case .markup = value, name != "forceescape" { return value }
            return .markup(Self.htmlEscaped(value.pythonString))
        case "batch":
            let size = max(1, arg(0, "linecount")?.integer ?? 1)
            let items = try iterate(value)
            if arg(1, "fill_with") != nil { try Self.ensure(items: Self.size(items.count, times: 1, plus: size)) }
            var out: [JinjaValue] = []
            var i = 0
            while i < items.count {
                var chunk = Array(items[i..<min(i + size, items.count)])
                if let fill = arg(1, "fill_with"), chunk.count < size { chunk += Array(repeating: fill, count: size - chunk.count) }
                out.append(.array(chunk))
                i += size
            }
            return .array(out)
        default:
            throw error("no filter named '\(name)'")
        }
    }

    /// `item.a.b` for a filter's `attribute=` argument (dotted; integer parts index lists).
    func attributePath(_ v: JinjaValue, _ attribute: JinjaValue) throws(TemplateError) -> JinjaValue {
        if let i = attribute.integer { return try item(of: v, .int(i)) }
        let path = attribute.pythonString
        let keys: [JinjaValue]
        if let cached = attributeKeys, cached.path == path { keys = cached.keys } else {
            // Split once per filter call, not once per item (a filter over a million items).
            keys = path.split(separator: ".").map { part in Int(part).map { .int($0) } ?? .string(String(part)) }
            attributeKeys = (path, keys)
        }
        var current = v
        for key in keys { current = try item(of: current, key) }
        return current
    }

    /// Stable sort by a key with Python ordering.
    func sortValues(_ items: inout [JinjaValue], key: (JinjaValue) throws(TemplateError) -> JinjaValue) throws(TemplateError) {
        var keyed: [(JinjaValue, JinjaValue, Int)] = []
        for (i, v) in items.enumerated() { keyed.append((try key(v), v, i)) }
        var failure: TemplateError?
        keyed.sort { a, b in
            do {
                if try a.0.pythonLess(b.0) { return true }
                if try b.0.pythonLess(a.0) { return false }
            } catch let e as TemplateError { failure = e } catch {}
            return a.2 < b.2
        }
        if let failure { throw failure }
        items = keyed.map(\.1)
    }

    /// jinja2's `title` filter: words start after "-", whitespace, "(", "{", "[" or "<" (not "_",
    /// unlike str.title()).
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s {
            let boundary = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || c.unicodeScalars.allSatisfy(Builtins.isSpace)
            if boundary {
                out.append(c)
                atWordStart = true
            } else {
                out += atWordStart ? c.uppercased() : c.lowercased()
                atWordStart = false
            }
        }
        return out
    }

    static func caseKey(_ v: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case let .string(s) = v { return .string(s.lowercased()) }
        return v
    }

    /// jinja2's `indent` filter (3.x): indents all lines but the first (unless `first`), skipping
    /// blank lines (unless `blank`).
    static func indent(_ s: String, width: JinjaValue, first: Bool, blank: Bool) throws(TemplateError) -> String {
        let indention: String
        if case let .string(w) = width { indention = w } else {
            try ensure(bytes: size(width.integer ?? 4, times: 1))
            indention = String(repeating: " ", count: max(0, width.integer ?? 4))
        }
        let lines = s.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }   // at least the lines splitlines finds at \n
        try ensure(bytes: size(lines + 1, times: indention.utf8.count, plus: s.utf8.count))
        let text = s + "\n"
        var rv: String
        if blank {
            rv = Builtins.splitlines(text).joined(separator: "\n" + indention)
        } else {
            var lines = Builtins.splitlines(text)
            rv = lines.isEmpty ? "" : lines.removeFirst()
            if !lines.isEmpty { rv += "\n" + lines.map { $0.isEmpty ? $0 : indention + $0 }.joined(separator: "\n") }
        }
        return first ? indention + rv : rv
    }

    static func truncate(_ s: String, _ args: Arguments) -> String {
        let length = args.value(0, "length")?.integer ?? 255
        let killwords = args.value(1, "killwords")?.isTruthy ?? false
        let end = args.value(2, "end")?.pythonString ?? "..."
        let leeway = args.value(3, "leeway")?.integer ?? 5
        guard s.count > length + leeway else { return s }
        if killwords { return String(s.prefix(length - end.count)) + end }
        var result = String(s.prefix(length - end.count))
        if let space = result.lastIndex(of: " ") { result = String(result[..<space]) }
        return result + end
    }

    static func htmlEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
