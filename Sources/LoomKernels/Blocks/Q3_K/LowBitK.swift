// What Q3_K and Q2_K (256-value super-blocks of 16-value sub-blocks, 2-bit planes) share: ggml's
// helpers of their reference quantizers (`ggml-quants.c`), translated operation for operation so
// the codes come out bit-exact (ggml-base is built with plain SSE2: no FMA contraction, no
// fast-math, float sums in source order), and the 2-bit plane packing.
//
//   nearest_int(x)       round half to even via the 1.5·2²³ trick (|x| ≤ 2²² in ggml's use)
//   make_q3_quants       (Q3_K) per 16 values: signed codes −4…3 from −4/max, then up to 5 passes
//                        of single-code changes that improve the x²-weighted fit; scale Σwlx/Σwl²
//   make_qkx2_quants     (Q2_K, use_mad) per 16 values: codes 0…3 with a min, 16 candidate scales,
//                        the weighted |error| decides
//   2-bit planes         qs[32h + l] = L[128h + l] | L[128h + l + 32] << 2 | … << 4 | … << 6
//                        (h = 0, 1): element e's code is qs[32(e/128) + e%32] >> 2((e%128)/32) & 3
// (The K-quant helper of the Q4_K/Q5_K/Q6_K work has the same nearest_int; merge the two homes.)

enum LowBitK {
    /// ggml's `nearest_int`: x + 1.5·2²³ rounds to an integer in the low mantissa bits.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        let v = x + 12_582_912
        return Int32(bitPattern: v.bitPattern & 0x007F_FFFF) &- 0x0040_0000
    }

    /// ggml's `make_q3_quants(16, 4, x, L, do_rmse: true)`: codes L[0..<16] in 0…7 (signed code + 4);
    /// returns the scale.
    static func makeQ3(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        let n = 16, nmax: Int32 = 4
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax { amax = abs(x[i]); mx = x[i] }
        if amax < 1e-15 {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / mx
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(l)
            let w = x[i] * x[i], fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i], li = Float(L[i])
                var slx = sumlx - w * x[i] * li
                if slx > 0 {
                    var sl2 = suml2 - w * li * li
                    let nl = max(-nmax, min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
                    if nl != Int32(L[i]) {
                        let fl = Float(nl)
                        slx += w * x[i] * fl
                        sl2 += w * fl * fl
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = Int8(nl); sumlx = slx; suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[i] += Int8(nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// ggml's `make_qkx2_quants(16, 3, x, w, L, &min, Laux, −0.5, 0.1, 15, use_mad: true)` (Q2_K):
    /// codes L[0..<16] in 0…3; returns (scale, −min).
    static func makeQKX2MAD(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>) -> (scale: Float, min: Float) {
        let n = 16, nmax: Int32 = 3, rmin: Float = -0.5, rdelta: Float = 0.1, nstep = 15
        var mn = x[0], mx = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < mn { mn = x[i] }
            if x[i] > mx { mx = x[i] }
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if mn > 0 { mn = 0 }
        if mx == mn {
            for i in 0..<n { L[i] = 0 }
            return (0, -mn)
        }
        let fmax = Float(nmax)
        var iscale = fmax / (mx - mn)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            L[i] = UInt8(max(0, min(nmax, nearestInt(iscale * (x[i] - mn)))))
            let diff = scale * Float(L[i]) + mn - x[i]
            bestError += w[i] * abs(diff)
        }
        var aux = SIMD16<UInt8>()
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + fmax) / (mx - mn)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = max(0, min(nmax, nearestInt(iscale * (x[i] - mn))))
                aux[i] = UInt8(l)
                let fl = Float(l)
                sumL += w[i] * fl
                sumL2 += w[i] * fl * fl
                sumXL += w[i] * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var curError: Float = 0
                for i in 0..<n {
                    let diff = thisScale * Float(aux[i]) + thisMin - x[i]
                    curError += w[i] * abs(diff)
                }
                if curError < bestError {
                    for i in 0..<n { L[i] = aux[i] }
                    bestError = curError
                    scale = thisScale
                    mn = thisMin
                }
            }
        }
        return (scale, -mn)
    }

    /// Packs 256 codes (0…3) into 64 bytes of 2-bit planes at `qs`.
    @inline(__always)
    static func storePlanes(_ L: UnsafePointer<UInt8>, into qs: UnsafeMutableRawPointer) {
        for h in 0..<2 {
            for l in 0..<32 {
                let j = 128 * h + l
                qs.storeBytes(of: L[j] | L[j + 32] << 2 | L[j + 64] << 4 | L[j + 96] << 6, toByteOffset: 32 * h + l, as: UInt8.self)
            }
        }
    }

    /// Element e's 2-bit code from the planes at `qs`.
    @inline(__always)
    static func code(_ qs: UnsafeRawPointer, _ e: Int) -> Int32 {
        Int32(qs.load(fromByteOffset: 32 * (e / 128) + e % 32, as: UInt8.self) >> UInt8(2 * ((e % 128) / 32)) & 3)
    }
}
