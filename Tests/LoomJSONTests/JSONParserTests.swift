// LoomJSON's parser: strict RFC 8259 with byte offsets in errors, source order and number text kept,
// repeated keys merged as Python's dict, nesting limit; the writers; the scans of streamed JSON.

import Testing
@testable import LoomJSON

@Suite("LoomJSON parser")
struct JSONParserTests {
    @Test("objects keep source order; numbers keep their text; strings decode escapes and surrogate pairs")
    func orderAndText() throws {
        let v = try JSONValue.parse(#" {"z": 1.50, "a": [true, null, -0, 2E+3], "m": "é\u00e9\"\ud83d\ude00\/"} "#)
        #expect(v.members?.map(\.key) == ["z", "a", "m"])
        #expect(v["z"] == .number("1.50"))
        #expect(v["a"] == [true, .null, .number("-0"), .number("2E+3")])
        #expect(v["m"] == "éé\"😀/")
        #expect(v.serialized() == #"{"z":1.50,"a":[true,null,-0,2E+3],"m":"éé\"😀/"}"#)
    }

    @Test("a repeated key keeps its first position and takes the last value; keys compare by code point")
    func duplicates() throws {
        let v = try JSONValue.parse(#"{"a": 1, "b": 2, "a": 3, "e\u0301": 4, "é": 5}"#)
        #expect(v.members?.map(\.key.unicodeScalars.count) == [1, 1, 2, 1])
        #expect(v.serialized() == "{\"a\":3,\"b\":2,\"e\u{301}\":4,\"é\":5}")
        let many = "{" + (0..<40).map { "\"k\($0 % 20)\": \($0)" }.joined(separator: ",") + "}"
        let m = try JSONValue.parse(many)
        #expect(m.members?.count == 20)
        #expect(m["k3"] == .number("23"))
    }

    @Test("invalid JSON throws with the offset of the first bad byte", arguments: [
        (#"{"a": 01}"#, 7), (#"{"a": "\ud800"}"#, 13), (#"{"a": 1.}"#, 8), (#"{"a" 1}"#, 5), (#"{"a": tru}"#, 6),
        (#"{"a": 1,}"#, 8), ("[1] x", 4), ("", 0), ("\"a\u{1}\"", 2), (#""\x""#, 2), ("[1,", 3), (#"{"a":"#, 5),
    ])
    func errors(text: String, offset: Int) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
        do { _ = try JSONValue.parse(text) } catch { #expect(error.offset == offset, "\(text): \(error)") }
    }

    @Test("invalid UTF-8 inside a string is an error; raw control characters only when allowed")
    func bytesAndControls() throws {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
        let raw = "\"x\ny\u{1}\""
        #expect(throws: JSONError.self) { try JSONValue.parse(raw) }
        let lenient = try JSONValue.parse(raw, options: .init(allowsControlCharacters: true))
        #expect(lenient.serialized() == #""x\ny\u0001""#)
    }

    @Test("nesting beyond maxDepth throws; at maxDepth parses")
    func depth() throws {
        let deep = { (n: Int) in String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        #expect(throws: JSONError.self) { try JSONValue.parse(deep(129), options: .init(maxDepth: 128)) }
        #expect(try JSONValue.parse(deep(128), options: .init(maxDepth: 128)) != .null)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep(100_000)) }
    }

    @Test("numbers read as Int / Double; Swift numbers become JSON text")
    func numbers() throws {
        #expect(JSONValue.number("3e2").intValue == 300)
        #expect(JSONValue.number("3.5").intValue == nil)
        #expect(JSONValue.number("-1.25").doubleValue == -1.25)
        #expect(JSONValue(2.0) == .number("2"))
        #expect(JSONValue(0.1) == .number("0.1"))
        #expect(JSONValue(Double.nan) == .number("NaN"))
        #expect(JSONValue(42) == 42)
        #expect(JSONValue.number("1e5").typeName == "number")
        #expect(JSONValue.number("-7").typeName == "integer")
        let big = "123456789012345678901234567890"
        #expect(try JSONValue.parse(big).serialized() == big)
    }

    @Test("memberRanges gives each top-level member's source bytes")
    func rawMembers() throws {
        let body = #"{"model": "m", "format": {"type":"object","properties":{"z":{"type":"string"},"a":{}}}, "stream": false}"#
        let bytes = Array(body.utf8)
        let ranges = try JSONValue.memberRanges(in: bytes)
        #expect(ranges.map(\.key) == ["model", "format", "stream"])
        #expect(String(decoding: bytes[ranges[1].range], as: UTF8.self) == #"{"type":"object","properties":{"z":{"type":"string"},"a":{}}}"#)
        #expect(String(decoding: bytes[ranges[2].range], as: UTF8.self) == "false")
        #expect(throws: JSONError.self) { try JSONValue.memberRanges(in: Array("[1]".utf8)) }
        #expect(throws: JSONError.self) { try JSONValue.memberRanges(in: Array(#"{"format": {"a": [1, 2"#.utf8)) }
    }
}

@Suite("LoomJSON writer")
struct JSONWriterTests {
    static let value: JSONValue = ["b": [1, "x\u{7f}é😀"], "a": [:], "c": [], "d": ["k": nil as JSONValue? ?? .null]]

    @Test("compact and Python json.dumps styles")
    func styles() {
        let v = Self.value
        #expect(v.serialized() == "{\"b\":[1,\"x\u{7f}é😀\"],\"a\":{},\"c\":[],\"d\":{\"k\":null}}")
        #expect(v.serialized(.python(ensureASCII: false)) == "{\"b\": [1, \"x\u{7f}é😀\"], \"a\": {}, \"c\": [], \"d\": {\"k\": null}}")
        #expect(v.serialized(.python()) == #"{"b": [1, "x"# + "\u{7f}" + #"\u00e9\ud83d\ude00"], "a": {}, "c": [], "d": {"k": null}}"#)
        #expect(v.serialized(.python(indent: 2, sortKeys: true, ensureASCII: false))
                == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    \"x\u{7f}é😀\"\n  ],\n  \"c\": [],\n  \"d\": {\n    \"k\": null\n  }\n}")
        #expect(v.serialized(.python(itemSeparator: ",", keySeparator: ":", ensureASCII: false)) == v.serialized())
    }

    @Test("strings escape quotes, backslashes and controls only")
    func escapes() {
        #expect(JSONValue.quoted("\"\\\n\r\t\u{8}\u{c}\u{0}\u{1f}/<>") == #""\"\\\n\r\t\b\f\u0000\u001f/<>""#)
    }

    @Test("parse ∘ serialize is the identity on compact text")
    func roundTrip() throws {
        for text in [#"{"a":[1,2.50,-3e-7,{"b":null}],"c":"\u0001\"","":{}}"#, "[]", "\"\"", "0", "-0.0", "true"] {
            #expect(try JSONValue.parse(text).serialized() == text)
        }
    }
}

@Suite("LoomJSON scans")
struct JSONScanTests {
    @Test("BalanceScanner finds the end of a value fed in pieces; brackets in strings do not count")
    func balance() {
        let text = Array(#"xx{"a": "}\"]", "b": [1, {"c": 2}]} tail"#.utf8)
        var scanner = BalanceScanner()
        var end: Int?
        for n in stride(from: 3, through: text.count, by: 3) where end == nil { end = scanner.scan(Array(text[..<n]), from: 2) }
        #expect(end == 33)
    }

    @Test("peekName reads the top-level name once its string is complete")
    func peek() {
        #expect(JSONScan.peekName(Array(#"{"arguments": {"name": "x"}, "name": "get_weather", "argu"#.utf8), from: 0) == "get_weather")
        #expect(JSONScan.peekName(Array(#"{"name": "get_wea"#.utf8), from: 0) == nil)
        #expect(JSONScan.peekName(Array(#"{"name": "a\u00e9"}"#.utf8), from: 0) == "aé")
    }
}
