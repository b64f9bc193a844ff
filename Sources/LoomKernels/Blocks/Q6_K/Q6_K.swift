// Q6_K: 256 weights per super-block of 16 sub-blocks of 16; fp16 d; per sub-block s a signed 8-bit
// scale sc_s; 6-bit codes q (low 4 bits in ql, high 2 in qh); x = d·sc_s·(q − 32); 210 bytes.
//
//   bytes 0–127    ql[128]: for half n < 2 and l < 32, ql[64n + l] low nibble = element 128n + l,
//                  high nibble = 128n + 64 + l; ql[64n + 32 + l] low = 128n + 32 + l, high = 128n + 96 + l
//   bytes 128–191  qh[64]: qh[32n + l] bits 2u, 2u + 1 = high bits of element 128n + 32u + l (u < 4)
//   bytes 192–207  scales[16] (int8): sub-block s covers elements 16s…16s + 15
//   bytes 208–209  d (fp16)
//
// Quantization is ggml's `quantize_row_q6_K_ref` (what llama-quantize does without an imatrix),
// bit-exact (Fixtures/kernels/kquant-goldens.json, Scripts/make_kquant_goldens.py); dequantization
// is `gguf.quants.Q6_K`'s: (d·sc)·(q − 32) in f32.
//
// Dots take Loom's Q8 activations: activation block 8i + t holds sub-blocks 2t and 2t + 1 of
// super-block i. Per super-block, as the AVX2 kernel does it (so both give the same bits):
//   s = Σ_t fma(f32(sc_2t·Σ(q − 32)·a + sc_2t+1·Σ(q − 32)·a), d_a),  acc = fma(d, s, acc)
//
// Record (interleaved8, KQuant.swift): [ql: 32 chunks, chunk c lane r = ql[4c…4c+3] of row r,
// 1024 B][qh: 16 chunks, 512 B][scales: byte 8s + r = scales[s] of row r, 128 B][d r0…r7: 16 B]
// = 1680 B.

import LoomTensor

/// The Q6_K block format: scalar reference quantize, dequantize and dot; interleaved8 record.
public enum Q6_K: Int8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q6_K }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q6_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { sb in
                let L = codes.baseAddress!, scales = sb.baseAddress!
                for i in 0..<count / blockSize {
                    let v = x + i * blockSize, o = out + i * bytesPerBlock
                    var maxScale: Float = 0, maxAbsScale: Float = 0
                    for s in 0..<16 {
                        scales[s] = KQuant.makeQX(16, 32, v + 16 * s, L + 16 * s)
                        if abs(scales[s]) > maxAbsScale { maxAbsScale = abs(scales[s]); maxScale = scales[s] }
                    }
                    if maxAbsScale < 1e-15 {   // GROUP_MAX_EPS: an all-zero block
                        o.initializeMemory(as: UInt8.self, repeating: 0, count: bytesPerBlock)
                        continue
                    }
                    let iscale = -128 / maxScale
                    let d16 = Half.f16(from: 1 / iscale)
                    o.storeBytes(of: d16.littleEndian, toByteOffset: 208, as: UInt16.self)
                    for s in 0..<16 {
                        o.storeBytes(of: Int8(truncatingIfNeeded: min(127, KQuant.nearestInt(iscale * scales[s]))), toByteOffset: 192 + s, as: Int8.self)
                    }
                    let d0 = Half.f32(fromF16: d16)
                    for s in 0..<16 {
                        let d = d0 * Float(o.load(fromByteOffset: 192 + s, as: Int8.self))
                        if d == 0 { continue }
                        for e in 0..<16 { L[16 * s + e] = Int8(max(-32, min(31, KQuant.nearestInt(v[16 * s + e] / d))) + 32) }
                    }
                    for n in 0..<2 {
                        let c = L + 128 * n
                        for l in 0..<32 {
                            func q(_ j: Int) -> UInt8 { UInt8(bitPattern: c[j]) }
                            o.storeBytes(of: q(l) & 0x0F | (q(l + 64) & 0x0F) << 4, toByteOffset: 64 * n + l, as: UInt8.self)
                            o.storeBytes(of: q(l + 32) & 0x0F | (q(l + 96) & 0x0F) << 4, toByteOffset: 64 * n + 32 + l, as: UInt8.self)
                            let h = q(l) >> 4 | (q(l + 32) >> 4) << 2 | (q(l + 64) >> 4) << 4 | (q(l + 96) >> 4) << 6
                            o.storeBytes(of: h, toByteOffset: 128 + 32 * n + l, as: UInt8.self)
                        }
                    }
                }
            }
        }
    }

    /// Code (0…63) of element e of the block at `p`.
    @inline(__always)
    static func code(_ p: UnsafeRawPointer, _ e: Int) -> Int32 {
        let n = e / 128, u = (e % 128) / 32, l = e % 32
        let ql = p.load(fromByteOffset: 64 * n + 32 * (u & 1) + l, as: UInt8.self) >> (4 * UInt8(u >> 1)) & 0x0F
        let qh = p.load(fromByteOffset: 128 + 32 * n + l, as: UInt8.self) >> (2 * UInt8(u)) & 3
        return Int32(ql | qh << 4)
    }

    /// Dequantizes `count` elements (a multiple of 256) from the blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q6_K rows are whole super-blocks")
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock, o = out + i * blockSize
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
            for s in 0..<16 {
                let ds = d * Float(p.load(fromByteOffset: 192 + s, as: Int8.self))
                for e in 16 * s..<16 * s + 16 { o[e] = ds * Float(code(p, e) - 32) }
            }
        }
    }

    /// Reference dot of one Q6_K row with quantized activations (the order of the header comment).
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var acc: Float = 0
        for i in 0..<count / blockSize {
            let p = blocks + i * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
            var s: Float = 0
            for t in 0..<8 {
                let qa = a.q + 256 * i + 32 * t
                var sum: Int32 = 0
                for h in 0..<2 {
                    var part: Int32 = 0
                    for e in 16 * h..<16 * h + 16 { part &+= (code(p, 32 * t + e) - 32) * Int32(qa[e]) }
                    sum &+= Int32(p.load(fromByteOffset: 192 + 2 * t + h, as: Int8.self)) &* part
                }
                s = s.addingProduct(Float(sum), a.d[8 * i + t])
            }
            acc = acc.addingProduct(d, s)
        }
        return acc
    }

    /// The record's fields (KQuant.swift): ql, qh, scales, d.
    static let fields = [KField(offset: 0, bytes: 128, width: 4), KField(offset: 128, bytes: 64, width: 4),
                         KField(offset: 192, bytes: 16, width: 1), KField(offset: 208, bytes: 2, width: 2)]

    static func packRecord(_ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        KRecord.pack(fields, src, rowBytes: rowBytes, into: record)
    }

    static func unpackRecord(_ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        KRecord.unpack(fields, record, lane: lane, into: block)
    }
}
