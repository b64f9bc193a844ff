// Fixture access for the template golden tests: the repo root, the list of template files, the
// conversations (parsed with JinjaValue.parseJSON so object key order survives), the jinja2 goldens
// (Fixtures/templates/goldens.json, from Scripts/make_template_goldens.py), and a compact diff.

import Foundation
import LoomTemplate

enum TemplateFixtures {
    /// Repo root: three levels up from this file (Tests/LoomTemplateTests/<file>).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Fixtures/templates, where the .jinja files, conversations.json and goldens.json live.
    static let directory = root + "/Fixtures/templates"

    /// The fixed time strftime_now returns in the goldens (2026-01-15 10:30:45, a Thursday).
    static let now = TemplateDate(year: 2026, month: 1, day: 15, hour: 10, minute: 30, second: 45)

    /// Every `*.jinja` under Fixtures/templates, as sorted paths relative to it ("llama.cpp/X.jinja").
    static let templateNames: [String] = {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var names: [String] = []
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".jinja") { names.append(path) }
        }
        return names.sorted()
    }()

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: directory + "/" + relative, encoding: .utf8)
    }

    /// conversations.json: name → render context, in file order.
    static func conversations() throws -> [(name: String, context: JinjaObject)] {
        guard case .object(let root) = try JinjaValue.parseJSON(try read("conversations.json")) else {
            throw FixtureError("conversations.json is not a JSON object")
        }
        return try root.keys.map { (name: String) throws -> (name: String, context: JinjaObject) in
            guard case .object(let context)? = root[name] else {
                throw FixtureError("conversations.json: \(name) is not an object")
            }
            return (name: name, context: context)
        }
    }

    /// goldens.json, decoded.
    static func goldens() throws -> GoldenFile {
        let data = Data(try read("goldens.json").utf8)
        return try JSONDecoder().decode(GoldenFile.self, from: data)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Fixtures/templates/goldens.json.
struct GoldenFile: Decodable, Sendable {
    let generator: String
    let jinja2: String
    let now: String
    let templates: [String: GoldenTemplate]
}

/// One template: either jinja2 could not compile it, or one result per conversation.
struct GoldenTemplate: Decodable, Sendable {
    let compileError: String?
    let conversations: [String: GoldenRender]?
    enum CodingKeys: String, CodingKey {
        case compileError = "compile_error"
        case conversations
    }
}

/// One render: the exact text, or the exception jinja2 raised ("<class>: <message>").
struct GoldenRender: Decodable, Sendable {
    let output: String?
    let error: String?
}

/// Where `actual` first differs from `expected` (by Unicode scalar), with ~60 scalars of context on
/// each side, control characters escaped; nil when the two are identical scalar for scalar.
func firstDifference(expected: String, actual: String, context: Int = 60) -> String? {
    let e = Array(expected.unicodeScalars), a = Array(actual.unicodeScalars)
    var i = 0
    while i < e.count, i < a.count, e[i] == a[i] { i += 1 }
    if i == e.count, i == a.count { return nil }
    let start = max(0, i - context)
    func excerpt(_ s: [Unicode.Scalar]) -> String {
        let end = min(s.count, i + context)
        let before = escaped(s[start..<min(i, s.count)])
        let after = i < s.count ? escaped(s[i..<end]) : "<end of text>"
        return "…\(before)⟦HERE⟧\(after)…"
    }
    let line = e[..<i].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    return """
        first difference at scalar \(i) (line \(line)); expected \(e.count) scalars, got \(a.count)
          expected: \(excerpt(e))
          actual:   \(excerpt(a))
        """
}

private func escaped(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var out = ""
    for s in scalars {
        switch s {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if s.value < 0x20 || s.value == 0x7F {
                out += "\\u{\(String(s.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(s)
            }
        }
    }
    return out
}
