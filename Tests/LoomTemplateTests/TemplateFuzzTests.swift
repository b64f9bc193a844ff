// Fuzzed template sources — seeded random mutations of real templates — never crash or hang the
// parser or interpreter: each renders or throws a TemplateError. Plus hostile inputs aimed at the
// limits (deep nesting, endless loops, huge repetition).

import Foundation
import Testing
@testable import LoomTemplate

@Suite("template fuzz")
struct TemplateFuzzTests {
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments = ["{%", "%}", "{{", "}}", "{#", "#}", "-", "(", ")", "[", "]", "{", "}", "'", "\"",
                            "endif", "endfor", " if ", " else ", " in ", "|", ".", ",", "loop", "ns.x", "\n", "~", "*", "**"]

    @Test("3000 seeded mutations of 12 real templates: output or a TemplateError")
    func mutations() throws {
        let dir = TemplateFixtures.root + "/Fixtures/templates/llama.cpp"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jinja") }.sorted()
        try #require(names.count > 12)
        let context = try #require(try Self.context())
        var rng = RNG(state: 0x5EED)
        var rendered = 0, failed = 0
        for round in 0..<3000 {
            let name = names[round % 12 * (names.count / 12)]
            var scalars = Array(try String(contentsOfFile: dir + "/" + name, encoding: .utf8).unicodeScalars)
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                guard !scalars.isEmpty else { break }
                let at = Int.random(in: 0..<scalars.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(contentsOf: Self.fragments.randomElement(using: &rng)!.unicodeScalars, at: at)
                case 2: scalars.removeSubrange(at..<min(scalars.count, at + Int.random(in: 1...40, using: &rng)))
                case 3: let end = min(scalars.count, at + 30); scalars.insert(contentsOf: scalars[at..<end], at: at)
                default: scalars.removeSubrange(at...)
                }
            }
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars)
            do {
                _ = try ChatTemplate(source: String(v), name: name).render(context)
                rendered += 1
            } catch {
                failed += 1
                #expect(!error.description.isEmpty)
            }
        }
        print("template fuzz: \(rendered) rendered, \(failed) threw TemplateError")
        #expect(failed > 300)
    }

    static func context() throws -> JinjaObject? {
        let text = try String(contentsOfFile: TemplateFixtures.root + "/Fixtures/templates/conversations.json", encoding: .utf8)
        guard case let .object(all) = try JinjaValue.parseJSON(text), case let .object(c)? = all["system_multi_turn"] else { return nil }
        return c
    }

    @Test("hostile templates hit limits with typed errors", arguments: [
        "{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
        "{{ " + String(repeating: "not ", count: 5000) + "x }}",
        "{{ " + String(repeating: "-", count: 5000) + "1 }}",
        String(repeating: "{% if x %}", count: 3000),
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 1000000000000 }}",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{{ [" + String(repeating: "[", count: 3000) + "] }}",
        // Results that multiply a string's or a list's size are checked before they are built
        // (fuzz-jinja: chained joins reached 2 GiB and timed out after 560,268 runs).
        "{{ 'ab' | join('x' * 1000) | join('y' * 1000) | join('z' * 1000) }}",
        "{{ ', '.join(['a' * 40000000, 'b' * 40000000]) }}",
        "{{ ('a' * 1000000).replace('a', 'b' * 100) }}",
        "{{ ('a' * 1000000) | replace('', 'b' * 100) }}",
        "{{ 'a'.ljust(10000000000000) }}", "{{ 'a'.center(10000000000000, 'xy') }}", "{{ 'a'.zfill(10000000000000) }}",
        "{{ '%99999999999d' % 1 }}", "{{ '{:>99999999999}'.format(1) }}",
        "{{ 'a' | indent(99999999999) }}", "{{ ('a\n' * 1000000) | indent(100) }}", "{{ 'a' | center(99999999999) }}",
        "{{ [1] | batch(99999999999, 0) | list }}", "{{ [1] * 100000000000 }}",
        "{{ range(1000) | list | tojson(indent=1000000) }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
    ])
    func limits(_ source: String) {
        #expect(throws: TemplateError.self) {
            _ = try ChatTemplate(source: source, name: "hostile").render(JinjaObject())
        }
    }

    /// Fuzz finding (fuzz-jinja, 554,786 runs): a namespace stored inside itself sent repr into
    /// unbounded recursion and overflowed the stack. Expected strings are jinja2 3.x's output.
    @Test("a namespace inside itself prints as Python's recursive repr does", arguments: [
        ("{% set ns = namespace(a=1) %}{% set ns.b = ns %}{{ ns }}|{{ [ns] }}",
         "<Namespace {'a': 1, 'b': <Namespace {...}>}>|[<Namespace {'a': 1, 'b': <Namespace {...}>}>]"),
        ("{% set a = namespace(x='q') %}{% set b = namespace(y=a) %}{% set a.z = b %}{{ a }}|{{ b|string }}",
         "<Namespace {'x': 'q', 'z': <Namespace {'y': <Namespace {...}>}>}>|<Namespace {'y': <Namespace {'x': 'q', 'z': <Namespace {...}>}>}>"),
        ("{% set ns = namespace(a=[1,'x']) %}{{ ns }}", "<Namespace {'a': [1, 'x']}>"),
    ])
    func cyclicNamespace(_ source: String, _ expected: String) throws {
        #expect(try ChatTemplate(source: source, name: "cycle").render(JinjaObject()) == expected)
    }

    @Test("namespaces made in a render are emptied when it ends, so one holding itself is freed")
    func namespaceCycleFreed() throws {
        let interpreter = Interpreter(templateName: "cycle", context: JinjaObject(), options: RenderOptions())
        weak var freed: Namespace?
        do {
            let n = interpreter.makeNamespace(JinjaObject())
            n.attributes["me"] = .namespace(n)
            freed = n
        }
        #expect(freed != nil)
        interpreter.releaseNamespaces()
        #expect(freed == nil)
    }

    /// Fuzz finding (fuzz-jinja, 617,322 runs): a negative indent trapped ("Negative count not
    /// allowed") in the JSON writer. Python's json.dumps treats indent ≤ 0 as newlines only.
    @Test("tojson with a negative indent writes newlines only, as json.dumps")
    func negativeIndent() throws {
        let out = try ChatTemplate(source: "{{ [1, [2]] | tojson(indent=-1) }}|{{ [1, [2]] | tojson(indent=0) }}", name: "indent")
            .render(JinjaObject())
        #expect(out == "[\n1,\n[\n2\n]\n]|[\n1,\n[\n2\n]\n]")   // json.dumps([1, [2]], indent=-1) and indent=0
    }

    @Test("values nesting past 256 levels on a namespace are refused; 200 levels render as jinja2 does")
    func deepValues() throws {
        func render(_ source: String) throws -> String { try ChatTemplate(source: source, name: "deep").render(JinjaObject()) }
        for build in ["{% set ns.v = [ns.v] %}", "{% set ns.v = {'k': ns.v} %}", "{% set ns.v = namespace(p=ns.v) %}"] {
            #expect(throws: TemplateError.self) {
                try render("{% set ns = namespace(v=1) %}{% for i in range(100000) %}" + build + "{% endfor %}{{ ns.v }}")
            }
        }
        let out = try render("{% set ns = namespace(v=1) %}{% for i in range(200) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v }}")
        #expect(out == String(repeating: "[", count: 200) + "1" + String(repeating: "]", count: 200))
    }

    @Test("the committed fuzz-jinja findings render or throw a TemplateError, in bounded memory", arguments: [
        "stack-overflow-pythonRepr", "leak-namespace-cycle", "oom-chained-join", "trap-negative-indent",
    ])
    func corpusFindings(_ name: String) throws {
        let path = TemplateFixtures.root + "/Fuzz/Corpus/jinja/\(name).jinja-input"
        let source = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        // fuzz-jinja's render context, which the input needs to recurse.
        let contextJSON = try String(contentsOfFile: TemplateFixtures.root + "/Fuzz/jinja-context.json", encoding: .utf8)
        guard case let .object(context) = try JinjaValue.parseJSON(contextJSON) else { Issue.record("context"); return }
        let options = RenderOptions(now: TemplateDate(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5))
        do { _ = try ChatTemplate(source: source, name: "finding").render(context, options: options) }
        catch is TemplateError {}
    }
}
