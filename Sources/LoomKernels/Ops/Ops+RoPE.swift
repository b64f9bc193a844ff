// Rotary position embedding (RoPE), in place, on x: [nTokens, nHeads, headDim].
//
// Follows ggml_compute_forward_rope_flt with ext_factor = 0 (no YaRN): for pair i in 0..<nRot/2 of a
// token at position p,
//   θᵢ = freqScale · p · freqBase^(−2i/nRot) / fᵢ       (fᵢ: optional freq factors, Phi-3 LongRoPE)
// computed as ggml_rope_cache_init does, in f32: θ starts at Float(p) and is multiplied by
// thetaScale = powf(freqBase, −2/nRot) once per pair; then cos/sin of freqScale·(θ/fᵢ), both times
// mscale (ggml's attn_factor, 1 unless the model sets rope.scaling.attn_factor) (rope_yarn).
// rotate_pairs rotates one pair (a, b) by θᵢ:  a' = a·cos − b·sin,  b' = a·sin + b·cos, where
//   .normal (LLAMA_ROPE_TYPE_NORM, llama/SmolLM2): (a, b) = (x[2i], x[2i+1])
//   .neox   (LLAMA_ROPE_TYPE_NEOX, Qwen/GPT-NeoX/Phi): (a, b) = (x[i], x[i + nRot/2])
// Dimensions nRot..<headDim are left untouched (partial rotary). Position 0 is the identity.
//
// `RoPECache` precomputes cos/sin per (position, pair) once, so the hot path calls no libm;
// `Ops.rope(…, freqBase:freqScale:…)` computes them on the fly (nRot/2 sin+cos per token).
// Both produce identical values (tests assert bit equality). Tested against Double math within
// 1e-5 + 9e-7·maxPosition absolute for |x| ≤ 3 (the f32 angle recurrence loses ≈ 1e-7·pos radians,
// as ggml's does) and against numpy goldens within 2e-5 (Fixtures/kernels/ops-goldens.json).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which dimensions RoPE pairs up (ggml's rope mode).
public enum RoPEStyle: Sendable {
    /// Adjacent pairs (x[2i], x[2i+1]): LLAMA_ROPE_TYPE_NORM (llama, SmolLM2, Mistral GGUFs).
    case normal
    /// Split halves (x[i], x[i + nRot/2]): LLAMA_ROPE_TYPE_NEOX (Qwen2, GPT-NeoX, Phi, Gemma).
    case neox
}

/// Precomputed cos/sin of every RoPE angle for positions 0..<maxPositions (allocated once).
public final class RoPECache: @unchecked Sendable {
    /// Number of positions covered (valid positions are 0..<maxPositions).
    public let maxPositions: Int
    /// Rotated dimensions per head (even); the cache holds nRot/2 angles per position.
    public let nRot: Int
    /// The RoPE frequency base (e.g. 10000, 100000, 1000000).
    public let freqBase: Float
    /// Linear position scaling (1 / rope scale factor); 1 means none.
    public let freqScale: Float
    /// Per-pair divisors of θ (nRot/2 values), or nil for none.
    public let freqFactors: [Float]?
    /// Magnitude multiplier of cos/sin (ggml's attn_factor); 1 means none.
    public let mscale: Float
    /// cos θ: [maxPositions, nRot/2]
    let cosTable: UnsafeMutablePointer<Float>
    /// sin θ: [maxPositions, nRot/2]
    let sinTable: UnsafeMutablePointer<Float>

    /// Computes cos/sin for positions 0..<maxPositions exactly as ggml_rope_cache_init does.
    /// `freqFactors` (nRot/2 divisors of θ) and `mscale` are ggml_rope_ext's freq_factors and attn_factor.
    public init(maxPositions: Int, nRot: Int, freqBase: Float, freqScale: Float = 1, freqFactors: [Float]? = nil,
                mscale: Float = 1) {
        precondition(maxPositions >= 1, "RoPECache: maxPositions must be ≥ 1")
        precondition(nRot >= 2 && nRot % 2 == 0, "RoPECache: nRot must be even and ≥ 2")
        precondition(freqFactors.map { $0.count == nRot / 2 } ?? true, "RoPECache: need nRot/2 freq factors")
        self.maxPositions = maxPositions
        self.nRot = nRot
        self.freqBase = freqBase
        self.freqScale = freqScale
        self.freqFactors = freqFactors
        self.mscale = mscale
        let half = nRot / 2
        cosTable = .allocate(capacity: maxPositions * half)
        sinTable = .allocate(capacity: maxPositions * half)
        let thetaScale = powf(freqBase, -2 / Float(nRot))
        for p in 0..<maxPositions {
            var theta = Float(p)
            for i in 0..<half {
                let angle = freqScale * (freqFactors.map { theta / $0[i] } ?? theta)
                cosTable[p * half + i] = cosf(angle) * mscale
                sinTable[p * half + i] = sinf(angle) * mscale
                theta *= thetaScale
            }
        }
    }

    deinit {
        cosTable.deallocate()
        sinTable.deallocate()
    }

    /// cos θᵢ at `position` for pair `i` (for tests and inspection).
    public func cos(position: Int, pair i: Int) -> Float { cosTable[position * (nRot / 2) + i] }

    /// sin θᵢ at `position` for pair `i` (for tests and inspection).
    public func sin(position: Int, pair i: Int) -> Float { sinTable[position * (nRot / 2) + i] }
}

extension Ops {
    /// Applies RoPE in place using a precomputed cache (no libm calls).
    /// - Parameters:
    ///   - x: [nTokens, nHeads, headDim], rotated in place.
    ///   - positions: [nTokens] absolute positions, each in 0..<cache.maxPositions.
    ///   - nTokens, nHeads, headDim: the shape of `x`; headDim ≥ cache.nRot.
    ///   - cache: angles for nRot = cache.nRot rotated dimensions (the rest are untouched).
    ///   - style: which dimensions form pairs.
    @inline(never)
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
        nTokens: Int, nHeads: Int, headDim: Int, cache: RoPECache, style: RoPEStyle
    ) {
        let nRot = cache.nRot, half = nRot / 2, maxPos = cache.maxPositions
        precondition(nTokens >= 0 && nHeads >= 0, "rope: negative shape")
        precondition(nRot <= headDim, "rope: nRot \(nRot) > headDim \(headDim)")
        let cosT = cache.cosTable, sinT = cache.sinTable
        for t in 0..<nTokens {
            let p = Int(positions[t])
            precondition(p >= 0 && p < maxPos, "rope: position \(p) outside the cache (0..<\(maxPos))")
            let c = cosT + p * half, s = sinT + p * half
            for h in 0..<nHeads {
                let row = x + (t * nHeads + h) * headDim
                switch style {
                case .normal: rotateNormal(row, cos: c, sin: s, half: half)
                case .neox: rotateNeox(row, cos: c, sin: s, half: half)
                }
            }
        }
    }

    /// Applies RoPE in place, computing cos/sin per token (reference path; prefer `RoPECache`).
    /// - Parameters:
    ///   - x: [nTokens, nHeads, headDim], rotated in place.
    ///   - positions: [nTokens] absolute positions (any Int32).
    ///   - nRot: rotated dimensions, even, ≤ headDim; dimensions nRot..<headDim are untouched.
    ///   - freqBase: θ base (10000 for llama); freqScale: linear position scaling (1 = none).
    ///   - freqFactors: nRot/2 divisors of θ (LongRoPE), or nil.
    ///   - style: which dimensions form pairs.
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
        nTokens: Int, nHeads: Int, headDim: Int, nRot: Int,
        freqBase: Float, freqScale: Float, freqFactors: [Float]? = nil, style: RoPEStyle
    ) {
        precondition(nTokens >= 0 && nHeads >= 0, "rope: negative shape")
        precondition(nRot >= 0 && nRot % 2 == 0 && nRot <= headDim, "rope: nRot must be even, ≤ headDim")
        let half = nRot / 2
        let thetaScale = powf(freqBase, -2 / Float(nRot))
        let (stride, offset) = style == .normal ? (2, 1) : (1, half)
        for t in 0..<nTokens {
            var theta = Float(positions[t])
            for i in 0..<half {
                let angle = freqScale * (freqFactors.map { theta / $0[i] } ?? theta)
                let c = cosf(angle), s = sinf(angle)
                theta *= thetaScale
                for h in 0..<nHeads {
                    let a = x + (t * nHeads + h) * headDim + i * stride
                    let x0 = a[0], x1 = a[offset]
                    a[0] = x0 * c - x1 * s
                    a[offset] = x0 * s + x1 * c
                }
            }
        }
    }

    /// Rotates adjacent pairs (row[2i], row[2i+1]) by θᵢ for i in 0..<half.
    @inline(__always)
    static func rotateNormal(
        _ row: UnsafeMutablePointer<Float>, cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>,
        half: Int
    ) {
        for i in 0..<half {
            let x0 = row[2 * i], x1 = row[2 * i + 1]
            row[2 * i] = x0 * c[i] - x1 * s[i]
            row[2 * i + 1] = x0 * s[i] + x1 * c[i]
        }
    }

    /// Rotates split-half pairs (row[i], row[i + half]) by θᵢ for i in 0..<half (8 pairs at a time).
    @inline(__always)
    static func rotateNeox(
        _ row: UnsafeMutablePointer<Float>, cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>,
        half: Int
    ) {
        var i = 0
        while i + 8 <= half {
            let x0 = load8(row + i), x1 = load8(row + i + half)
            let cv = load8(c + i), sv = load8(s + i)
            store8(x0 * cv - x1 * sv, row + i)
            store8(x0 * sv + x1 * cv, row + i + half)
            i += 8
        }
        while i < half {
            let x0 = row[i], x1 = row[i + half]
            row[i] = x0 * c[i] - x1 * s[i]
            row[i + half] = x0 * s[i] + x1 * c[i]
            i += 1
        }
    }
}
