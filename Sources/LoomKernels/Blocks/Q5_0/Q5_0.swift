// Q5_0: 32 weights per block; fp16 d; 4 bytes qh of fifth bits; 16 bytes of low nibbles;
// x = (q − 16)·d; 22 bytes.
//
//   bytes 0–1   d (fp16)
//   bytes 2–5   qh (uint32 LE): bit j is bit 4 of element j
//   bytes 6–21  qs[16]: low nibble of qs[j] is bits 0–3 of element j, high nibble of element j + 16
//
// Quantization is ggml's `quantize_row_q5_0_ref`: m = the signed value of largest magnitude,
// d = m / −16, q = min(31, trunc(x/d + 16.5)); d is computed in f32 and stored as fp16. Bit-exact
// with `gguf.quants.Q5_0` (Fixtures/kernels/quant-goldens.json). Dots take Q8_0-like activations,
// as ggml's `ggml_vec_dot_q5_0_q8_0`.

import LoomTensor

/// The Q5_0 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q5_0: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .q5_0 }

    /// Quantizes `count` floats (a multiple of 32) into `count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q5_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let (d, q) = BlockCodes.zeroPoint(x + b * blockSize, z: 16)
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            o.storeBytes(of: BlockCodes.fifthBits(q).littleEndian, toByteOffset: 2, as: UInt32.self)
            BlockCodes.storeNibbles(q, into: o + 6)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q5_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let o = out + b * blockSize
            for j in 0..<16 {
                let (q0, q1) = FiveBit.pair(p + 6, qh, j)
                o[j] = Float(q0 - 16) * d
                o[j + 16] = Float(q1 - 16) * d
            }
        }
    }

    /// Reference dot of one Q5_0 row with quantized activations: Σ_b d_w·d_a·Σ_j (q_j − 16)·a_j.
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let dw = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qa = a.q + b * blockSize
            var s: Int32 = 0
            for j in 0..<16 {
                let (q0, q1) = FiveBit.pair(p + 6, qh, j)
                s &+= (q0 - 16) * Int32(qa[j]) + (q1 - 16) * Int32(qa[j + 16])
            }
            sum += dw * a.d[b] * Float(s)
        }
        return sum
    }

    /// Record: [d r0…r7: 8 × fp16][high bits: 32 B][chunk 0 … chunk 3] (FiveBit.swift, Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 1, fifthBits: true, words: 4) }
}
