// Expression evaluation with Python semantics: `and`/`or` return an operand, `+ - * / // % **`
// follow Python's numeric rules (`/` is true division, `//` and `%` floor), `~` concatenates
// strings, comparisons chain, attribute access tries attributes (methods) before items and item
// access items before attributes — as jinja2's sandboxed getattr/getitem do.

extension Interpreter {
    func evaluate(_ e: Expr) throws(TemplateError) -> JinjaValue {
        switch e {
        case let .located(inner, loc):
            location = loc
            return try evaluate(inner)
        case let .literal(v): return v
        case let .name(n): return lookup(n)
        case let .list(items):
            var out: [JinjaValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try evaluate(item)) }
            return .array(out)
        case let .tuple(items):
            var out: [JinjaValue] = []
            for item in items { out.append(try evaluate(item)) }
            return .tuple(out)
        case let .dict(pairs):
            var o = JinjaObject()
            for (k, v) in pairs {
                let key = try evaluate(k)
                guard let dk = DictKey(key) else { throw error("unhashable type: '\(key.typeName)'") }
                o[dictKey: dk] = try evaluate(v)
            }
            return .object(o)
        case let .attribute(base, name):
            return try attribute(of: try evaluate(base).plain, name)
        case let .item(base, index):
            return try item(of: try evaluate(base).plain, try evaluate(index).plain)
        case let .slice(base, start, stop, step):
            return try slice(try evaluate(base).plain, start.map { e throws(TemplateError) in try evaluate(e) },
                             stop.map { e throws(TemplateError) in try evaluate(e) }, step.map { e throws(TemplateError) in try evaluate(e) })
        case let .call(callee, args):
            return try call(try evaluate(callee), try evaluateArguments(args))
        case let .filter(base, name, args):
            let value = try evaluate(base)
            let keepsMarkup = ["safe", "escape", "e", "forceescape"].contains(name)
            return try applyFilter(name, keepsMarkup ? value : value.plain, try evaluateArguments(args))
        case let .test(base, name, args, negated):
            let result = try applyTest(name, try evaluate(base).plain, try evaluateArguments(args))
            return .bool(result != negated)
        case let .unary(op, operand):
            let v = try evaluate(operand)
            switch op {
            case "not": return .bool(!v.isTruthy)
            case "-":
                switch v {
                case let .int(i): return .int(-i)
                case let .double(d): return .double(-d)
                case let .bool(b): return .int(b ? -1 : 0)
                default: throw error("bad operand type for unary -: '\(v.typeName)'")
                }
            default:
                guard v.number != nil else { throw error("bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case let .binary(op, a, b):
            return try binary(op, try evaluate(a), try evaluate(b))
        case let .and(a, b):
            let x = try evaluate(a)
            return x.isTruthy ? try evaluate(b) : x
        case let .or(a, b):
            let x = try evaluate(a)
            return x.isTruthy ? x : try evaluate(b)
        case let .compare(first, ops):
            var left = try evaluate(first)
            for (op, rightExpr) in ops {
                let right = try evaluate(rightExpr)
                guard try compare(op, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .conditional(condition, then, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map { e throws(TemplateError) in try evaluate(e) } ?? .undefined
        }
    }

    func evaluateArguments(_ args: CallArguments) throws(TemplateError) -> Arguments {
        var out = Arguments()
        for a in args.positional { out.positional.append(try evaluate(a)) }
        for (k, v) in args.keyword { out.keyword.append((k, try evaluate(v))) }
        return out
    }

    func call(_ callee: JinjaValue, _ args: Arguments) throws(TemplateError) -> JinjaValue {
        guard case let .callable(c) = callee else {
            if callee.isUndefined { throw error("undefined value is not callable") }
            throw error("'\(callee.typeName)' object is not callable")
        }
        return try c.body(args, self)
    }

    /// `value.name`: a method or attribute first, then the item (jinja2 getattr).
    func attribute(of value: JinjaValue, _ name: String) throws(TemplateError) -> JinjaValue {
        switch value {
        case .undefined:
            throw error("'\(name)' is undefined: attribute of an undefined value")
        case let .object(o):
            if let m = Builtins.method(of: value, name) { return .callable(m) }
            return o[name] ?? .undefined
        case let .namespace(n):
            return n.attributes[name] ?? .undefined
        default:
            if let m = Builtins.method(of: value, name) { return .callable(m) }
            return .undefined
        }
    }

    /// `value[key]`: the item first, then an attribute named by a string key (jinja2 getitem).
    func item(of value: JinjaValue, _ key: JinjaValue) throws(TemplateError) -> JinjaValue {
        switch (value, key) {
        case (.undefined, _):
            throw error("\(key.pythonRepr) is undefined: item of an undefined value")
        case let (.array(a), _) where key.integer != nil, let (.tuple(a), _) where key.integer != nil:
            guard let k = key.integer else { return .undefined }
            let i = k < 0 ? a.count + k : k
            return i >= 0 && i < a.count ? a[i] : .undefined
        case let (.string(s), _) where key.integer != nil:
            guard let k = key.integer else { return .undefined }
            let chars = Array(s)
            let i = k < 0 ? chars.count + k : k
            return i >= 0 && i < chars.count ? .string(String(chars[i])) : .undefined
        case let (.object(o), .string(k)):
            if let v = o[k] { return v }
            return Builtins.method(of: value, k).map { .callable($0) } ?? .undefined
        case let (.object(o), _):
            return DictKey(key).flatMap { o[dictKey: $0] } ?? .undefined
        case let (.namespace(n), .string(k)):
            return n.attributes[k] ?? .undefined
        case let (_, .string(k)):
            return Builtins.method(of: value, k).map { .callable($0) } ?? .undefined
        default:
            return .undefined
        }
    }

    /// Python slicing of lists and strings.
    func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws(TemplateError) -> JinjaValue {
        func bound(_ v: JinjaValue?) throws(TemplateError) -> Int? {
            guard let v, !(v.isUndefined) else { return nil }
            if case .none = v { return nil }
            guard let i = v.integer else { throw error("slice indices must be integers or None") }
            return i
        }
        let st = try bound(step) ?? 1
        guard st != 0 else { throw error("slice step cannot be zero") }
        func indices(_ n: Int) throws(TemplateError) -> [Int] {
            func clamp(_ i: Int?, _ def: Int) -> Int {
                guard var i else { return def }
                if i < 0 { i += n }
                return st > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
            }
            let a = clamp(try bound(start), st > 0 ? 0 : n - 1)
            let b = clamp(try bound(stop), st > 0 ? n : -1)
            return Array(stride(from: a, to: b, by: st))
        }
        switch value {
        case let .array(items): return .array(try indices(items.count).map { items[$0] })
        case let .tuple(items): return .tuple(try indices(items.count).map { items[$0] })
        case let .string(s):
            let chars = Array(s)
            return .string(String(try indices(chars.count).map { chars[$0] }))
        case .undefined: throw error("slice of an undefined value")
        default: throw error("'\(value.typeName)' object is not subscriptable")
        }
    }

    func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) -> Bool {
        switch op {
        case "==": return a.pythonEquals(b)
        case "!=": return !a.pythonEquals(b)
        case "<": return try a.pythonLess(b)
        case ">": return try b.pythonLess(a)
        case "<=": return try a.pythonLess(b) || a.pythonEquals(b)
        case ">=": return try b.pythonLess(a) || a.pythonEquals(b)
        case "in": return try contains(b, a)
        default: return try !contains(b, a)  // notin
        }
    }

    func contains(_ container: JinjaValue, _ item: JinjaValue) throws(TemplateError) -> Bool {
        let item = item.plain
        switch container.plain {
        case let .string(s):
            guard case let .string(sub) = item else { throw error("'in <string>' requires string as left operand, not \(item.typeName)") }
            return sub.isEmpty || s.contains(sub)
        case let .array(a), let .tuple(a), let .view(_, a): return a.contains { $0.pythonEquals(item) }
        case let .object(o): return DictKey(item).flatMap { o[dictKey: $0] } != nil
        case .undefined: return false
        case let .iterator(g):
            while let v = g.next() { if v.pythonEquals(item) { return true } }
            return false
        case let .namespace(n): return n.attributes[item.pythonString] != nil
        default: throw error("argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// `a + b` of two strings or two lists stays within the size limits (a loop doubling a value
    /// would otherwise reach any size in a few dozen steps).
    func checkConcatenation(_ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) {
        switch (a, b) {
        case let (.string(x), .string(y)): try Self.ensure(bytes: Self.size(x.utf8.count, times: 1, plus: y.utf8.count))
        case let (.array(x), .array(y)), let (.tuple(x), .tuple(y)): try Self.ensure(items: Self.size(x.count, times: 1, plus: y.count))
        default: break
        }
    }

    /// A repetition count for `s * n`, refusing results beyond the output limit.
    func repeatCount(_ size: Int, _ n: JinjaValue) throws(TemplateError) -> Int {
        let count = max(0, n.integer ?? 0)
        guard size == 0 || count <= Interpreter.maxOutputBytes / size else { throw error("repetition result too large") }
        return count
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) -> JinjaValue {
        if op == "~" {
            let x = a.pythonString, y = b.pythonString
            try Self.ensure(bytes: Self.size(x.utf8.count, times: 1, plus: y.utf8.count))
            return .string(x + y)
        }
        if op == "+" { try checkConcatenation(a.plain, b.plain) }
        if op == "+", case .markup = a, case .markup = b { return .markup(a.pythonString + b.pythonString) }
        if op == "+", case let .markup(x) = a, case let .string(y) = b { return .markup(x + Self.htmlEscaped(y)) }
        if op == "+", case let .string(x) = a, case let .markup(y) = b { return .markup(Self.htmlEscaped(x) + y) }
        let a = a.plain, b = b.plain
        if a.isUndefined || b.isUndefined { throw error("undefined value in '\(op)' operation") }
        switch (op, a, b) {
        case let ("+", .string(x), .string(y)): return .string(x + y)
        case let ("+", .array(x), .array(y)): return .array(x + y)
        case let ("+", .tuple(x), .tuple(y)): return .tuple(x + y)
        case let ("*", .string(x), _) where b.integer != nil: return .string(String(repeating: x, count: try repeatCount(x.utf8.count, b)))
        case let ("*", _, .string(y)) where a.integer != nil: return .string(String(repeating: y, count: try repeatCount(y.utf8.count, a)))
        case let ("*", .array(x), _) where b.integer != nil:
            try Self.ensure(items: Self.size(x.count, times: b.integer ?? 0))
            return .array(Array(repeatElement(x, count: max(0, b.integer ?? 0)).joined()))
        case let ("%", .string(x), _): return .string(try Builtins.percentFormat(x, b))
        default: break
        }
        if let x = a.integer, let y = b.integer {
            switch op {
            case "+": let (r, o) = x.addingReportingOverflow(y); if !o { return .int(r) }
            case "-": let (r, o) = x.subtractingReportingOverflow(y); if !o { return .int(r) }
            case "*": let (r, o) = x.multipliedReportingOverflow(by: y); if !o { return .int(r) }
            case "//":
                guard y != 0 else { throw error("integer division or modulo by zero") }
                let q = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
            case "%":
                guard y != 0 else { throw error("integer division or modulo by zero") }
                let r = x % y
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case "**" where y >= 0:
                var r = 1
                for _ in 0..<y { let (p, o) = r.multipliedReportingOverflow(by: x); if o { break }; r = p }
                return .int(r)
            default: break
            }
        }
        guard let x = a.number, let y = b.number else {
            throw error("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw error("division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw error("float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw error("float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**":
            return .double(Builtins.power(x, y))
        default:
            throw error("unknown operator '\(op)'")
        }
    }
}
