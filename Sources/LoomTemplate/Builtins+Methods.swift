// Methods templates call on values: Python's str methods, dict.get/items/keys/values, list
// index/count. Methods that would modify a list or dict raise, as in Hugging Face's
// ImmutableSandboxedEnvironment.

extension Builtins {
    static let mutatingMethods: [String: Set<String>] = [
        "list": ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"],
        "dict": ["update", "pop", "popitem", "setdefault", "clear"],
    ]

    /// The bound method `name` of `value`, or nil when it has none.
    static func method(of value: JinjaValue, _ name: String) -> Callable? {
        if let mutating = mutatingMethods[value.typeName], mutating.contains(name) {
            return Callable(name) { _, _ throws(TemplateError) in
                throw TemplateError(.runtime, "access to attribute '\(name)' of '\(value.typeName)' object is unsafe (templates cannot modify values)")
            }
        }
        switch value {
        case let .string(s): return stringMethod(s, name)
        case let .object(o): return dictMethod(o, name)
        case let .array(a), let .tuple(a): return listMethod(a, name)
        default: return nil
        }
    }

    static func dictMethod(_ o: JinjaObject, _ name: String) -> Callable? {
        switch name {
        case "get":
            return Callable(name) { args, _ throws(TemplateError) in
                guard let key = args.value(0, "key") else { throw TemplateError(.runtime, "get expected at least 1 argument") }
                return DictKey(key).flatMap { o[dictKey: $0] } ?? args.value(1, "default") ?? .none
            }
        case "items": return Callable(name) { _, _ throws(TemplateError) in .view("dict_items", o.entries.map { .tuple([$0.key, $0.value]) }) }
        case "keys": return Callable(name) { _, _ throws(TemplateError) in .view("dict_keys", o.entries.map(\.key)) }
        case "values": return Callable(name) { _, _ throws(TemplateError) in .view("dict_values", o.pairs.map(\.value)) }
        case "copy": return Callable(name) { _, _ throws(TemplateError) in .object(o) }
        default: return nil
        }
    }

    static func listMethod(_ a: [JinjaValue], _ name: String) -> Callable? {
        switch name {
        case "index":
            return Callable(name) { args, _ throws(TemplateError) in
                let x = args.value(0, "value") ?? .undefined
                guard let i = a.firstIndex(where: { $0.pythonEquals(x) }) else { throw TemplateError(.runtime, "\(x.pythonRepr) is not in list") }
                return .int(i)
            }
        case "count":
            return Callable(name) { args, _ throws(TemplateError) in
                let x = args.value(0, "value") ?? .undefined
                return .int(a.filter { $0.pythonEquals(x) }.count)
            }
        case "copy": return Callable(name) { _, _ throws(TemplateError) in .array(a) }
        default: return nil
        }
    }

    /// Python `str.strip` family: `chars` nil strips whitespace.
    static func strip(_ s: String, _ chars: JinjaValue?, leading: Bool, trailing: Bool) -> String {
        var scalars = Array(s.unicodeScalars)[...]
        let set: Set<Unicode.Scalar>?
        if let chars, case let .string(c) = chars { set = Set(c.unicodeScalars) } else { set = nil }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
        if leading { while let f = scalars.first, drop(f) { scalars = scalars.dropFirst() } }
        if trailing { while let l = scalars.last, drop(l) { scalars = scalars.dropLast() } }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// Python `str.split(sep, maxsplit)`.
    static func split(_ s: String, _ sep: JinjaValue?, _ maxsplit: Int) -> [String] {
        guard let sep, case let .string(separator) = sep, !separator.isEmpty else {
            var parts: [String] = []
            var current = String.UnicodeScalarView()
            var scalars = Array(s.unicodeScalars)[...]
            while let f = scalars.first, isSpace(f) { scalars = scalars.dropFirst() }
            while let c = scalars.first {
                scalars = scalars.dropFirst()
                if isSpace(c) {
                    parts.append(String(current))
                    current = String.UnicodeScalarView()
                    while let f = scalars.first, isSpace(f) { scalars = scalars.dropFirst() }
                    if maxsplit >= 0 && parts.count == maxsplit {
                        var rest = String.UnicodeScalarView()
                        rest.append(contentsOf: scalars)
                        let tail = strip(String(rest), nil, leading: false, trailing: true)
                        if !tail.isEmpty { parts.append(tail) }
                        return parts
                    }
                } else {
                    current.append(c)
                }
            }
            if !current.isEmpty { parts.append(String(current)) }
            return parts
        }
        let hay = Array(s.unicodeScalars), needle = Array(separator.unicodeScalars)
        var parts: [String] = []
        var start = 0, i = 0
        while i + needle.count <= hay.count {
            if (maxsplit < 0 || parts.count < maxsplit) && hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle {
                parts.append(scalarString(hay[start..<i]))
                i += needle.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(scalarString(hay[start...]))
        return parts
    }

    static func scalarString(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars)
        return String(v)
    }

    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s {
            let cased = c.isLetter
            out += cased ? (previousCased ? c.lowercased() : c.uppercased()) : String(c)
            previousCased = cased
        }
        return out
    }

    static func capitalize(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst().lowercased()
    }

    static func stringMethod(_ s: String, _ name: String) -> Callable? {
        func m(_ body: @escaping (Arguments) throws(TemplateError) -> JinjaValue) -> Callable {
            Callable(name) { args, _ throws(TemplateError) in try body(args) }
        }
        switch name {
        case "strip": return m { a throws(TemplateError) in .string(strip(s, a.value(0, "chars"), leading: true, trailing: true)) }
        case "lstrip": return m { a throws(TemplateError) in .string(strip(s, a.value(0, "chars"), leading: true, trailing: false)) }
        case "rstrip": return m { a throws(TemplateError) in .string(strip(s, a.value(0, "chars"), leading: false, trailing: true)) }
        case "split":
            return m { a throws(TemplateError) in .array(split(s, a.value(0, "sep"), a.value(1, "maxsplit")?.integer ?? -1).map { .string($0) }) }
        case "rsplit":
            return m { a throws(TemplateError) in
                let max = a.value(1, "maxsplit")?.integer ?? -1
                guard max >= 0, let sep = a.value(0, "sep"), case let .string(sp) = sep, !sp.isEmpty else {
                    return .array(split(s, a.value(0, "sep"), -1).map { .string($0) })
                }
                var parts = split(s, sep, -1)
                while parts.count > max + 1 { let first = parts.removeFirst(); parts[0] = first + sp + parts[0] }
                return .array(parts.map { .string($0) })
            }
        case "splitlines": return m { a throws(TemplateError) in .array(splitlines(s, keepends: a.value(0, "keepends")?.isTruthy ?? false).map { .string($0) }) }
        case "startswith", "endswith":
            return m { a throws(TemplateError) in
                let prefixes: [JinjaValue]
                switch a.value(0, "prefix") {
                case let .array(items)?, let .tuple(items)?: prefixes = items
                case let v?: prefixes = [v]
                case nil: throw TemplateError(.runtime, "\(name) takes at least 1 argument")
                }
                for p in prefixes {
                    guard case let .string(x) = p else { throw TemplateError(.runtime, "\(name) arg must be str or a tuple of str") }
                    if name == "startswith" ? s.unicodeScalars.starts(with: x.unicodeScalars)
                                            : s.unicodeScalars.reversed().starts(with: x.unicodeScalars.reversed()) { return .bool(true) }
                }
                return .bool(false)
            }
        case "upper": return m { _ throws(TemplateError) in .string(s.uppercased()) }
        case "lower", "casefold": return m { _ throws(TemplateError) in .string(s.lowercased()) }
        case "title": return m { _ throws(TemplateError) in .string(title(s)) }
        case "capitalize": return m { _ throws(TemplateError) in .string(capitalize(s)) }
        case "swapcase": return m { _ throws(TemplateError) in .string(String(s.map { $0.isUppercase ? Character($0.lowercased()) : Character($0.uppercased()) })) }
        case "replace":
            return m { a throws(TemplateError) in
                guard case let .string(old)? = a.value(0, "old"), case let .string(new)? = a.value(1, "new") else {
                    throw TemplateError(.runtime, "replace() arguments must be str")
                }
                return .string(try replace(s, old, new, count: a.value(2, "count")?.integer ?? -1))
            }
        case "format": return m { a throws(TemplateError) in .string(try strFormat(s, a)) }
        case "join":
            return m { a throws(TemplateError) in
                guard let items = a.value(0, "iterable") else { throw TemplateError(.runtime, "join() takes exactly one argument") }
                let list: [JinjaValue]
                switch items {
                case let .array(x), let .tuple(x), let .view(_, x): list = x
                case let .iterator(g): list = g.drain()
                case let .string(t):
                    if t.utf8.count > Interpreter.maxItems { try Interpreter.ensure(items: t.count) }
                    list = t.map { .string(String($0)) }
                default: throw TemplateError(.runtime, "can only join an iterable")
                }
                var parts: [String] = []
                for v in list {
                    guard case let .string(t) = v else { throw TemplateError(.runtime, "sequence item: expected str instance, \(v.typeName) found") }
                    parts.append(t)
                }
                try Interpreter.ensure(bytes: Interpreter.size(parts.count - 1, times: s.utf8.count, plus: parts.reduce(0) { $0 + $1.utf8.count }))
                return .string(parts.joined(separator: s))
            }
        case "find", "rfind", "index":
            return m { a throws(TemplateError) in
                guard case let .string(sub)? = a.value(0, "sub") else { throw TemplateError(.runtime, "\(name)() argument must be str") }
                let chars = Array(s.unicodeScalars), target = Array(sub.unicodeScalars)
                var found = -1
                if target.count <= chars.count {
                    let positions = Array(0...(chars.count - target.count))
                    for i in name == "rfind" ? positions.reversed() : positions where Array(chars[i..<i + target.count]) == target {
                        found = i
                        break
                    }
                }
                if name == "index" && found < 0 { throw TemplateError(.runtime, "substring not found") }
                return .int(found)
            }
        case "count":
            return m { a throws(TemplateError) in
                guard case let .string(sub)? = a.value(0, "sub") else { throw TemplateError(.runtime, "count() argument must be str") }
                return .int(sub.isEmpty ? s.unicodeScalars.count + 1 : split(s, .string(sub), -1).count - 1)
            }
        case "removeprefix":
            return m { a throws(TemplateError) in
                guard case let .string(p)? = a.value(0, "prefix") else { return .string(s) }
                return .string(s.unicodeScalars.starts(with: p.unicodeScalars) ? scalarString(Array(s.unicodeScalars)[p.unicodeScalars.count...]) : s)
            }
        case "removesuffix":
            return m { a throws(TemplateError) in
                guard case let .string(p)? = a.value(0, "suffix") else { return .string(s) }
                let a = Array(s.unicodeScalars)
                return .string(a.reversed().starts(with: p.unicodeScalars.reversed()) ? scalarString(a[..<(a.count - p.unicodeScalars.count)]) : s)
            }
        case "isdigit", "isnumeric", "isdecimal": return m { _ throws(TemplateError) in .bool(!s.isEmpty && s.allSatisfy { $0.isNumber }) }
        case "isalpha": return m { _ throws(TemplateError) in .bool(!s.isEmpty && s.allSatisfy { $0.isLetter }) }
        case "isalnum": return m { _ throws(TemplateError) in .bool(!s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber }) }
        case "isspace": return m { _ throws(TemplateError) in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isSpace)) }
        case "isupper": return m { _ throws(TemplateError) in .bool(s.contains { $0.isLetter } && s == s.uppercased()) }
        case "islower": return m { _ throws(TemplateError) in .bool(s.contains { $0.isLetter } && s == s.lowercased()) }
        case "center", "ljust", "rjust":
            return m { a throws(TemplateError) in
                let width = a.value(0, "width")?.integer ?? 0
                let fill = a.value(1, "fillchar")?.pythonString ?? " "
                let n = max(0, width - s.count)
                try Interpreter.ensure(bytes: Interpreter.size(n, times: fill.utf8.count, plus: s.utf8.count))
                switch name {
                case "ljust": return .string(s + String(repeating: fill, count: n))
                case "rjust": return .string(String(repeating: fill, count: n) + s)
                default:
                    let left = n / 2 + (n & width & 1)
                    return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: n - left))
                }
            }
        case "zfill":
            return m { a throws(TemplateError) in
                let width = a.value(0, "width")?.integer ?? 0
                let n = max(0, width - s.count)
                try Interpreter.ensure(bytes: Interpreter.size(n, times: 1, plus: s.utf8.count))
                if let f = s.first, f == "-" || f == "+" { return .string(String(f) + String(repeating: "0", count: n) + s.dropFirst()) }
                return .string(String(repeating: "0", count: n) + s)
            }
        default: return nil
        }
    }

    /// Python `str.replace(old, new, count)`; throws when the result would pass the render's size limit.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int) throws(TemplateError) -> String {
        if old.isEmpty {
            try Interpreter.ensure(bytes: Interpreter.size(s.count + 1, times: new.utf8.count, plus: s.utf8.count))
            var out = ""
            var n = 0
            for c in s {
                if count < 0 || n < count { out += new; n += 1 }
                out.append(c)
            }
            if count < 0 || n < count { out += new }
            return out
        }
        var parts = split(s, .string(old), count)
        guard parts.count > 1 else { return s }
        try Interpreter.ensure(bytes: Interpreter.size(parts.count - 1, times: new.utf8.count, plus: s.utf8.count))
        let head = parts.removeFirst()
        return head + new + parts.joined(separator: new)
    }
}
