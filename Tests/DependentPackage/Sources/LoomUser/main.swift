// loom-user MODEL.gguf: load a model through Loom as a dependent package does, decode a few tokens
// greedily, print them, the kernel path in use and the best one this CPU runs:
//   kernels: <active> best: <best>
//   text: …
//   decode: N tokens, X tokens/s

import LoomKernels
import LoomRuntime
import LoomSampling
#if canImport(Glibc)
import Glibc
#endif

/// Writes `line` and a newline to stderr.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    printError("usage: LoomUser MODEL.gguf")
    exit(2)
}
do {
    try KernelPath.configure()
    print("kernels: \(KernelPath.active.rawValue) best: \(KernelPath.best.rawValue)")
    print(KernelPath.summary)
    let engine = try Engine.load(path: arguments[1], contextLength: 256)
    var text = ""
    var options = GenerateOptions(numPredict: 8)
    options.sampling.temperature = 0
    for try await event in engine.generate(raw: "The capital of France is", options: options) {
        switch event {
        case let .text(piece): text += piece
        case let .done(stats): print("text: \(text.debugDescription)\ndecode: \(stats.evalCount) tokens, \(Double(stats.evalCount) / max(1e-9, Double(stats.evalDuration) / 1e9)) tokens/s")
        default: break
        }
    }
} catch {
    printError("LoomUser: \(error)")
    exit(1)
}
