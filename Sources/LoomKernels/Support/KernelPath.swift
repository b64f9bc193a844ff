// KernelPath: which instruction set the kernels use, chosen once per process at start-up from the
// CPU's features (as ggml's CPU variants do), so a plain `swift build` — and every package that
// depends on Loom — gets the fast kernels without compiler flags.
//
//   baseline  the portable Swift kernels (rowMajor weights, scalar/SIMD-type code): any CPU
//   avx2      AVX2+FMA+F16C C kernels (CLoomKernels, `target` attributes): interleaved8 int8
//             GEMV/GEMM (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), panel16 float GEMM (F32/F16/BF16), Q8
//             activations, f16 rows, grouped-query attention (f32/f16/q8_0/q4_0 KV rows),
//             rmsNorm, swiglu; other types run the Swift AVX2 kernels in a `make` build
//             (-DLOOM_AVX2) and the portable ones otherwise
//   avx512    avx2 plus AVX-512 VNNI (256-bit vpdpbusd) for the int8 GEMV/GEMM
// NEON (arm64) has no kernels of its own yet: arm64 runs `baseline`.
//
// LOOM_KERNELS=baseline|avx2|avx512 forces a path (tests, comparisons); a path this CPU lacks is
// refused (`KernelPath.configure()` throws, the executables exit with its message; a library
// caller that never calls it gets the best path and the message on stderr). The choice is shown by
// `loom bench kernels|model` and the server's start-up line.

import CLoomKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction-set path of the kernels, chosen at run time.
public enum KernelPath: String, Sendable, CaseIterable, Comparable {
    /// Portable Swift kernels: any CPU.
    case baseline
    /// AVX2 + FMA + F16C kernels (x86-64 since Haswell / Zen 1).
    case avx2
    /// AVX-512 F/VL/BW + VNNI int8 kernels on top of `avx2` (Ice Lake, Zen 4).
    case avx512

    /// Paths order by the instructions they need: baseline < avx2 < avx512.
    public static func < (a: KernelPath, b: KernelPath) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .baseline: return 0
        case .avx2: return 1
        case .avx512: return 2
        }
    }

    /// The CPU's feature bits (CLoomKernels' LOOM_CPU_*), read once.
    public static let cpuFeatures: UInt32 = loom_cpu_features()

    /// Names of the features relevant to the paths that this CPU has.
    public static var featureNames: [String] {
        let names: [(UInt32, String)] = [
            (UInt32(LOOM_CPU_AVX2), "avx2"), (UInt32(LOOM_CPU_FMA), "fma"), (UInt32(LOOM_CPU_F16C), "f16c"),
            (UInt32(LOOM_CPU_AVX512F), "avx512f"), (UInt32(LOOM_CPU_AVX512BW), "avx512bw"), (UInt32(LOOM_CPU_AVX512VL), "avx512vl"),
            (UInt32(LOOM_CPU_AVX512VNNI), "avx512vnni"), (UInt32(LOOM_CPU_AVX512BF16), "avx512bf16"), (UInt32(LOOM_CPU_NEON), "neon"),
        ]
        return names.filter { cpuFeatures & $0.0 != 0 }.map(\.1)
    }

    /// Whether this CPU (and this binary: x86-64 kernels are compiled only for x86-64) runs `self`.
    public var isSupported: Bool {
        let f = Self.cpuFeatures
        let avx2 = UInt32(LOOM_CPU_AVX2 | LOOM_CPU_FMA | LOOM_CPU_F16C)
        let avx512 = avx2 | UInt32(LOOM_CPU_AVX512F | LOOM_CPU_AVX512VL | LOOM_CPU_AVX512BW | LOOM_CPU_AVX512VNNI)
        switch self {
        case .baseline: return true
        case .avx2: return loom_cpu_x86_kernels() == 1 && f & avx2 == avx2
        case .avx512: return loom_cpu_x86_kernels() == 1 && f & avx512 == avx512
        }
    }

    /// Every path this CPU runs, slowest first.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

    /// The fastest path this CPU runs.
    public static var best: KernelPath { supported.last ?? .baseline }

    /// The path `LOOM_KERNELS` asks for (nil when unset or empty), or why it cannot be used.
    public static func fromEnvironment(_ value: String? = ProcessInfoEnvironment.value("LOOM_KERNELS")) throws(KernelError) -> KernelPath? {
        guard let value, !value.isEmpty else { return nil }
        guard let path = KernelPath(rawValue: value.lowercased()) else {
            throw .invalidKernelPath(value, supported: supported.map(\.rawValue))
        }
        guard path.isSupported else { throw .kernelPathUnsupported(path.rawValue, supported: supported.map(\.rawValue)) }
        return path
    }

    /// The path every new PackedMatrix and the activation quantizer use: LOOM_KERNELS if it names
    /// a path this CPU runs, else the best one.
    public static let active: KernelPath = {
        do { return try fromEnvironment() ?? best } catch {
            let message = "loom: \(error); using \(best.rawValue)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            return best
        }
    }()

    /// Checks LOOM_KERNELS (executables call this first and exit with the error) and returns the path in use.
    @discardableResult
    public static func configure() throws(KernelError) -> KernelPath {
        _ = try fromEnvironment()
        return active
    }

    /// One line for logs: the path, why, and what the build compiled.
    public static var summary: String {
        let forced = (try? fromEnvironment()) != nil
        return "kernels \(active.rawValue) (\(forced ? "forced by LOOM_KERNELS" : "chosen at start-up"); "
            + "CPU has \(featureNames.isEmpty ? "no SIMD extensions we use" : featureNames.joined(separator: " ")); "
            + "Swift SIMD compiled \(SIMDPath.compiled == .avx2 ? "with -target-cpu native -DLOOM_AVX2" : "for the baseline CPU"))"
    }
}

/// Reads the process environment without Foundation.
public enum ProcessInfoEnvironment {
    /// The value of `name`, or nil.
    public static func value(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
