// Formats: grammars for the string formats Loom enforces (quotes included), exact to RFC 3339 so
// that validators with format checking (Python jsonschema + rfc3339-validator) accept every output.
//
//   date       YYYY-MM-DD, year 0001–9999, day valid for its month; 02-29 only in leap years
//              (divisible by 4, centuries only when divisible by 400)
//   time       HH:MM:SS ("." 1–9 digits)? then "Z" or ±HH:MM — RFC 3339 full-time, whose offset is
//              required; hours 00–23, minutes and seconds 00–59 (no leap second)
//   date-time  date "T" time
//   uuid       8-4-4-4-12 hex digits, either case
// Any other `format` value is reported as unsupported by the schema compiler.

extension GrammarBuilder {
    /// The formats with a grammar.
    static let supportedFormats: Set<String> = ["date", "time", "date-time", "uuid"]

    /// A quoted string in `format`, or nil for a format without a grammar.
    mutating func formattedString(_ format: String) -> Int? {
        guard Self.supportedFormats.contains(format) else { return nil }
        return shared("format-\(format)") { b, _ in
            let body: Int
            switch format {
            case "date": body = b.date()
            case "time": body = b.time()
            case "date-time": body = b.rule("date-time", [[.rule(b.date())] + Self.literal("T") + [.rule(b.time())]])
            default: body = b.uuid()
            }
            return [Self.literal("\"") + [.rule(body)] + Self.literal("\"")]
        }
    }

    private static func set(_ s: String) -> Symbol { .bytes(ByteSet(ascii: s)) }
    private static let d = Symbol.bytes(digit)

    /// Two digits: 00–23.
    private static let hour: [Alternative] = [[set("01"), d], [set("2"), set("0123")]]
    /// Two digits: 00–59.
    private static let sixty: Alternative = [set("012345"), d]

    private mutating func date() -> Int {
        shared("date") { b, _ in
            let d = Self.d
            let year = b.rule("year", [
                Self.literal("000") + [.bytes(Self.nonZeroDigit)],
                Self.literal("00") + [.bytes(Self.nonZeroDigit), d],
                Self.literal("0") + [.bytes(Self.nonZeroDigit), d, d],
                [.bytes(Self.nonZeroDigit), d, d, d],
            ])
            // Two digits that form a non-zero multiple of 4: 04 08 12 16 20 … 96.
            let fourfold: [Alternative] = [
                [Self.set("02468"), Self.set("48")], [Self.set("2468"), Self.set("0")], [Self.set("13579"), Self.set("26")],
            ]
            let multipleOf4 = b.rule("mult4", fourfold)
            let leapYear = b.rule("leap-year", [
                [d, d, .rule(multipleOf4)], [.rule(multipleOf4)] + Self.literal("00"),
            ])
            let day28: [Alternative] = [
                [Self.set("0"), .bytes(Self.nonZeroDigit)], [Self.set("1"), d], [Self.set("2"), Self.set("012345678")],
            ]
            let day30 = b.rule("day30", day28 + [[Self.set("2"), Self.set("9")], Self.literal("30")])
            let day31 = b.rule("day31", [[.rule(day30)], Self.literal("31")])
            let long = b.rule("month31", ["01", "03", "05", "07", "08", "10", "12"].map { Self.literal($0) })
            let short = b.rule("month30", ["04", "06", "09", "11"].map { Self.literal($0) })
            let monthDay = b.rule("month-day", [
                [.rule(long)] + Self.literal("-") + [.rule(day31)],
                [.rule(short)] + Self.literal("-") + [.rule(day30)],
                Self.literal("02-") + [.rule(b.rule("day28", day28))],
            ])
            return [
                [.rule(year)] + Self.literal("-") + [.rule(monthDay)],
                [.rule(leapYear)] + Self.literal("-02-29"),
            ]
        }
    }

    private mutating func time() -> Int {
        shared("time") { b, _ in
            let hour = b.rule("hour", Self.hour)
            let fraction = b.optional("time-fraction", Self.literal(".") + [.rule(b.digits(min: 1, max: 9))])
            let offset = b.rule("offset", [
                Self.literal("Z"), [Self.set("+-"), .rule(hour)] + Self.literal(":") + Self.sixty,
            ])
            return [
                [.rule(hour)] + Self.literal(":") + Self.sixty + Self.literal(":") + Self.sixty
                    + [.rule(fraction), .rule(offset)],
            ]
        }
    }

    private mutating func uuid() -> Int {
        shared("uuid") { _, _ in
            let h = Symbol.bytes(Self.hex)
            var seq: Alternative = []
            for (i, n) in [8, 4, 4, 4, 12].enumerated() {
                if i > 0 { seq += Self.literal("-") }
                seq += Array(repeating: h, count: n)
            }
            return [seq]
        }
    }
}
