// Errors say where: template name, line and column of the failing construct; raise_exception is
// its own kind; undefined values render empty instead of failing.

import Testing
import LoomTemplate

@Suite("template errors")
struct TemplateErrorTests {
    func render(_ source: String, _ context: JinjaObject = JinjaObject()) throws(TemplateError) -> String {
        try ChatTemplate(source: source, name: "t.jinja").render(context)
    }

    @Test func syntaxErrorPosition() {
        do {
            _ = try render("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.templateName == "t.jinja")
            #expect(error.line == 3)
            #expect(error.column > 1)
            #expect(error.description.hasPrefix("t.jinja:3:"))
        }
    }

    @Test func unclosedBlock() {
        #expect(throws: TemplateError.self) { try render("{% for x in y %}no end") }
        #expect(throws: TemplateError.self) { try render("{{ 'unterminated }}") }
        #expect(throws: TemplateError.self) { try render("{% frobnicate %}") }
    }

    @Test func runtimeErrorPosition() {
        do {
            _ = try render("ok\n\n   {{ 'a' + 1 }}")
            Issue.record("expected a runtime error")
        } catch {
            #expect(error.kind == .runtime)
            #expect(error.line == 3)
        }
    }

    @Test func raiseException() {
        do {
            _ = try render("{{ raise_exception('Conversation roles must alternate') }}")
            Issue.record("expected a raised error")
        } catch {
            #expect(error.kind == .raised)
            #expect(error.message == "Conversation roles must alternate")
        }
    }

    @Test func undefinedRendersEmpty() throws {
        var context = JinjaObject()
        context["m"] = .object(JinjaObject())
        #expect(try render("[{{ missing }}][{{ m.content }}][{{ m['x'] }}][{{ missing is defined }}]", context) == "[][][][False]")
        #expect(throws: TemplateError.self) { try render("{{ missing.attr }}") }
    }
}
