// The seeded generator behind sampling: xoshiro256** (Blackman & Vigna, 2018,
// https://prng.di.unimi.it/xoshiro256starstar.c) whose 256-bit state is filled by four outputs of
// SplitMix64 (https://prng.di.unimi.it/splitmix64.c) started at the seed, as the authors recommend.
//
//   splitmix64: x += 0x9E3779B97F4A7C15; z = x
//               z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31
//   xoshiro256**: result = rotl(s1 * 5, 7) * 9; t = s1 << 17
//                 s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
//   unit double: (next() >> 11) × 2⁻⁵³ ∈ [0, 1)
// Integer arithmetic only, so a seed gives the same stream on every machine and build.
// Scripts/make_sampling_goldens.py implements the same generator; a test pins its first outputs.

/// SplitMix64: used only to expand a 64-bit seed into xoshiro's state.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the deterministic generator a `Sampler` draws from.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the state with four SplitMix64 outputs (never all zero).
    init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) from the top 53 bits of one output.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
