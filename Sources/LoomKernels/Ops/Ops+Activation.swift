// Activations over n floats: SiLU, GELU (tanh approximation), GELU (exact erf), SwiGLU.
//
//   silu(x)    = x / (1 + e^(−x))                                   (ggml_v_silu / ggml_silu_f32)
//   gelu(x)    = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))           (ggml_gelu_f32; GPT-2, Gemma)
//              computed as x / (1 + e^(−2u)), u = √(2/π)·(x + 0.044715·x³), since ½(1 + tanh u) is
//              the logistic function of 2u: same value, no cancellation in the negative tail.
//   geluErf(x) = ½·x·(1 + erf(x/√2)) = ½·x·erfc(−x/√2)             (ggml_gelu_erf_f32; HF BERT)
//              erfc(z), z ≥ 0, by Abramowitz & Stegun 7.1.26: t = 1/(1 + p·z),
//              erfc(z) ≈ (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−z²), |error| ≤ 1.5e-7; erfc(−z) = 2 − erfc(z)
//              (vectorized: BERT's feed-forward runs it on [tokens, ffn] every layer)
//   swiglu     = silu(gate) · up                                     (ggml_swiglu; llama FFN)
//
// silu/gelu/swiglu use the vector `Ops.exp` (rel. error < 3e-7); tested within 2e-6 relative
// + 1e-7·(1 + |x|) absolute against Double references. `out` may alias an input. swiglu runs as C
// on the avx2/avx512 paths (ops_avx2.c, the same bits as the Swift with FMAs).

import CLoomKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Ops {
    /// silu(x) = x·σ(x) lane-wise.
    @inline(__always)
    static func silu(_ x: V8) -> V8 {
        x / (1 + exp(-x))
    }

    /// gelu(x) (tanh approximation) lane-wise, as x·σ(2u).
    @inline(__always)
    static func gelu(_ x: V8) -> V8 {
        let c = V8(repeating: -2 * 0.797_884_560_802_865_4)  // −2·√(2/π)
        let inner = x.addingProductFast(x * x * x, V8(repeating: 0.044715))
        return x / (1 + exp(inner * c))
    }

    /// out = silu(x) = x / (1 + e^(−x)).
    /// - x: [n], out: [n] (may alias `x`).
    @inline(never)
    public static func silu(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int) {
        precondition(n >= 0, "silu: n must be ≥ 0")
        var i = 0
        while i + 8 <= n { store8(silu(load8(x + i)), out + i); i += 8 }
        if i < n { storeTail(silu(loadTail(x + i, n - i)), out + i, n - i) }
    }

    /// out = gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), ggml's GELU.
    /// - x: [n], out: [n] (may alias `x`).
    @inline(never)
    public static func gelu(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int) {
        precondition(n >= 0, "gelu: n must be ≥ 0")
        var i = 0
        while i + 8 <= n { store8(gelu(load8(x + i)), out + i); i += 8 }
        if i < n { storeTail(gelu(loadTail(x + i, n - i)), out + i, n - i) }
    }

    /// out = ½·x·(1 + erf(x/√2)), the exact GELU (HF `gelu`, BERT).
    /// - x: [n], out: [n] (may alias `x`).
    @inline(never)
    public static func geluErf(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int) {
        precondition(n >= 0, "geluErf: n must be ≥ 0")
        var i = 0
        while i + 8 <= n { store8(geluErf(load8(x + i)), out + i); i += 8 }
        if i < n { storeTail(geluErf(loadTail(x + i, n - i)), out + i, n - i) }
    }

    /// ½·x·erfc(−x/√2) lane-wise (A&S 7.1.26, see the file header).
    @inline(__always)
    static func geluErf(_ x: V8) -> V8 {
        let z = x * V8(repeating: -0.707_106_781_186_547_5)             // −x/√2
        let az = z.replacing(with: -z, where: z .< 0)
        let t = 1 / (1 + az * V8(repeating: 0.327_591_1))
        var poly = V8(repeating: 1.061_405_429)
        poly = poly * t + V8(repeating: -1.453_152_027)
        poly = poly * t + V8(repeating: 1.421_413_741)
        poly = poly * t + V8(repeating: -0.284_496_736)
        poly = poly * t + V8(repeating: 0.254_829_592)
        let tail = poly * t * exp(-(az * az))                          // erfc(|z|)
        let erfcZ = tail.replacing(with: 2 - tail, where: z .< 0)
        return V8(repeating: 0.5) * x * erfcZ
    }

    /// out = silu(gate) · up, the SwiGLU feed-forward gate.
    /// - gate: [n], up: [n], out: [n] (may alias `gate` or `up`).
    /// On avx2/avx512 it runs the C twin (CLoomKernels/ops_avx2.c, the same bits as this Swift
    /// compiled with FMAs); the Swift loop is the baseline path.
    public static func swiglu(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int
    ) {
        swiglu(gate: gate, up: up, out: out, n: n, path: KernelPath.active)
    }

    /// `swiglu` on `path` (C on avx2/avx512, Swift on baseline).
    @inline(never)
    static func swiglu(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int, path: KernelPath
    ) {
        precondition(n >= 0, "swiglu: n must be ≥ 0")
        #if arch(x86_64)
        if path >= .avx2 { loom_swiglu_avx2(gate, up, out, n); return }
        #endif
        var i = 0
        while i + 8 <= n { store8(silu(load8(gate + i)) * load8(up + i), out + i); i += 8 }
        if i < n {
            let r = silu(loadTail(gate + i, n - i)) * loadTail(up + i, n - i)
            storeTail(r, out + i, n - i)
        }
    }
}
