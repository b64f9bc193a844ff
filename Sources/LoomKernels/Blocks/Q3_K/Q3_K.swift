// Q3_K: 256 weights per super-block of 16 sub-blocks of 16; 3-bit signed codes q ∈ −4…3 as two
// low bits (2-bit planes) and a high bit (set = no −4); 6-bit signed sub-block scales; fp16 d;
// x = d·(sc − 32)·q; 110 bytes.
//
//   bytes 0–31    hmask[32]: bit b of hmask[l] is the high bit of element 32b + l
//   bytes 32–95   qs[64]: 2-bit planes (KQuant.twoBits): element e's low bits at qs[32(e/128) + e%32] >> 2((e%128)/32)
//   bytes 96–107  scales[12]: scale s (= sub-block, elements 16s…16s+15), 6 bits: low 4 bits in
//                 scales[s] & 15 (s < 8) or scales[s − 8] >> 4, high 2 bits (scales[8 + s%4] >> 2(s/4)) & 3
//   bytes 108–109 d (fp16)
//
// Quantization is ggml's `quantize_row_q3_K_ref` (what llama-quantize does without an imatrix):
// make_q3_quants per sub-block, scales quantized against −32/max_scale (the signed scale of
// largest magnitude), d = fp16(max_scale/−32); then each sub-block whose d·sc ≠ 0 is re-coded as
// clamp(nearest_int(x/(d·sc)), −4, 3) (the others keep their make_q3_quants codes). Bit-exact with
// llama.cpp (Fixtures/kernels/iq-goldens.json, Scripts/make_iquant_goldens.py).
//
// Dot with Q8 activations: a 32-value activation block holds sub-blocks 2b, 2b + 1:
//   Σ d·d_a·Σ_h (sc_h − 32)·Σ_{j∈h} q_j·a_j    (all integer inside the block)

import LoomTensor

/// The Q3_K super-block format: reference quantize, dequantize and dot (rowMajor GEMV).
public enum Q3_K: RowMajorInt8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q3_K }

    /// Signed scale s (−32…31) of sub-block `s` from the 12 scale bytes at `p`.
    @inline(__always)
    static func scale(_ p: UnsafeRawPointer, _ s: Int) -> Int32 {
        let lo = s < 8 ? p.load(fromByteOffset: s, as: UInt8.self) & 0xF : p.load(fromByteOffset: s - 8, as: UInt8.self) >> 4
        let hi = p.load(fromByteOffset: 8 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4)) & 3
        return Int32(lo | hi << 4) - 32
    }

    /// Element e's signed code (−4…3) of the super-block at `p`.
    @inline(__always)
    static func code(_ p: UnsafeRawPointer, _ e: Int) -> Int32 {
        let high = p.load(fromByteOffset: e % 32, as: UInt8.self) >> UInt8(e / 32) & 1
        return Int32(KQuant.twoBits(p + 32, e)) - (high != 0 ? 0 : 4)
    }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` super-blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q3_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
            guard let L = codes.baseAddress else { return }
            for b in 0..<count / blockSize {
                quantizeBlock(x + b * blockSize, L, into: out + b * bytesPerBlock)
            }
        }
    }

    /// One super-block (quantize_row_q3_K_ref's loop body); L is scratch for 256 codes.
    static func quantizeBlock(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, into y: UnsafeMutableRawPointer) {
        var scales = SIMD16<Float>()
        var maxScale: Float = 0, amax: Float = 0
        for j in 0..<16 {
            scales[j] = KQuant.makeQ3(16, 4, x + 16 * j, L + 16 * j)
            let s = abs(scales[j])
            if s > amax { amax = s; maxScale = scales[j] }
        }
        let sc = y + 96
        for i in 0..<12 { sc.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        var d: UInt16 = Half.f16(from: 0)
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                var l = Int32(Int8(truncatingIfNeeded: KQuant.nearestInt(iscale * scales[j])))
                l = max(-32, min(31, l)) + 32
                let low = UInt8(l & 0xF)
                if j < 8 {
                    sc.storeBytes(of: low, toByteOffset: j, as: UInt8.self)
                } else {
                    sc.storeBytes(of: sc.load(fromByteOffset: j - 8, as: UInt8.self) | low << 4, toByteOffset: j - 8, as: UInt8.self)
                }
                let high = UInt8(l >> 4) << UInt8(2 * (j / 4))
                sc.storeBytes(of: sc.load(fromByteOffset: 8 + j % 4, as: UInt8.self) | high, toByteOffset: 8 + j % 4, as: UInt8.self)
            }
            d = Half.f16(from: 1 / iscale)
        }
        y.storeBytes(of: d.littleEndian, toByteOffset: 108, as: UInt16.self)
        let dAll = Half.f32(fromF16: d)
        for j in 0..<16 {
            let dl = dAll * Float(scale(sc, j))
            if dl == 0 { continue }
            for i in 0..<16 {
                L[16 * j + i] = Int8(max(-4, min(3, KQuant.nearestInt(x[16 * j + i] / dl))) + 4)
            }
        }
        for i in 0..<32 { y.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        for e in 0..<256 where L[e] > 3 {
            y.storeBytes(of: y.load(fromByteOffset: e % 32, as: UInt8.self) | UInt8(1) << UInt8(e / 32), toByteOffset: e % 32, as: UInt8.self)
            L[e] -= 4
        }
        KQuant.storeTwoBits({ UInt8(bitPattern: L[$0]) }, into: y + 32)   // codes 0…3 now
    }

    /// Dequantizes `count` elements (a multiple of 256) from the super-blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q3_K rows are whole super-blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 108, as: UInt16.self))
            let o = out + b * blockSize
            for s in 0..<16 {
                let dl = d * Float(scale(p + 96, s))
                for i in 0..<16 { o[16 * s + i] = dl * Float(code(p, 16 * s + i)) }
            }
        }
    }

    /// Reference dot of one Q3_K row with quantized activations (see the header).
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for sb in 0..<count / blockSize {
            let p = blocks + sb * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 108, as: UInt16.self))
            for k in 0..<8 {
                let b = 8 * sb + k, qa = a.q + 32 * b
                var s: Int32 = 0
                for h in 0..<2 {
                    var t: Int32 = 0
                    for i in 0..<16 { t &+= code(p, 32 * k + 16 * h + i) * Int32(qa[16 * h + i]) }
                    s &+= scale(p + 96, 2 * k + h) * t
                }
                sum += d * a.d[b] * Float(s)
            }
        }
        return sum
    }
}
