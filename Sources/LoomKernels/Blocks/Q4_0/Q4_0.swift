// Q4_0: 32 weights per block; fp16 d; 16 bytes of nibbles; x = (q − 8)·d; 18 bytes.
//
//   bytes 0–1   d (fp16)
//   bytes 2–17  qs[16]: low nibble of qs[j] is element j, high nibble is element j + 16
//
// Quantization is ggml's `quantize_row_q4_0_ref`: m = the signed value of largest magnitude,
// d = m / −8, q = min(15, trunc(x/d + 8.5)); d is computed in f32 and stored as fp16. Bit-exact with
// `gguf.quants.Q4_0` (Fixtures/kernels/quant-goldens.json).

import LoomTensor

/// The Q4_0 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q4_0: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .q4_0 }

    /// Quantizes `count` floats (a multiple of 32) into `count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q4_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let (d, q) = BlockCodes.zeroPoint(x + b * blockSize, z: 8)
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            BlockCodes.storeNibbles(q, into: o + 2)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q4_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let o = out + b * blockSize
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                o[j] = Float(Int(q & 0x0F) - 8) * d
                o[j + 16] = Float(Int(q >> 4) - 8) * d
            }
        }
    }

    /// Reference dot of one Q4_0 row with quantized activations: Σ_b d_w·d_a·Σ_j (q_j − 8)·a_j.
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let dw = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let qa = a.q + b * blockSize
            var s: Int32 = 0
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                s &+= (Int32(q & 0x0F) - 8) * Int32(qa[j]) + (Int32(q >> 4) - 8) * Int32(qa[j + 16])
            }
            sum += dw * a.d[b] * Float(s)
        }
        return sum
    }

    /// Record: [d r0…r7: 8 × fp16][chunk 0 … chunk 3], chunk c = qs[4c…4c+3] of r0…r7 (Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 1, fifthBits: false, words: 4) }
}
