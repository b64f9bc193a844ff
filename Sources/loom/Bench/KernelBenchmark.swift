// KernelBenchmark: the measurements behind `loom bench kernels`, printed as tables.
//
//   limits   read bandwidth (256 MiB, > L3) 1 and N threads; f32 FMA peak; int8 dot peak
//   pool     fork/join and barrier cost
//   GEMV     per type × SmolLM2 shape (rows × cols = outputs × inputs), N threads: µs, GB/s, % of BW
//   sweep    the 210 layer matrices of SmolLM2 (30 layers × q,k,v,o,gate,up,down) one after another
//            plus the 49152-row head, as decode streams them: GB/s, % of BW
//   GEMM     per type × batch: our kernel and OpenBLAS, GOPS/GFLOP/s and % of the matching peak

import LoomKernels
import LoomTensor

enum GGMLTypeName {
    static func parse(_ s: String) -> GGMLType? { GGMLType(name: s) }
}

struct KernelBenchmark {
    let pool: ThreadPool
    let types: [GGMLType]
    let batches: [Int]

    /// SmolLM2-135M matrices as (name, rows = outputs, cols = inputs).
    static let shapes: [(String, Int, Int)] = [
        ("attn_q/o 576×576", 576, 576), ("attn_k/v 192×576", 192, 576), ("ffn_up 1536×576", 1536, 576),
        ("ffn_down 576×1536", 576, 1536), ("head 49152×576", 49152, 576),
    ]

    /// Shapes for the K-quants (rows of whole 256-element super-blocks; SmolLM2's 576 is not one):
    /// Llama-3.2-1B-like layers, and a head large enough to stream from memory.
    static let kShapes: [(String, Int, Int)] = [
        ("attn_q/o 2048×2048", 2048, 2048), ("attn_k/v 512×2048", 512, 2048), ("ffn_up 8192×2048", 8192, 2048),
        ("ffn_down 2048×8192", 2048, 8192), ("head 32768×2048", 32768, 2048),
    ]

    /// The shapes measured for `type`.
    static func shapes(for type: GGMLType) -> [(String, Int, Int)] { type.blockSize == 256 ? kShapes : shapes }

    func runAll(sweep: Bool) {
        let single = ThreadPool(threads: 1)
        print("Loom kernel benchmark — \(KernelPath.summary), \(pool.threadCount) threads")
        let bw1 = MachineLimits.readBandwidth(bytes: 256 << 20, pool: single)
        let bwN = MachineLimits.readBandwidth(bytes: 256 << 20, pool: pool)
        let fma = MachineLimits.fmaPeak(pool: pool)
        let int8 = MachineLimits.int8Peak(pool: pool)
        let (fj, barrier) = ThreadPool.measureForkJoin(pool: pool, iterations: 200_000)
        print("\nmachine limits (measured now)")
        print(table([
            ["read bandwidth, 256 MiB, 1 thread", gb(bw1)],
            ["read bandwidth, 256 MiB, \(pool.threadCount) threads", gb(bwN)],
            ["f32 FMA peak, \(pool.threadCount) threads", String(format1: fma / 1e9) + " GFLOP/s"],
            ["int8 dot peak, \(pool.threadCount) threads", int8.map { String(format1: 2 * $0 / 1e9) + " GOPS" } ?? "n/a (portable build)"],
            ["pool fork/join", String(format1: fj) + " ns"],
            ["pool barrier", String(format1: barrier) + " ns"],
        ]))
        gemvTable(bandwidth: bwN)
        if sweep { sweepTable(bandwidth: bwN) }
        gemmTable(fma: fma, int8: int8)
    }

    func gemvTable(bandwidth: Double) {
        var rows = [["type", "matrix", "µs/call", "GB/s", "% of BW"]]
        for type in types {
            for (name, n, k) in Self.shapes(for: type) {
                guard let m = Self.matrix(type, rows: n, cols: k) else { continue }
                let s = timeMatMul(m, tokens: 1)
                let gbs = Double(m.byteCount) / s
                rows.append([type.name, name, String(format1: s * 1e6), String(format1: gbs / 1e9), percent(gbs / bandwidth)])
            }
        }
        print("\nGEMV (1 token; weights larger than L2 come from L3 or memory)")
        print(table(rows))
    }

    func sweepTable(bandwidth: Double) {
        var rows = [["type", "weights MB", "ms/token", "GB/s", "% of BW"]]
        for type in types {
            var mats: [PackedMatrix] = []
            for _ in 0..<30 {
                for (n, k) in [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)] {
                    if let m = Self.matrix(type, rows: n, cols: k) { mats.append(m) }
                }
            }
            if let head = Self.matrix(type, rows: 49152, cols: 576) { mats.append(head) }
            guard !mats.isEmpty else { continue }
            let bytes = mats.reduce(0) { $0 + $1.byteCount }
            let scratch = MatMulScratch(maxTokens: 1, maxCols: 1536, threads: pool.threadCount)
            let x = UnsafeMutablePointer<Float>.allocate(capacity: 1536)
            let y = UnsafeMutablePointer<Float>.allocate(capacity: 49152)
            defer { x.deallocate(); y.deallocate() }
            for i in 0..<1536 { x[i] = Float(i % 17) - 8 }
            var best = Double.infinity
            for _ in 0..<7 {
                let t0 = MachineLimits.now()
                for m in mats { MatMul.run(m, x, tokens: 1, y, scratch: scratch, pool: pool) }
                best = min(best, MachineLimits.now() - t0)
            }
            rows.append([type.name, String(format1: Double(bytes) / 1e6), String(format1: best * 1e3),
                         String(format1: Double(bytes) / best / 1e9), percent(Double(bytes) / best / bandwidth)])
        }
        print("\ndecode sweep: 210 layer matrices + head of SmolLM2-135M, one token (best of 7)")
        print(table(rows))
    }

    func gemmTable(fma: Double, int8: Double?) {
        var rows = [["type", "matrix", "batch", "own kernel", "% of peak", "OpenBLAS", "% of FMA peak", "auto uses"]]
        for type in types {
            for (name, n, k) in Self.shapes(for: type).prefix(4) {
                guard let m = Self.matrix(type, rows: n, cols: k) else { continue }
                for batch in batches {
                    let ops = 2 * Double(n) * Double(k) * Double(batch)
                    let own = ops / timeMatMul(m, tokens: batch, path: .ownKernels)
                    let blas = ops / timeMatMul(m, tokens: batch, path: .openBLAS)
                    let ownPeak = type.isQuantized ? (int8.map { 2 * $0 } ?? fma) : fma
                    rows.append([type.name, name, "\(batch)", String(format1: own / 1e9), percent(own / ownPeak),
                                 String(format1: blas / 1e9), percent(blas / fma),
                                 MatMul.usesBLAS(type, tokens: batch, layout: m.layout) ? "OpenBLAS" : "own"])
                }
            }
        }
        print("\nGEMM (prefill), G(FL)OP/s: own = int8 GEMM for quantized types (% of the int8 peak), the panel GEMM")
        print("for F32/F16 (AVX2) and per-token GEMV for BF16 (% of the FMA peak); OpenBLAS = sgemm on dequantized tiles")
        print(table(rows))
    }

    /// Median seconds of one MatMul.run over enough calls to last ~0.2 s.
    func timeMatMul(_ m: PackedMatrix, tokens: Int, path: MatMulPath = .auto) -> Double {
        let scratch = MatMulScratch(maxTokens: tokens, maxCols: m.cols, threads: pool.threadCount)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: tokens * m.cols)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: tokens * m.rows)
        defer { x.deallocate(); y.deallocate() }
        for i in 0..<tokens * m.cols { x[i] = Float((i * 7919) % 23) / 11 - 1 }
        MatMul.run(m, x, tokens: tokens, y, scratch: scratch, pool: pool, path: path)
        let t0 = MachineLimits.now()
        MatMul.run(m, x, tokens: tokens, y, scratch: scratch, pool: pool, path: path)
        let once = max(MachineLimits.now() - t0, 1e-7)
        let reps = max(3, min(20_000, Int(0.04 / once)))
        var samples: [Double] = []
        for _ in 0..<5 {
            let t = MachineLimits.now()
            for _ in 0..<reps { MatMul.run(m, x, tokens: tokens, y, scratch: scratch, pool: pool, path: path) }
            samples.append((MachineLimits.now() - t) / Double(reps))
        }
        return samples.sorted()[2]
    }

    /// A random matrix of `type` (nil when the type has no matmul kernel).
    static func matrix(_ type: GGMLType, rows: Int, cols: Int) -> PackedMatrix? {
        guard PackedMatrix.supportedTypes.contains(type), let rowBytes = type.byteCount(elements: cols) else { return nil }
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
        var state: UInt64 = 0x1234_5678
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: cols)
        defer { floats.deallocate() }
        bytes.withUnsafeMutableBytes { out in
            for r in 0..<rows {
                for i in 0..<cols {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    floats[i] = Float(Int64(bitPattern: state >> 11) % 2000) / 1000
                }
                try? Quantizer.quantizeRow(type, floats, count: cols, into: out.baseAddress! + r * rowBytes)
            }
        }
        return bytes.withUnsafeBytes { try? PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0) }
    }

    func gb(_ bytesPerSecond: Double) -> String { String(format1: bytesPerSecond / 1e9) + " GB/s" }
    func percent(_ f: Double) -> String { String(format1: f * 100) + "%" }

    func table(_ rows: [[String]]) -> String {
        GGUFPrinter.table(rows, rightAligned: Set(1..<(rows.first?.count ?? 1)))
    }
}
