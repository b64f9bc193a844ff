// Q2_K: 256 weights per super-block of 16 sub-blocks of 16; fp16 d and dmin; per sub-block s a
// 4-bit scale and 4-bit min; 2-bit codes q; x = d·sc_s·q − dmin·m_s; 84 bytes.
//
//   bytes 0–15    scales[16]: low nibble sc_s, high nibble m_s
//   bytes 16–79   qs[64]: qs[32h + l] bits 2u, 2u + 1 = element 128h + 32u + l (KQuant.twoBits)
//   bytes 80–81   d (fp16)          bytes 82–83   dmin (fp16)
//
// Quantization is ggml's `quantize_row_q2_K_ref` (make_qkx2_quants with |x| weights and absolute
// error), bit-exact (Fixtures/kernels/kquant-goldens.json, Scripts/make_kquant_goldens.py);
// dequantization is `gguf.quants.Q2_K`'s: (d·sc)·q − dmin·m in f32. Conversions only: no matmul
// kernel yet (TypeTable).

import LoomTensor

/// The Q2_K block format: scalar reference quantize and dequantize.
public enum Q2_K: BlockFormat {
    /// The GGUF type.
    public static var type: GGMLType { .q2_K }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q2_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16) { codes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 + 16) { f in
                let L = codes.baseAddress!, aux = L + 256
                let w = f.baseAddress!, scales = w + 16, mins = w + 32
                for i in 0..<count / blockSize {
                    let v = x + i * blockSize, o = out + i * bytesPerBlock
                    var maxScale: Float = 0, maxMin: Float = 0
                    for j in 0..<16 {
                        for l in 0..<16 { w[l] = abs(v[16 * j + l]) }
                        (scales[j], mins[j]) = KQuant.makeQKX2(16, 3, v + 16 * j, w, L + 16 * j, aux, rmin: -0.5, rdelta: 0.1, nstep: 15, mad: true)
                        if scales[j] > maxScale { maxScale = scales[j] }
                        if mins[j] > maxMin { maxMin = mins[j] }
                    }
                    var d16: UInt16 = 0, m16: UInt16 = 0
                    for j in 0..<16 {
                        var byte: UInt8 = 0
                        if maxScale > 0 { byte = UInt8(truncatingIfNeeded: KQuant.nearestInt(15 / maxScale * scales[j])) }
                        if maxMin > 0 { byte |= UInt8(truncatingIfNeeded: KQuant.nearestInt(15 / maxMin * mins[j]) << 4) }
                        o.storeBytes(of: byte, toByteOffset: j, as: UInt8.self)
                    }
                    if maxScale > 0 { d16 = Half.f16(from: maxScale / 15) }
                    if maxMin > 0 { m16 = Half.f16(from: maxMin / 15) }
                    o.storeBytes(of: d16.littleEndian, toByteOffset: 80, as: UInt16.self)
                    o.storeBytes(of: m16.littleEndian, toByteOffset: 82, as: UInt16.self)
                    let d0 = Half.f32(fromF16: d16), m0 = Half.f32(fromF16: m16)
                    for j in 0..<16 {
                        let byte = o.load(fromByteOffset: j, as: UInt8.self)
                        let d = d0 * Float(byte & 0x0F)
                        if d == 0 { continue }
                        let dm = m0 * Float(byte >> 4)
                        for l in 0..<16 { L[16 * j + l] = UInt8(max(0, min(3, KQuant.nearestInt((v[16 * j + l] + dm) / d)))) }
                    }
                    KQuant.storeTwoBits({ L[$0] }, into: o + 16)
                }
            }
        }
    }

    /// Dequantizes `count` elements (a multiple of 256) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q2_K rows are whole super-blocks")
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock, o = out + i * blockSize
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 80, as: UInt16.self))
            let dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 82, as: UInt16.self))
            for j in 0..<16 {
                let byte = p.load(fromByteOffset: j, as: UInt8.self)
                let dl = d * Float(byte & 0x0F), ml = dmin * Float(byte >> 4)
                for e in 16 * j..<16 * j + 16 { o[e] = dl * Float(KQuant.twoBits(p + 16, e)) - ml }
            }
        }
    }
}
