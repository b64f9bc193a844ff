// IQ4_NL: 32 weights per block; fp16 d; 16 bytes of nibbles that index a fixed non-linear table;
// x = d · kvalues[q]; 18 bytes (Q4_0's layout).
//
//   bytes 0–1   d (fp16)
//   bytes 2–17  qs[16]: low nibble of qs[j] is element j, high nibble is element j + 16
//   kvalues = {−127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113}
//
// Quantization is what llama-quantize does without an importance matrix: ggml's `quantize_iq4_nl`
// (→ `quantize_row_iq4_nl_impl` with block 32, weights x², ntry = 7): d₀ = −max/−127 (max = the
// value of largest magnitude), least-squares d from the codes of 1/d₀, then the 15 trial scales
// id = (t − 127)/max (t = −7…7) keeping the best weighted fit; the codes are then recomputed from
// 1/d (f32) and d is stored as fp16. Blocks with max|x| < 1e−15 get d = 0 and code 8. Bit-exact with
// llama.cpp (Fixtures/kernels/iq4nl-goldens.json, Scripts/make_iquant_goldens.py).

import LoomTensor

/// The IQ4_NL block format: reference quantize (llama.cpp's search), dequantize and dot; Q4_0's
/// interleaved8 record.
public enum IQ4_NL: Interleaved32Format {
    /// The GGUF type.
    public static var type: GGMLType { .iq4_nl }

    /// The 16 values a nibble stands for (ggml's kvalues_iq4nl).
    static let values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// ggml's best_index_int8: the index of the table value nearest to x (ties to the upper).
    @inline(__always)
    static func nearest(_ x: Float) -> Int {
        if x <= -127 { return 0 }
        if x >= 113 { return 15 }
        var lo = 0, hi = 15
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if x < Float(values[mid]) { hi = mid } else { lo = mid }
        }
        return x - Float(values[hi - 1]) < Float(values[hi]) - x ? hi - 1 : hi
    }

    /// The scale of one 32-value block (before fp16 rounding), as quantize_row_iq4_nl_impl finds it.
    static func scale(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, mx: Float = 0
        for j in 0..<32 where abs(x[j]) > amax { amax = abs(x[j]); mx = x[j] }
        if amax < 1e-15 { return 0 }
        /// (Σ w·q·x, Σ w·q²) with w = x² for the codes of x·id.
        @inline(__always) func fit(_ id: Float) -> (Float, Float) {
            var sumqx: Float = 0, sumq2: Float = 0
            for j in 0..<32 {
                let q = Float(values[nearest(id * x[j])]), w = x[j] * x[j]
                sumqx += w * q * x[j]
                sumq2 += w * q * q
            }
            return (sumqx, sumq2)
        }
        let d0 = -mx / Float(values[0])
        var (sumqx, sumq2) = fit(1 / d0)
        var d: Float = sumq2 > 0 ? sumqx / sumq2 : 0
        var best = d * sumqx
        for t in -7...7 {
            (sumqx, sumq2) = fit(Float(t + Int(values[0])) / mx)
            if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2
                best = d * sumqx
            }
        }
        return d
    }

    /// Quantizes `count` floats (a multiple of 32) into `count / 32` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "IQ4_NL rows are whole blocks")
        for b in 0..<count / blockSize {
            let v = x + b * blockSize
            let d = scale(v)
            let id: Float = d != 0 ? 1 / d : 0
            var q = SIMD32<UInt8>()
            for j in 0..<32 { q[j] = UInt8(nearest(id * v[j])) }
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            BlockCodes.storeNibbles(q, into: o + 2)
        }
    }

    /// Dequantizes `count` elements (a multiple of 32) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "IQ4_NL rows are whole blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let o = out + b * blockSize
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                o[j] = d * Float(values[Int(q & 0x0F)])
                o[j + 16] = d * Float(values[Int(q >> 4)])
            }
        }
    }

    /// Reference dot of one IQ4_NL row with quantized activations: Σ_b d_w·d_a·Σ_j kvalues[q_j]·a_j.
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let dw = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self))
            let qa = a.q + b * blockSize
            var s: Int32 = 0
            for j in 0..<16 {
                let q = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                s &+= Int32(values[Int(q & 0x0F)]) * Int32(qa[j]) + Int32(values[Int(q >> 4)]) * Int32(qa[j + 16])
            }
            sum += dw * a.d[b] * Float(s)
        }
        return sum
    }

    /// Record: Q4_0's, [d r0…r7: 8 × fp16][chunk 0 … chunk 3] (Repack.swift).
    static var record: RecordLayout { RecordLayout(scales: 1, fifthBits: false, words: 4) }
}
