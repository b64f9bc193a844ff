// Q8_0: 32 weights per block; fp16 d; 32 signed bytes; x = q·d; 34 bytes.
//
//   bytes 0–1   d (fp16)      bytes 2–33  qs[32] (int8, element j at byte 2 + j)
//
// Quantization is ggml's `quantize_row_q8_0_ref`: d = amax/127, q = roundf(x/d) (halves away from
// zero). Bit-exact with `gguf.quants.Q8_0`.

import LoomTensor

/// The Q8_0 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q8_0: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .q8_0 }

    /// Quantizes `count` floats (a multiple of 32) into blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q8_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let v = x + b * blockSize
            var amax: Float = 0
            for j in 0..<blockSize { amax = max(amax, abs(v[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            for j in 0..<blockSize {
                let q = Quantize.roundedInt8(v[j] * id)
                o.storeBytes(of: q, toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q8_0 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            for j in 0..<blockSize { out[b * blockSize + j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
        }
    }

    /// Reference dot with quantized activations: Σ_b d_w·d_a·Σ_j q_j·a_j.
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let dw = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            var s: Int32 = 0
            for j in 0..<blockSize { s &+= Int32(p.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(a.q[b * blockSize + j]) }
            sum += dw * a.d[b] * Float(s)
        }
        return sum
    }

    /// Record: [d r0…r7][chunk 0 … chunk 7], chunk c = the int8 values 4c…4c+3 of r0…r7 (Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 1, fifthBits: false, words: 8) }
}
