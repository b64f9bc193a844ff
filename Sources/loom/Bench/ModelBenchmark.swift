// ModelBenchmark: `loom bench model` — end-to-end prompt processing and generation speed of whole
// GGUF models, as llama-bench measures them, next to llama-bench itself and this machine's limits,
// all in the same run.
//
//   pp N        one forward pass over N random tokens from an empty cache (num_batch = N), tokens/s
//   tg N        N single-token forward passes from an empty cache, tokens/s
//   tg N ×S     (--sequences S) S sequences decoded together, one batched pass per step (continuous
//               batching's pass, without the server), aggregate tokens/s; the roofline is per step
//   … @ d D     the same after D random tokens already in the cache (llama-bench's -d): the cache is
//               filled once per file and depth (one pass of D tokens, untimed) and cut back to D
//               positions before every run, so every run times the same work.
// Each test runs once to warm up, then `repeats` times; mean ± standard deviation (llama-bench's
// avg_ts/stddev_ts). llama-bench runs as a separate process with the same file, threads, -p, -n, -r,
// -d and cache type (-ctk/-ctv; with -fa 1 when quantized, which llama.cpp requires for a quantized V).
// Keys and values are cached in `cacheType` (--cache-type); `attention` picks the attention loop
// (kernel lab: per-head, the loop before grouped attention, to measure against it).
// Roofline columns: tg streams every weight once per token, and the KV cache rows it attends to,
// so (weight bytes + KV bytes read) × tokens/s is the bandwidth it uses (vs the measured read
// bandwidth); pp does 2·params FLOPs per token in matmuls (vs the f32 FMA peak, or the int8 dot
// peak for quantized weights).

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import LoomTensor

struct ModelBenchmark {
    let files: [String]
    let pool: ThreadPool
    let prompt: Int
    let generate: Int
    let repeats: Int
    let llamaBench: String?
    /// Tokens in the cache before each test (llama-bench's -d), one set of rows per depth.
    var depths: [Int] = [0]
    var cacheType: KVCacheType = .f16
    var attention: AttentionKernel = .grouped
    /// Sequences the tg test decodes together (one batched forward pass per step; aggregate tokens/s).
    var sequences = 1

    /// Mean and standard deviation of tokens/s.
    struct Rate { var mean: Double; var sd: Double }

    func run() throws {
        try KernelPath.configure()
        print("Loom model benchmark — \(KernelPath.summary), \(pool.threadCount) threads, pp\(prompt) / tg\(generate), "
              + "\(repeats) repeats, depths \(depths.map(String.init).joined(separator: ",")), \(cacheType.rawValue) KV cache, \(attention.rawValue) attention")
        let bandwidth = MachineLimits.readBandwidth(bytes: 256 << 20, pool: pool)
        let fma = MachineLimits.fmaPeak(pool: pool)
        let int8 = MachineLimits.int8Peak(pool: pool).map { 2 * $0 }
        print("machine limits (measured now): read bandwidth \(String(format1: bandwidth / 1e9)) GB/s, f32 FMA peak \(String(format1: fma / 1e9)) GFLOP/s"
              + (int8.map { ", int8 dot peak \(String(format1: $0 / 1e9)) GOPS" } ?? ""))
        if let llamaBench { print("llama.cpp: \(llamaBench)") } else { print("llama.cpp: not available (build it with Scripts/build-llama-cpp.sh)") }
        var rows = [["model", "size", "test", "Loom t/s", "llama.cpp t/s", "Loom / llama.cpp", "roofline"]]
        for path in files {
            let info = try ModelInfo(path: path)
            let model = try info.loadDecoder()
            let weights = info.file.tensorDataSize
            let params = info.file.tensors.reduce(0) { $0 + $1.elementCount }
            let type = info.file.tensor(named: "blk.0.ffn_up.weight")?.type ?? .f32
            let name = URL(fileURLWithPath: path).lastPathComponent
            let size = String(format1: Double(weights) / 1e6) + " MB"
            // KV bytes one position adds (keys and values of every layer).
            let kvRow = 2 * model.shape.layers * cacheType.rowBytes(model.shape.kvHeads * model.shape.headDim)
            for depth in depths {
                let (pp, tg) = measure(model, depth: depth)
                let theirs = llamaBench.flatMap { runLlamaBench($0, file: path, depth: depth) }
                let ppRoof = 2 * Double(params) * pp.mean / (type.isQuantized ? (int8 ?? fma) : fma)
                let tgRoof = Double(weights + kvRow * (depth + generate / 2)) * tg.mean / bandwidth
                let at = depth > 0 ? " @ d\(depth)" : ""
                for (test, ours, other, roof, what) in [("pp\(prompt)\(at)", pp, theirs?.pp, ppRoof, type.isQuantized ? "int8 peak" : "FMA peak"),
                                                        ("tg\(generate)\(at)\(sequences > 1 ? " ×\(sequences)" : "")", tg, theirs?.tg, tgRoof / Double(sequences), "bandwidth")] {
                    rows.append([name, size, test, "\(String(format1: ours.mean)) ± \(String(format1: ours.sd))",
                                 other.map { "\(String(format1: $0.mean)) ± \(String(format1: $0.sd))" } ?? "—",
                                 other.map { String(format: "%.2f×", ours.mean / $0.mean) } ?? "—",
                                 "\(String(format1: roof * 100))% of \(what)"])
                }
            }
        }
        print(GGUFPrinter.table(rows, rightAligned: [3, 4, 5]))
    }

    /// Loom's pp and tg rates for one model after `depth` tokens in the cache.
    func measure(_ model: any DecoderModel, depth: Int) -> (Rate, Rate) {
        var state: UInt64 = 42
        let tokens = (0..<(depth + max(prompt, generate))).map { _ -> Int32 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32((state >> 33) % UInt64(model.shape.vocabulary))
        }
        let capacity = depth + max(prompt, generate)
        /// A state holding the first `depth` tokens.
        func filled(batch: Int) -> DecoderState {
            let s = model.makeState(capacity: capacity, cacheType: cacheType, batch: max(batch, depth), threads: pool.threadCount)
            s.cache.attentionKernel = attention
            if depth > 0 { _ = model.forward(Array(tokens[..<depth]), state: s, pool: pool) }
            return s
        }
        let ppState = filled(batch: prompt)
        func pp() -> Double {
            ppState.cache.truncate(to: depth)
            let t0 = MachineLimits.now()
            _ = model.forward(Array(tokens[depth..<(depth + prompt)]), state: ppState, pool: pool)
            return Double(prompt) / (MachineLimits.now() - t0)
        }
        let tgStates = (0..<sequences).map { _ in filled(batch: 1) }
        let workspace = model.makeState(capacity: 1, cacheType: cacheType, batch: sequences, threads: pool.threadCount)
        func tg() -> Double {
            for s in tgStates { s.cache.truncate(to: depth) }
            let t0 = MachineLimits.now()
            for i in 0..<generate {
                if sequences == 1 {
                    _ = model.forward([tokens[depth + i]], state: tgStates[0], pool: pool)
                } else {
                    let entries = tgStates.enumerated().map { j, s in BatchEntry(tokens: [tokens[(depth + i + j) % tokens.count]], state: s) }
                    _ = model.forward(batch: entries, workspace: workspace, pool: pool)
                }
            }
            return Double(generate * sequences) / (MachineLimits.now() - t0)
        }
        _ = pp()
        let ppRates = (0..<repeats).map { _ in pp() }
        _ = tg()
        let tgRates = (0..<repeats).map { _ in tg() }
        return (Self.rate(ppRates), Self.rate(tgRates))
    }

    static func rate(_ xs: [Double]) -> Rate {
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1) : 0
        return Rate(mean: mean, sd: variance.squareRoot())
    }

    /// llama-bench's pp and tg rates for `file` at `depth` (nil if it fails).
    func runLlamaBench(_ binary: String, file: String, depth: Int) -> (pp: Rate, tg: Rate)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", file, "-t", "\(pool.threadCount)", "-p", "\(prompt)", "-n", "\(generate)",
                             "-r", "\(repeats)", "-d", "\(depth)", "-o", "json"]
            + (cacheType == .f16 ? [] : ["-ctk", cacheType.rawValue, "-ctv", cacheType.rawValue]
               + (cacheType.ggmlType.isQuantized ? ["-fa", "1"] : []))
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { print("llama-bench: \(error)"); return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let runs = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            print("llama-bench failed on \(file) (exit \(process.terminationStatus))")
            return nil
        }
        func rate(_ key: String) -> Rate? {
            guard let r = runs.first(where: { ($0[key] as? Int ?? 0) > 0 }),
                  let mean = r["avg_ts"] as? Double else { return nil }
            return Rate(mean: mean, sd: r["stddev_ts"] as? Double ?? 0)
        }
        guard let pp = rate("n_prompt"), let tg = rate("n_gen") else { return nil }
        return (pp, tg)
    }
}
