// The tokens inside {{ … }} and {% … %}: names, numbers, strings, operators — until the closing
// delimiter at bracket depth 0.

extension Lexer {
    static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                            ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"]

    mutating func expression(from p: Int, closing: String, end: Token.Kind, trimNewline: Bool) throws(TemplateError) {
        var i = p
        var depth = 0
        while true {
            while i < source.count, source[i].properties.isWhitespace { i += 1 }
            guard i < source.count else { throw error("missing '\(closing)'", at: p) }
            if depth == 0 {
                if source[i] == "-", at(i + 1, closing) {
                    tokens.append(Token(kind: end, location: location(i)))
                    finishTag(at: i + 3, stripAfter: true, trimNewline: trimNewline)
                    return
                }
                if source[i] == "+", closing == "%}", at(i + 1, closing) {
                    tokens.append(Token(kind: end, location: location(i)))
                    finishTag(at: i + 3, stripAfter: false, trimNewline: false)
                    return
                }
                if at(i, closing) {
                    tokens.append(Token(kind: end, location: location(i)))
                    finishTag(at: i + 2, stripAfter: false, trimNewline: trimNewline)
                    return
                }
            }
            let c = source[i]
            let loc = location(i)
            if c == "_" || c.properties.isAlphabetic {
                var j = i
                while j < source.count, source[j] == "_" || source[j].properties.isAlphabetic || ("0"..."9").contains(source[j]) { j += 1 }
                tokens.append(Token(kind: .name(string(i, j)), location: loc))
                i = j
            } else if ("0"..."9").contains(c) {
                i = try number(at: i)
            } else if c == "'" || c == "\"" {
                i = try stringLiteral(at: i)
            } else if let op = Self.operators.first(where: { at(i, $0) }) {
                if op == "(" || op == "[" || op == "{" { depth += 1 }
                if op == ")" || op == "]" || op == "}" {
                    guard depth > 0 else { throw error("unexpected '\(op)'", at: i) }
                    depth -= 1
                }
                tokens.append(Token(kind: .op(op), location: loc))
                i += op.unicodeScalars.count
            } else {
                throw error("unexpected character '\(c)'", at: i)
            }
        }
    }

    func string(_ a: Int, _ b: Int) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: source[a..<b])
        return String(s)
    }

    mutating func number(at start: Int) throws(TemplateError) -> Int {
        var j = start
        func digits() { while j < source.count, ("0"..."9").contains(source[j]) || source[j] == "_" { j += 1 } }
        digits()
        var isFloat = false
        if j + 1 < source.count, source[j] == ".", ("0"..."9").contains(source[j + 1]) {
            isFloat = true
            j += 1
            digits()
        }
        if j < source.count, source[j] == "e" || source[j] == "E" {
            var k = j + 1
            if k < source.count, source[k] == "+" || source[k] == "-" { k += 1 }
            if k < source.count, ("0"..."9").contains(source[k]) {
                isFloat = true
                j = k
                digits()
            }
        }
        let text = String(string(start, j).filter { $0 != "_" })
        if isFloat {
            guard let d = Double(text) else { throw error("invalid number '\(text)'", at: start) }
            tokens.append(Token(kind: .float(d), location: location(start)))
        } else {
            guard let v = Int(text) else { throw error("integer '\(text)' is too large", at: start) }
            tokens.append(Token(kind: .integer(v), location: location(start)))
        }
        return j
    }

    /// A Python string literal with its escapes.
    mutating func stringLiteral(at start: Int) throws(TemplateError) -> Int {
        let quote = source[start]
        var j = start + 1
        var out = String.UnicodeScalarView()
        while j < source.count {
            let c = source[j]
            if c == quote {
                tokens.append(Token(kind: .string(String(out)), location: location(start)))
                return j + 1
            }
            if c == "\\", j + 1 < source.count {
                let e = source[j + 1]
                j += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\": out.append("\\")
                case "'": out.append("'")
                case "\"": out.append("\"")
                case "0": out.append("\0")
                case "a": out.append("\u{7}")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{c}")
                case "v": out.append("\u{b}")
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    guard j + width <= source.count, let v = UInt32(string(j, j + width), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw error("invalid \\\(e) escape", at: j - 2) }
                    out.append(scalar)
                    j += width
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            j += 1
        }
        throw error("unterminated string", at: start)
    }
}
