// Q5_1: 32 weights per block; fp16 d, fp16 m; 4 bytes qh of fifth bits; 16 bytes of low nibbles;
// x = q·d + m; 24 bytes.
//
//   bytes 0–1   d (fp16)      bytes 2–3   m (fp16, the block minimum)
//   bytes 4–7   qh (uint32 LE): bit j is bit 4 of element j
//   bytes 8–23  qs[16]: low nibble of qs[j] is bits 0–3 of element j, high nibble of element j + 16
//
// Quantization is ggml's `quantize_row_q5_1_ref`: d = (max − min)/31, q = min(31, trunc((x − min)/d
// + 0.5)). Bit-exact with `gguf.quants.Q5_1`. Dots take Q8_1-like activations (the minimum meets
// s_a = d_a·Σa), as ggml's `ggml_vec_dot_q5_1_q8_1`. The 5-bit packing is Q5_0/FiveBit.swift's.

import LoomTensor

/// The Q5_1 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q5_1: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .q5_1 }

    /// Quantizes `count` floats (a multiple of 32) into blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q5_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let (d, lo, q) = BlockCodes.minimum(x + b * blockSize, steps: 31)
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            o.storeBytes(of: Half.f16(from: lo).littleEndian, toByteOffset: 2, as: UInt16.self)
            o.storeBytes(of: BlockCodes.fifthBits(q).littleEndian, toByteOffset: 4, as: UInt32.self)
            BlockCodes.storeNibbles(q, into: o + 8)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q5_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let m = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let o = out + b * blockSize
            for j in 0..<16 {
                let (q0, q1) = FiveBit.pair(p + 8, qh, j)
                o[j] = Float(q0) * d + m
                o[j + 16] = Float(q1) * d + m
            }
        }
    }

    /// Reference dot with quantized activations: Σ_b d_w·d_a·Σ_j q_j·a_j + m_w·s_a.
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let dw = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let mw = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let qa = a.q + b * blockSize
            var s: Int32 = 0
            for j in 0..<16 {
                let (q0, q1) = FiveBit.pair(p + 8, qh, j)
                s &+= q0 * Int32(qa[j]) + q1 * Int32(qa[j + 16])
            }
            sum += dw * a.d[b] * Float(s) + mw * a.s[b]
        }
        return sum
    }

    /// Record: [d r0…r7][m r0…r7][high bits: 32 B][chunk 0 … chunk 3] (FiveBit.swift, Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 2, fifthBits: true, words: 4) }
}
