// F32, F16 and BF16 rows: dequantize (convert) and dot with f32 activations — scalar references
// and the SIMD versions (16 lanes of plain Swift SIMD; with -target-cpu native the f16 → f32
// conversion is one vcvtph2ps per 8 or 16 lanes, and addProduct is an FMA).
//
//   F32: 4 bytes/element · F16: IEEE binary16 · BF16: the top half of an f32 (see LoomTensor.Half)

import LoomTensor

/// Conversion and dot products for the plain float formats.
public enum FloatRows {
    /// Converts `count` fp16 values to f32.
    public static func dequantizeF16(_ p: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(h + i).loadUnaligned(as: SIMD16<Float16>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: SIMD16<Float>(v), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { out[i] = Half.f32(fromF16: h[i]); i += 1 }
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

    /// SIMD dot of an fp16 row with f32 activations: 2 × 16-lane FMA chains, tree reduction.
    @inline(__always)
    public static func dotF16(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            a0.addProduct(SIMD16<Float>(p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)),
                          UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            a1.addProduct(SIMD16<Float>(p.loadUnaligned(fromByteOffset: 2 * i + 32, as: SIMD16<Float16>.self)),
                          UnsafeRawPointer(x + i + 16).loadUnaligned(as: SIMD16<Float>.self))
            i += 32
        }
        var s = reduce(a0 + a1)
        let h = p.assumingMemoryBound(to: UInt16.self)
        while i < count { s += Half.f32(fromF16: h[i]) * x[i]; i += 1 }
        return s
    }

    /// SIMD dot of a bf16 row with f32 activations.
    @inline(__always)
    public static func dotBF16(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let b = SIMD16<UInt32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)) &<< 16
            a0.addProduct(unsafeBitCast(b, to: SIMD16<Float>.self), UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var s = reduce(a0)
        let h = p.assumingMemoryBound(to: UInt16.self)
        while i < count { s += Half.f32(fromBF16: h[i]) * x[i]; i += 1 }
        return s
    }

    /// SIMD dot of two f32 rows.
    @inline(__always)
    public static func dotF32(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            a0.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
            a1.addProduct(UnsafeRawPointer(a + i + 16).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(x + i + 16).loadUnaligned(as: SIMD16<Float>.self))
            i += 32
        }
        var s = reduce(a0 + a1)
        while i < count { s += a[i] * x[i]; i += 1 }
        return s
    }

    /// Tree sum of 16 lanes (`.sum()` is a sequential chain).
    @inline(__always)
    static func reduce(_ v: SIMD16<Float>) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }
}
