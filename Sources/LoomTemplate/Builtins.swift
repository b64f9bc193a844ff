// Builtins: the globals Hugging Face's environment provides (range, namespace, dict, joiner,
// raise_exception, strftime_now), and Python helpers shared by filters and methods
// (%-formatting, str.format, splitlines, whitespace, power).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Builtins {
    static let globals: [String: JinjaValue] = [
        "range": .callable(Callable("range") { args, _ throws(TemplateError) in try range(args) }),
        "namespace": .callable(Callable("namespace") { args, interpreter throws(TemplateError) in
            var o = JinjaObject()
            for v in args.positional { if case let .object(d) = v { for p in d.pairs { o[p.key] = p.value } } }
            for (k, v) in args.keyword { o[k] = v }
            return .namespace(interpreter.makeNamespace(o))
        }),
        "dict": .callable(Callable("dict") { args, _ throws(TemplateError) in
            var o = JinjaObject()
            for v in args.positional { if case let .object(d) = v { for p in d.pairs { o[p.key] = p.value } } }
            for (k, v) in args.keyword { o[k] = v }
            return .object(o)
        }),
        "joiner": .callable(Callable("joiner") { args, _ throws(TemplateError) in
            let sep = args.value(0, "sep")?.pythonString ?? ", "
            let state = JoinerState()
            return .callable(Callable("joiner") { _, _ throws(TemplateError) in
                defer { state.used = true }
                return .string(state.used ? sep : "")
            })
        }),
        "cycler": .callable(Callable("cycler") { args, interpreter throws(TemplateError) in
            let items = args.positional
            guard !items.isEmpty else { throw TemplateError(.runtime, "cycler needs at least one item") }
            let state = interpreter.makeNamespace(JinjaObject())
            let position = JoinerState()
            var index = 0
            state.attributes["current"] = items[0]
            state.attributes["next"] = .callable(Callable("next") { _, _ throws(TemplateError) in
                let v = items[index]
                index = (index + 1) % items.count
                state.attributes["current"] = items[index]
                position.used = true
                return v
            })
            state.attributes["reset"] = .callable(Callable("reset") { _, _ throws(TemplateError) in
                index = 0
                state.attributes["current"] = items[0]
                return .none
            })
            return .namespace(state)
        }),
        "raise_exception": .callable(Callable("raise_exception") { args, _ throws(TemplateError) in
            throw TemplateError(.raised, args.value(0, "message")?.pythonString ?? "")
        }),
        "strftime_now": .callable(Callable("strftime_now") { args, interpreter throws(TemplateError) in
            let date = interpreter.options.now ?? TemplateDate.current()
            return .string(date.format(args.value(0, "format")?.pythonString ?? ""))
        }),
    ]

    final class JoinerState: @unchecked Sendable { var used = false }

    static func range(_ args: Arguments) throws(TemplateError) -> JinjaValue {
        let ints = args.positional.map(\.integer)
        guard !ints.isEmpty, ints.count <= 3, let values = ints as? [Int] else {
            throw TemplateError(.runtime, "range expects 1 to 3 integer arguments")
        }
        let (start, stop, step) = values.count == 1 ? (0, values[0], 1) : (values[0], values[1], values.count == 3 ? values[2] : 1)
        guard step != 0 else { throw TemplateError(.runtime, "range() arg 3 must not be zero") }
        let n = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
        guard n <= 100_000 else { throw TemplateError(.runtime, "range too large (\(n) items)") }
        return .array((0..<n).map { .int(start + $0 * step) })
    }

    static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }

    /// Python `str.isspace` for one scalar.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }

    /// Python `str.splitlines(keepends)`.
    static func splitlines(_ s: String, keepends: Bool = false) -> [String] {
        let breaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if breaks.contains(c.value) {
                var end = String.UnicodeScalarView([c])
                if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { end.append("\n"); i += 1 }
                if keepends { current.append(contentsOf: end) }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
            i += 1
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// Python `format % args` for %s %r %d %i %f %e %g %x %o %c %% (with flags, width, precision).
    static func percentFormat(_ format: String, _ args: JinjaValue) throws(TemplateError) -> String {
        var values: [JinjaValue]
        if case let .tuple(a) = args { values = a } else { values = [args] }
        var out = ""
        var it = Array(format).makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            var spec = ""
            var conv: Character?
            while let n = it.next() {
                if "sdifrxXoegEGc%".contains(n) { conv = n; break }
                spec.append(n)
            }
            guard let conv else { throw TemplateError(.runtime, "incomplete format") }
            if conv == "%" { out += "%"; continue }
            guard !values.isEmpty else { throw TemplateError(.runtime, "not enough arguments for format string") }
            let v = values.removeFirst()
            out += try formatOne(v, spec: spec, conversion: conv)
        }
        return out
    }

    static func formatOne(_ v: JinjaValue, spec: String, conversion: Character) throws(TemplateError) -> String {
        var flags = Substring(spec)
        var leftAlign = false, zeroPad = false, plus = false
        while let f = flags.first, "-0+ #".contains(f) {
            if f == "-" { leftAlign = true }
            if f == "0" { zeroPad = true }
            if f == "+" { plus = true }
            flags = flags.dropFirst()
        }
        let parts = flags.split(separator: ".", omittingEmptySubsequences: false)
        let width = Int(parts.first ?? "") ?? 0
        let precision = parts.count > 1 ? Int(parts[1]) : nil
        var body: String
        switch conversion {
        case "s": body = v.pythonString; if let precision { body = String(body.prefix(precision)) }
        case "r": body = v.pythonRepr
        case "c": body = v.integer.flatMap { Unicode.Scalar(UInt32(clamping: $0)) }.map { String($0) } ?? v.pythonString
        case "d", "i":
            guard let n = v.number else { throw TemplateError(.runtime, "%\(conversion) format: a number is required, not \(v.typeName)") }
            let i = Int(n.rounded(.towardZero))
            body = (plus && i >= 0 ? "+" : "") + String(i)
        case "x", "X", "o":
            guard let i = v.integer else { throw TemplateError(.runtime, "%\(conversion) format: an integer is required") }
            body = String(i, radix: conversion == "o" ? 8 : 16, uppercase: conversion == "X")
        default:
            guard let d = v.number else { throw TemplateError(.runtime, "must be real number, not \(v.typeName)") }
            body = fixed(d, precision ?? 6, conversion)
            if plus && d >= 0 { body = "+" + body }
        }
        if body.count < width {
            try Interpreter.ensure(bytes: Interpreter.size(width, times: 1))
            let pad = String(repeating: zeroPad && !leftAlign && conversion != "s" ? "0" : " ", count: width - body.count)
            body = leftAlign ? body + pad : (zeroPad && body.hasPrefix("-") ? "-" + pad + body.dropFirst() : pad + body)
        }
        return body
    }

    /// %e: mantissa with `precision` digits, exponent with sign and at least two digits.
    static func exponential(_ d: Double, _ precision: Int, upper: Bool) -> String {
        guard d.isFinite else { return JinjaValue.pythonFloat(d) }
        var exponent = d == 0 ? 0 : Int(log10(abs(d)).rounded(.down))
        var mantissa = fixed(d / pow(10, Double(exponent)), precision, "f")
        if mantissa.hasPrefix("10") || mantissa.hasPrefix("-10") {
            exponent += 1
            mantissa = fixed(d / pow(10, Double(exponent)), precision, "f")
        }
        let e = String(abs(exponent))
        return mantissa + (upper ? "E" : "e") + (exponent < 0 ? "-" : "+") + (e.count < 2 ? "0" + e : e)
    }

    /// %g: %e for very small or large exponents, else %f; trailing zeros removed.
    static func general(_ d: Double, _ precision: Int, upper: Bool) -> String {
        guard d.isFinite, d != 0 else { return d == 0 ? "0" : JinjaValue.pythonFloat(d) }
        let p = max(precision, 1)
        let exponent = Int(log10(abs(d)).rounded(.down))
        func trim(_ s: String) -> String {
            guard s.contains(".") else { return s }
            var t = s
            while t.hasSuffix("0") { t.removeLast() }
            if t.hasSuffix(".") { t.removeLast() }
            return t
        }
        if exponent < -4 || exponent >= p {
            let e = exponential(d, p - 1, upper: upper)
            let parts = e.split(separator: upper ? "E" : "e")
            return trim(String(parts[0])) + (upper ? "E" : "e") + parts[1]
        }
        return trim(fixed(d, max(0, p - 1 - exponent), "f"))
    }

    /// Fixed-point formatting without Foundation (%f); %e and %g delegate above.
    static func fixed(_ d: Double, _ precision: Int, _ conversion: Character) -> String {
        if conversion == "e" || conversion == "E" { return exponential(d, precision, upper: conversion == "E") }
        if conversion == "g" || conversion == "G" { return general(d, precision, upper: conversion == "G") }
        guard conversion == "f" || conversion == "F", d.isFinite, abs(d) < 1e17 else { return JinjaValue.pythonFloat(d) }
        var scale = 1.0
        for _ in 0..<precision { scale *= 10 }
        let scaled = (abs(d) * scale).rounded(.toNearestOrEven)
        let intPart = Int(scaled / scale)
        var frac = String(Int(scaled - Double(intPart) * scale))
        while frac.count < precision { frac = "0" + frac }
        let sign = d < 0 && scaled != 0 ? "-" : ""
        return precision == 0 ? sign + String(intPart) : sign + String(intPart) + "." + frac
    }

    /// Python's format-spec mini-language: [[fill]align][sign][0][width][.precision][type].
    static func formatSpec(_ v: JinjaValue, _ spec: String) throws(TemplateError) -> String {
        guard !spec.isEmpty else { return v.pythonString }
        var s = Array(spec)[...]
        var fill: Character = " ", align: Character?
        if s.count >= 2, let f = s.first, "<>^=".contains(s[s.startIndex + 1]) { fill = f; align = s[s.startIndex + 1]; s = s.dropFirst(2) }
        else if let f = s.first, "<>^=".contains(f) { align = f; s = s.dropFirst() }
        var plus = false
        if let f = s.first, "+- ".contains(f) { plus = f == "+"; s = s.dropFirst() }
        if s.first == "0" { if align == nil { fill = "0"; align = "=" }; s = s.dropFirst() }
        var width = 0
        while let f = s.first, let d = f.wholeNumberValue { width = width * 10 + d; s = s.dropFirst() }
        var precision: Int?
        if s.first == "." {
            s = s.dropFirst()
            var p = 0
            while let f = s.first, let d = f.wholeNumberValue { p = p * 10 + d; s = s.dropFirst() }
            precision = p
        }
        let type = s.first
        var body: String
        switch type {
        case "f", "F", "e", "E", "g", "G", "%":
            let code = type ?? "f"
            guard let d = v.number else { throw TemplateError(.runtime, "Unknown format code '\(code)' for \(v.typeName)") }
            body = code == "%" ? fixed(d * 100, precision ?? 6, "f") + "%" : fixed(d, precision ?? 6, code)
            if plus && d >= 0 { body = "+" + body }
        case "d":
            guard let i = v.integer else { throw TemplateError(.runtime, "Unknown format code 'd' for \(v.typeName)") }
            body = (plus && i >= 0 ? "+" : "") + String(i)
        default:
            body = v.pythonString
            if let precision, case .string = v { body = String(body.prefix(precision)) }
        }
        let n = max(0, width - body.count)
        guard n > 0 else { return body }
        try Interpreter.ensure(bytes: Interpreter.size(n, times: fill.utf8.count, plus: body.utf8.count))
        let isNumber = v.number != nil && !(v.typeName == "str")
        switch align ?? (isNumber ? ">" : "<") {
        case "<": return body + String(repeating: fill, count: n)
        case "^": return String(repeating: fill, count: n / 2) + body + String(repeating: fill, count: n - n / 2)
        case "=":
            if let f = body.first, f == "-" || f == "+" { return String(f) + String(repeating: fill, count: n) + body.dropFirst() }
            return String(repeating: fill, count: n) + body
        default: return String(repeating: fill, count: n) + body
        }
    }

    /// Python `str.format` for `{}`, `{0}`, `{name}`, `{{`, `}}` and format specs.
    static func strFormat(_ format: String, _ args: Arguments) throws(TemplateError) -> String {
        var out = ""
        var auto = 0
        var chars = Array(format)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "{" {
                if chars.first == "{" { out.append("{"); chars = chars.dropFirst(); continue }
                guard let close = chars.firstIndex(of: "}") else { throw TemplateError(.runtime, "Single '{' encountered in format string") }
                let inside = String(chars[..<close])
                let pieces = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let field = pieces.first.map(String.init) ?? ""
                let spec = pieces.count > 1 ? String(pieces[1]) : ""
                chars = chars[chars.index(after: close)...]
                let value: JinjaValue?
                if field.isEmpty { value = auto < args.positional.count ? args.positional[auto] : nil; auto += 1 }
                else if let i = Int(field) { value = i < args.positional.count ? args.positional[i] : nil }
                else { value = args.keyword.first { $0.0 == field }?.1 }
                guard let value else { throw TemplateError(.runtime, "format: missing argument '\(field)'") }
                out += try formatSpec(value, spec)
            } else if c == "}" {
                if chars.first == "}" { chars = chars.dropFirst() }
                out.append("}")
            } else {
                out.append(c)
            }
        }
        return out
    }
}
