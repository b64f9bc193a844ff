// Q8Activations: f32 activation rows quantized once per matmul for the int8 dot products.
//
// Per 32 values: q[32] int8, d = amax/127 (f32), s = d·Σq (f32) — Q8_1's content with f32 scales,
// so Q4_0 (zero point 8 → −8·s) and Q4_1 (min·s) need no per-element correction — and Σq itself
// (i32; the VNNI Q8_0 kernel's exact correction). Rounding is to nearest even (what `vcvtps2dq`
// does), identically in the scalar, Swift AVX2 and C AVX2 (CLoomKernels) paths.
//
//   q: [tokens, k] int8 · d, s: [tokens, k/32] f32 · isum: [tokens, k/32] i32   (64-byte aligned)

import CLoomKernels
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

/// One quantized activation row.
public struct Q8Row {
    /// [k] int8 values.
    public let q: UnsafePointer<Int8>
    /// [k/32] block scales.
    public let d: UnsafePointer<Float>
    /// [k/32] block sums d·Σq.
    public let s: UnsafePointer<Float>
    /// [k/32] block sums Σq.
    public let isum: UnsafePointer<Int32>
}

/// Storage for up to `capacity` quantized activation rows of length `k` (a multiple of 32).
public final class Q8Activations: @unchecked Sendable {
    /// Row length.
    public let k: Int
    /// Rows this storage holds at most.
    public let capacity: Int
    let q: UnsafeMutablePointer<Int8>
    let d: UnsafeMutablePointer<Float>
    let s: UnsafeMutablePointer<Float>
    let isum: UnsafeMutablePointer<Int32>
    /// Whether rows are quantized by the C AVX2 kernel (KernelPath.active is not baseline, and
    /// this build has no Swift AVX2 one).
    let native: Bool

    /// Allocates room for `capacity` rows of `k` values.
    public init(k: Int, capacity: Int) {
        precondition(k > 0 && k % 32 == 0 && capacity > 0, "Q8 activations need k a multiple of 32")
        self.k = k
        self.capacity = capacity
        q = UnsafeMutableRawPointer.allocate(byteCount: k * capacity, alignment: 64).bindMemory(to: Int8.self, capacity: k * capacity)
        d = UnsafeMutableRawPointer.allocate(byteCount: 4 * k / 32 * capacity, alignment: 64).bindMemory(to: Float.self, capacity: k / 32 * capacity)
        s = UnsafeMutableRawPointer.allocate(byteCount: 4 * k / 32 * capacity, alignment: 64).bindMemory(to: Float.self, capacity: k / 32 * capacity)
        isum = UnsafeMutableRawPointer.allocate(byteCount: 4 * k / 32 * capacity, alignment: 64).bindMemory(to: Int32.self, capacity: k / 32 * capacity)
        #if arch(x86_64)
        native = SIMDPath.compiled != .avx2 && KernelPath.active >= .avx2
        #else
        native = false
        #endif
    }

    deinit { q.deallocate(); d.deallocate(); s.deallocate(); isum.deallocate() }

    /// Row `t`.
    @inline(__always)
    public func row(_ t: Int) -> Q8Row {
        Q8Row(q: UnsafePointer(q + t * k), d: UnsafePointer(d + t * k / 32), s: UnsafePointer(s + t * k / 32),
              isum: UnsafePointer(isum + t * k / 32))
    }

    /// Quantizes rows `rows` of `x` ([*, cols], row stride cols; cols ≤ k, a multiple of 32) into
    /// the same rows here (each row keeps stride k; only its first cols values are written).
    public func quantize(_ x: UnsafePointer<Float>, cols: Int? = nil, rows: Range<Int>) {
        let n = cols ?? k
        precondition(rows.upperBound <= capacity && n <= k && n % 32 == 0)
        for t in rows {
            let o = t * k / 32
            #if LOOM_AVX2
            Self.quantizeRowAVX2(x + t * n, k: n, q: q + t * k, d: d + o, s: s + o, isum: isum + o)
            #else
            #if arch(x86_64)
            if native { loom_q8_quantize_avx2(x + t * n, n, q + t * k, d + o, s + o, isum + o); continue }
            #endif
            Self.quantizeRowReference(x + t * n, k: n, q: q + t * k, d: d + o, s: s + o, isum: isum + o)
            #endif
        }
    }

    /// Scalar reference quantization of one row.
    public static func quantizeRowReference(_ x: UnsafePointer<Float>, k: Int, q: UnsafeMutablePointer<Int8>,
                                            d: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
                                            isum: UnsafeMutablePointer<Int32>) {
        for b in 0..<k / 32 {
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(x[b * 32 + j])) }
            let id: Float = amax != 0 ? 127 / amax : 0
            var sum: Int32 = 0
            for j in 0..<32 {
                let v = Int8(max(-127, min(127, (x[b * 32 + j] * id).rounded(.toNearestOrEven))))
                q[b * 32 + j] = v
                sum += Int32(v)
            }
            d[b] = amax / 127
            s[b] = d[b] * Float(sum)
            isum[b] = sum
        }
    }

    #if LOOM_AVX2
    /// AVX2 quantization of one row (same results as the reference for finite inputs).
    @inline(__always)
    static func quantizeRowAVX2(_ x: UnsafePointer<Float>, k: Int, q: UnsafeMutablePointer<Int8>,
                                d: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>, isum: UnsafeMutablePointer<Int32>) {
        let signMask = _mm256_set1_ps(-0.0)
        for b in 0..<k / 32 {
            let p = UnsafeRawPointer(x + b * 32)
            let v0 = p.loadUnaligned(as: __m256.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: __m256.self)
            let v2 = p.loadUnaligned(fromByteOffset: 64, as: __m256.self), v3 = p.loadUnaligned(fromByteOffset: 96, as: __m256.self)
            let m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signMask, v0), _mm256_andnot_ps(signMask, v1)),
                                  _mm256_max_ps(_mm256_andnot_ps(signMask, v2), _mm256_andnot_ps(signMask, v3)))
            let m4 = pointwiseMax(m.lowHalf, m.highHalf)
            let m2 = pointwiseMax(m4.lowHalf, m4.highHalf)
            let amax = max(m2[0], m2[1])
            let id: Float = amax != 0 ? 127 / amax : 0
            let mul = _mm256_set1_ps(id)
            let i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, mul)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul))
            let i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul))
            // Pack to int8 (saturating) and undo the lane interleave of packs.
            let w01 = _mm256_packs_epi32(i0, i1), w23 = _mm256_packs_epi32(i2, i3)
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w01, w23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
            UnsafeMutableRawPointer(q + b * 32).storeBytes(of: bytes, as: __m256i.self)
            let sum8 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3))
            let v8 = unsafeBitCast(sum8, to: SIMD8<Int32>.self)
            let v4 = v8.lowHalf &+ v8.highHalf
            let h2 = v4.lowHalf &+ v4.highHalf
            let total: Int32 = h2[0] &+ h2[1]
            d[b] = amax / 127
            s[b] = d[b] * Float(total)
            isum[b] = total
        }
    }
    #endif
}
