/// JSONWriter: `JSONValue` → JSON text, in one of a few styles.
///
/// * `.compact` — `{"a":1,"b":[true,null]}`: no whitespace; what the constraint compiler, the
///   output parsers and the service pass around.
/// * `.python(indent:sortKeys:itemSeparator:keySeparator:ensureASCII:)` — byte for byte what
///   Python's `json.dumps` writes with the same arguments (the Jinja `tojson` filter):
///   default separators `", "` / `": "` (`","` between items once `indent` is set), a newline
///   plus `indent × level` spaces before each item and before a closing bracket, `[]` / `{}` for
///   empty containers, keys sorted by code point when `sortKeys`.
///
/// Strings escape `"` `\` and U+0000–U+001F (`\n \r \t \b \f`, else `\u00xx`, lowercase hex);
/// everything else is written as is, unless `asciiOnly`: then every non-ASCII scalar becomes
/// `\uxxxx` (a surrogate pair above U+FFFF), as Python's default `ensure_ascii=True`.
/// Numbers are written as their text (`JSONValue.number` keeps the source form).

/// How `serialized` lays out JSON text.
public struct JSONStyle: Sendable, Equatable {
    /// Spaces per nesting level; nil writes everything on one line.
    public var indent: Int?
    /// Written between two items of an array or object.
    public var itemSeparator: String
    /// Written between a key and its value.
    public var keySeparator: String
    /// Writes object members sorted by key (code point order) instead of in source order.
    public var sortKeys: Bool
    /// Escapes every non-ASCII scalar as `\uxxxx`.
    public var asciiOnly: Bool

    /// A style from its parts.
    public init(indent: Int? = nil, itemSeparator: String = ",", keySeparator: String = ":", sortKeys: Bool = false, asciiOnly: Bool = false) {
        self.indent = indent
        self.itemSeparator = itemSeparator
        self.keySeparator = keySeparator
        self.sortKeys = sortKeys
        self.asciiOnly = asciiOnly
    }

    /// No whitespace, source order, UTF-8 as is.
    public static let compact = JSONStyle()

    /// Python's `json.dumps(x, indent=…, separators=(item, key), sort_keys=…, ensure_ascii=…)`.
    public static func python(indent: Int? = nil, sortKeys: Bool = false, itemSeparator: String? = nil,
                              keySeparator: String? = nil, ensureASCII: Bool = true) -> JSONStyle {
        JSONStyle(indent: indent, itemSeparator: itemSeparator ?? (indent == nil ? ", " : ","),
                  keySeparator: keySeparator ?? ": ", sortKeys: sortKeys, asciiOnly: ensureASCII)
    }
}

extension JSONValue {
    /// This value as JSON text in `style` (compact unless told).
    public func serialized(_ style: JSONStyle = .compact) -> String {
        var out = ""
        write(to: &out, style, level: 0)
        return out
    }

    /// `s` as a JSON string literal, quotes included.
    public static func quoted(_ s: String, asciiOnly: Bool = false) -> String {
        var out = ""
        writeString(s, to: &out, asciiOnly: asciiOnly)
        return out
    }

    /// Appends this value's JSON text in `style` at nesting `level` to `out`.
    public func write(to out: inout String, _ style: JSONStyle, level: Int = 0) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += n
        case let .string(s): Self.writeString(s, to: &out, asciiOnly: style.asciiOnly)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += style.itemSeparator }
                Self.newline(&out, style, level + 1)
                item.write(to: &out, style, level: level + 1)
            }
            Self.newline(&out, style, level)
            out += "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            let ordered = style.sortKeys ? members.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } : members
            for (n, m) in ordered.enumerated() {
                if n > 0 { out += style.itemSeparator }
                Self.newline(&out, style, level + 1)
                Self.writeString(m.key, to: &out, asciiOnly: style.asciiOnly)
                out += style.keySeparator
                m.value.write(to: &out, style, level: level + 1)
            }
            Self.newline(&out, style, level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ style: JSONStyle, _ level: Int) {
        guard let indent = style.indent else { return }
        out += "\n" + String(repeating: " ", count: max(0, indent) * level)   // Python: indent ≤ 0 → newlines only
    }

    /// Appends `s` as a JSON string literal to `out`.
    public static func writeString(_ s: String, to out: inout String, asciiOnly: Bool = false) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            case "\u{0}"..."\u{1f}": out += "\\u" + hex4(c.value)
            default:
                if !asciiOnly || c.isASCII {
                    out.unicodeScalars.append(c)
                } else if c.value < 0x10000 {
                    out += "\\u" + hex4(c.value)
                } else {
                    let v = c.value - 0x10000
                    out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
