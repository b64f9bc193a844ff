// JSONGrammar: the RFC 8259 building blocks every constraint uses, as shared GrammarBuilder rules.
//
//   ws      ::= "" | " " | "\n" [ \t]{0,20}          (llama.cpp's json.gbnf: bounded, so a model
//                                                    cannot loop on whitespace; one slot per gap)
//   value   ::= object | array | string | number | "true" | "false" | "null"
//   object  ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
//   array   ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
//   string  ::= "\"" char* "\""
//   char    ::= one code point: [\x20-\x7F] except " and \  |  well-formed UTF-8 (table below)
//             | "\" ["\/bfnrt]  |  "\u" hex4 (not a surrogate)  |  "\u" D800–DBFF "\u" DC00–DFFF
//   number  ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?
//   integer ::= "0" | "-"? [1-9] [0-9]{0,15}                 (no "-0" for integers)
// Whitespace sits after every token inside containers and never before or after the top-level
// value. Digit runs are bounded (16 integer digits, as llama.cpp; 16 fraction digits) for the same
// reason as whitespace, and exponents have at most 2 digits so every number is a finite IEEE
// double (below 1e116; Foundation's JSONSerialization rejects 1e517, Python reads it as inf).
// Lone surrogate escapes are rejected, so one `char` is exactly one Unicode code point and
// minLength/maxLength count what validators count.
//
// Well-formed UTF-8 (Unicode Table 3-7): 00–7F | C2–DF 80–BF | E0 A0–BF 80–BF | E1–EC 80–BF 80–BF
// | ED 80–9F 80–BF | EE–EF 80–BF 80–BF | F0 90–BF 80–BF 80–BF | F1–F3 80–BF ×3 | F4 80–8F 80–BF ×2.

extension GrammarBuilder {
    static let digit = ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))
    static let nonZeroDigit = ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9"))
    static let hex = ByteSet(ascii: "0123456789abcdefABCDEF")
    static let continuation = ByteSet(0x80...0xBF)
    /// Printable ASCII allowed raw inside a string: 0x20–0x7F except `"` and `\`.
    static let plainASCII = ByteSet(0x20...0x7F).subtracting(ByteSet(ascii: "\"\\"))

    /// Multi-byte UTF-8 sequences: lead class, then the classes of the continuation bytes.
    static let utf8Sequences: [[ByteSet]] = [
        [ByteSet(0xC2...0xDF), continuation],
        [ByteSet([0xE0]), ByteSet(0xA0...0xBF), continuation],
        [ByteSet(0xE1...0xEC), continuation, continuation],
        [ByteSet([0xED]), ByteSet(0x80...0x9F), continuation],
        [ByteSet(0xEE...0xEF), continuation, continuation],
        [ByteSet([0xF0]), ByteSet(0x90...0xBF), continuation, continuation],
        [ByteSet(0xF1...0xF3), continuation, continuation, continuation],
        [ByteSet([0xF4]), ByteSet(0x80...0x8F), continuation, continuation],
    ]

    /// Whitespace between two tokens: "" | " " | "\n" [ \t]{0,20}.
    mutating func ws() -> Int {
        shared("ws") { b, _ in
            let indent = b.repeated("indent", [.bytes(ByteSet(ascii: " \t"))], min: 0, max: 20)
            return [[], Self.literal(" "), Self.literal("\n") + [.rule(indent)]]
        }
    }

    /// One string character (one code point): raw, or an escape unless `escapes` is false.
    mutating func stringChar(escapes: Bool = true) -> Int {
        shared(escapes ? "char" : "char-raw") { b, _ in
            var alternatives: [Alternative] = [[.bytes(Self.plainASCII)]]
            alternatives += Self.utf8Sequences.map { $0.map { .bytes($0) } }
            if escapes { alternatives.append([.bytes(ByteSet([UInt8(ascii: "\\")])), .rule(b.escape())]) }
            return alternatives
        }
    }

    /// What follows a backslash in a string.
    private mutating func escape() -> Int {
        shared("escape") { _, _ in
            let h = Symbol.bytes(Self.hex)
            let u = Symbol.bytes(ByteSet(ascii: "u"))
            let d = Symbol.bytes(ByteSet(ascii: "Dd"))
            return [
                [.bytes(ByteSet(ascii: "\"\\/bfnrt"))],
                [u, .bytes(Self.hex.subtracting(ByteSet(ascii: "Dd"))), h, h, h],
                [u, d, .bytes(ByteSet(ascii: "01234567")), h, h],
                [u, d, .bytes(ByteSet(ascii: "89ABab")), h, h]
                    + Self.literal("\\u") + [d, .bytes(ByteSet(ascii: "CDEFcdef")), h, h],
            ]
        }
    }

    /// A JSON string of `min…max` code points (max nil = unbounded), quotes included.
    mutating func string(min: Int = 0, max: Int? = nil) -> Int {
        shared("string{\(min),\(max.map(String.init) ?? "")}") { b, _ in
            let body = b.repeated("string-body", [.rule(b.stringChar())], min: min, max: max)
            return [Self.literal("\"") + [.rule(body)] + Self.literal("\"")]
        }
    }

    /// `[0-9]{min,max}`.
    mutating func digits(min: Int, max: Int?) -> Int {
        shared("digits{\(min),\(max.map(String.init) ?? "")}") { b, _ in
            [[.rule(b.repeated("digits", [.bytes(Self.digit)], min: min, max: max))]]
        }
    }

    /// A JSON integer: "0" | "-"? [1-9][0-9]{0,15} (no "-0").
    mutating func integer() -> Int {
        shared("integer") { b, _ in
            let nonZero: Alternative = [.bytes(Self.nonZeroDigit), .rule(b.digits(min: 0, max: 15))]
            return [Self.literal("0"), nonZero, Self.literal("-") + nonZero]
        }
    }

    /// A JSON number with bounded digit runs ("-0", "-0.5" allowed).
    mutating func number() -> Int {
        shared("number") { b, _ in
            let magnitude = b.rule("magnitude", [
                Self.literal("0"), [.bytes(Self.nonZeroDigit), .rule(b.digits(min: 0, max: 15))],
            ])
            let integerPart = b.rule("integer-part", [[.rule(magnitude)], Self.literal("-") + [.rule(magnitude)]])
            let fraction = b.optional("fraction", Self.literal(".") + [.rule(b.digits(min: 1, max: 16))])
            let exponent = b.optional("exponent", [
                .bytes(ByteSet(ascii: "eE")), .rule(b.optional("sign", [.bytes(ByteSet(ascii: "+-"))])),
                .rule(b.digits(min: 1, max: 2)),
            ])
            return [[.rule(integerPart), .rule(fraction), .rule(exponent)]]
        }
    }

    /// `[ "true", "false" ]` as a rule.
    mutating func boolean() -> Int {
        shared("boolean") { _, _ in [Self.literal("true"), Self.literal("false")] }
    }

    /// The literal `null`.
    mutating func null() -> Int {
        shared("null") { _, _ in [Self.literal("null")] }
    }

    /// Any JSON value.
    mutating func anyValue() -> Int {
        shared("value") { b, _ in
            [b.anyObject(), b.anyArray(), b.string(), b.number(), b.boolean(), b.null()].map { [.rule($0)] }
        }
    }

    /// Any JSON object.
    mutating func anyObject() -> Int {
        shared("object") { b, _ in
            let w = Symbol.rule(b.ws())
            let member = [.rule(b.string()), w] + Self.literal(":") + [w, .rule(b.anyValue()), w]
            return [Self.literal("{") + [w, .rule(b.list("members", member))] + Self.literal("}")]
        }
    }

    /// Any JSON array.
    mutating func anyArray() -> Int {
        shared("array") { b, _ in
            let element: Alternative = [.rule(b.anyValue()), .rule(b.ws())]
            return [Self.literal("[") + [.rule(b.ws()), .rule(b.list("elements", element))] + Self.literal("]")]
        }
    }

    /// `(item ("," ws item)*)?` where `item` already ends with its trailing whitespace.
    mutating func list(_ name: String, _ item: Alternative) -> Int {
        let more = reserve(name + "-more")
        define(more, [Self.literal(",") + [.rule(ws())] + item + [.rule(more)], []])
        return rule(name, [item + [.rule(more)], []])
    }
}
