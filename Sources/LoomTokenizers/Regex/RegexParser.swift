// Parser for the ECMAScript regex subset llama.cpp's pre-tokenizer patterns use
// (llama-vocab.cpp, llm_tokenizer_bpe: regex_exprs).
//
//   alternation  a|b          sequence  ab          groups  ( )  (?: )  (captures are not recorded)
//   lookahead    (?= ) (?! )  anchors   ^ $ \b \B   any     .  (every scalar but \n and \r)
//   quantifiers  ? * + {n} {n,} {n,m}   (greedy only; lazy `?` suffix and possessive `+` are errors)
//   classes      [...] [^...] with ranges, escapes and \p{..} inside
//   escapes      \t \n \v \f \r \0 \xHH \uHHHH \cX, \s \S \d \D \w \W, \p{L N P M S Lu Ll Lt Lm Lo Han},
//                and any escaped non-alphanumeric character
//
// The pattern is read as Unicode scalars. Errors are `TokenizerError.invalidRegex` with a reason.

/// A parsed regex.
indirect enum RegexNode: Sendable {
    case empty
    case set(CharSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    /// `max == nil` is unbounded.
    case repetition(RegexNode, min: Int, max: Int?)
    case lookahead(RegexNode, negated: Bool)
    case startAnchor
    case endAnchor
    case wordBoundary(negated: Bool)

    /// Whether the node can match without consuming a scalar.
    var isNullable: Bool {
        switch self {
        case .empty, .lookahead, .startAnchor, .endAnchor, .wordBoundary: return true
        case .set: return false
        case let .sequence(nodes): return nodes.allSatisfy(\.isNullable)
        case let .alternation(nodes): return nodes.contains(where: \.isNullable)
        case let .repetition(node, min, _): return min == 0 || node.isNullable
        }
    }
}

struct RegexParser {
    private let source: String
    private let chars: [Unicode.Scalar]
    private var index = 0
    /// Upper bound on a counted repetition, to keep the expanded program small.
    static let maxCount = 1000

    init(_ pattern: String) {
        source = pattern
        chars = Array(pattern.unicodeScalars)
    }

    /// Parses the whole pattern.
    mutating func parse() throws(TokenizerError) -> RegexNode {
        let node = try parseAlternation()
        if index < chars.count { throw fail("unmatched ')' at offset \(index)") }
        return node
    }

    private func fail(_ reason: String) -> TokenizerError {
        .invalidRegex(pattern: source, reason: reason)
    }

    private var peek: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

    private mutating func eat(_ c: Unicode.Scalar) -> Bool {
        if peek == c { index += 1; return true }
        return false
    }

    private mutating func parseAlternation() throws(TokenizerError) -> RegexNode {
        var branches = [try parseSequence()]
        while eat("|") { branches.append(try parseSequence()) }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseSequence() throws(TokenizerError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != "|", c != ")" {
            let atom = try parseAtom()
            items.append(try parseQuantifier(atom))
        }
        if items.isEmpty { return .empty }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseQuantifier(_ atom: RegexNode) throws(TokenizerError) -> RegexNode {
        var node = atom
        var quantified = false
        while let c = peek {
            let bounds: (Int, Int?)
            switch c {
            case "*": index += 1; bounds = (0, nil)
            case "+": index += 1; bounds = (1, nil)
            case "?": index += 1; bounds = (0, 1)
            case "{":
                guard let counted = try parseBraces() else { return node }
                bounds = counted
            default:
                return node
            }
            if quantified { throw fail("lazy or possessive quantifiers are not supported (offset \(index - 1))") }
            quantified = true
            switch node {
            case .startAnchor, .endAnchor, .wordBoundary, .lookahead, .empty:
                throw fail("nothing to repeat at offset \(index - 1)")
            default: break
            }
            if node.isNullable { throw fail("a repeated subpattern may match the empty string") }
            node = .repetition(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (nothing consumed) when `{` does not start a quantifier.
    private mutating func parseBraces() throws(TokenizerError) -> (Int, Int?)? {
        let start = index
        index += 1
        guard let low = parseNumber() else { index = start; throw fail("bad '{' at offset \(start)") }
        var high: Int? = low
        if eat(",") { high = parseNumber() }
        guard eat("}") else { index = start; throw fail("bad '{' quantifier at offset \(start)") }
        if let h = high, h < low { throw fail("quantifier {\(low),\(h)} has max < min") }
        if low > Self.maxCount || (high ?? 0) > Self.maxCount {
            throw fail("quantifier bound above \(Self.maxCount)")
        }
        return (low, high)
    }

    private mutating func parseNumber() -> Int? {
        var value: Int? = nil
        while let c = peek, c.value >= 0x30, c.value <= 0x39 {
            value = (value ?? 0) * 10 + Int(c.value - 0x30)
            if value ?? 0 > 1_000_000 { return value }
            index += 1
        }
        return value
    }

    private mutating func parseAtom() throws(TokenizerError) -> RegexNode {
        guard let c = peek else { throw fail("unexpected end of pattern") }
        index += 1
        switch c {
        case "(": return try parseGroup()
        case "[": return .set(try parseClass())
        case ".": return .set(CharSet(items: [.range(0x0A, 0x0A), .range(0x0D, 0x0D)], negated: true))
        case "^": return .startAnchor
        case "$": return .endAnchor
        case "*", "+", "?": throw fail("nothing to repeat at offset \(index - 1)")
        case "{": throw fail("bad '{' at offset \(index - 1)")
        case "\\":
            if eat("b") { return .wordBoundary(negated: false) }
            if eat("B") { return .wordBoundary(negated: true) }
            let items = try parseEscape(inClass: false)
            return .set(CharSet(items: items, negated: false))
        default:
            return .set(CharSet(items: [.range(c.value, c.value)], negated: false))
        }
    }

    private mutating func parseGroup() throws(TokenizerError) -> RegexNode {
        var look: Bool? = nil
        if eat("?") {
            if eat(":") {
            } else if eat("=") {
                look = false
            } else if eat("!") {
                look = true
            } else {
                throw fail("unsupported group syntax '(?\(peek.map { String($0) } ?? "")' at offset \(index)")
            }
        }
        let inner = try parseAlternation()
        guard eat(")") else { throw fail("missing ')'") }
        if let negated = look { return .lookahead(inner, negated: negated) }
        return inner
    }

    private mutating func parseClass() throws(TokenizerError) -> CharSet {
        let negated = eat("^")
        var items: [ClassItem] = []
        while true {
            guard let c = peek else { throw fail("missing ']'") }
            index += 1
            if c == "]" { break }
            var low: ClassItem
            if c == "\\" {
                if eat("b") { low = .range(0x08, 0x08) } else {
                    let escaped = try parseEscape(inClass: true)
                    guard escaped.count == 1 else { throw fail("bad class escape") }
                    low = escaped[0]
                }
            } else {
                low = .range(c.value, c.value)
            }
            // A range `a-b` (a '-' before ']' is literal).
            if case let .range(a, _) = low, peek == "-", index + 1 < chars.count, chars[index + 1] != "]" {
                index += 1
                guard let h = peek else { throw fail("missing ']'") }
                index += 1
                var highItem: ClassItem = .range(h.value, h.value)
                if h == "\\" {
                    let escaped = try parseEscape(inClass: true)
                    guard escaped.count == 1 else { throw fail("bad class escape") }
                    highItem = escaped[0]
                }
                guard case let .range(b, _) = highItem else { throw fail("class escape used as a range bound") }
                guard a <= b else { throw fail("range out of order in character class") }
                low = .range(a, b)
            }
            items.append(low)
        }
        return CharSet(items: items, negated: negated)
    }

    /// After a backslash: returns the class items the escape stands for.
    private mutating func parseEscape(inClass: Bool) throws(TokenizerError) -> [ClassItem] {
        guard let c = peek else { throw fail("pattern ends with '\\'") }
        index += 1
        func lit(_ v: UInt32) -> [ClassItem] { [.range(v, v)] }
        switch c {
        case "t": return lit(0x09)
        case "n": return lit(0x0A)
        case "v": return lit(0x0B)
        case "f": return lit(0x0C)
        case "r": return lit(0x0D)
        case "0": return lit(0)
        case "s": return [.space(negated: false)]
        case "S": return [.space(negated: true)]
        case "d": return [.digit(negated: false)]
        case "D": return [.digit(negated: true)]
        case "w": return [.word(negated: false)]
        case "W": return [.word(negated: true)]
        case "x": return lit(try parseHex(2))
        case "u": return lit(try parseHex(4))
        case "c":
            guard let l = peek, l.properties.isASCIIHexDigit || (l.value | 0x20 >= 0x61 && l.value | 0x20 <= 0x7A)
            else { throw fail("bad \\c escape") }
            index += 1
            return lit(l.value % 32)
        case "p": return [try parseProperty()]
        default:
            let v = c.value
            let alnum = (v >= 0x30 && v <= 0x39) || (v | 0x20 >= 0x61 && v | 0x20 <= 0x7A)
            if alnum { throw fail("unsupported escape '\\\(c)'") }
            return lit(v)
        }
    }

    private mutating func parseHex(_ digits: Int) throws(TokenizerError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let c = peek, let d = Int(String(c), radix: 16) else { throw fail("bad hex escape") }
            value = value * 16 + UInt32(d)
            index += 1
        }
        return value
    }

    private mutating func parseProperty() throws(TokenizerError) -> ClassItem {
        guard eat("{") else { throw fail("expected '{' after \\p") }
        var name = ""
        while let c = peek, c != "}" { name.unicodeScalars.append(c); index += 1 }
        guard eat("}") else { throw fail("missing '}' after \\p{") }
        switch name {
        case "L", "Lu", "Ll", "Lt", "Lm", "Lo": return .category(.letter)
        case "N": return .category(.number)
        case "P": return .category(.punctuation)
        case "M": return .category(.mark)
        case "S": return .category(.symbol)
        case "Han": return .han
        default: throw fail("unsupported Unicode property \\p{\(name)}")
        }
    }
}
