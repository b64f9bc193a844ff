// RMSNorm and LayerNorm over rows of n floats.
//
//   rmsNorm:   y = x · 1/√(mean(x²) + eps) · w          (ggml_compute_forward_rms_norm_f32, then
//                                                        ggml_mul by the weight, as llama.cpp fuses)
//   layerNorm: y = (x − mean) · 1/√(var + eps) · w + b   (ggml_compute_forward_norm_f32 + mul + add;
//              var is the population variance Σ(x−mean)²/n, two passes, as ggml and PyTorch)
//
// ggml accumulates the sums in double; here they are f32 with 16 lane-wise partial sums, so the
// relative error of the sums is ≈ (n/16)·ε. Tested within 1e-5 relative (of max |y|) against a Double
// reference for n up to 1536. `weight`/`bias` may be nil (treated as 1 / 0). `out` may alias `x`.
// rmsNorm runs as C on the avx2/avx512 paths (ops_avx2.c, the same bits as the Swift with FMAs).

import CLoomKernels

extension Ops {
    /// RMS-normalizes one row: out = x / √(mean(x²) + eps) · weight.
    /// - Parameters:
    ///   - x: [n] input row.
    ///   - weight: [n] per-element gain, or nil for none.
    ///   - out: [n] result; may be the same pointer as `x`.
    ///   - n: row length, ≥ 1.
    ///   - eps: added to the mean square (e.g. 1e-5 or 1e-6).
    /// On avx2/avx512 it runs the C twin (CLoomKernels/ops_avx2.c, the same bits as this Swift
    /// compiled with FMAs); the Swift loop is the baseline path.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        n: Int, eps: Float
    ) {
        rmsNorm(x, weight: weight, out: out, n: n, eps: eps, path: KernelPath.active)
    }

    /// `rmsNorm` of one row on `path` (C on avx2/avx512, Swift on baseline).
    @inline(never)
    static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        n: Int, eps: Float, path: KernelPath
    ) {
        precondition(n >= 1, "rmsNorm: n must be ≥ 1")
        #if arch(x86_64)
        if path >= .avx2 { loom_rms_norm_avx2(x, weight, out, n, eps); return }
        #endif
        let mean = sumOfSquares(x, n) / Float(n)
        let scale = 1 / (mean + eps).squareRoot()
        scaleRow(x, by: scale, weight: weight, bias: nil, shift: 0, out: out, n: n)
    }

    /// RMS-normalizes `rows` consecutive rows of n floats each (see the one-row `rmsNorm`).
    /// - x: [rows, n], weight: [n] or nil, out: [rows, n] (may alias x).
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        rows: Int, n: Int, eps: Float
    ) {
        precondition(rows >= 0, "rmsNorm: rows must be ≥ 0")
        for r in 0..<rows {
            rmsNorm(x + r * n, weight: weight, out: out + r * n, n: n, eps: eps)
        }
    }

    /// Layer-normalizes one row: out = (x − mean) / √(var + eps) · weight + bias (population var).
    /// - Parameters:
    ///   - x: [n] input row.
    ///   - weight: [n] gain, or nil for 1.
    ///   - bias: [n] shift, or nil for 0.
    ///   - out: [n] result; may be the same pointer as `x`.
    ///   - n: row length, ≥ 1.
    ///   - eps: added to the variance (e.g. 1e-12 for BERT, 1e-5 for GPT-2).
    @inline(never)
    public static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, n: Int, eps: Float
    ) {
        precondition(n >= 1, "layerNorm: n must be ≥ 1")
        let mean = sum(x, n) / Float(n)
        // Second pass: Σ(x − mean)².
        let m8 = V8(repeating: mean)
        var acc0 = V8(), acc1 = V8()
        var i = 0
        while i + 16 <= n {
            let a = load8(x + i) - m8, b = load8(x + i + 8) - m8
            acc0.addProductFast(a, a)
            acc1.addProductFast(b, b)
            i += 16
        }
        if i + 8 <= n {
            let a = load8(x + i) - m8
            acc0.addProductFast(a, a)
            i += 8
        }
        var ss = hsum(acc0 + acc1)
        while i < n {
            let d = x[i] - mean
            ss.addProductFast(d, d)
            i += 1
        }
        let scale = 1 / (ss / Float(n) + eps).squareRoot()
        scaleRow(x, by: scale, weight: weight, bias: bias, shift: mean, out: out, n: n)
    }

    /// Layer-normalizes `rows` consecutive rows of n floats each (see the one-row `layerNorm`).
    /// - x: [rows, n], weight/bias: [n] or nil, out: [rows, n] (may alias x).
    public static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, rows: Int, n: Int, eps: Float
    ) {
        precondition(rows >= 0, "layerNorm: rows must be ≥ 0")
        for r in 0..<rows {
            layerNorm(x + r * n, weight: weight, bias: bias, out: out + r * n, n: n, eps: eps)
        }
    }

    /// out = ((x − shift) · scale) · w + b, with w = 1 / b = 0 when nil.
    @inline(__always)
    static func scaleRow(
        _ x: UnsafePointer<Float>, by scale: Float, weight: UnsafePointer<Float>?,
        bias: UnsafePointer<Float>?, shift: Float, out: UnsafeMutablePointer<Float>, n: Int
    ) {
        let s8 = V8(repeating: scale), m8 = V8(repeating: shift)
        var i = 0
        switch (weight, bias) {
        case let (w?, b?):
            while i + 8 <= n {
                store8(load8(b + i).addingProductFast((load8(x + i) - m8) * s8, load8(w + i)), out + i)
                i += 8
            }
            while i < n { out[i] = b[i].addingProductFast((x[i] - shift) * scale, w[i]); i += 1 }
        case let (w?, nil):
            while i + 8 <= n {
                store8((load8(x + i) - m8) * s8 * load8(w + i), out + i)
                i += 8
            }
            while i < n { out[i] = (x[i] - shift) * scale * w[i]; i += 1 }
        case let (nil, b?):
            while i + 8 <= n {
                store8(load8(b + i).addingProductFast(load8(x + i) - m8, s8), out + i)
                i += 8
            }
            while i < n { out[i] = b[i].addingProductFast(x[i] - shift, scale); i += 1 }
        case (nil, nil):
            while i + 8 <= n {
                store8((load8(x + i) - m8) * s8, out + i)
                i += 8
            }
            while i < n { out[i] = (x[i] - shift) * scale; i += 1 }
        }
    }
}
