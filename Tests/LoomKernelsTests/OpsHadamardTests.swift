// The Walsh–Hadamard rotation (Ops+Hadamard.swift) against the explicit matrix llama.cpp builds
// (`ggml_gen_hadamard`: Sylvester order, 1/√n), in Double; H·H = I; blocks are independent.

import Foundation
import Testing
@testable import LoomKernels

@Suite("Ops: Walsh–Hadamard rotation")
struct OpsHadamardTests {
    /// ggml_gen_hadamard's matrix: m[0][0] = 1/√n, then for s = 1, 2, 4, …: the s×s corner copied
    /// right and down, negated on the diagonal block.
    static func matrix(_ n: Int) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        m[0] = 1 / Double(n).squareRoot()
        var s = 1
        while s < n {
            for i in 0..<s {
                for j in 0..<s {
                    let v = m[i * n + j]
                    m[(i + s) * n + j] = v
                    m[i * n + j + s] = v
                    m[(i + s) * n + j + s] = -v
                }
            }
            s *= 2
        }
        return m
    }

    @Test("equals the matrix product, block by block", arguments: [8, 16, 64, 128, 256])
    func matchesMatrix(n: Int) {
        let blocks = 3
        let x = OpsSupport.random(n * blocks, seed: UInt64(n))
        var y = x
        y.opsWrite { Ops.hadamard($0, count: n * blocks, block: n) }
        let m = Self.matrix(n)
        var want = [Double](repeating: 0, count: n * blocks)
        for b in 0..<blocks {
            for i in 0..<n {
                var s = 0.0
                for j in 0..<n { s += m[i * n + j] * Double(x[b * n + j]) }
                want[b * n + i] = s
            }
        }
        let scale = want.map { abs($0) }.max() ?? 1
        let mismatch = OpsSupport.mismatch(y, want, rtol: 0, atol: 1e-6 * scale)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("is its own inverse", arguments: [64, 128, 256])
    func involution(n: Int) {
        let x = OpsSupport.random(2 * n, seed: 5)
        var y = x
        y.opsWrite { p in
            Ops.hadamard(p, count: 2 * n, block: n)
            Ops.hadamard(p, count: 2 * n, block: n)
        }
        #expect(OpsSupport.mismatch(y, x.map(Double.init), rtol: 0, atol: 3e-6) == nil)
        // n = 64 and 256 scale by an exact power of 2 (1/8, 1/16): a one-hot row maps to ±1/√n exactly.
        var e = [Float](repeating: 0, count: n)
        e[3] = 1
        e.opsWrite { Ops.hadamard($0, count: n, block: n) }
        if n != 128 { #expect(e.allSatisfy { abs($0) == 1 / Float(n).squareRoot() }) }
    }
}
