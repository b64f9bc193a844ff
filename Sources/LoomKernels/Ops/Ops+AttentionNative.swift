// The C grouped-attention kernels (CLoomKernels/attention_avx2.c, attention_avx512.c) and which builds run them.
//
// A plain `swift build` compiles this module's Swift for baseline x86-64 (SSE2, no FMA, no F16C),
// and Swift cannot compile one function for another instruction set (see KernelPath.swift), so the
// grouped attention loop — the largest Swift cost of prefill (perf, SmolLM2 Q4_0 pp512: 48% of a
// plain build's cycles, 17% of a `make` build's) — also exists in C with a target attribute. It is
// the Swift loop of Ops+AttentionGrouped.swift operation for operation (FMAs where the Swift uses
// `addProductFast`, the same tree sums and `Ops.exp`), so it gives the bits of that loop compiled
// with -target-cpu native (KernelPathTests checks every format, tile width and shape).
//
// It runs on the avx2 path (ymm only) and, as attention_avx512.c (the same kernel with a value
// pass that reads each V row once, in zmm registers: the same bits), on the avx512 path, in every
// build: a `make` build (Swift with -target-cpu native) gets the same bits from it as from its
// Swift loop, and at least its speed (perf: 18% vs 17% of pp512 cycles next to the same GEMM;
// the avx512 kernel: decode at depth 2048 1.33× the avx2 kernel's on one thread). The Swift loops stay the reference and the baseline path (LOOM_KERNELS=baseline).
// `AttentionKernel.perHead` over a row-major cache runs the Swift per-head loop on baseline and
// this kernel one head per pass on avx2/avx512 (so both kernels of a plain build use FMAs alike).

import CLoomKernels

/// Calls the C grouped-attention kernel.
enum NativeAttention {
    /// The C format id of row format `F` (nil: none).
    static func format<F: KVRowFormat>(_: F.Type) -> Int32? {
        if F.self == F16Rows.self { return 1 }
        if F.self == F32Rows.self { return 0 }
        if F.self == Q8_0Rows.self { return 2 }
        if F.self == Q4_0Rows.self { return 3 }
        return nil
    }

    /// Runs the grouped loop of `Ops.groupedAttention` (shape already checked; `rows` query heads
    /// per tile at most) in C; false when this architecture or format has no kernel.
    @inline(__always)
    static func run<F: KVRowFormat>(
        _ f: F.Type, _ q: UnsafePointer<Float>, _ k: UnsafeRawPointer, _ v: UnsafeRawPointer,
        _ out: UnsafeMutablePointer<Float>, _ shape: AttentionShape, _ heads: Range<Int>, _ tokens: Range<Int>,
        _ scores: UnsafeMutablePointer<Float>, rows: Int, _ layout: KVLayout, path: KernelPath
    ) -> Bool {
        #if arch(x86_64)
        guard let id = format(f) else { return false }
        var args = loom_attention_args(
            format: id, q: q, k: k, v: v, out: out, nHead: shape.nHead, group: shape.nHead / shape.nKVHead,
            headDim: shape.headDim, pos0: shape.pos0, window: shape.window ?? 0, scale: shape.scale,
            h0: heads.lowerBound, h1: heads.upperBound, t0: tokens.lowerBound, t1: tokens.upperBound,
            scores: scores, rowLength: shape.pos0 + shape.nTokens, maxTile: rows,
            positionStride: layout.positionStride, headStride: layout.headStride)
        if path >= .avx512 { loom_attention_avx512(&args) } else { loom_attention_avx2(&args) }
        return true
        #else
        return false
        #endif
    }
}
