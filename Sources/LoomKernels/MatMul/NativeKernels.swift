// NativeKernels: the C kernels (CLoomKernels) each type registers for each run-time path — the
// int8 types' interleaved8 GEMV/GEMM and the float types' panel16 GEMM — and how Swift calls
// them. The record and panel layouts are the ones the Swift AVX2 kernels read (Repack.swift), so a
// PackedMatrix is prepared the same way for either; which one runs is fixed when it is built
// (PackedMatrix.native), once per matrix, and each call is one C call per row range.
//
//   type   avx2 (AVX2+FMA+F16C)            avx512 (+ AVX-512 VL/BW/VNNI)
//   Q4_0   gemv8/gemm8 vpmaddubsw          gemv8/gemm8 vpdpbusd
//   Q4_1   ″                               ″
//   Q5_0   ″                               ″
//   Q5_1   ″                               ″
//   Q8_0   ″ (sign trick)                  ″ (w XOR 0x80, − 128·Σa)
//   F32/F16/BF16  panel16 GEMM/GEMV        the avx2 one (Zen 4 runs zmm FMAs at ymm rate)
// Other types have none: they run the Swift AVX2 kernels in a -DLOOM_AVX2 build, else the portable ones.

import CLoomKernels

/// One int8 type's C interleaved8 kernels for one path.
struct NativeRecordKernels {
    let gemvFunction: loom_gemv8_fn
    let gemmFunction: loom_gemm8_fn

    /// The avx2 or the vnni pair for `path` (nil on baseline).
    static func pick(_ path: KernelPath, avx2: (loom_gemv8_fn, loom_gemm8_fn), vnni: (loom_gemv8_fn, loom_gemm8_fn)) -> NativeRecordKernels? {
        switch path {
        case .baseline: return nil
        case .avx2: return NativeRecordKernels(gemvFunction: avx2.0, gemmFunction: avx2.1)
        case .avx512: return NativeRecordKernels(gemvFunction: vnni.0, gemmFunction: vnni.1)
        }
    }

    /// out[8g…8g+7] for g in `groups`.
    @inline(__always)
    func gemv(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        gemvFunction(UnsafeRawPointer(w.data), w.cols / 32, groups.lowerBound, groups.upperBound,
                     loom_q8row(q: a.q, d: a.d, s: a.s, isum: a.isum), out)
    }

    /// out[t, 8g…8g+7] for t in `tokens` (a multiple of 4 long) and g in `groups`.
    @inline(__always)
    func gemm(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>, tokens: Range<Int>, groups: Range<Int>) {
        gemmFunction(UnsafeRawPointer(w.data), w.cols / 32, groups.lowerBound, groups.upperBound,
                     act.q, act.d, act.s, act.isum, act.k, tokens.lowerBound, tokens.upperBound, out, w.rows)
    }
}

extension Int8Format {
    /// No C kernels unless the type registers some.
    static func native(_ path: KernelPath) -> NativeRecordKernels? { nil }
}

#if arch(x86_64)
extension Q4_0 {
    static func native(_ path: KernelPath) -> NativeRecordKernels? {
        .pick(path, avx2: (loom_gemv8_q4_0_avx2, loom_gemm8_q4_0_avx2), vnni: (loom_gemv8_q4_0_vnni, loom_gemm8_q4_0_vnni))
    }
}

extension Q4_1 {
    static func native(_ path: KernelPath) -> NativeRecordKernels? {
        .pick(path, avx2: (loom_gemv8_q4_1_avx2, loom_gemm8_q4_1_avx2), vnni: (loom_gemv8_q4_1_vnni, loom_gemm8_q4_1_vnni))
    }
}

extension Q5_0 {
    static func native(_ path: KernelPath) -> NativeRecordKernels? {
        .pick(path, avx2: (loom_gemv8_q5_0_avx2, loom_gemm8_q5_0_avx2), vnni: (loom_gemv8_q5_0_vnni, loom_gemm8_q5_0_vnni))
    }
}

extension Q5_1 {
    static func native(_ path: KernelPath) -> NativeRecordKernels? {
        .pick(path, avx2: (loom_gemv8_q5_1_avx2, loom_gemm8_q5_1_avx2), vnni: (loom_gemv8_q5_1_vnni, loom_gemm8_q5_1_vnni))
    }
}

extension Q8_0 {
    static func native(_ path: KernelPath) -> NativeRecordKernels? {
        .pick(path, avx2: (loom_gemv8_q8_0_avx2, loom_gemm8_q8_0_avx2), vnni: (loom_gemv8_q8_0_vnni, loom_gemm8_q8_0_vnni))
    }
}
#endif

/// The C panel16 GEMM, when `path` has it on this architecture.
enum NativePanels {
    /// Whether `path` runs panel16 weights through C.
    static func available(_ path: KernelPath) -> Bool {
        #if arch(x86_64)
        return path >= .avx2
        #else
        return false
        #endif
    }

    /// out[t, r] for t < tokens, r in `rows` (from a panel boundary).
    static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        #if arch(x86_64)
        let element: Int32 = w.type == .f16 ? 1 : w.type == .bf16 ? 2 : 0
        loom_panel_gemm_avx2(element, UnsafeRawPointer(w.data), w.cols, x, tokens, out, w.rows, rows.lowerBound, rows.upperBound)
        #endif
    }
}
