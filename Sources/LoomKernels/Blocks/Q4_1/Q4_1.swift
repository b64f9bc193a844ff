// Q4_1: 32 weights per block; fp16 d, fp16 m; 16 bytes of nibbles; x = q·d + m; 20 bytes.
//
//   bytes 0–1   d (fp16)      bytes 2–3   m (fp16, the block minimum)
//   bytes 4–19  qs[16]: low nibble of qs[j] is element j, high nibble is element j + 16
//
// Quantization is ggml's `quantize_row_q4_1_ref`: d = (max − min)/15, q = min(15, trunc((x − min)/d
// + 0.5)). Bit-exact with `gguf.quants.Q4_1`.

import LoomTensor

/// The Q4_1 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q4_1: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .q4_1 }

    /// Quantizes `count` floats (a multiple of 32) into blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q4_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let (d, lo, q) = BlockCodes.minimum(x + b * blockSize, steps: 15)
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            o.storeBytes(of: Half.f16(from: lo).littleEndian, toByteOffset: 2, as: UInt16.self)
            BlockCodes.storeNibbles(q, into: o + 4)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q4_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let m = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let o = out + b * blockSize
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 4 + j, as: UInt8.self)
                o[j] = Float(q & 0x0F) * d + m
                o[j + 16] = Float(q >> 4) * d + m
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
            let qa = a.q + b * blockSize
            var s: Int32 = 0
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 4 + j, as: UInt8.self)
                s &+= Int32(q & 0x0F) * Int32(qa[j]) + Int32(q >> 4) * Int32(qa[j + 16])
            }
            sum += dw * a.d[b] * Float(s) + mw * a.s[b]
        }
        return sum
    }

    /// Record: [d r0…r7][m r0…r7][chunk 0 … chunk 3] (Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 2, fifthBits: false, words: 4) }
}
