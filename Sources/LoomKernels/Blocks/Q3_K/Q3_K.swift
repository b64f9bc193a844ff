// Q3_K: 256 weights per super-block of 16 sub-blocks of 16; fp16 d; per sub-block s a 6-bit
// scale (stored + 32); 3-bit codes; x = d·(sc_s − 32)·(q − 4); 110 bytes.
//
//   bytes 0–31    hmask[32]: bit b of hmask[l] = bit 2 of element 32b + l
//   bytes 32–95   qs[64]: low 2 bits, qs[32h + l] bits 2u, 2u + 1 = element 128h + 32u + l
//   bytes 96–107  scales[12]: s < 8: low nibble of byte s; s ≥ 8: high nibble of byte s − 8;
//                 bits 4–5 from byte 8 + s mod 4, bits 2·(s / 4) …
//   bytes 108–109 d (fp16)
//
// Quantization is ggml's `quantize_row_q3_K_ref` (make_q3_quants with its coordinate descent),
// bit-exact (Fixtures/kernels/kquant-goldens.json, Scripts/make_kquant_goldens.py); dequantization
// is `gguf.quants.Q3_K`'s: (d·(sc − 32))·(q − 4) in f32. Conversions only: no matmul kernel yet.

import LoomTensor

/// The Q3_K block format: scalar reference quantize and dequantize.
public enum Q3_K: BlockFormat {
    /// The GGUF type.
    public static var type: GGMLType { .q3_K }

    /// Sub-block s's scale (−32…31) from the 12 bytes at `s`.
    @inline(__always)
    static func scale(_ b: UnsafeRawPointer, _ s: Int) -> Int32 {
        let low = s < 8 ? b.load(fromByteOffset: s, as: UInt8.self) & 0x0F : b.load(fromByteOffset: s - 8, as: UInt8.self) >> 4
        let high = (b.load(fromByteOffset: 8 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4))) & 3
        return Int32(low | high << 4) - 32
    }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q3_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
                let L = codes.baseAddress!, scales = f.baseAddress!
                for i in 0..<count / blockSize {
                    let v = x + i * blockSize, o = out + i * bytesPerBlock
                    var maxScale: Float = 0, amax: Float = 0
                    for j in 0..<16 {
                        scales[j] = KQuant.makeQ3(16, 4, v + 16 * j, L + 16 * j)
                        if abs(scales[j]) > amax { amax = abs(scales[j]); maxScale = scales[j] }
                    }
                    let sb = o + 96
                    sb.initializeMemory(as: UInt8.self, repeating: 0, count: 12)
                    var d16: UInt16 = 0
                    if maxScale != 0 {
                        let iscale = -32 / maxScale
                        for j in 0..<16 {
                            let l8 = Int8(truncatingIfNeeded: KQuant.nearestInt(iscale * scales[j]))
                            let l = UInt8(max(-32, min(31, l8)) + 32)
                            func or(_ at: Int, _ v: UInt8) { sb.storeBytes(of: sb.load(fromByteOffset: at, as: UInt8.self) | v, toByteOffset: at, as: UInt8.self) }
                            if j < 8 { or(j, l & 0x0F) } else { or(j - 8, (l & 0x0F) << 4) }
                            or(j % 4 + 8, (l >> 4) << UInt8(2 * (j / 4)))
                        }
                        d16 = Half.f16(from: 1 / iscale)
                    }
                    o.storeBytes(of: d16.littleEndian, toByteOffset: 108, as: UInt16.self)
                    let d0 = Half.f32(fromF16: d16)
                    for j in 0..<16 {
                        let d = d0 * Float(scale(sb, j))
                        if d == 0 { continue }
                        for l in 0..<16 { L[16 * j + l] = Int8(max(-4, min(3, KQuant.nearestInt(v[16 * j + l] / d))) + 4) }
                    }
                    for l in 0..<32 {
                        var h: UInt8 = 0
                        for b in 0..<8 where L[32 * b + l] > 3 {
                            h |= 1 << UInt8(b)
                            L[32 * b + l] -= 4
                        }
                        o.storeBytes(of: h, toByteOffset: l, as: UInt8.self)
                    }
                    KQuant.storeTwoBits({ UInt8(bitPattern: L[$0]) }, into: o + 32)
                }
            }
        }
    }

    /// Dequantizes `count` elements (a multiple of 256) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q3_K rows are whole super-blocks")
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock, o = out + i * blockSize
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 108, as: UInt16.self))
            for s in 0..<16 {
                let dl = d * Float(scale(p + 96, s))
                for e in 16 * s..<16 * s + 16 {
                    let high = p.load(fromByteOffset: e % 32, as: UInt8.self) >> UInt8(e / 32) & 1
                    o[e] = dl * Float(Int32(KQuant.twoBits(p + 32, e)) - (high == 0 ? 4 : 0))
                }
            }
        }
    }
}
