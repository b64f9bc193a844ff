// Vectorized scans over the full logits vector ([vocabulary size]), the only O(n) work per sample:
//   firstNonFinite: Σ (x − x) over SIMD16 lanes is 0 when every x is finite and NaN otherwise
//                   (inf − inf = NaN); only then is the first offending index searched for.
//   argmax:         lane-wise max, then the first index holding it (ties → lowest index).
// (Generic SIMD helpers such as any() and pointwiseMax are not lowered to vector code by Swift 6.3
// here — ~400 µs per 49 152 floats — so masks are compared with != and maxima built with replace.)
// Results are identical to the scalar definitions; SIMD only decides how fast they are found.

extension Sampler {
    /// Index of the first NaN or ±inf, or nil when all are finite.
    static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
        let n = x.count
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        if let base = x.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 16 <= n {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                acc += v - v
                i += 16
            }
        }
        var tail: Float = 0
        while i < n {
            tail += x[i] - x[i]
            i += 1
        }
        if !(acc.sum() + tail).isNaN { return nil }
        return x.firstIndex { !$0.isFinite }
    }

    /// Index of the largest logit, ties → lowest index; −inf entries are skipped (nil if all are).
    static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int32? {
        let n = x.count
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        if let base = x.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 16 <= n {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                lanes.replace(with: v, where: v .> lanes)  // (pointwiseMax is ~100× slower here)
                i += 16
            }
        }
        var best = lanes.max()
        while i < n {
            best = max(best, x[i])
            i += 1
        }
        if best == -.infinity { return nil }
        for j in 0..<n where x[j] == best { return Int32(truncatingIfNeeded: j) }
        return nil
    }
}
