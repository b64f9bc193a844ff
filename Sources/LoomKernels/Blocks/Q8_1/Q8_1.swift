// Q8_1: 32 values per block; fp16 d; fp16 s = d·Σq; 32 signed bytes; x = q·d; 36 bytes.
//
//   bytes 0–1   d (fp16)      bytes 2–3   s (fp16)      bytes 4–35  qs[32] (int8)
//
// ggml uses it only as the activation side of Q4_1/Q5_1 dot products. Quantization follows
// `quantize_row_q8_1_ref`: d = amax/127, q = roundf(x/d), s = fp16(d·Σq). (gguf.quants has no Q8_1;
// the test checks it against that formula.) Loom's own activation format is `Q8Activations`,
// which keeps d and s in f32.

import LoomTensor

/// The Q8_1 block format: scalar reference quantize and dequantize.
public enum Q8_1: BlockFormat {
    /// The GGUF type.
    public static var type: GGMLType { .q8_1 }
    /// Bytes per block: ggml's `sizeof(block_q8_1)`. (GGMLType.traits says 40, the legacy f32 d/s
    /// size that gguf-py's GGML_QUANT_SIZES still lists and the traits golden pins; no file stores
    /// Q8_1, so the two never meet a GGUF row.)
    public static let bytesPerBlock = 36

    /// Quantizes `count` floats (a multiple of 32) into blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q8_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let v = x + b * blockSize
            var amax: Float = 0
            for j in 0..<blockSize { amax = max(amax, abs(v[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let o = out + b * bytesPerBlock
            var sum = 0
            for j in 0..<blockSize {
                let q = Quantize.roundedInt8(v[j] * id)
                sum += Int(q)
                o.storeBytes(of: q, toByteOffset: 4 + j, as: Int8.self)
            }
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            o.storeBytes(of: Half.f16(from: Float(sum) * d).littleEndian, toByteOffset: 2, as: UInt16.self)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q8_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            for j in 0..<blockSize { out[b * blockSize + j] = Float(p.load(fromByteOffset: 4 + j, as: Int8.self)) * d }
        }
    }
}
