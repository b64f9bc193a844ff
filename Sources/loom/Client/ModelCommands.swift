// The CLI's model commands, talking to a running server as Ollama's CLI does: `loom list`, `loom ps`,
// `loom show NAME`, `loom create NAME -f Modelfile [--quantize q]`, `loom cp`, `loom rm`, `loom stop`.
// Tables are aligned as Ollama prints them (NAME, ID, SIZE, MODIFIED / PROCESSOR, CONTEXT, UNTIL).

import ArgumentParser
import Foundation
import LoomStore

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List models.", aliases: ["ls"])

    func run() async throws {
        let tags = try await APIClient().object("GET", "/api/tags")
        var rows = [["NAME", "ID", "SIZE", "MODIFIED"]]
        for m in tags["models"] as? [[String: Any]] ?? [] {
            rows.append([m["name"] as? String ?? "", String((m["digest"] as? String ?? "").prefix(12)),
                         Human.bytes(m["size"] as? Int ?? 0), Human.ago(m["modified_at"] as? String ?? "")])
        }
        print(Human.table(rows))
    }
}

struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List running models.")

    func run() async throws {
        let ps = try await APIClient().object("GET", "/api/ps")
        var rows = [["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]]
        for m in ps["models"] as? [[String: Any]] ?? [] {
            rows.append([m["name"] as? String ?? "", String((m["digest"] as? String ?? "").prefix(12)), Human.bytes(m["size"] as? Int ?? 0),
                         "100% CPU", "\(m["context_length"] as? Int ?? 0)", Human.until(m["expires_at"] as? String ?? "")])
        }
        print(Human.table(rows))
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show information for a model.")
    @Argument var model: String
    @Flag var modelfile = false
    @Flag var parameters = false
    @Flag var template = false
    @Flag var system = false
    @Flag var license = false

    func run() async throws {
        let s = try await APIClient().object("POST", "/api/show", ["model": model])
        for (flag, key) in [(modelfile, "modelfile"), (parameters, "parameters"), (template, "template"), (system, "system"), (license, "license")] where flag {
            print(s[key] as? String ?? "")
            return
        }
        let info = s["model_info"] as? [String: Any] ?? [:]
        let details = s["details"] as? [String: Any] ?? [:]
        let arch = info["general.architecture"] as? String ?? ""
        var rows: [[String]] = [["architecture", arch], ["parameters", details["parameter_size"] as? String ?? ""]]
        if let ctx = info["\(arch).context_length"] { rows.append(["context length", "\(ctx)"]) }
        if let emb = info["\(arch).embedding_length"] { rows.append(["embedding length", "\(emb)"]) }
        rows.append(["quantization", details["quantization_level"] as? String ?? ""])
        print("  Model")
        print(Human.table(rows, indent: 4))
        print("\n  Capabilities")
        print(Human.table((s["capabilities"] as? [String] ?? []).map { [$0] }, indent: 4))
        if let p = s["parameters"] as? String, !p.isEmpty {
            print("\n  Parameters")
            print(p.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        }
        if let sys = s["system"] as? String, !sys.isEmpty { print("\n  System\n    \(sys)") }
    }
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a model from a Modelfile.")
    @Argument var model: String
    @Option(name: .shortAndLong, help: "The Modelfile (default: ./Modelfile).") var file = "Modelfile"
    @Option(name: .shortAndLong, help: "Quantize with llama.cpp's mix for a file type: q4_K_M, q4_K_S, q5_K_M, q5_K_S, q6_K, q3_K_S|M|L, q2_K, iq4_nl, q4_0, q4_1, q5_0, q5_1, q8_0, bf16 or f16.") var quantize: String?

    func run() async throws {
        guard let text = FileManager.default.contents(atPath: file).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw ValidationError("cannot read \(file)")
        }
        let modelfile: Modelfile
        do { modelfile = try Modelfile(parsing: text) } catch { throw ValidationError("\(error)") }
        let client = try APIClient()
        var body: [String: Any] = ["model": model, "stream": true]
        let from = modelfile.last("from") ?? ""
        let dir = (file as NSString).deletingLastPathComponent
        let candidate = from.hasPrefix("/") ? from : (from.hasPrefix("~") ? NSString(string: from).expandingTildeInPath : (dir.isEmpty ? from : dir + "/" + from))
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            print("gathering model components")
            var files: [String: String] = [:]
            // A symlinked folder is read through its target (the enumerator does not follow the link).
            let folder = isDirectory.boolValue ? URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path : candidate
            let members = isDirectory.boolValue ? Self.modelFiles(in: folder) : [(candidate as NSString).lastPathComponent]
            guard !members.isEmpty else { throw ClientError(status: 0, message: "no Safetensors or GGUF model files in \(candidate)") }
            for member in members {
                let path = isDirectory.boolValue ? folder + "/" + member : candidate
                let digest = try await client.uploadBlob(path)
                print("copying file \(digest) 100%")
                files[member] = digest
            }
            body["files"] = files
        } else {
            body["from"] = from
        }
        for key in ["template", "system"] { if let v = modelfile.last(key) { body[key] = v } }
        let licenses = modelfile.commands.filter { $0.name == "license" }.map(\.args)
        if !licenses.isEmpty { body["license"] = licenses }
        var params: [String: Any] = [:]
        for (k, v) in modelfile.parameters {
            switch v {
            case let .int(i): params[k] = i
            case let .float(f): params[k] = f
            case let .bool(b): params[k] = b
            case let .strings(s): params[k] = s
            }
        }
        if !params.isEmpty { body["parameters"] = params }
        let messages = modelfile.messages.map { ["role": $0.role, "content": $0.content] }
        if !messages.isEmpty { body["messages"] = messages }
        if let quantize { body["quantize"] = quantize }
        let data = try await client.call("POST", "/api/create", body)
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let obj = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
            if let error = obj["error"] as? String { throw ClientError(status: 500, message: error) }
            if let status = obj["status"] as? String { print(status) }
        }
    }
}

extension CreateCommand {
    /// The files of a model folder Ollama's CLI uploads (§12.2): the weights (`model*.safetensors`,
    /// `consolidated*.safetensors`, `*.gguf`), every `*.json` at any depth, `chat_template.jinja`,
    /// `tokenizer.model`, and `vocab.txt` (WordPiece vocabularies); relative paths, sorted.
    static func modelFiles(in directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDir), !isDir.boolValue else { continue }
            let base = (relative as NSString).lastPathComponent
            let weights = (base.hasPrefix("model") || base.hasPrefix("consolidated")) && base.hasSuffix(".safetensors")
            let extras = base.hasSuffix(".json") || ["chat_template.jinja", "tokenizer.model", "vocab.txt"].contains(base)
            if weights || base.hasSuffix(".gguf") || extras { out.append(relative) }
        }
        return out.sorted()
    }
}

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy a model.")
    @Argument var source: String
    @Argument var destination: String

    func run() async throws {
        _ = try await APIClient().call("POST", "/api/copy", ["source": source, "destination": destination])
        print("copied '\(source)' to '\(destination)'")
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove models.")
    @Argument var models: [String]

    func run() async throws {
        let client = try APIClient()
        for m in models {
            _ = try await client.call("DELETE", "/api/delete", ["model": m])
            print("deleted '\(m)'")
        }
    }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a running model.")
    @Argument var model: String

    func run() async throws {
        do { _ = try await APIClient().call("POST", "/api/generate", ["model": model, "keep_alive": 0]) } catch let e as ClientError where e.status == 404 {
            throw ClientError(status: 404, message: "couldn't find model \"\(model)\" to stop")
        }
    }
}

/// Human-readable sizes, times and tables, as Ollama's CLI prints them.
enum Human {
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n), i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        return i == 0 ? "\(n) B" : (v >= 100 ? String(format: "%.0f %@", v, units[i]) : String(format: "%.1f %@", v, units[i]))
    }

    static func date(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    static func span(_ seconds: Double) -> String {
        let s = abs(seconds)
        switch s {
        case ..<60: return "\(Int(s)) seconds"
        case ..<3600: return "\(Int(s / 60)) minutes"
        case ..<86400: return "\(Int(s / 3600)) hours"
        default: return "\(Int(s / 86400)) days"
        }
    }

    static func ago(_ s: String) -> String {
        guard let d = date(s) else { return s }
        let t = Date().timeIntervalSince(d)
        return t < 1 ? "Less than a second ago" : "\(span(t)) ago"
    }

    static func until(_ s: String) -> String {
        guard let d = date(s) else { return s.isEmpty ? "" : "Forever" }
        let t = d.timeIntervalSinceNow
        if t > 100 * 365 * 86400 { return "Forever" }
        return t < 0 ? "Stopping..." : "\(span(t)) from now"
    }

    /// Columns separated by four spaces, left-aligned, as Ollama's CLI prints them.
    static func table(_ rows: [[String]], indent: Int = 0) -> String {
        GGUFPrinter.table(rows, separator: "    ", indent: indent)
    }
}
