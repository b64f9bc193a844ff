// Number ranges and string formats, checked exhaustively over small domains: the grammar accepts
// exactly the values the schema allows (compared with exact integer/decimal arithmetic here).

import Testing
@testable import LoomSampling

@Suite("Constraint ranges and formats")
struct ConstraintRangeTests {
    @Test("integer ranges accept exactly the integers in range", arguments: [
        #""minimum":-123,"maximum":4567"#, #""minimum":0"#, #""maximum":-7"#, #""minimum":10,"maximum":10"#,
        #""exclusiveMinimum":-1,"exclusiveMaximum":100"#, #""minimum":1.5,"maximum":99.9"#,
        #""minimum":-99.5,"exclusiveMaximum":-0.5"#, #""minimum":5,"exclusiveMinimum":true"#,
        #""minimum":-1e2,"maximum":1E3"#, #""maximum":9,"exclusiveMaximum":false"#,
    ])
    func integerRanges(bounds: String) throws {
        let spec = try JSONConstraintSpec(schemaJSON: "{\"type\":\"integer\",\(bounds)}")
        let (lo, hi) = Self.integerBounds(bounds)
        for n in -1200...5000 {
            #expect(matches(spec, String(n)) == (n >= lo && n <= hi), "\(n) with \(bounds)")
        }
        #expect(!matches(spec, "-0") && !matches(spec, "1.0"))
    }

    /// The inclusive integer bounds the test cases above mean (independent of the compiler).
    static func integerBounds(_ bounds: String) -> (Int, Int) {
        switch bounds {
        case #""minimum":-123,"maximum":4567"#: return (-123, 4567)
        case #""minimum":0"#: return (0, .max)
        case #""maximum":-7"#: return (.min, -7)
        case #""minimum":10,"maximum":10"#: return (10, 10)
        case #""exclusiveMinimum":-1,"exclusiveMaximum":100"#: return (0, 99)
        case #""minimum":1.5,"maximum":99.9"#: return (2, 99)
        case #""minimum":-99.5,"exclusiveMaximum":-0.5"#: return (-99, -1)
        case #""minimum":5,"exclusiveMinimum":true"#: return (6, .max)
        case #""minimum":-1e2,"maximum":1E3"#: return (-100, 1000)
        default: return (.min, 9)
        }
    }

    @Test("integers with one bound stop at 16 digits (or the bound's length)")
    func integerDigitCap() throws {
        let spec = try JSONConstraintSpec(schemaJSON: #"{"type":"integer","minimum":-5}"#)
        #expect(matches(spec, "9999999999999999") && !matches(spec, "10000000000000000"))
        let big = try JSONConstraintSpec(schemaJSON: #"{"type":"integer","minimum":123456789012345678}"#)
        #expect(matches(big, "123456789012345678") && !matches(big, "123456789012345677"))
    }

    /// Decimal texts with up to 2 fraction digits between −12 and 12, as (text, value × 100).
    static let decimals: [(String, Int)] = {
        var out: [(String, Int)] = []
        for hundredths in -1200...1200 where hundredths % 7 == 0 || abs(hundredths) % 100 == 0 || abs(hundredths) < 10 {
            let sign = hundredths < 0 ? "-" : ""
            let m = abs(hundredths)
            let frac = m % 100
            let fracText = frac < 10 ? "0\(frac)" : "\(frac)"
            out.append((sign + "\(m / 100).\(fracText)", hundredths))
            if frac == 0 { out.append((sign + "\(m / 100)", hundredths)); out.append((sign + "\(m / 100).0", hundredths)) }
            if frac % 10 == 0 { out.append((sign + "\(m / 100).\(frac / 10)", hundredths)) }
        }
        return out.filter { !$0.0.hasPrefix("-0") || $0.1 != 0 }
    }()

    @Test("number ranges with integer bounds accept exactly the decimals in range", arguments: [
        (#""minimum":0,"maximum":1"#, 0, false, 100, false), (#""exclusiveMinimum":0"#, 0, true, nil, false),
        (#""minimum":-5,"exclusiveMaximum":3"#, -500, false, 300, true),
        (#""exclusiveMinimum":-2,"maximum":-1"#, -200, true, -100, false),
        (#""maximum":0"#, nil, false, 0, false), (#""exclusiveMaximum":0"#, nil, false, 0, true),
        (#""minimum":2,"maximum":2"#, 200, false, 200, false),
    ] as [(String, Int?, Bool, Int?, Bool)])
    func numberRanges(bounds: String, lo: Int?, loExclusive: Bool, hi: Int?, hiExclusive: Bool) throws {
        let spec = try JSONConstraintSpec(schemaJSON: "{\"type\":\"number\",\(bounds)}")
        for (text, v) in Self.decimals {
            var inRange = true
            if let lo { inRange = inRange && (loExclusive ? v > lo : v >= lo) }
            if let hi { inRange = inRange && (hiExclusive ? v < hi : v <= hi) }
            #expect(matches(spec, text) == inRange, "\(text) with \(bounds)")
        }
        #expect(!matches(spec, "1e0") && !matches(spec, "-0"))
    }

    @Test("date: real calendar days only, leap years included", arguments: [
        ("2024-02-29", true), ("2000-02-29", true), ("2023-02-29", false), ("1900-02-29", false),
        ("0004-02-29", true), ("0400-02-29", true), ("0100-02-29", false), ("2023-04-31", false),
        ("2023-04-30", true), ("2023-12-31", true), ("2023-13-01", false), ("2023-00-10", false),
        ("0000-01-01", false), ("0001-01-01", true), ("9999-12-31", true), ("2023-01-00", false),
        ("2023-1-01", false), ("2023-01-32", false), ("1996-02-29", true), ("1997-02-28", true),
    ])
    func dates(text: String, valid: Bool) throws {
        let spec = try JSONConstraintSpec(schemaJSON: #"{"type":"string","format":"date"}"#)
        #expect(matches(spec, "\"\(text)\"") == valid)
    }

    @Test("time, date-time and uuid")
    func otherFormats() throws {
        try checkSchema(#"{"format":"time"}"#,
                  yes: [#""00:00:00Z""#, #""23:59:59.123456789+14:00""#, #""12:30:05-05:30""#],
                  no: [#""24:00:00Z""#, #""12:60:00Z""#, #""12:00:60Z""#, #""12:00:00""#, #""12:00Z""#,
                       #""12:00:00.Z""#, #""12:00:00.1234567890Z""#, #""12:00:00z""#])
        try checkSchema(#"{"type":"string","format":"date-time"}"#,
                  yes: [#""2024-02-29T23:59:59Z""#, #""1999-12-31T00:00:00.5+01:00""#],
                  no: [#""2024-02-29 23:59:59Z""#, #""2023-02-29T00:00:00Z""#, #""2024-01-01T00:00:00""#])
        try checkSchema(#"{"type":"string","format":"uuid"}"#,
                  yes: [#""123e4567-e89b-12d3-a456-426614174000""#, #""ABCDEF01-2345-6789-ABCD-EF0123456789""#],
                  no: [#""123e4567e89b12d3a456426614174000""#, #""123e4567-e89b-12d3-a456-42661417400""#,
                       #""g23e4567-e89b-12d3-a456-426614174000""#])
    }
}
