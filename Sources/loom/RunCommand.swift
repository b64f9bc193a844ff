// `loom run MODEL [PROMPT]`: one chat turn, or an interactive chat when no prompt is given.
//   MODEL a GGUF file   → in this process, through the runtime's Engine (the model's chat template,
//                         KV-cache reuse between turns, Ollama's sampling defaults).
//   MODEL a model name  → through the running server (OLLAMA_HOST), as `ollama run` does: a model the
//                         server lacks (/api/show 404) is pulled first, with the progress display,
//                         then /api/chat streams the reply.

import ArgumentParser
import Foundation
import LoomRuntime
import LoomSampling
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Chat with a model (a GGUF file, or a model name on the server, pulled when missing): answer PROMPT, or chat interactively without one."
    )

    @Argument(help: "A GGUF model file, or a model name (pulled by the server when it lacks it).")
    var model: String

    @Argument(help: "The user message; omit for an interactive chat (/bye to quit).")
    var prompt: String?

    @Option(help: "Sampling temperature (0 = greedy; default 0.8).")
    var temperature: Float?

    @Option(help: "Random seed (-1 = random).")
    var seed: Int?

    @Option(name: .customLong("num-predict"), help: "Most tokens per reply (-1 = until the model stops).")
    var numPredict: Int?

    @Option(name: .customLong("num-ctx"), help: "Context length in tokens (default 4096).")
    var numCtx: Int?

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Flag(help: "Pull from an insecure registry (plain http) when the model is missing.")
    var insecure = false

    func run() async throws {
        if FileManager.default.fileExists(atPath: model) { try await runLocally() } else { try await runOnServer() }
    }

    /// The conversation loop: `answer` streams one reply to the messages so far.
    func converse(_ answer: ([[String: String]]) async throws -> String) async throws {
        var messages: [[String: String]] = []
        if let prompt {
            messages.append(["role": "user", "content": prompt])
            _ = try await answer(messages)
            return
        }
        while true {
            Self.write(">>> ")
            guard let line = readLine(), line != "/bye" else { break }
            if line.isEmpty { continue }
            messages.append(["role": "user", "content": line])
            messages.append(["role": "assistant", "content": try await answer(messages)])
        }
    }

    func runLocally() async throws {
        let engine = try Engine.load(path: model, contextLength: numCtx ?? 4096, threads: threads)
        let sampling = SamplingOptions(temperature: temperature ?? 0.8, seed: seed ?? -1)
        let options = ChatOptions(generation: GenerateOptions(sampling: sampling, numPredict: numPredict ?? -1))
        try await converse { messages in
            var text = ""
            for try await event in engine.chat(messages.map { ChatMessage(role: $0["role"] ?? "user", content: $0["content"] ?? "") }, options: options) {
                if case let .content(piece) = event {
                    text += piece
                    Self.write(piece)
                }
            }
            Self.write("\n")
            return text
        }
    }

    func runOnServer() async throws {
        let client = try APIClient()
        do {
            _ = try await client.call("POST", "/api/show", ["model": model])
        } catch let error as ClientError where error.status == 404 {
            try await Transfer.run("/api/pull", model: model, insecure: insecure)
        }
        var options: [String: Any] = [:]
        if let temperature { options["temperature"] = temperature }
        if let seed { options["seed"] = seed }
        if let numPredict { options["num_predict"] = numPredict }
        if let numCtx { options["num_ctx"] = numCtx }
        if let threads { options["num_thread"] = threads }
        try await converse { messages in
            var text = ""
            for try await object in client.stream("/api/chat", ["model": model, "messages": messages, "options": options, "stream": true]) {
                if let piece = (object["message"] as? [String: Any])?["content"] as? String, !piece.isEmpty {
                    text += piece
                    Self.write(piece)
                }
            }
            Self.write("\n")
            return text
        }
    }

    static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = Glibc.write(1, p.baseAddress, p.count) }
    }
}
