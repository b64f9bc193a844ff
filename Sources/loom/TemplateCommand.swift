// `loom template TEMPLATE.jinja --context CONTEXT.json`: render a chat template the way the
// server will (Hugging Face semantics) and print the text, or the error with line and column.

import ArgumentParser
import LoomTemplate

#if canImport(Glibc)
import Glibc
#endif

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render a Jinja chat template with a JSON context (messages, tools, add_generation_prompt, …)."
    )

    @Argument(help: "The template file (.jinja).")
    var template: String

    @Option(help: "A JSON file with the context object; default: {}.")
    var context: String?

    @Option(help: "Fix strftime_now's clock, as YYYY-MM-DDTHH:MM:SS.")
    var now: String?

    func run() throws {
        let source = try Self.readFile(template)
        let contextValue = try context.map { try JinjaValue.parseJSON(try Self.readFile($0)) } ?? .object(JinjaObject())
        guard case let .object(object) = contextValue else { throw ValidationError("the context must be a JSON object") }
        let parsed = try ChatTemplate(source: source, name: template)
        print(try parsed.render(object, options: RenderOptions(now: try now.map(Self.parseDate))), terminator: "")
    }

    static func parseDate(_ s: String) throws -> TemplateDate {
        let parts = s.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { throw ValidationError("--now must look like 2026-01-15T10:30:45") }
        return TemplateDate(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5])
    }

    static func readFile(_ path: String) throws -> String {
        guard let f = fopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ValidationError("\(path) is not UTF-8") }
        return text
    }
}
