// Softmax against a Double reference, plus the numerically hard rows.

import Foundation
import Testing
@testable import LoomKernels

@Suite("Ops: softmax")
struct OpsSoftmaxTests {
    static func ref(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let e = x.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func run(_ x: [Float]) -> [Float] {
        var y = x
        y.opsWrite { Ops.softmax($0, n: x.count) }
        return y
    }

    @Test("softmax matches Double within 1e-5 relative", arguments: OpsSupport.sizes)
    func random(n: Int) {
        let x = OpsSupport.random(n, seed: UInt64(n) + 900, in: -10...10)
        let y = Self.run(x)
        let m = OpsSupport.mismatch(y, Self.ref(x), rtol: 1e-5, atol: 1e-9)
        #expect(m == nil, "\(m ?? "")")
        #expect(abs(y.reduce(0.0) { $0 + Double($1) } - 1) < 1e-5)
    }

    @Test("huge values do not overflow; −inf entries get exactly 0")
    func edges() {
        let y = Self.run([1e30, 0, -1e30, 1e30 - 1e24, -.infinity, 3, -.infinity, 1e30, 5, 6])
        // 1e30 − 1e24 rounds to a value 1e24 below 1e30: its weight is exp(−1e24) = 0.
        #expect(y == [0.5, 0, 0, 0, 0, 0, 0, 0.5, 0, 0])
        let z = Self.run([-.infinity, 2, -.infinity, 2])
        #expect(z == [0, 0.5, 0, 0.5])
        let big = Self.run([88, 89, 90, 1000, 1000])
        #expect(big[3] == 0.5 && big[4] == 0.5 && big[0] == 0)
    }

    @Test("all −inf gives zeros; one element gives 1; NaN propagates")
    func degenerate() {
        #expect(Self.run([-.infinity, -.infinity, -.infinity]) == [0, 0, 0])
        #expect(Self.run([-3.5]) == [1])
        #expect(Self.run([1, .nan, 2]).contains { $0.isNaN })
    }

    @Test("rows variant normalizes each row independently")
    func rows() {
        let x = OpsSupport.random(3 * 17, seed: 4)
        var y = x
        y.opsWrite { Ops.softmax($0, rows: 3, n: 17) }
        for r in 0..<3 {
            #expect(Array(y[r * 17..<(r + 1) * 17]) == Self.run(Array(x[r * 17..<(r + 1) * 17])))
        }
    }
}
