// What the K-quants (256-value super-blocks: Q2_K … Q6_K) share: ggml's helpers for their
// reference quantizers (`ggml-quants.c`), translated operation for operation so the codes come
// out bit-exact (ggml-base is built with plain SSE2, no FMA contraction, no fast-math), the 6-bit
// packed scales of Q4_K/Q5_K, and how a super-block's bytes are arranged in an interleaved8 record.
//
//   nearest_int(x)          round half to even via the 1.5·2²³ trick (|x| ≤ 2²² in ggml's use)
//   make_qkx2_quants        (Q4_K, Q5_K; Q2_K per 16 with use_mad) per 32 values: codes 0…nmax, scale and min by a search
//                           of 1 + nstep candidate scales, weighted least squares
//   make_qx_quants(rmse 1)  (Q6_K) per 16 values: signed codes, scale by a search of 19 candidates
//   make_q3_quants          (Q3_K) per 16 values: signed codes, then coordinate descent
//   2-bit planes            (Q2_K, Q3_K) qs[32h + l] = L[128h + l] | L[128h + l + 32] << 2 | … (twoBits)
//   scales[12] (Q4_K/Q5_K)  sub-block j < 4: sc = s[j] & 63, m = s[j+4] & 63;
//                           j ≥ 4: sc = s[j+4] & 15 | (s[j−4] >> 6) << 4, m = s[j+4] >> 4 | (s[j] >> 6) << 4
//
// K records (interleaved8, KRecord): a K-quant block is a few fields (fp16 scalars, scale bytes,
// quant bytes); its record for 8 rows is the same fields in the same order, each field transposed
// so that a word of `width` bytes (2 for fp16, 1 for scale bytes, 4 for quants) of row r sits at
// field start + (word · 8 + r) · width. An fp16 field becomes one 16-byte vector of the 8 rows'
// values; scale byte i of the 8 rows is 8 consecutive bytes; quant word c of the 8 rows is one
// 32-byte chunk, one row per 32-bit lane (as in Q4_0's records). Records are 8 · bytesPerBlock.

import LoomTensor

enum KQuant {
    /// ggml's `nearest_int`: x + 1.5·2²³ rounds to an integer in the low mantissa bits.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        let v = x + 12_582_912
        return Int32(bitPattern: v.bitPattern & 0x007F_FFFF) &- 0x0040_0000
    }

    /// ggml's `make_qkx2_quants`: codes L[0..<n] in 0…nmax; returns (scale, −min). The error is
    /// weighted squared (Q4_K, Q5_K) or, with `mad`, weighted absolute (Q2_K).
    static func makeQKX2(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         _ L: UnsafeMutablePointer<UInt8>, _ aux: UnsafeMutablePointer<UInt8>,
                         rmin: Float, rdelta: Float, nstep: Int, mad: Bool = false) -> (scale: Float, min: Float) {
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
            let l = nearestInt(iscale * (x[i] - mn))
            L[i] = UInt8(max(0, min(nmax, l)))
            let diff = scale * Float(L[i]) + mn - x[i]
            bestError += w[i] * (mad ? abs(diff) : diff * diff)
        }
        if nstep < 1 { return (scale, -mn) }
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
                    curError += w[i] * (mad ? abs(diff) : diff * diff)
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

    /// ggml's `make_qx_quants` with rmse_type 1 and no weights: codes L[0..<n] = l + nmax in
    /// 0…2·nmax − 1 (0 for an all-zero group); returns the scale.
    static func makeQX(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax { amax = abs(x[i]); mx = x[i] }
        if amax < 1e-15 {   // GROUP_MAX_EPS
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let fmax = Float(nmax)
        var iscale = -fmax / mx
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(fmax + 0.1 * Float(step)) / mx
            sumLX = 0
            sumL2 = 0
            for i in 0..<n {
                let fl = Float(max(-nmax, min(nmax - 1, nearestInt(iscale * x[i]))))
                let w = x[i] * x[i]
                sumLX += w * x[i] * fl
                sumL2 += w * fl * fl
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0..<n { L[i] = Int8(truncatingIfNeeded: nmax + max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// ggml's `make_q3_quants` with do_rmse (Q3_K): codes L[0..<n] = l + nmax in 0…2·nmax − 1 (0
    /// for an all-zero group), refined by up to 5 passes of coordinate descent; returns the scale.
    static func makeQ3(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var mx: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[i]) > amax { amax = abs(x[i]); mx = x[i] }
        if amax < 1e-15 {   // GROUP_MAX_EPS
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let iscale = -Float(nmax) / mx
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = max(-nmax, min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i], fl = Float(l)
            sumLX += w * x[i] * fl
            sumL2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i], li = Float(L[i])
                var slx = sumLX - w * x[i] * li
                if slx > 0 {
                    var sl2 = sumL2 - w * li * li
                    let newL = max(-nmax, min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
                    if newL != Int32(L[i]) {
                        let fl = Float(newL)
                        slx += w * x[i] * fl
                        sl2 += w * fl * fl
                        if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                            L[i] = Int8(truncatingIfNeeded: newL)
                            sumLX = slx
                            sumL2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
        return sumL2 > 0 ? sumLX / sumL2 : 0
    }

    /// The 2-bit fields of Q2_K and Q3_K: qs[32h + l] bits 2s, 2s + 1 = element 128h + 32s + l.
    @inline(__always)
    static func twoBits(_ qs: UnsafeRawPointer, _ e: Int) -> UInt8 {
        qs.load(fromByteOffset: 32 * (e / 128) + e % 32, as: UInt8.self) >> UInt8(2 * ((e % 128) / 32)) & 3
    }

    /// Packs 256 codes (0…3 in their low 2 bits) as `twoBits` reads them.
    @inline(__always)
    static func storeTwoBits(_ L: (Int) -> UInt8, into qs: UnsafeMutableRawPointer) {
        for h in 0..<2 {
            for l in 0..<32 {
                let e = 128 * h + l
                qs.storeBytes(of: L(e) | L(e + 32) << 2 | L(e + 64) << 4 | L(e + 96) << 6, toByteOffset: 32 * h + l, as: UInt8.self)
            }
        }
    }

    /// Sub-block j's 6-bit scale and min from the 12 packed bytes at `s` (ggml's get_scale_min_k4).
    @inline(__always)
    static func scaleMin(_ j: Int, _ s: UnsafeRawPointer) -> (sc: UInt8, m: UInt8) {
        func b(_ i: Int) -> UInt8 { s.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
        return ((b(j + 4) & 0x0F) | (b(j - 4) >> 6) << 4, (b(j + 4) >> 4) | (b(j) >> 6) << 4)
    }

    /// The super-block codes of Q4_K (nmax 15) and Q5_K (nmax 31), as `quantize_row_q{4,5}_K_ref`:
    /// writes d, dmin (fp16) and the 12 scale bytes at `o` (bytes 0–15) and the codes to L[256].
    static func scaleMinCodes(_ x: UnsafePointer<Float>, nmax: Int32, rmin: Float, nstep: Int,
                              _ L: UnsafeMutablePointer<UInt8>, into o: UnsafeMutableRawPointer) {
        var scales = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        var mins = scales
        withUnsafeMutableBytes(of: &scales) { sp in
            withUnsafeMutableBytes(of: &mins) { mp in
                let sc = sp.baseAddress!.assumingMemoryBound(to: Float.self), mn = mp.baseAddress!.assumingMemoryBound(to: Float.self)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { weights in
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { aux in
                        let w = weights.baseAddress!, a = aux.baseAddress!
                        var maxScale: Float = 0, maxMin: Float = 0
                        for j in 0..<8 {
                            let v = x + 32 * j
                            var sumX2: Float = 0
                            for l in 0..<32 { sumX2 += v[l] * v[l] }
                            let av = (sumX2 / 32).squareRoot()
                            for l in 0..<32 { w[l] = av + abs(v[l]) }
                            (sc[j], mn[j]) = makeQKX2(32, nmax, v, w, L + 32 * j, a, rmin: rmin, rdelta: 0.1, nstep: nstep)
                            if sc[j] > maxScale { maxScale = sc[j] }
                            if mn[j] > maxMin { maxMin = mn[j] }
                        }
                        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
                        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
                        let s = o + 4
                        for i in 0..<12 { s.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
                        func or(_ i: Int, _ v: UInt8) { s.storeBytes(of: s.load(fromByteOffset: i, as: UInt8.self) | v, toByteOffset: i, as: UInt8.self) }
                        for j in 0..<8 {
                            let ls = min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * sc[j])))
                            let lm = min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mn[j])))
                            if j < 4 {
                                or(j, ls)
                                or(j + 4, lm)
                            } else {
                                or(j + 4, (ls & 0x0F) | (lm & 0x0F) << 4)
                                or(j - 4, (ls >> 4) << 6)
                                or(j, (lm >> 4) << 6)
                            }
                        }
                        let d16 = Half.f16(from: maxScale / 63), m16 = Half.f16(from: maxMin / 63)
                        o.storeBytes(of: d16.littleEndian, as: UInt16.self)
                        o.storeBytes(of: m16.littleEndian, toByteOffset: 2, as: UInt16.self)
                        let d0 = Half.f32(fromF16: d16), m0 = Half.f32(fromF16: m16)
                        for j in 0..<8 {
                            let (s6, m6) = scaleMin(j, s)
                            let d = d0 * Float(s6)
                            if d == 0 { continue }
                            let dm = m0 * Float(m6)
                            for i in 0..<32 { L[32 * j + i] = UInt8(max(0, min(nmax, nearestInt((x[32 * j + i] + dm) / d)))) }
                        }
                    }
                }
            }
        }
    }
}

/// One field of a K-quant block as its interleaved8 record transposes it (see the top of the file).
struct KField {
    /// Byte offset in the block (and, times 8, in the record).
    let offset: Int
    /// Bytes in the block.
    let bytes: Int
    /// Bytes per transposed word (2: fp16 scalars, 1: scale bytes, 4: quants).
    let width: Int
}

/// Packing and unpacking K-quant records, field by field.
enum KRecord {
    /// The record of the blocks of 8 rows at `src` (row stride `rowBytes`).
    static func pack(_ fields: [KField], _ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        for f in fields {
            for r in 0..<8 {
                for w in 0..<f.bytes / f.width {
                    (record + 8 * f.offset + (w * 8 + r) * f.width).copyMemory(from: src + r * rowBytes + f.offset + w * f.width, byteCount: f.width)
                }
            }
        }
    }

    /// Lane `lane`'s block back from a record.
    static func unpack(_ fields: [KField], _ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        for f in fields {
            for w in 0..<f.bytes / f.width {
                (block + f.offset + w * f.width).copyMemory(from: record + 8 * f.offset + (w * 8 + lane) * f.width, byteCount: f.width)
            }
        }
    }
}
