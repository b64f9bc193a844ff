// Which SIMD path this build of LoomKernels compiled (chosen by Scripts/swift-flags.sh at build time).
//
// Swift cannot compile one function for several instruction sets, so the choice is made when
// building: -DLOOM_AVX2 (with -target-cpu native) compiles the AVX2+FMA+F16C intrinsic kernels;
// without it only the portable kernels exist. Kernels with several variants keep the portable one
// compiled in every build so tests can compare the two.

/// The instruction-set path compiled into this build.
public enum SIMDPath: String, Sendable {
    /// Plain Swift SIMD types, no intrinsics: builds and runs everywhere.
    case portable
    /// AVX2, FMA and F16C intrinsics (x86-64 since Haswell / Zen 1).
    case avx2

    /// The path of this build.
    public static var compiled: SIMDPath {
        #if LOOM_AVX2
        return .avx2
        #else
        return .portable
        #endif
    }
}

// Fused multiply-add where it is one instruction. A build for the baseline x86-64 CPU (a plain
// `swift build`, no -target-cpu) has no FMA instruction, and Swift's `addProduct`/`addingProduct`
// (IEEE fusedMultiplyAdd) then become one libm `fmaf` call per lane — measured: `SIMD8.addingProduct`
// is 8 `callq fmaf`. The portable kernels (ops, attention, f32 dots) use these instead: fused with
// -DLOOM_AVX2 (-target-cpu native) and on arm64, a multiply and an add (two roundings) otherwise.

extension SIMD where Scalar: FloatingPoint {
    /// self + a·b, fused where that is one instruction (see above).
    @inline(__always)
    func addingProductFast(_ a: Self, _ b: Self) -> Self {
        #if LOOM_AVX2 || arch(arm64)
        return addingProduct(a, b)
        #else
        return self + a * b
        #endif
    }

    /// self += a·b, fused where that is one instruction (see above).
    @inline(__always)
    mutating func addProductFast(_ a: Self, _ b: Self) { self = addingProductFast(a, b) }

    /// self + a·b for a scalar b, fused where that is one instruction.
    @inline(__always)
    func addingProductFast(_ a: Self, _ b: Scalar) -> Self {
        #if LOOM_AVX2 || arch(arm64)
        return addingProduct(a, b)
        #else
        return self + a * b
        #endif
    }

    /// self += a·b for a scalar b, fused where that is one instruction.
    @inline(__always)
    mutating func addProductFast(_ a: Self, _ b: Scalar) { self = addingProductFast(a, b) }
}

extension Float {
    /// self + a·b, fused where that is one instruction (see above).
    @inline(__always)
    func addingProductFast(_ a: Float, _ b: Float) -> Float {
        #if LOOM_AVX2 || arch(arm64)
        return addingProduct(a, b)
        #else
        return self + a * b
        #endif
    }

    /// self += a·b, fused where that is one instruction (see above).
    @inline(__always)
    mutating func addProductFast(_ a: Float, _ b: Float) {
        #if LOOM_AVX2 || arch(arm64)
        addProduct(a, b)
        #else
        self = self + a * b
        #endif
    }
}
