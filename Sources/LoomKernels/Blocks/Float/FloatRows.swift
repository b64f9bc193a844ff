// F32, F16 and BF16 rows: dequantize (convert) and dot with f32 activations — scalar references
// and the SIMD versions (16 lanes of plain Swift SIMD; with -target-cpu native the f16 → f32
// conversion is one vcvtph2ps per 8 or 16 lanes, and addProduct is an FMA).
//
//   F32: 4 bytes/element · F16: IEEE binary16 · BF16: the top half of an f32 (see LoomTensor.Half)

import LoomTensor
import CLoomKernels
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

/// Conversion and dot products for the plain float formats.
public enum FloatRows {
    /// Converts `count` fp16 values to f32.
    public static func dequantizeF16(_ p: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var i = 0
        #if LOOM_AVX2
        while i + 8 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i, as: __m128i.self)), as: __m256.self)
            i += 8
        }
        #endif
        while i < count { out[i] = Half.f32(fromF16: h[i]); i += 1 }
    }

    /// Converts `count` f32 values to fp16 (round to nearest even), as `Float16(x)` does: F16C in a
    /// -DLOOM_AVX2 build or through the C kernel on avx2/avx512, else one value at a time.
    public static func convertToF16(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>) {
        #if !LOOM_AVX2 && arch(x86_64)
        if KernelPath.active >= .avx2 {
            out.withMemoryRebound(to: UInt16.self, capacity: count) { loom_f32_to_f16_avx2(x, $0, count) }
            return
        }
        #endif
        for i in 0..<count { out[i] = Float16(x[i]) }
    }

    /// Converts `count` fp16 values to f32 (exact).
    public static func convertFromF16(_ p: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        #if !LOOM_AVX2 && arch(x86_64)
        if KernelPath.active >= .avx2 {
            p.withMemoryRebound(to: UInt16.self, capacity: count) { loom_f16_to_f32_avx2($0, out, count) }
            return
        }
        #endif
        for i in 0..<count { out[i] = Float(p[i]) }
    }

    /// Converts `count` bf16 values to f32.
    public static func dequantizeBF16(_ p: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var i = 0
        while i + 16 <= count {
            let v = SIMD16<UInt32>(truncatingIfNeeded: UnsafeRawPointer(h + i).loadUnaligned(as: SIMD16<UInt16>.self))
            UnsafeMutableRawPointer(out + i).storeBytes(of: v &<< 16, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count { out[i] = Half.f32(fromBF16: h[i]); i += 1 }
    }

    /// Scalar reference dot of an fp16 row with f32 activations (accumulated in Double).
    public static func dotF16Reference(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var s = 0.0
        for i in 0..<count { s += Double(Half.f32(fromF16: h[i])) * Double(x[i]) }
        return Float(s)
    }

    /// Scalar reference dot of a bf16 row with f32 activations (accumulated in Double).
    public static func dotBF16Reference(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var s = 0.0
        for i in 0..<count { s += Double(Half.f32(fromBF16: h[i])) * Double(x[i]) }
        return Float(s)
    }

    /// Scalar reference dot of two f32 rows (accumulated in Double).
    public static func dotF32Reference(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var s = 0.0
        for i in 0..<count { s += Double(a[i]) * Double(x[i]) }
        return Float(s)
    }

    /// SIMD dot of an fp16 row with f32 activations: 4 independent 8-lane FMA chains.
    @inline(__always)
    public static func dotF16(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        var s: Float = 0
        #if LOOM_AVX2
        var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
        let xr = UnsafeRawPointer(x)
        while i + 32 <= count {
            a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i, as: __m128i.self)), xr.loadUnaligned(fromByteOffset: 4 * i, as: __m256.self), a0)
            a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i + 16, as: __m128i.self)), xr.loadUnaligned(fromByteOffset: 4 * i + 32, as: __m256.self), a1)
            a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i + 32, as: __m128i.self)), xr.loadUnaligned(fromByteOffset: 4 * i + 64, as: __m256.self), a2)
            a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 2 * i + 48, as: __m128i.self)), xr.loadUnaligned(fromByteOffset: 4 * i + 96, as: __m256.self), a3)
            i += 32
        }
        s = reduce8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)))
        #endif
        let h = p.assumingMemoryBound(to: UInt16.self)
        while i < count { s += Half.f32(fromF16: h[i]) * x[i]; i += 1 }
        return s
    }

    /// SIMD dot of a bf16 row with f32 activations.
    @inline(__always)
    public static func dotBF16(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        var s: Float = 0
        #if LOOM_AVX2
        var a0 = _mm256_setzero_ps(), a1 = a0
        let xr = UnsafeRawPointer(x)
        while i + 16 <= count {
            let w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(p.loadUnaligned(fromByteOffset: 2 * i, as: __m128i.self)), 16))
            let w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(p.loadUnaligned(fromByteOffset: 2 * i + 16, as: __m128i.self)), 16))
            a0 = _mm256_fmadd_ps(w0, xr.loadUnaligned(fromByteOffset: 4 * i, as: __m256.self), a0)
            a1 = _mm256_fmadd_ps(w1, xr.loadUnaligned(fromByteOffset: 4 * i + 32, as: __m256.self), a1)
            i += 16
        }
        s = reduce8(_mm256_add_ps(a0, a1))
        #endif
        let h = p.assumingMemoryBound(to: UInt16.self)
        while i < count { s += Half.f32(fromBF16: h[i]) * x[i]; i += 1 }
        return s
    }

    /// Tree sum of 8 lanes.
    @inline(__always)
    static func reduce8(_ v: SIMD8<Float>) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        return b[0] + b[1]
    }

    /// SIMD dot of two f32 rows: 4 independent 8-lane FMA chains.
    @inline(__always)
    public static func dotF32(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        let ar = UnsafeRawPointer(a), xr = UnsafeRawPointer(x)
        var i = 0
        while i + 32 <= count {
            a0.addProductFast(ar.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self), xr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            a1.addProductFast(ar.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self), xr.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
            a2.addProductFast(ar.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self), xr.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD8<Float>.self))
            a3.addProductFast(ar.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self), xr.loadUnaligned(fromByteOffset: 4 * i + 96, as: SIMD8<Float>.self))
            i += 32
        }
        var s = reduce8((a0 + a1) + (a2 + a3))
        while i < count { s += a[i] * x[i]; i += 1 }
        return s
    }
}
