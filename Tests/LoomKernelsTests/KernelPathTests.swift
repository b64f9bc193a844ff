// The run-time kernel paths (KernelPath): LOOM_KERNELS parsing and refusal, the C kernels
// (CLoomKernels) against the Swift AVX2 kernels they mirror (same bits, in a -DLOOM_AVX2 build),
// and the f16 conversions the baseline build uses instead of libcalls. Every path's matmuls are
// also checked against the scalar references in GEMVTests and MatMulTests (arguments:
// KernelPath.supported); `make test` runs this suite again with LOOM_KERNELS=baseline.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("KernelPath")
struct KernelPathTests {
    @Test("LOOM_KERNELS: a supported path is taken, an unknown or unsupported one is refused with a clear error")
    func environment() throws {
        #expect(try KernelPath.fromEnvironment(nil) == nil)
        #expect(try KernelPath.fromEnvironment("") == nil)
        #expect(try KernelPath.fromEnvironment("baseline") == .baseline)
        for path in KernelPath.supported { #expect(try KernelPath.fromEnvironment(path.rawValue.uppercased()) == path) }
        #expect(throws: KernelError.invalidKernelPath("sse9", supported: KernelPath.supported.map(\.rawValue))) {
            try KernelPath.fromEnvironment("sse9")
        }
        for path in KernelPath.allCases where !path.isSupported {
            #expect(throws: KernelError.kernelPathUnsupported(path.rawValue, supported: KernelPath.supported.map(\.rawValue))) {
                try KernelPath.fromEnvironment(path.rawValue)
            }
        }
        #expect(KernelPath.supported.first == .baseline && KernelPath.best == KernelPath.supported.last)
        // The process's path is the forced one when LOOM_KERNELS is set (make test: baseline).
        if let forced = try KernelPath.fromEnvironment() { #expect(KernelPath.active == forced) } else { #expect(KernelPath.active == KernelPath.best) }
        #if arch(x86_64)
        let f = KernelPath.cpuFeatures
        #expect(KernelPath.avx2.isSupported == (f & 7 == 7))
        #endif
    }

    @Test("the C int8 kernels of every path give the Swift AVX2 kernels' bits (GEMV and 4-token GEMM)",
          arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func nativeMatchesSwift(_ type: GGMLType) throws {
        #if LOOM_AVX2
        var rng = KernelRNG(UInt64(type.rawValue) &* 7919)
        for (rows, cols, tokens) in [(8, 32, 4), (24, 576, 8), (64, 1536, 4), (40, 96, 12)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let x = rng.floats(tokens * cols, scale: 2)
            let act = Q8Activations(k: cols, capacity: tokens)
            x.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<tokens) }
            for path in KernelPath.supported where path != .baseline {
                let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0, layout: .interleaved8, path: path) }
                guard let native = m.native, let format = m.int8 else { Issue.record("\(type) \(path): no C kernels"); continue }
                var c = [Float](repeating: .nan, count: tokens * rows), s = c
                c.withUnsafeMutableBufferPointer { native.gemm(m, act, $0.baseAddress!, tokens: 0..<tokens, groups: 0..<rows / 8) }
                s.withUnsafeMutableBufferPointer { format.gemm8(m, act, $0.baseAddress!, tokens: 0..<tokens, groups: 0..<rows / 8) }
                #expect(c.map(\.bitPattern) == s.map(\.bitPattern), "\(type) \(path) GEMM \(rows)×\(cols)")
                var cv = [Float](repeating: .nan, count: rows), sv = cv
                cv.withUnsafeMutableBufferPointer { native.gemv(m, act.row(1), $0.baseAddress!, groups: 0..<rows / 8) }
                sv.withUnsafeMutableBufferPointer { format.gemv8(m, act.row(1), $0.baseAddress!, groups: 0..<rows / 8) }
                #expect(cv.map(\.bitPattern) == sv.map(\.bitPattern), "\(type) \(path) GEMV \(rows)×\(cols)")
            }
        }
        #endif
    }

    @Test("f16 widening without F16C (F16Widen) is exact for all 65 536 halves")
    func widen() {
        var halves = [UInt16](repeating: 0, count: 65536)
        for i in 0..<65536 { halves[i] = UInt16(i) }
        var bad = 0
        halves.withUnsafeBytes { p in
            for i in stride(from: 0, to: 65536, by: 8) {
                let v = F16Widen.load8(p.baseAddress! + 2 * i)
                for j in 0..<8 {
                    let ref = Float(Float16(bitPattern: halves[i + j]))
                    if !(v[j].bitPattern == ref.bitPattern || (v[j].isNaN && ref.isNaN)) { bad += 1 }
                }
            }
        }
        #expect(bad == 0)
    }

    @Test("f32 ↔ f16 row conversion equals Float16(x) / Float(h) on the active path")
    func convertF16() {
        var rng = KernelRNG(5)
        var x = rng.floats(1000, scale: 70000)
        x += [0, -0, 1e-8, -6e-5, 65504, 65520, .infinity, -.infinity, 1e-40]
        var h = [Float16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { FloatRows.convertToF16(xp.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        #expect(zip(h, x).allSatisfy { $0.bitPattern == Float16($1).bitPattern })
        var back = [Float](repeating: .nan, count: h.count)
        h.withUnsafeBufferPointer { hp in back.withUnsafeMutableBufferPointer { FloatRows.convertFromF16(hp.baseAddress!, count: h.count, into: $0.baseAddress!) } }
        #expect(zip(back, h).allSatisfy { $0.bitPattern == Float($1).bitPattern })
    }
}
