// exp and log in Double for the samplers, written with IEEE +,−,×,÷ only (no libm, no Foundation):
// this keeps LoomSampling a leaf and makes probabilities bit-identical on every platform, so a seed
// reproduces the same tokens everywhere. Accuracy is a few ulp, far below what sampling can notice.
//
//   exp(x): k = round(x / ln2), r = x − k·ln2 (ln2 split hi+lo), |r| ≤ ln2/2;
//           e^r by its Taylor series to r¹³ (truncation < 1e-17); result = e^r · 2^k.
//   log(x): x = m · 2^e with m ∈ [√2/2, √2); s = (m − 1)/(m + 1), |s| ≤ 0.1716;
//           log m = 2·atanh(s) = 2(s + s³/3 + … + s²³/23); result = e·ln2 + log m.

enum SamplingMath {
    static let ln2Hi = 6.931_471_803_691_238_164_90e-01
    static let ln2Lo = 1.908_214_929_270_587_700_02e-10

    /// e^x; +inf above 709.78, 0 below −745.2, NaN for NaN.
    static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
        let r = (x - k * ln2Hi) - k * ln2Lo
        var p = 1.0 / 6_227_020_800.0  // 1/13!
        p = p * r + 1.0 / 479_001_600.0
        p = p * r + 1.0 / 39_916_800.0
        p = p * r + 1.0 / 3_628_800.0
        p = p * r + 1.0 / 362_880.0
        p = p * r + 1.0 / 40_320.0
        p = p * r + 1.0 / 5_040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        return Double(sign: .plus, exponent: Int(k), significand: p)
    }

    /// Natural logarithm; −inf for 0, NaN for negative or NaN input, +inf for +inf.
    static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var e = Double(Int(x.exponent))
        var m = x.significand  // [1, 2), also for subnormals
        if m > 1.414_213_562_373_095_1 {
            m *= 0.5
            e += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var t = 1.0 / 23.0
        var n = 21.0
        while n >= 1 {
            t = t * s2 + 1.0 / n
            n -= 2
        }
        return e * ln2Hi + (e * ln2Lo + 2 * s * t)
    }
}
