// Q8Activations: f32 activation rows quantized once per matmul for the int8 dot products.
//
// Per 32 values: q[32] int8, d = amax/127 (f32), s = d·Σq (f32) — Q8_1's content with f32 scales,
// so Q4_0 (zero point 8 → −8·s) and Q4_1 (min·s) need no per-element correction — and Σq itself
// (i32; the VNNI Q8_0 kernel's exact correction). Rounding is to nearest even (what `vcvtps2dq`
// does), identically in the scalar and C AVX2 (CLoomKernels) paths; a `make` build (LOOM_AVX2)
// always takes the C one.
//
//   q: [tokens, k] int8 · d, s: [tokens, k/32] f32 · isum: [tokens, k/32] i32   (64-byte aligned)

import CLoomKernels

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
            // The C kernel: the Swift one's horizontal max (pointwiseMax on SIMD4) is not lowered to
            // vector code by Swift 6.3 and took 2% of a batched decode step (same bits either way).
            loom_q8_quantize_avx2(x + t * n, n, q + t * k, d + o, s + o, isum + o)
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
}
