// `loom run MODEL.gguf [PROMPT]`: one chat turn, or an interactive chat when no prompt is given,
// streamed to the terminal through the runtime's Engine (the model's chat template, KV-cache
// reuse between turns, Ollama's sampling defaults).

import ArgumentParser
import LoomRuntime
import LoomSampling
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Chat with a GGUF model: answer PROMPT, or chat interactively without one."
    )

    @Argument(help: "A GGUF model file (llama-family).")
    var model: String

    @Argument(help: "The user message; omit for an interactive chat (/bye to quit).")
    var prompt: String?

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0.8

    @Option(help: "Random seed (-1 = random).")
    var seed: Int = -1

    @Option(name: .customLong("num-predict"), help: "Most tokens per reply (-1 = until the model stops).")
    var numPredict: Int = -1

    @Option(name: .customLong("num-ctx"), help: "Context length in tokens.")
    var numCtx: Int = 4096

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    func run() async throws {
        let engine = try Engine.load(path: model, contextLength: numCtx, threads: threads)
        let options = ChatOptions(generation: GenerateOptions(sampling: SamplingOptions(temperature: temperature, seed: seed), numPredict: numPredict))
        var messages: [ChatMessage] = []
        if let prompt {
            messages.append(ChatMessage(role: "user", content: prompt))
            _ = try await reply(engine, messages, options)
            return
        }
        while true {
            Self.write(">>> ")
            guard let line = readLine(), line != "/bye" else { break }
            if line.isEmpty { continue }
            messages.append(ChatMessage(role: "user", content: line))
            let answer = try await reply(engine, messages, options)
            messages.append(ChatMessage(role: "assistant", content: answer))
        }
    }

    /// Streams one reply to standard output and returns its text.
    func reply(_ engine: Engine, _ messages: [ChatMessage], _ options: ChatOptions) async throws -> String {
        var text = ""
        for try await event in engine.chat(messages, options: options) {
            if case let .content(piece) = event {
                text += piece
                Self.write(piece)
            }
        }
        Self.write("\n")
        return text
    }

    static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = Glibc.write(1, p.baseAddress, p.count) }
    }
}
