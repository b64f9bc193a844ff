// Every chat template in Fixtures/templates × every conversation in conversations.json, rendered by
// LoomTemplate and compared byte for byte with Python jinja2 3.1.6 configured as Hugging Face
// transformers renders chat templates (Fixtures/templates/goldens.json). Where jinja2 raised, Loom
// must throw too. Regenerate: `.venv/bin/python Scripts/make_template_goldens.py`.

import Foundation
import LoomTemplate
import Testing

@Suite("Chat templates match jinja2 goldens")
struct TemplateGoldenTests {
    /// One planned render: the context to pass and what jinja2 produced.
    struct Case {
        let conversation: String
        let context: JinjaObject
        let golden: GoldenRender
    }

    /// The cases for one template file; nil when jinja2 could not compile it (nothing to compare).
    static func cases(for name: String, goldens: GoldenFile,
                      conversations: [(name: String, context: JinjaObject)]) throws -> [Case]? {
        guard let entry = goldens.templates[name] else {
            throw FixtureError("\(name) has no goldens; run Scripts/make_template_goldens.py")
        }
        if entry.compileError != nil { return nil }
        guard let renders = entry.conversations else {
            throw FixtureError("\(name): goldens hold neither compile_error nor conversations")
        }
        return try conversations.map { conversation in
            guard let golden = renders[conversation.name] else {
                throw FixtureError("\(name): no golden for conversation \(conversation.name); regenerate goldens")
            }
            return Case(conversation: conversation.name, context: conversation.context, golden: golden)
        }
    }

    @Test("template renders like jinja2", arguments: TemplateFixtures.templateNames)
    func matchesJinja2(_ name: String) throws {
        let goldens = try TemplateFixtures.goldens()
        let conversations = try TemplateFixtures.conversations()
        guard let cases = try Self.cases(for: name, goldens: goldens, conversations: conversations) else {
            return  // jinja2 rejects the template itself; Loom may be more lenient.
        }
        let source = try TemplateFixtures.read(name)
        let template: ChatTemplate
        do {
            template = try ChatTemplate(source: source, name: name)
        } catch {
            Issue.record("\(name): jinja2 compiles it but Loom does not: \(error)")
            return
        }
        let options = RenderOptions(now: TemplateFixtures.now)
        for c in cases {
            check(c, template: template, options: options, name: name)
        }
    }

    private func check(_ c: Case, template: ChatTemplate, options: RenderOptions, name: String) {
        let rendered: String
        do {
            rendered = try template.render(c.context, options: options)
        } catch {
            if c.golden.error == nil {
                Issue.record("\(name) [\(c.conversation)]: jinja2 renders it but Loom threw: \(error)")
            }
            return
        }
        if let jinjaError = c.golden.error {
            let head = String(rendered.unicodeScalars.prefix(120))
            Issue.record("""
                \(name) [\(c.conversation)]: jinja2 raised \(jinjaError)
                  but Loom rendered \(rendered.unicodeScalars.count) scalars: \(head.debugDescription)
                """)
            return
        }
        let expected = c.golden.output ?? ""
        // Compare bytes, not Strings: String == is canonical equivalence, which would hide NFC/NFD changes.
        if Array(rendered.utf8) != Array(expected.utf8) {
            let difference = firstDifference(expected: expected, actual: rendered)
                ?? "same Unicode scalars but different UTF-8 bytes"
            Issue.record("\(name) [\(c.conversation)]: output differs from jinja2\n\(difference)")
        }
    }

    @Test("the goldens cover every template file and enough pairs")
    func coverage() throws {
        let goldens = try TemplateFixtures.goldens()
        let conversations = try TemplateFixtures.conversations()
        #expect(goldens.jinja2 == "3.1.6")
        #expect(conversations.count >= 6)
        #expect(Set(goldens.templates.keys) == Set(TemplateFixtures.templateNames),
                "template files and goldens.json disagree; run Scripts/make_template_goldens.py")
        var pairs = 0, errors = 0
        for name in TemplateFixtures.templateNames {
            let cases = try Self.cases(for: name, goldens: goldens, conversations: conversations) ?? []
            pairs += cases.count
            errors += cases.filter { $0.golden.error != nil }.count
        }
        #expect(pairs > 300, "only \(pairs) (template, conversation) pairs would be checked")
        #expect(errors > 0 && errors < pairs, "goldens should mix rendered and raising cases (\(errors) raise)")
    }
}
