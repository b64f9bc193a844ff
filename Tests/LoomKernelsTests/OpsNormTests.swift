// RMSNorm and LayerNorm against Double references, at every size of OpsSupport.sizes.

import Testing
@testable import LoomKernels

@Suite("Ops: rmsNorm and layerNorm")
struct OpsNormTests {
    static func rmsRef(_ x: [Float], _ w: [Float]?, eps: Float) -> [Double] {
        let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)
        let s = 1 / (ms + Double(eps)).squareRoot()
        return x.indices.map { i in Double(x[i]) * s * (w.map { Double($0[i]) } ?? 1) }
    }

    static func layerRef(_ x: [Float], _ w: [Float]?, _ b: [Float]?, eps: Float) -> [Double] {
        let n = Double(x.count)
        let mean = x.reduce(0.0) { $0 + Double($1) } / n
        let v = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let s = 1 / (v + Double(eps)).squareRoot()
        return x.indices.map { i in
            (Double(x[i]) - mean) * s * (w.map { Double($0[i]) } ?? 1) + (b.map { Double($0[i]) } ?? 0)
        }
    }

    /// Relative tolerance on max |y| (rows of mixed-sign values have entries near 0).
    static func check(_ got: [Float], _ want: [Double], rtol: Double = 1e-5) -> String? {
        let scale = want.map { abs($0) }.max() ?? 1
        return OpsSupport.mismatch(got, want, rtol: rtol, atol: rtol * scale)
    }

    @Test("rmsNorm with and without weight matches Double", arguments: OpsSupport.sizes)
    func rms(n: Int) {
        let x = OpsSupport.random(n, seed: UInt64(n), in: -4...4)
        let w = OpsSupport.random(n, seed: UInt64(n) + 100, in: 0.5...1.5)
        for weight in [w, nil] as [[Float]?] {
            var out = [Float](repeating: .nan, count: n)
            x.opsRead { xp in
                out.opsWrite { op in
                    if let weight {
                        weight.opsRead { Ops.rmsNorm(xp, weight: $0, out: op, n: n, eps: 1e-5) }
                    } else {
                        Ops.rmsNorm(xp, weight: nil, out: op, n: n, eps: 1e-5)
                    }
                }
            }
            let want = Self.rmsRef(x, weight, eps: 1e-5)
            #expect(Self.check(out, want) == nil, "\(Self.check(out, want) ?? "") weight \(weight != nil)")
        }
    }

    @Test("rmsNorm rows variant equals the one-row kernel row by row, and may run in place")
    func rmsRows() {
        let rows = 5, n = 33
        let x = OpsSupport.random(rows * n, seed: 7)
        let w = OpsSupport.random(n, seed: 8)
        var out = [Float](repeating: 0, count: rows * n)
        var inPlace = x
        x.opsRead { xp in w.opsRead { wp in
            out.opsWrite { Ops.rmsNorm(xp, weight: wp, out: $0, rows: rows, n: n, eps: 1e-6) }
            inPlace.opsWrite { Ops.rmsNorm($0, weight: wp, out: $0, rows: rows, n: n, eps: 1e-6) }
        } }
        for r in 0..<rows {
            let want = Self.rmsRef(Array(x[r * n..<(r + 1) * n]), w, eps: 1e-6)
            let got = Array(out[r * n..<(r + 1) * n])
            #expect(Self.check(got, want) == nil, "row \(r): \(Self.check(got, want) ?? "")")
        }
        #expect(out == inPlace)
    }

    @Test("rmsNorm of zeros is zeros (eps keeps it finite)")
    func rmsZeros() {
        let x = [Float](repeating: 0, count: 19)
        var out = [Float](repeating: .nan, count: 19)
        x.opsRead { xp in out.opsWrite { Ops.rmsNorm(xp, weight: nil, out: $0, n: 19, eps: 1e-5) } }
        #expect(out.allSatisfy { $0 == 0 })
    }

    @Test("rmsNorm output has unit RMS (without weight) for a large offset row")
    func rmsUnit() {
        let n = 1000
        let x = OpsSupport.random(n, seed: 3).map { $0 * 1000 + 5000 }
        var out = [Float](repeating: 0, count: n)
        x.opsRead { xp in out.opsWrite { Ops.rmsNorm(xp, weight: nil, out: $0, n: n, eps: 0) } }
        let rms = (out.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)).squareRoot()
        #expect(abs(rms - 1) < 1e-5)
    }

    @Test("layerNorm with every weight/bias combination matches Double", arguments: OpsSupport.sizes)
    func layer(n: Int) {
        let x = OpsSupport.random(n, seed: UInt64(n) + 7, in: -2...6)
        let w = OpsSupport.random(n, seed: UInt64(n) + 8, in: 0.5...1.5)
        let b = OpsSupport.random(n, seed: UInt64(n) + 9, in: -1...1)
        for (weight, bias) in [(w, b), (w, nil), (nil, b), (nil, nil)] as [([Float]?, [Float]?)] {
            var out = [Float](repeating: .nan, count: n)
            let wp = weight.map { UnsafeMutablePointer<Float>.allocate(capacity: n).initialized(from: $0) }
            let bp = bias.map { UnsafeMutablePointer<Float>.allocate(capacity: n).initialized(from: $0) }
            defer { wp?.deallocate(); bp?.deallocate() }
            x.opsRead { xp in
                out.opsWrite { Ops.layerNorm(xp, weight: wp, bias: bp, out: $0, n: n, eps: 1e-5) }
            }
            let want = Self.layerRef(x, weight, bias, eps: 1e-5)
            let m = Self.check(out, want, rtol: 2e-5)
            #expect(m == nil, "\(m ?? "") weight \(weight != nil) bias \(bias != nil)")
        }
    }

    @Test("layerNorm rows variant, in place, and a constant row normalizes to the bias")
    func layerRowsAndConstant() {
        let rows = 3, n = 17
        let x = OpsSupport.random(rows * n, seed: 11)
        let b = OpsSupport.random(n, seed: 12)
        var y = x
        b.opsRead { bp in y.opsWrite { Ops.layerNorm($0, weight: nil, bias: bp, out: $0, rows: rows, n: n, eps: 1e-5) } }
        for r in 0..<rows {
            let want = Self.layerRef(Array(x[r * n..<(r + 1) * n]), nil, b, eps: 1e-5)
            #expect(Self.check(Array(y[r * n..<(r + 1) * n]), want) == nil)
        }
        let c = [Float](repeating: 3.25, count: n)
        var out = [Float](repeating: .nan, count: n)
        c.opsRead { cp in b.opsRead { bp in out.opsWrite { Ops.layerNorm(cp, weight: nil, bias: bp, out: $0, n: n, eps: 1e-5) } } }
        #expect(out == b)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Initializes `count = source.count` floats from `source` and returns self (test convenience).
    fileprivate func initialized(from source: [Float]) -> Self {
        _ = UnsafeMutableBufferPointer(start: self, count: source.count).initialize(from: source)
        return self
    }
}
