// Q4_K: 256 weights per super-block of 8 sub-blocks of 32; fp16 d and dmin; per sub-block j a
// 6-bit scale sc_j and 6-bit min m_j; 4-bit codes q; x = d·sc_j·q − dmin·m_j; 144 bytes.
//
//   bytes 0–1     d (fp16)          bytes 2–3   dmin (fp16)
//   bytes 4–15    scales[12]: sc_j, m_j packed in 6 bits (KQuant.scaleMin)
//   bytes 16–143  qs[128]: for pair p < 4, qs[32p + l] low nibble = element 64p + l (sub-block 2p),
//                 high nibble = element 64p + 32 + l (sub-block 2p + 1)
//
// Quantization is ggml's `quantize_row_q4_K_ref` (what llama-quantize does without an imatrix),
// bit-exact (Fixtures/kernels/kquant-goldens.json, Scripts/make_kquant_goldens.py); dequantization
// is `gguf.quants.Q4_K`'s: (d·sc)·q − dmin·m in f32.
//
// Dots take Loom's Q8 activations (32-value blocks: sub-block j of super-block i is activation
// block 8i + j). Per super-block, as the AVX2 kernel does it (so both give the same bits):
//   s = Σ_j fma(f32(sc_j·Σ q·a), d_a),  mm = Σ_j fma(f32(m_j), s_a),  acc = fma(−dmin, mm, fma(d, s, acc))
//
// Record (interleaved8, KQuant.swift): [d r0…r7: 16 B][dmin r0…r7: 16 B][scales: byte 8i + r =
// scales[i] of row r, 96 B][qs: 32 chunks of 32 B, chunk c lane r = qs[4c…4c+3] of row r] = 1152 B.

import LoomTensor

/// The Q4_K block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q4_K: Int8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q4_K }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q4_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { codes in
            let L = codes.baseAddress!
            for i in 0..<count / blockSize {
                let o = out + i * bytesPerBlock
                KQuant.scaleMinCodes(x + i * blockSize, nmax: 15, rmin: -1, nstep: 20, L, into: o)
                for p in 0..<4 {
                    for l in 0..<32 { o.storeBytes(of: L[64 * p + l] | L[64 * p + 32 + l] << 4, toByteOffset: 16 + 32 * p + l, as: UInt8.self) }
                }
            }
        }
    }

    /// Dequantizes `count` elements (a multiple of 256) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q4_K rows are whole super-blocks")
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock, o = out + i * blockSize
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self)), dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            for j in 0..<8 {
                let (sc, m) = KQuant.scaleMin(j, p + 4)
                let ds = d * Float(sc), dm = dmin * Float(m)
                for l in 0..<32 {
                    let q = p.load(fromByteOffset: 16 + 32 * (j / 2) + l, as: UInt8.self) >> (4 * UInt8(j & 1)) & 0x0F
                    o[32 * j + l] = ds * Float(q) - dm
                }
            }
        }
    }

    /// Reference dot of one Q4_K row with quantized activations (the order of the header comment).
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var acc: Float = 0
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self)), dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            var s: Float = 0, mm: Float = 0
            for j in 0..<8 {
                let (sc, m) = KQuant.scaleMin(j, p + 4)
                let b = 8 * i + j, qa = a.q + 32 * b
                var sum: Int32 = 0
                for l in 0..<32 {
                    let q = p.load(fromByteOffset: 16 + 32 * (j / 2) + l, as: UInt8.self) >> (4 * UInt8(j & 1)) & 0x0F
                    sum &+= Int32(q) * Int32(qa[l])
                }
                s = s.addingProduct(Float(Int32(sc) &* sum), a.d[b])
                mm = mm.addingProduct(Float(m), a.s[b])
            }
            acc = acc.addingProduct(d, s).addingProduct(-dmin, mm)
        }
        return acc
    }

    /// The record's fields (KQuant.swift): d, dmin, scales, qs.
    static let fields = [KField(offset: 0, bytes: 2, width: 2), KField(offset: 2, bytes: 2, width: 2),
                         KField(offset: 4, bytes: 12, width: 1), KField(offset: 16, bytes: 128, width: 4)]

    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        KRecord.pack(fields, src, rowBytes: rowBytes, into: record)
    }

    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        KRecord.unpack(fields, record, lane: lane, into: block)
    }
}
