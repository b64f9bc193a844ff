// Kernel benchmarks: one matmul per weight type at SmolLM2-135M's ffn_up shape (1536 × 576), decode
// (1 token) and prefill (128 tokens), with the malloc counter — a kernel call must allocate nothing
// (the Malloc (total) row reads 0). Throughput tables against the machine's limits: `loom bench kernels`.

import Benchmark
import LoomKernels
import LoomTensor

func makeMatrix(_ type: GGMLType, rows: Int, cols: Int) -> PackedMatrix? {
    guard let rowBytes = type.byteCount(elements: cols) else { return nil }
    var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
    var x = [Float](repeating: 0, count: cols)
    bytes.withUnsafeMutableBytes { out in
        for r in 0..<rows {
            for i in 0..<cols { x[i] = Float((r * 31 + i * 17) % 200) / 100 - 1 }
            x.withUnsafeBufferPointer { try? Quantizer.quantizeRow(type, $0.baseAddress!, count: cols, into: out.baseAddress! + r * rowBytes) }
        }
    }
    return bytes.withUnsafeBytes { try? PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput],
                                           maxDuration: .seconds(2))
    let pool = ThreadPool.shared
    // Baselines: what the harness itself counts per iteration, and a bare fork/join.
    Benchmark("baseline: empty iteration") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(pool.threadCount) }
    }
    let noop: (Int, Int) -> Void = { t, _ in blackHole(t) }
    Benchmark("baseline: pool fork/join (prepared body)") { benchmark in
        for _ in benchmark.scaledIterations { pool.run(prepared: noop) }
    }
    for type in [GGMLType.q4_0, .q4_1, .q8_0, .f16, .f32] {
        for tokens in [1, 128] {
            guard let m = makeMatrix(type, rows: 1536, cols: 576) else { continue }
            let scratch = MatMulScratch(maxTokens: tokens, maxCols: 576, threads: pool.threadCount)
            let x = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 576)
            let y = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 1536)
            x.initialize(repeating: 0.5, count: tokens * 576)
            Benchmark("matmul \(type) 1536×576, \(tokens) token(s)") { benchmark in
                for _ in benchmark.scaledIterations {
                    MatMul.run(m, x, tokens: tokens, y, scratch: scratch, pool: pool)
                }
                blackHole(y[0])
            }
        }
    }
}
