// Fuzzed template sources — seeded random mutations of real templates — never crash or hang the
// parser or interpreter: each renders or throws a TemplateError. Plus hostile inputs aimed at the
// limits (deep nesting, endless loops, huge repetition).

import Foundation
import Testing
import LoomTemplate

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
    ])
    func limits(_ source: String) {
        #expect(throws: TemplateError.self) {
            _ = try ChatTemplate(source: source, name: "hostile").render(JinjaObject())
        }
    }
}
