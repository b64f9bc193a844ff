// Q4_1: 32 weights per block; fp16 d, fp16 m; 16 bytes of nibbles; x = q·d + m; 20 bytes.
//
//   bytes 0–1   d (fp16)      bytes 2–3   m (fp16, the block minimum)
//   bytes 4–19  qs[16]: low nibble of qs[j] is element j, high nibble is element j + 16
//
// Quantization is ggml's `quantize_row_q4_1_ref`: d = (max − min)/15, q = min(15, trunc((x − min)/d
// + 0.5)). Bit-exact with `gguf.quants.Q4_1`.

import LoomTensor

/// The Q4_1 block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q4_1: Int8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q4_1 }

    /// Quantizes `count` floats (a multiple of 32) into blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q4_1 rows are whole blocks")
        for b in 0..<count / blockSize {
            let v = x + b * blockSize
            var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
            for j in 0..<blockSize { lo = min(lo, v[j]); hi = max(hi, v[j]) }
            let d = (hi - lo) / 15
            let id: Float = d != 0 ? 1 / d : 0
            let o = out + b * bytesPerBlock
            o.storeBytes(of: Half.f16(from: d).littleEndian, as: UInt16.self)
            o.storeBytes(of: Half.f16(from: lo).littleEndian, toByteOffset: 2, as: UInt16.self)
            for j in 0..<16 {
                let q0 = max(0, min(15, Quantize.truncatedInt8((v[j] - lo) * id + 0.5)))
                let q1 = max(0, min(15, Quantize.truncatedInt8((v[j + 16] - lo) * id + 0.5)))
                o.storeBytes(of: UInt8(q0) | UInt8(q1) << 4, toByteOffset: 4 + j, as: UInt8.self)
            }
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
    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        Interleave8.packScales(src, rowBytes: rowBytes, count: 2, into: record)
        Interleave8.packWords(src + 4, rowBytes: rowBytes, count: 4, into: record + 32)
    }

    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        Interleave8.unpackScales(record, lane: lane, count: 2, into: block)
        Interleave8.unpackWords(record + 32, lane: lane, count: 4, into: block + 4)
    }
}
