// EmbedBenchmark: `loom bench embed` — embeddings per second of an encoder GGUF for requests of 1,
// 16 and 64 sentences (~20 words each), next to llama.cpp's `llama-embedding` on the same file and
// thread count and to this machine's f32 FMA peak, all in the same run.
//
//   Loom       the 64 sentences as 64/b calls of `Embedder.embed` with b sentences each (one packed
//              forward pass per call); one warm-up round, then `repeats` rounds; sentences/s
//   llama.cpp  llama-embedding (mean pooling, L2 norm) once per call of b sentences, which it decodes
//              as one batch; its time is the span its own log reports from `batch_decode` to
//              `llama_perf_context_print` (the decode and printing the vectors; process start,
//              loading and its warm-up run excluded), summed over the calls
//   roofline   matmul FLOPs (2 · weight parameters · tokens) per second over the measured FMA peak

import Foundation
import LoomGGUF
import LoomKernels
import LoomRuntime

struct EmbedBenchmark {
    let file: String
    let pool: ThreadPool
    let repeats: Int
    let llamaEmbedding: String?
    /// Sentences per request; the first is the base of the "vs" column.
    var batchSizes = [1, 16, 64]

    /// 64 fixed sentences of 20 words (a seeded pick from a small vocabulary).
    static let sentences: [String] = {
        let words = ("the a quick brown fox jumps over lazy dog river mountain city people walk talk market morning evening "
            + "light dark music science history computer network data model language learning simple complex small large "
            + "ancient modern quiet loud green blue").split(separator: " ").map(String.init)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(words.count))
        }
        return (0..<64).map { _ in (0..<20).map { _ in words[next()] }.joined(separator: " ").capitalized + "." }
    }()

    func run() async throws {
        print("Loom embedding benchmark — \(KernelPath.summary), \(pool.threadCount) threads, \(repeats) repeats")
        let fma = MachineLimits.fmaPeak(pool: pool)
        print("machine limits (measured now): f32 FMA peak \(String(format1: fma / 1e9)) GFLOP/s")
        print("llama.cpp: " + (llamaEmbedding ?? "not available (build it with Scripts/build-llama-cpp.sh)"))
        let embedder = try Embedder.load(path: file, contextLength: 512, threads: pool.threadCount, batchSize: 4096)
        let params = try GGUFFile(path: file).tensors.filter { $0.shape.count == 2 && $0.name.hasPrefix("blk.") }.reduce(0) { $0 + $1.elementCount }
        let tokens = try await embedder.embed(Self.sentences).promptEvalCount
        print("model: \(URL(fileURLWithPath: file).lastPathComponent), \(Self.sentences.count) sentences of 20 words, \(tokens) tokens")
        var rows = [["batch", "Loom emb/s", "llama.cpp emb/s", "Loom / llama.cpp", "Loom vs batch \(batchSizes[0])", "roofline"]]
        var single = 0.0
        for b in batchSizes {
            let ours = try await measure(embedder, batch: b)
            if single == 0 { single = ours.mean }
            let theirs = llamaEmbedding.flatMap { runLlama($0, batch: b) }
            let flops = 2 * Double(params) * Double(tokens) / Double(Self.sentences.count) * ours.mean
            rows.append(["\(b)", "\(String(format1: ours.mean)) ± \(String(format1: ours.sd))",
                         theirs.map { String(format1: $0) } ?? "—", theirs.map { String(format: "%.2f×", ours.mean / $0) } ?? "—",
                         String(format: "%.1f×", ours.mean / single), "\(String(format1: flops / fma * 100))% of FMA peak"])
        }
        print(GGUFPrinter.table(rows, rightAligned: [1, 2, 3, 4]))
    }

    /// Loom's sentences/s for calls of `batch` sentences: mean and standard deviation over rounds.
    func measure(_ embedder: Embedder, batch: Int) async throws -> ModelBenchmark.Rate {
        var rates: [Double] = []
        for round in 0...repeats {
            let start = MachineLimits.now()
            for first in stride(from: 0, to: Self.sentences.count, by: batch) {
                _ = try await embedder.embed(Array(Self.sentences[first..<min(first + batch, Self.sentences.count)]))
            }
            if round > 0 { rates.append(Double(Self.sentences.count) / (MachineLimits.now() - start)) }
        }
        let mean = rates.reduce(0, +) / Double(rates.count)
        let variance = rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, rates.count - 1))
        return ModelBenchmark.Rate(mean: mean, sd: variance.squareRoot())
    }

    /// llama-embedding's sentences/s for calls of `batch` sentences (nil if it fails): one process
    /// per call (its context/batch of 2048 decodes the call's sentences as one batch); the time is
    /// the sum of the processes' decode spans. (One process cannot be made to decode exactly b
    /// sentences at a time: its context must be a multiple of 256 tokens.)
    func runLlama(_ binary: String, batch: Int) -> Double? {
        let input = NSTemporaryDirectory() + "loom-embed-bench-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: input) }
        var seconds = 0.0
        for first in stride(from: 0, to: Self.sentences.count, by: batch) {
            let text = Self.sentences[first..<min(first + batch, Self.sentences.count)].joined(separator: "\n")
            guard (try? text.write(toFile: input, atomically: true, encoding: .utf8)) != nil else { return nil }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["-m", file, "-f", input, "-t", "\(pool.threadCount)", "-c", "2048", "-b", "2048", "-ub", "2048",
                                 "--pooling", "mean", "--embd-normalize", "2", "--embd-output-format", "array", "--perf", "-lv", "4"]
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            do { try process.run() } catch { print("llama-embedding: \(error)"); return nil }
            let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0, let span = Self.decodeSpan(log) else {
                print("llama-embedding failed (exit \(process.terminationStatus))")
                return nil
            }
            seconds += span
        }
        return Double(Self.sentences.count) / seconds
    }

    /// Seconds from the first `batch_decode` log line to `llama_perf_context_print`, from the log's
    /// timestamps (`M.SS.mmm.uuu`).
    static func decodeSpan(_ log: String) -> Double? {
        func stamp(_ line: Substring) -> Double? {
            let parts = line.split(separator: " ").first?.split(separator: ".").compactMap { Double($0) } ?? []
            guard parts.count == 4 else { return nil }
            return parts[0] * 60 + parts[1] + parts[2] / 1e3 + parts[3] / 1e6
        }
        let lines = log.split(separator: "\n")
        guard let start = lines.first(where: { $0.contains("batch_decode:") }).flatMap(stamp),
              let end = lines.first(where: { $0.contains("llama_perf_context_print") }).flatMap(stamp), end > start else { return nil }
        return end - start
    }
}
