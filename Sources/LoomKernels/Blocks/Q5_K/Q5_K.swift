// Q5_K: 256 weights per super-block of 8 sub-blocks of 32; fp16 d and dmin; per sub-block j a
// 6-bit scale sc_j and 6-bit min m_j; 5-bit codes q; x = d·sc_j·q − dmin·m_j; 176 bytes.
//
//   bytes 0–1     d (fp16)          bytes 2–3   dmin (fp16)
//   bytes 4–15    scales[12]: sc_j, m_j packed in 6 bits (KQuant.scaleMin, as Q4_K)
//   bytes 16–47   qh[32]: bit j of qh[l] = bit 4 of element 32j + l
//   bytes 48–175  qs[128]: low 4 bits, laid out as Q4_K's qs (pair p: low nibbles sub-block 2p,
//                 high nibbles sub-block 2p + 1)
//
// Quantization is ggml's `quantize_row_q5_K_ref` (what llama-quantize does without an imatrix),
// bit-exact (Fixtures/kernels/kquant-goldens.json, Scripts/make_kquant_goldens.py); dequantization
// is `gguf.quants.Q5_K`'s: (d·sc)·q − dmin·m in f32. Dots: Q4_K's order (Q4_K.swift).
//
// Record (interleaved8, KQuant.swift): [d r0…r7: 16 B][dmin: 16 B][scales: 96 B][qh: 8 chunks,
// chunk i lane r = qh[4i…4i+3] of row r, 256 B][qs: 32 chunks, 1024 B] = 1408 B.

import LoomTensor

/// The Q5_K block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q5_K: Int8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q5_K }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q5_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { codes in
            let L = codes.baseAddress!
            for i in 0..<count / blockSize {
                let o = out + i * bytesPerBlock
                KQuant.scaleMinCodes(x + i * blockSize, nmax: 31, rmin: -0.5, nstep: 15, L, into: o)
                for l in 0..<32 {
                    var h: UInt8 = 0
                    for j in 0..<8 { h |= (L[32 * j + l] >> 4) << UInt8(j) }
                    o.storeBytes(of: h, toByteOffset: 16 + l, as: UInt8.self)
                }
                for p in 0..<4 {
                    for l in 0..<32 {
                        o.storeBytes(of: (L[64 * p + l] & 0x0F) | (L[64 * p + 32 + l] & 0x0F) << 4, toByteOffset: 48 + 32 * p + l, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// Code (0…31) of element l of sub-block j of the block at `p`.
    @inline(__always)
    static func code(_ p: UnsafeRawPointer, _ j: Int, _ l: Int) -> UInt8 {
        let low = p.load(fromByteOffset: 48 + 32 * (j / 2) + l, as: UInt8.self) >> (4 * UInt8(j & 1)) & 0x0F
        return low | (p.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(j) & 1) << 4
    }

    /// Dequantizes `count` elements (a multiple of 256) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q5_K rows are whole super-blocks")
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock, o = out + i * blockSize
            let d = Half.f32(fromF16: p.loadUnaligned(as: UInt16.self)), dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            for j in 0..<8 {
                let (sc, m) = KQuant.scaleMin(j, p + 4)
                let ds = d * Float(sc), dm = dmin * Float(m)
                for l in 0..<32 { o[32 * j + l] = ds * Float(code(p, j, l)) - dm }
            }
        }
    }

    /// Reference dot of one Q5_K row with quantized activations (Q4_K's order).
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
                for l in 0..<32 { sum &+= Int32(code(p, j, l)) * Int32(qa[l]) }
                s = s.addingProduct(Float(Int32(sc) &* sum), a.d[b])
                mm = mm.addingProduct(Float(m), a.s[b])
            }
            acc = acc.addingProduct(d, s).addingProduct(-dmin, mm)
        }
        return acc
    }

    /// The record's fields (KQuant.swift): d, dmin, scales, qh, qs.
    static let fields = [KField(offset: 0, bytes: 2, width: 2), KField(offset: 2, bytes: 2, width: 2),
                         KField(offset: 4, bytes: 12, width: 1), KField(offset: 16, bytes: 32, width: 4),
                         KField(offset: 48, bytes: 128, width: 4)]

    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        KRecord.pack(fields, src, rowBytes: rowBytes, into: record)
    }

    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        KRecord.unpack(fields, record, lane: lane, into: block)
    }
}
