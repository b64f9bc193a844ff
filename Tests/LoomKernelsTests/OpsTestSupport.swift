// Shared helpers of the Ops tests: a seeded RNG, random rows, tolerance checks, fixture paths.

import Foundation

/// Helpers for the `Ops*Tests` suites (namespaced so other kernel tests can define their own).
enum OpsSupport {
    /// Row lengths every elementwise op is tested at: tiny, around the SIMD widths, model sizes.
    static let sizes = [1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 576, 1000, 1536]

    /// SplitMix64: a tiny seeded generator, so random test data is reproducible.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `count` uniform floats in `range`, reproducible from `seed`.
    static func random(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -3...3) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: range, using: &rng) }
    }

    /// The first index where |got − want| > atol + rtol·|want| (or where NaN-ness differs),
    /// described for an #expect message; nil when every element is within tolerance.
    static func mismatch(
        _ got: [Float], _ want: [Double], rtol: Double, atol: Double = 0
    ) -> String? {
        guard got.count == want.count else { return "count \(got.count) ≠ \(want.count)" }
        for i in got.indices {
            let g = Double(got[i]), w = want[i]
            if g.isNaN != w.isNaN { return "[\(i)]: got \(g), want \(w)" }
            if g.isNaN { continue }
            if g.isInfinite || w.isInfinite {
                if g != w { return "[\(i)]: got \(g), want \(w)" }
                continue
            }
            if abs(g - w) > atol + rtol * abs(w) {
                return "[\(i)] of \(got.count): got \(g), want \(w), |err| \(abs(g - w))"
            }
        }
        return nil
    }

    /// The repository root: three levels above this file (Tests/LoomKernelsTests/<file>).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The absolute path of a file under Fixtures/.
    static func fixture(_ relative: String) -> String { root + "/Fixtures/" + relative }
}

extension Array where Element == Float {
    /// Calls `body` with a read-only pointer to the elements (test convenience).
    func opsRead<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Calls `body` with a mutable pointer to the elements (test convenience).
    mutating func opsWrite<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
