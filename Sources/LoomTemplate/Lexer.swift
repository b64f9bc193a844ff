// Lexer: template source → tokens, with Jinja's whitespace rules as Hugging Face configures them
// (trim_blocks = true, lstrip_blocks = true), following jinja2/lexer.py:
//
//   {{ expr }}  {% stmt %}  {# comment #}  {% raw %}…{% endraw %}
//   "-" inside a delimiter ({%- … -%}) strips all whitespace on that side, "+" ({%+) disables
//   lstrip_blocks for the tag; trim_blocks drops the first "\n" after %} or #} (not after }});
//   lstrip_blocks drops spaces/tabs between a line start and a {% or {# on that line.
// Inside delimiters: names, integers, floats, strings (Python escapes), operators. An end
// delimiter only counts outside brackets, as in Jinja's balancing stack ({{ {'a': {'b': 1}} }}).

struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }
    var kind: Kind
    var location: SourceLocation
}

struct Lexer {
    let source: [Unicode.Scalar]
    let name: String
    var pos = 0
    var tokens: [Token] = []
    /// Whether the text about to be read starts a line (Jinja's `line_starting`).
    var lineStarting = true
    /// Just past the last closing delimiter, before any whitespace it stripped or newline it trimmed.
    var lastTagEnd = 0
    /// Whether that delimiter was `-%}` (strips what follows).
    var lastTagStripped = false
    /// Line-start offsets, for locations.
    var lineStarts: [Int] = [0]

    init(_ text: String, name: String) {
        // As jinja2: \r\n and \r become \n, and one trailing newline is dropped.
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        var previousCR = false
        for c in text.unicodeScalars {
            if c == "\r" { scalars.append("\n"); previousCR = true; continue }
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            scalars.append(c)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        source = scalars
        self.name = name
        for (i, c) in source.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    func location(_ offset: Int) -> SourceLocation {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return SourceLocation(line: lo + 1, column: offset - lineStarts[lo] + 1)
    }

    func error(_ message: String, at offset: Int) -> TemplateError {
        let l = location(offset)
        return TemplateError(.syntax, message, templateName: name, line: l.line, column: l.column)
    }

    static func tokenize(_ text: String, name: String) throws(TemplateError) -> [Token] {
        var lexer = Lexer(text, name: name)
        try lexer.run()
        return lexer.tokens
    }

    func at(_ offset: Int, _ s: String) -> Bool {
        var i = offset
        for c in s.unicodeScalars {
            guard i < source.count, source[i] == c else { return false }
            i += 1
        }
        return true
    }

    func nextTagStart(from p: Int) -> Int? {
        var i = p
        while i + 1 < source.count {
            if source[i] == "{", source[i + 1] == "{" || source[i + 1] == "%" || source[i + 1] == "#" { return i }
            i += 1
        }
        return nil
    }

    mutating func emitText(_ start: Int, _ end: Int, sign: Unicode.Scalar?, lstripEligible: Bool) {
        var text = Array(source[start..<end])
        if sign == "-" {
            while let last = text.last, last.properties.isWhitespace { text.removeLast() }
        } else if sign != "+" && lstripEligible {
            let lpos = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
            if (lpos > 0 || lineStarting) && lpos < text.count && text[lpos...].allSatisfy({ $0.properties.isWhitespace }) {
                text.removeSubrange(lpos...)
            }
        }
        if !text.isEmpty {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: text)
            tokens.append(Token(kind: .text(String(s)), location: location(start)))
        }
    }

    mutating func run() throws(TemplateError) {
        while pos < source.count {
            guard let t = nextTagStart(from: pos) else {
                emitText(pos, source.count, sign: nil, lstripEligible: false)
                break
            }
            let kind = source[t + 1]
            var inner = t + 2
            var sign: Unicode.Scalar?
            if inner < source.count, source[inner] == "-" || source[inner] == "+" { sign = source[inner]; inner += 1 }
            emitText(pos, t, sign: sign, lstripEligible: kind != "{")
            switch kind {
            case "#": try comment(from: inner, start: t)
            case "{":
                tokens.append(Token(kind: .variableBegin, location: location(t)))
                try expression(from: inner, closing: "}}", end: .variableEnd, trimNewline: false)
            default:
                tokens.append(Token(kind: .blockBegin, location: location(t)))
                let before = tokens.count
                try expression(from: inner, closing: "%}", end: .blockEnd, trimNewline: true)
                if tokens.count == before + 2, case .name("raw") = tokens[before].kind {
                    tokens.removeLast(3)
                    // jinja2 applies no trim_blocks after {% raw %} (only "-%}" strips).
                    if !lastTagStripped { pos = lastTagEnd }
                    try raw(start: t)
                }
            }
        }
        tokens.append(Token(kind: .eof, location: location(source.count)))
    }

    /// After an end delimiter at `p` (pointing just past it): apply "-" or trim_blocks.
    mutating func finishTag(at p: Int, stripAfter: Bool, trimNewline: Bool) {
        lastTagEnd = p
        lastTagStripped = stripAfter
        var q = p
        if stripAfter {
            while q < source.count, source[q].properties.isWhitespace { q += 1 }
        } else if trimNewline, q < source.count, source[q] == "\n" {
            q += 1
        }
        lineStarting = q > 0 && source[q - 1] == "\n"
        pos = q
    }

    mutating func comment(from p: Int, start: Int) throws(TemplateError) {
        var i = p
        while i + 1 < source.count {
            if source[i] == "#", source[i + 1] == "}" {
                let strip = i > p && source[i - 1] == "-"
                finishTag(at: i + 2, stripAfter: strip, trimNewline: true)
                return
            }
            i += 1
        }
        throw error("unclosed comment", at: start)
    }

    mutating func raw(start: Int) throws(TemplateError) {
        // Content runs to the next {% endraw %} (with optional - / + and spaces).
        var i = pos
        while let t = nextTagStart(from: i) {
            if source[t + 1] == "%" {
                var j = t + 2
                var sign: Unicode.Scalar?
                if j < source.count, source[j] == "-" || source[j] == "+" { sign = source[j]; j += 1 }
                while j < source.count, source[j] == " " || source[j] == "\t" || source[j] == "\n" { j += 1 }
                if at(j, "endraw") {
                    j += 6
                    while j < source.count, source[j] == " " || source[j] == "\t" || source[j] == "\n" { j += 1 }
                    var strip = false
                    if j < source.count, source[j] == "-" { strip = true; j += 1 } else if j < source.count, source[j] == "+" { j += 1 }
                    guard at(j, "%}") else { throw error("malformed endraw", at: t) }
                    emitText(pos, t, sign: sign, lstripEligible: true)
                    finishTag(at: j + 2, stripAfter: strip, trimNewline: true)
                    return
                }
            }
            i = t + 2
        }
        throw error("unclosed raw block", at: start)
    }
}
