// Feature-by-feature conformance with Python jinja2 3.1.6 (Hugging Face's chat-template environment):
// each snippet in Fixtures/templates/snippets.json exercises one construct (statements, expressions,
// tests, filters, methods, globals, whitespace control, errors) and holds jinja2's output or the
// exception it raised. Loom must produce the same bytes, or throw where jinja2 raised.
// Regenerate: `.venv/bin/python Scripts/make_template_snippets.py`.

import Foundation
import LoomTemplate
import Testing

/// One snippet of Fixtures/templates/snippets.json.
struct TemplateSnippet: Sendable {
    let name: String
    let template: String
    let context: JinjaObject
    /// jinja2's output, or nil when it raised.
    let output: String?
    /// jinja2's exception ("<class>: <message>"), or nil when it rendered.
    let error: String?
    /// "compile" or "render": when jinja2 raised.
    let phase: String?
}

enum TemplateSnippets {
    /// All snippets in file order, parsed with JinjaValue.parseJSON (contexts keep key order); empty
    /// when the file is missing or malformed (the `loaded` test reports that).
    static let all: [TemplateSnippet] = (try? load()) ?? []

    /// Snippet names in file order: the test arguments.
    static let names: [String] = all.map(\.name)

    static let byName: [String: TemplateSnippet] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    static func load() throws -> [TemplateSnippet] {
        guard case .object(let root) = try JinjaValue.parseJSON(try TemplateFixtures.read("snippets.json")) else {
            throw FixtureError("snippets.json is not a JSON object")
        }
        return try root.pairs.map { name, value in
            guard case .object(let entry) = value else { throw FixtureError("snippets.json: \(name) is not an object") }
            func string(_ key: String) -> String? {
                if case .string(let s)? = entry[key] { return s }
                return nil
            }
            guard let template = string("template"), case .object(let context)? = entry["context"] else {
                throw FixtureError("snippets.json: \(name) lacks template or context")
            }
            let output = string("output"), error = string("error")
            guard (output == nil) != (error == nil) else {
                throw FixtureError("snippets.json: \(name) needs exactly one of output and error")
            }
            return TemplateSnippet(name: name, template: template, context: context,
                                   output: output, error: error, phase: string("phase"))
        }
    }
}

@Suite("Template snippets match jinja2")
struct TemplateSnippetTests {
    @Test("snippets.json loads and is large enough")
    func loaded() throws {
        let snippets = try TemplateSnippets.load()
        #expect(snippets.count >= 150)
        #expect(Set(snippets.map(\.name)).count == snippets.count)
        #expect(snippets.contains { $0.error != nil } && snippets.contains { $0.output != nil })
    }

    @Test("snippet renders like jinja2", arguments: TemplateSnippets.names)
    func matchesJinja2(_ name: String) throws {
        let snippet = try #require(TemplateSnippets.byName[name])
        let header = "\(name): \(Self.short(snippet.template, 200))"
        let rendered: String
        do {
            let template = try ChatTemplate(source: snippet.template, name: name)
            rendered = try template.render(snippet.context, options: RenderOptions(now: TemplateFixtures.now))
        } catch {
            guard let jinjaError = snippet.error else {
                Issue.record("\(header)\n  jinja2: \(Self.short(snippet.output ?? "", 300))\n  Loom threw: \(error)")
                return
            }
            if let expected = Self.expectedKind(jinjaError, phase: snippet.phase), error.kind != expected {
                Issue.record("\(header)\n  jinja2 raised \(jinjaError)\n  Loom threw kind \(error.kind) (expected \(expected)): \(error)")
            }
            return
        }
        if let jinjaError = snippet.error {
            Issue.record("\(header)\n  jinja2 raised \(jinjaError)\n  Loom rendered: \(Self.short(rendered, 300))")
            return
        }
        let expected = snippet.output ?? ""
        // Compare bytes: String == is canonical equivalence and would hide NFC/NFD changes.
        if Array(rendered.utf8) != Array(expected.utf8) {
            Issue.record("\(header)\n  jinja2: \(Self.short(expected, 300))\n  Loom:   \(Self.short(rendered, 300))")
        }
    }

    /// The TemplateError kind that corresponds to a jinja2 exception: syntax errors found while
    /// compiling, `raise_exception`'s bare TemplateError, and everything else at render time.
    static func expectedKind(_ jinjaError: String, phase: String?) -> TemplateError.Kind? {
        if jinjaError.hasPrefix("TemplateError:") { return .raised }
        if jinjaError.hasPrefix("TemplateSyntaxError:") { return .syntax }
        if phase == "render" { return .runtime }
        return nil  // compile-time assertion errors (unknown filter/test, break outside loop): any kind.
    }

    /// `text` quoted with escapes, cut to `limit` characters.
    static func short(_ text: String, _ limit: Int) -> String {
        let quoted = text.debugDescription
        return quoted.count <= limit ? quoted : String(quoted.prefix(limit)) + "…"
    }
}
