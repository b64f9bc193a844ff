// JSONValueDecoder: Decodable types from one parse; errors as Foundation's JSONDecoder reports them.

import Testing
@testable import LoomJSON

@Suite("LoomJSON Codable")
struct JSONDecoderTests {
    struct Request: Decodable, Equatable {
        var model: String
        var stream: Bool?
        var count: Int?
        var ratio: Double?
        var tags: [String]?
        var format: JSONValue?
        enum CodingKeys: String, CodingKey { case model, stream, count, ratio, tags, format }
    }

    @Test("decodes typed members and keeps a JSONValue member as parsed")
    func decode() throws {
        let body = #"{"model": "m", "stream": false, "count": 3e1, "ratio": 1, "tags": ["a"], "format": {"z": 1.0, "a": {}}}"#
        let r = try JSONValueDecoder().decode(Request.self, from: Array(body.utf8))
        #expect(r == Request(model: "m", stream: false, count: 30, ratio: 1, tags: ["a"], format: ["z": .number("1.0"), "a": [:]]))
        let nulls = try JSONValueDecoder().decode(Request.self, from: Array(#"{"model": "m", "stream": null, "format": null}"#.utf8))
        #expect(nulls.stream == nil && nulls.format == nil)
    }

    @Test("errors: missing key, wrong type, null, number out of range, not JSON")
    func errors() {
        func error(_ body: String) -> DecodingError? {
            do { _ = try JSONValueDecoder().decode(Request.self, from: Array(body.utf8)); return nil } catch { return error as? DecodingError }
        }
        guard case .keyNotFound(let key, _)? = error("{}") else { Issue.record("keyNotFound"); return }
        #expect(key.stringValue == "model")
        guard case .typeMismatch(_, let c)? = error(#"{"model": "m", "tags": [1]}"#) else { Issue.record("typeMismatch"); return }
        #expect(c.codingPath.map(\.stringValue) == ["tags", "Index 0"])
        guard case .valueNotFound? = error(#"{"model": null}"#) else { Issue.record("valueNotFound"); return }
        guard case .dataCorrupted(let d)? = error(#"{"model": "m", "count": 1.5}"#) else { Issue.record("dataCorrupted"); return }
        #expect(d.codingPath.map(\.stringValue) == ["count"])
        guard case .dataCorrupted(let e)? = error(#"{"model": "#) else { Issue.record("not JSON"); return }
        #expect(e.codingPath.isEmpty && e.debugDescription.contains("at byte 10"))
    }

    @Test("JSONValue decodes through any decoder and encodes numbers as integers when integral")
    func codable() throws {
        let v = try JSONValueDecoder().decode([JSONValue].self, from: Array(#"[1.0, 2.5, "x", {"b": true, "a": null}]"#.utf8))
        #expect(v == [.number("1.0"), .number("2.5"), "x", ["b": true, "a": .null]])
    }
}
