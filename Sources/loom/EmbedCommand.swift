// `loom embed MODEL TEXT…`: one vector per TEXT, printed one JSON array per line. MODEL is a GGUF
// file (run here, through LoomRuntime) or a model name (asked of the running server's /api/embed,
// as Ollama's CLI would). `--norms` prints each vector's dimension count and L2 norm instead.

import ArgumentParser
import Foundation
import LoomRuntime

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the embedding of each TEXT (one JSON array per line)."
    )

    @Argument(help: "A GGUF model file, or the name of a model on the server (OLLAMA_HOST).")
    var model: String

    @Argument(help: "The texts to embed.")
    var texts: [String]

    @Flag(help: "Print each vector's dimension count and L2 norm instead of its values.")
    var norms = false

    @Option(help: "Keep only the first N dimensions (then normalize again); 0 = all.")
    var dimensions = 0

    @Flag(name: .customLong("no-truncate"), help: "Fail on a text longer than the context instead of cutting it.")
    var noTruncate = false

    @Option(help: "Threads for a local model file (default: online CPUs).")
    var threads: Int?

    func run() async throws {
        let vectors: [[Float]]
        if FileManager.default.fileExists(atPath: model) {
            let loaded = try LoadedModel.load(path: model, threads: threads)
            vectors = try await loaded.embedder.embed(texts, options: EmbedOptions(truncate: !noTruncate, dimensions: dimensions)).vectors
        } else {
            var body: [String: Any] = ["model": model, "input": texts, "truncate": !noTruncate]
            if dimensions > 0 { body["dimensions"] = dimensions }
            let answer = try await APIClient().object("POST", "/api/embed", body)
            vectors = ((answer["embeddings"] as? [[Double]]) ?? []).map { $0.map(Float.init) }
        }
        for v in vectors {
            if norms {
                let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                print("dims \(v.count) norm \(String(format: "%.6f", norm))")
            } else {
                print("[" + v.map { "\($0)" }.joined(separator: ",") + "]")
            }
        }
    }
}
