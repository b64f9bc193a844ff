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
