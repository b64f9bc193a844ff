// MatMul: out[t, r] = Σ_c W[r, c] · x[t, c] — the one entry point the runtime calls for every
// weight matrix, decode (1 token) or prefill (a batch).
//
//   x: [tokens, cols] f32 · out: [tokens, rows] f32 · W: PackedMatrix [rows, cols]
//
// Path, by layout, weight type and batch size (thresholds measured by `loom bench kernels`, see
// `blasMinTokens`). "AVX2" below means a kernel path other than baseline (KernelPath): the C
// kernels of NativeKernels.swift where the type has them, else the Swift AVX2 ones of a
// -DLOOM_AVX2 build; "portable" means the baseline path:
//   panel16 (F32/F16/BF16 on AVX2), any batch outer-product GEMM on 16-row panels, GEMV at 1 token
//                                             (GEMM+Panel.swift); OpenBLAS never beats it
//   quantized, tokens < 4 or portable build   int8 GEMV per token (activations quantized once)
//   quantized, tokens ≥ 4 (AVX2)              int8 GEMM, 4-token tiles; the rest by GEMV
//   (Q3_K/Q2_K: rowMajor, GEMV per token; OpenBLAS from 32 tokens)
//   row-major, tokens ≥ blasMinTokens(type)   OpenBLAS sgemm on dequantized 64-row tiles
//   row-major float (portable build, or a     float GEMV per token (BF16: 4 rows per pass)
//   requested rowMajor layout) below that
// Work is split by rows (8-row granularity, 16 for panels, 64 for OpenBLAS) between the pool's
// threads; each output is computed by one thread, so results do not depend on the thread count.

import LoomTensor

/// Scratch memory for matmuls: quantized activations and per-thread f32 tiles, allocated once.
public final class MatMulScratch: @unchecked Sendable {
    /// Most tokens per call.
    public let maxTokens: Int
    /// Longest input row (cols).
    public let maxCols: Int
    /// Threads that may call `MatMul` concurrently (the pool's size).
    public let threads: Int
    let activations: Q8Activations
    let tiles: UnsafeMutablePointer<Float>
    let job = MatMulJob()

    /// Room for `maxTokens` rows of up to `maxCols` inputs, for `threads` threads.
    public init(maxTokens: Int, maxCols: Int, threads: Int) {
        precondition(maxTokens > 0 && maxCols > 0 && threads > 0)
        self.maxTokens = maxTokens
        self.maxCols = (maxCols + 31) / 32 * 32
        self.threads = threads
        activations = Q8Activations(k: self.maxCols, capacity: maxTokens)
        tiles = .allocate(capacity: threads * BLAS.tileRows * self.maxCols)
        job.scratch = self
        _ = job.body
    }

    deinit { tiles.deallocate() }
}

/// Which implementation a matmul uses (benchmarks and tests pin one; the runtime uses `.auto`).
public enum MatMulPath: String, Sendable, CaseIterable {
    /// OpenBLAS from `blasMinTokens` tokens on, our kernels below.
    case auto
    /// Our kernels at every batch size.
    case ownKernels
    /// OpenBLAS at every batch size.
    case openBLAS
}

/// Matrix products against prepared weights.
public enum MatMul {
    /// Smallest batch for which OpenBLAS beats our own kernels for `type`, measured with
    /// `loom bench kernels` on the 2-core Zen 3 this was developed on (AVX2, no VNNI):
    /// - quantized weights: the int8 GEMM beat sgemm (on dequantized tiles) at every batch up to
    ///   512 (e.g. Q4_0 ffn_up 204 vs 135 G/s at 512, 235 vs 50 at 16), so OpenBLAS is never used
    ///   with the AVX2 kernels; the portable build's scalar int8 dots lose to it from 8 tokens on;
    /// - quantized weights without an interleaved8 kernel (Q3_K, Q2_K: AVX2 row dots per token):
    ///   sgemm wins from ~32 tokens (measured on the loaded 2-core Zen 4, see below);
    /// - row-major float weights: our per-token GEMV wins below ~32 tokens, sgemm above (F16
    ///   ffn_up: 62 vs 72 G/s at 16, 62 vs 119 at 64);
    /// - panel16 weights (F32/F16/BF16 with AVX2) never use it: the panel GEMM reaches 75–90% of the FMA
    ///   peak from ~20 tokens on, sgemm 45–60% (ffn_up F16 at 1472 tokens: 169 vs 121 G/s).
    public static func blasMinTokens(_ type: GGMLType, layout: PackedMatrix.Layout = .rowMajor, path: KernelPath = .active) -> Int {
        switch type {
        case .f32, .f16, .bf16: return 32
        default:
            if layout == .interleaved8 { return Int.max }
            // Int8 types without an interleaved8 kernel (Q3_K, Q2_K: per-token AVX2 row dots) lose to
            // sgemm from ~32 tokens (576×1536 Q3_K, 2 threads: 1.8 vs 1.6 ms at 32, 21 vs 2.2 at 128);
            // the portable scalar dots from 8.
            return SIMDPath.compiled == .avx2 && path != .baseline ? 32 : 8
        }
    }

    /// The whole product on `pool` (quantize activations, barrier, multiply). Allocates nothing:
    /// the parallel body is the scratch's preallocated job.
    public static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>,
                           scratch: MatMulScratch, pool: ThreadPool, path: MatMulPath = .auto) {
        let job = scratch.job
        job.path = path
        job.matrix = w
        job.x = x
        job.tokens = tokens
        job.out = out
        job.pool = pool
        pool.run(prepared: job.body)
        job.matrix = nil
        job.pool = nil
    }

    /// The product from inside a `pool.run` body: every thread of the run must call it.
    public static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>,
                           scratch: MatMulScratch, pool: ThreadPool, thread: Int, threads: Int, path: MatMulPath = .auto) {
        precondition(tokens >= 1 && tokens <= scratch.maxTokens && w.cols <= scratch.maxCols && threads <= scratch.threads)
        let useBLAS = usesBLAS(w.type, tokens: tokens, path: path, layout: w.layout, kernels: w.path)
        let quantized = w.type.isQuantized && !useBLAS
        if quantized {
            let act = scratch.activations
            precondition(act.k >= w.cols)
            act.quantize(x, cols: w.cols, rows: ThreadPool.split(tokens, part: thread, of: threads))
            pool.barrier()
        }
        // BLAS tiles sit at absolute multiples of 64 rows so that each sgemm call, and so each
        // output bit, is the same whatever the thread count.
        let granularity = useBLAS ? BLAS.tileRows : w.layout == .panel16 ? 16 : 8
        multiply(w, x, tokens: tokens, out, scratch: scratch, rows: ThreadPool.split(w.rows, part: thread, of: threads, granularity: granularity),
                 thread: thread, useBLAS: useBLAS)
    }

    /// Whether a product of `tokens` tokens with `type` weights goes through OpenBLAS.
    public static func usesBLAS(_ type: GGMLType, tokens: Int, path: MatMulPath = .auto, layout: PackedMatrix.Layout = .rowMajor,
                                kernels: KernelPath = .active) -> Bool {
        switch path {
        case .auto: return layout != .panel16 && tokens >= blasMinTokens(type, layout: layout, path: kernels)
        case .ownKernels: return false
        case .openBLAS: return true
        }
    }

    /// out rows `rows` for all tokens; for int8 kernels the activations are already quantized.
    static func multiply(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>,
                         scratch: MatMulScratch, rows: Range<Int>, thread: Int, useBLAS: Bool) {
        guard !rows.isEmpty else { return }
        if useBLAS {
            BLAS.run(w, x, tokens: tokens, out, rows: rows, tile: scratch.tiles + thread * BLAS.tileRows * scratch.maxCols)
            return
        }
        if w.layout == .panel16 {
            PanelGEMM.run(w, x, tokens: tokens, out, rows: rows)
            return
        }
        if !w.type.isQuantized {
            for t in 0..<tokens {
                GEMV.float(w, x + t * w.cols, out + t * w.rows, rows: rows)
            }
            return
        }
        let act = scratch.activations
        var t = 0
        if w.layout == .interleaved8 && tokens >= 4, let format = w.int8 {
            let g1 = min(rows.upperBound, w.groups * 8) / 8
            let g0 = rows.lowerBound / 8
            if g0 < g1 {
                if let native = w.native {
                    native.gemm(w, act, out, tokens: 0..<(tokens / 4 * 4), groups: g0..<g1)
                } else {
                    #if LOOM_AVX2
                    format.gemm8(w, act, out, tokens: 0..<(tokens / 4 * 4), groups: g0..<g1)
                    #else
                    _ = format
                    preconditionFailure("interleaved8 \(w.type) without kernels")
                    #endif
                }
                for tt in 0..<(tokens / 4 * 4) where g1 * 8 < rows.upperBound {
                    GEMV.quantized(w, act.row(tt), out + tt * w.rows, rows: g1 * 8..<rows.upperBound)
                }
                t = tokens / 4 * 4
            }
        }
        while t < tokens {
            GEMV.quantized(w, act.row(t), out + t * w.rows, rows: rows)
            t += 1
        }
    }
}

/// The arguments of one `MatMul.run` and the parallel body that reads them, allocated once per
/// scratch so that dispatching a matmul allocates nothing.
final class MatMulJob: @unchecked Sendable {
    var matrix: PackedMatrix?
    var x: UnsafePointer<Float>?
    var tokens = 0
    var out: UnsafeMutablePointer<Float>?
    var pool: ThreadPool?
    var path = MatMulPath.auto
    weak var scratch: MatMulScratch?
    private(set) lazy var body: (Int, Int) -> Void = { [unowned self] t, n in self.execute(thread: t, threads: n) }

    func execute(thread: Int, threads: Int) {
        guard let w = matrix, let x, let out, let pool, let scratch else { return }
        MatMul.run(w, x, tokens: tokens, out, scratch: scratch, pool: pool, thread: thread, threads: threads, path: path)
    }
}
