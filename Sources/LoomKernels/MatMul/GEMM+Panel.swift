// PanelGEMM: out[t, r] = Σ_c W[r, c]·x[t, c] for panel16 weights (F32/F16/BF16, AVX2) at any batch —
// the outer-product microkernel of BLAS libraries, with the weights packed once at load time
// (PackedMatrix.panel16) instead of on every call. One token (decode) takes `gemv`: 4 panels per
// pass over x, 8 FMA chains. Two or more:
//
//   x: [tokens, cols] f32 · out: [tokens, rows] f32 (row stride `rows`) · W: [⌈rows/16⌉][cols][16]
//
//   for each block of tokens (its rows of x ≤ 128 KiB, so they stay in L2),
//     for each panel of 16 rows, for t in the block step 6:
//       for c in 0..<cols:                         2 vector loads, 6 broadcasts, 12 FMAs
//         acc[j][h] (rows 16p+8h … +7) += W[16p+8h … +7][c] · x[t+j][c]      j < 6, h < 2
//       out[t+j][16p … 16p+15] = acc[j]
//
// 12 independent FMA chains and no horizontal sums; F16 and BF16 panels are widened 8 rows at a time
// (PanelElement: vcvtph2ps, or the bf16 bits shifted into the top of an f32 — both exact). A
// short tile (fewer than 6 tokens) repeats its last token's pointer and stores only real tokens;
// a partial panel stores only real rows. Each output is one FMA chain over c in order wherever its
// tile falls, so results do not depend on the thread count or on the batch. Tested against the
// reference with the other paths (MatMulTests).

import LoomTensor
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

enum PanelGEMM {
    /// Tokens per tile.
    static let tokenTile = 6
    /// Bytes of activations per token block.
    static let blockBytes = 128 * 1024

    /// Whether the panel16 layout (and so a kernel for it: the C one of NativeKernels.swift, or this
    /// Swift AVX2 one) exists for `type` on `path`.
    static func supports(_ type: GGMLType, path: KernelPath = .active) -> Bool {
        guard type == .f32 || type == .f16 || type == .bf16, path != .baseline else { return false }
        return NativePanels.available(path) || SIMDPath.compiled == .avx2
    }

    /// out[t, r] for t in 0..<tokens, r in `rows` (starting on a panel boundary).
    static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        precondition(w.layout == .panel16 && rows.lowerBound % 16 == 0, "panel16 row ranges start on a panel")
        if NativePanels.available(w.path) { return NativePanels.run(w, x, tokens: tokens, out, rows: rows) }
        #if LOOM_AVX2
        switch w.type {
        case .f16: run(F16Panel.self, w, x, tokens: tokens, out, rows: rows)
        case .bf16: run(BF16Panel.self, w, x, tokens: tokens, out, rows: rows)
        default: run(F32Panel.self, w, x, tokens: tokens, out, rows: rows)
        }
        #endif
    }

    #if LOOM_AVX2
    /// `run` specialized for the panel element type `E`.
    static func run<E: PanelElement>(_: E.Type, _ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        if tokens == 1 { return gemv(E.self, w, x, out, rows: rows) }
        let k = w.cols, n = w.rows
        let panelBytes = 16 * w.rowBytes
        let block = max(tokenTile, blockBytes / (4 * k) / tokenTile * tokenTile)
        var t0 = 0
        while t0 < tokens {
            let t1 = min(tokens, t0 + block)
            var p = rows.lowerBound
            while p < rows.upperBound {
                let panel = UnsafeRawPointer(w.data) + (p / 16) * panelBytes
                var t = t0
                while t < t1 {
                    tile(E.self, panel, k, x + t * k, min(tokenTile, t1 - t), out + t * n + p, n, min(16, rows.upperBound - p))
                    t += tokenTile
                }
                p += 16
            }
            t0 = t1
        }
    }

    /// One token (decode): 4 panels (64 rows, 8 FMA chains) per pass over x, then single panels.
    /// Each output is the same FMA chain as in the GEMM tiles, so decode and prefill agree bit for bit.
    static func gemv<E: PanelElement>(_: E.Type, _ w: PackedMatrix, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let k = w.cols, panelBytes = 16 * w.rowBytes
        let elementBytes = E.bytes
        var p = rows.lowerBound
        while p + 64 <= rows.upperBound {
            let a = UnsafeRawPointer(w.data) + (p / 16) * panelBytes
            let b = a + panelBytes, c2 = b + panelBytes, d = c2 + panelBytes
            var a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0
            var c = 0
            while c < k {
                let xv = _mm256_set1_ps(x[c])
                let o = 16 &* elementBytes &* c
                let va = E.load16(a, o), vb = E.load16(b, o), vc = E.load16(c2, o), vd = E.load16(d, o)
                a0 = _mm256_fmadd_ps(va.0, xv, a0); a1 = _mm256_fmadd_ps(va.1, xv, a1)
                b0 = _mm256_fmadd_ps(vb.0, xv, b0); b1 = _mm256_fmadd_ps(vb.1, xv, b1)
                c0 = _mm256_fmadd_ps(vc.0, xv, c0); c1 = _mm256_fmadd_ps(vc.1, xv, c1)
                d0 = _mm256_fmadd_ps(vd.0, xv, d0); d1 = _mm256_fmadd_ps(vd.1, xv, d1)
                c &+= 1
            }
            store(a0, a1, to: out + p, validRows: 16); store(b0, b1, to: out + p + 16, validRows: 16)
            store(c0, c1, to: out + p + 32, validRows: 16); store(d0, d1, to: out + p + 48, validRows: 16)
            p += 64
        }
        while p < rows.upperBound {
            let a = UnsafeRawPointer(w.data) + (p / 16) * panelBytes
            var a0 = _mm256_setzero_ps(), a1 = a0
            for c in 0..<k {
                let xv = _mm256_set1_ps(x[c]), o = 16 &* elementBytes &* c
                let va = E.load16(a, o)
                a0 = _mm256_fmadd_ps(va.0, xv, a0); a1 = _mm256_fmadd_ps(va.1, xv, a1)
            }
            store(a0, a1, to: out + p, validRows: min(16, rows.upperBound - p))
            p += 16
        }
    }

    /// Stores a panel's 16 sums (rows 0–7 in `lo`, 8–15 in `hi`), only the first `validRows`.
    @inline(__always)
    static func store(_ lo: __m256, _ hi: __m256, to out: UnsafeMutablePointer<Float>, validRows: Int) {
        if validRows == 16 {
            UnsafeMutableRawPointer(out).storeBytes(of: lo, as: __m256.self)
            UnsafeMutableRawPointer(out).storeBytes(of: hi, toByteOffset: 32, as: __m256.self)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { tmp in
            guard let base = tmp.baseAddress else { return }
            UnsafeMutableRawPointer(base).storeBytes(of: lo, as: __m256.self)
            UnsafeMutableRawPointer(base).storeBytes(of: hi, toByteOffset: 32, as: __m256.self)
            out.update(from: base, count: validRows)
        }
    }

    /// Twelve accumulators: token j's rows 0–7 (`lo`) and 8–15 (`hi`).
    struct Accumulators {
        var lo0 = _mm256_setzero_ps(), hi0 = _mm256_setzero_ps(), lo1 = _mm256_setzero_ps(), hi1 = _mm256_setzero_ps()
        var lo2 = _mm256_setzero_ps(), hi2 = _mm256_setzero_ps(), lo3 = _mm256_setzero_ps(), hi3 = _mm256_setzero_ps()
        var lo4 = _mm256_setzero_ps(), hi4 = _mm256_setzero_ps(), lo5 = _mm256_setzero_ps(), hi5 = _mm256_setzero_ps()

        /// acc[j] += (v0, v1) · x_j[c] for the six token rows.
        @inline(__always)
        mutating func add(_ v0: __m256, _ v1: __m256, _ x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                          UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), _ c: Int) {
            var b = _mm256_set1_ps(x.0[c]); lo0 = _mm256_fmadd_ps(v0, b, lo0); hi0 = _mm256_fmadd_ps(v1, b, hi0)
            b = _mm256_set1_ps(x.1[c]); lo1 = _mm256_fmadd_ps(v0, b, lo1); hi1 = _mm256_fmadd_ps(v1, b, hi1)
            b = _mm256_set1_ps(x.2[c]); lo2 = _mm256_fmadd_ps(v0, b, lo2); hi2 = _mm256_fmadd_ps(v1, b, hi2)
            b = _mm256_set1_ps(x.3[c]); lo3 = _mm256_fmadd_ps(v0, b, lo3); hi3 = _mm256_fmadd_ps(v1, b, hi3)
            b = _mm256_set1_ps(x.4[c]); lo4 = _mm256_fmadd_ps(v0, b, lo4); hi4 = _mm256_fmadd_ps(v1, b, hi4)
            b = _mm256_set1_ps(x.5[c]); lo5 = _mm256_fmadd_ps(v0, b, lo5); hi5 = _mm256_fmadd_ps(v1, b, hi5)
        }

        /// Token j's 16 sums.
        @inline(__always)
        func token(_ j: Int) -> (__m256, __m256) {
            switch j {
            case 0: return (lo0, hi0)
            case 1: return (lo1, hi1)
            case 2: return (lo2, hi2)
            case 3: return (lo3, hi3)
            case 4: return (lo4, hi4)
            default: return (lo5, hi5)
            }
        }
    }

    /// One panel × tokens 0..<tokenCount (1…6) of `x`; `validRows` (1…16) of the panel are stored.
    @inline(__always)
    static func tile<E: PanelElement>(_: E.Type, _ panel: UnsafeRawPointer, _ k: Int, _ x: UnsafePointer<Float>, _ tokenCount: Int,
                     _ out: UnsafeMutablePointer<Float>, _ n: Int, _ validRows: Int) {
        let x1 = tokenCount > 1 ? x + k : x, x2 = tokenCount > 2 ? x + 2 * k : x1, x3 = tokenCount > 3 ? x + 3 * k : x2
        let x4 = tokenCount > 4 ? x + 4 * k : x3, x5 = tokenCount > 5 ? x + 5 * k : x4
        let xs = (x, x1, x2, x3, x4, x5)
        var acc = Accumulators()
        let column = 16 * E.bytes
        var c = 0
        while c < k {
            let v = E.load16(panel, column &* c)
            acc.add(v.0, v.1, xs, c)
            c &+= 1
        }
        for j in 0..<tokenCount {
            let (lo, hi) = acc.token(j)
            store(lo, hi, to: out + j * n, validRows: validRows)
        }
    }
    #endif
}

#if LOOM_AVX2
/// A panel16 element type: its width and how one column of a panel (16 rows) widens to f32.
protocol PanelElement {
    /// Bytes per element.
    static var bytes: Int { get }
    /// The column at byte offset `o` of `panel` as f32: rows 0–7, rows 8–15.
    static func load16(_ panel: UnsafeRawPointer, _ o: Int) -> (__m256, __m256)
}

/// F32 panels: loaded as they are (lanes in row order).
enum F32Panel: PanelElement {
    static var bytes: Int { 4 }
    @inline(__always) static func load16(_ panel: UnsafeRawPointer, _ o: Int) -> (__m256, __m256) {
        (panel.loadUnaligned(fromByteOffset: o, as: __m256.self), panel.loadUnaligned(fromByteOffset: o &+ 32, as: __m256.self))
    }
}

/// F16 panels: vcvtph2ps (lanes in row order).
enum F16Panel: PanelElement {
    static var bytes: Int { 2 }
    @inline(__always) static func load16(_ panel: UnsafeRawPointer, _ o: Int) -> (__m256, __m256) {
        (_mm256_cvtph_ps(panel.loadUnaligned(fromByteOffset: o, as: __m128i.self)),
         _mm256_cvtph_ps(panel.loadUnaligned(fromByteOffset: o &+ 16, as: __m128i.self)))
    }
}

/// BF16 panels: lanes paired (Repack.bf16Lane: 32-bit word j holds rows j and 8 + j), so one
/// 32-byte load gives rows 0–7 by a shift into the top halves and rows 8–15 by masking the low
/// halves off — both exact.
enum BF16Panel: PanelElement {
    static var bytes: Int { 2 }
    @inline(__always) static func load16(_ panel: UnsafeRawPointer, _ o: Int) -> (__m256, __m256) {
        let v = panel.loadUnaligned(fromByteOffset: o, as: __m256i.self)
        return (_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(-65536))))
    }
}
#endif
