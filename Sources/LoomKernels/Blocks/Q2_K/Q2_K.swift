// Q2_K: 256 weights per super-block of 16 sub-blocks of 16; 2-bit codes q ∈ 0…3; per sub-block a
// 4-bit scale and a 4-bit min; fp16 d and dmin; x = d·sc·q − dmin·m; 84 bytes.
//
//   bytes 0–15    scales[16]: sub-block s (elements 16s…16s+15): sc = scales[s] & 15, m = scales[s] >> 4
//   bytes 16–79   qs[64]: 2-bit planes (KQuant.twoBits): element e at qs[32(e/128) + e%32] >> 2((e%128)/32)
//   bytes 80–81   d (fp16) · bytes 82–83 dmin (fp16)
//
// Quantization is ggml's `quantize_row_q2_K_ref` (what llama-quantize does without an imatrix):
// make_qkx2_quants (weights |x|, mean absolute error) per sub-block, scales and mins quantized
// against 15/max, d = fp16(max_scale/15), dmin = fp16(max_min/15); then each sub-block whose
// d·sc ≠ 0 is re-coded as clamp(nearest_int((x + dmin·m)/(d·sc)), 0, 3). Bit-exact with llama.cpp
// (Fixtures/kernels/iq-goldens.json, Scripts/make_iquant_goldens.py).
//
// Dot with Q8 activations: a 32-value activation block holds sub-blocks 2b, 2b + 1:
//   Σ d_a·(d·Σ_h sc_h·Σ_{j∈h} q_j·a_j − dmin·Σ_h m_h·Σ_{j∈h} a_j)    (integer sums inside the block)

import LoomTensor

/// The Q2_K super-block format: reference quantize, dequantize and dot (rowMajor GEMV).
public enum Q2_K: RowMajorInt8Format {
    /// The GGUF type.
    public static var type: GGMLType { .q2_K }

    /// Quantizes `count` floats (a multiple of 256) into `count / 256` super-blocks at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        precondition(count % blockSize == 0, "Q2_K rows are whole super-blocks")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { codes in
            guard let L = codes.baseAddress else { return }
            for b in 0..<count / blockSize {
                quantizeBlock(x + b * blockSize, L, into: out + b * bytesPerBlock)
            }
        }
    }

    /// One super-block (quantize_row_q2_K_ref's loop body); L is scratch for 256 codes.
    static func quantizeBlock(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>, into y: UnsafeMutableRawPointer) {
        var scales = SIMD16<Float>(), mins = SIMD16<Float>(), weights = SIMD16<Float>(), aux = SIMD16<UInt8>()
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
            for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
            // make_qkx2_quants(16, 3, x, w, L, &min, Laux, −0.5, 0.1, 15, use_mad: true)
            let (scale, m) = withUnsafePointer(to: &weights) { w in
                withUnsafeMutablePointer(to: &aux) { a in
                    KQuant.makeQKX2(16, 3, x + 16 * j, UnsafeRawPointer(w).assumingMemoryBound(to: Float.self), L + 16 * j,
                                    UnsafeMutableRawPointer(a).assumingMemoryBound(to: UInt8.self), rmin: -0.5, rdelta: 0.1, nstep: 15, mad: true)
                }
            }
            scales[j] = scale
            mins[j] = m
            if scale > maxScale { maxScale = scale }
            if m > maxMin { maxMin = m }
        }
        var sc = SIMD16<UInt8>()
        var d: UInt16 = Half.f16(from: 0), dmin: UInt16 = Half.f16(from: 0)
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { sc[j] = UInt8(truncatingIfNeeded: KQuant.nearestInt(iscale * scales[j])) }
            d = Half.f16(from: maxScale / 15)
        }
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { sc[j] |= UInt8(truncatingIfNeeded: KQuant.nearestInt(iscale * mins[j]) << 4) }
            dmin = Half.f16(from: maxMin / 15)
        }
        for j in 0..<16 { y.storeBytes(of: sc[j], toByteOffset: j, as: UInt8.self) }
        y.storeBytes(of: d.littleEndian, toByteOffset: 80, as: UInt16.self)
        y.storeBytes(of: dmin.littleEndian, toByteOffset: 82, as: UInt16.self)
        let df = Half.f32(fromF16: d), mf = Half.f32(fromF16: dmin)
        for j in 0..<16 {
            let dl = df * Float(sc[j] & 0xF)
            if dl == 0 { continue }
            let dm = mf * Float(sc[j] >> 4)
            for i in 0..<16 {
                L[16 * j + i] = UInt8(max(0, min(3, KQuant.nearestInt((x[16 * j + i] + dm) / dl))))
            }
        }
        KQuant.storeTwoBits({ L[$0] }, into: y + 16)
    }

    /// Dequantizes `count` elements (a multiple of 256) from the super-blocks at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "Q2_K rows are whole super-blocks")
        for b in 0..<count / blockSize {
            let p = blocks + b * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 80, as: UInt16.self))
            let dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 82, as: UInt16.self))
            let o = out + b * blockSize
            for s in 0..<16 {
                let sc = p.load(fromByteOffset: s, as: UInt8.self)
                let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                for i in 0..<16 { o[16 * s + i] = dl * Float(Int32(KQuant.twoBits(p + 16, 16 * s + i))) - ml }
            }
        }
    }

    /// Reference dot of one Q2_K row with quantized activations (see the header).
    public static func dotReference(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        var sum: Float = 0
        for sb in 0..<count / blockSize {
            let p = blocks + sb * bytesPerBlock
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 80, as: UInt16.self))
            let dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 82, as: UInt16.self))
            for k in 0..<8 {
                let b = 8 * sb + k, qa = a.q + 32 * b
                var s: Int32 = 0, m: Int32 = 0
                for h in 0..<2 {
                    let sc = p.load(fromByteOffset: 2 * k + h, as: UInt8.self)
                    var t: Int32 = 0, u: Int32 = 0
                    for i in 0..<16 {
                        let ai = Int32(qa[16 * h + i])
                        t &+= Int32(KQuant.twoBits(p + 16, 32 * k + 16 * h + i)) * ai
                        u &+= ai
                    }
                    s &+= Int32(sc & 0xF) * t
                    m &+= Int32(sc >> 4) * u
                }
                sum += a.d[b] * (d * Float(s) - dmin * Float(m))
            }
        }
        return sum
    }
}
