// MachineLimits: the physical ceilings the kernel benchmarks are reported against, measured in the
// same run: streaming read bandwidth over a buffer larger than L3, the f32 FMA peak, and the int8
// dot-product peak of the instructions our int8 kernels use (vpmaddubsw + vpmaddwd on AVX2).

import LoomTensor
import CLoomKernels
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Measurements of this machine's limits.
public enum MachineLimits {
    /// Seconds from a monotonic clock.
    @inline(__always)
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Best-of-`repeats` read bandwidth (bytes/s) streaming `bytes` (split between the pool's threads).
    public static func readBandwidth(bytes: Int, pool: ThreadPool, repeats: Int = 5) -> Double {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { buffer.deallocate() }
        memset(buffer, 1, bytes)
        let sink = UnsafeMutablePointer<Int32>.allocate(capacity: 64 * pool.threadCount)
        defer { sink.deallocate() }
        var best = 0.0
        for _ in 0..<repeats {
            let t0 = now()
            pool.run { t, n in
                let part = ThreadPool.split(bytes / 256, part: t, of: n)
                sink[64 * t] = sum(UnsafeRawPointer(buffer) + part.lowerBound * 256, bytes: part.count * 256)
            }
            best = max(best, Double(bytes) / (now() - t0))
        }
        return best
    }

    @inline(never)
    static func sum(_ p: UnsafeRawPointer, bytes: Int) -> Int32 {
        var a0 = SIMD16<Int32>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i < bytes {
            a0 &+= p.load(fromByteOffset: i, as: SIMD16<Int32>.self)
            a1 &+= p.load(fromByteOffset: i + 64, as: SIMD16<Int32>.self)
            a2 &+= p.load(fromByteOffset: i + 128, as: SIMD16<Int32>.self)
            a3 &+= p.load(fromByteOffset: i + 192, as: SIMD16<Int32>.self)
            i += 256
        }
        return (a0 &+ a1 &+ a2 &+ a3).wrappedSum()
    }

    /// f32 FLOP/s of independent FMA chains on all the pool's threads (8-lane SIMD, FMA when the
    /// build targets a CPU with FMA).
    public static func fmaPeak(pool: ThreadPool, iterations: Int = 20_000_000) -> Double {
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: 64 * pool.threadCount)
        defer { sink.deallocate() }
        var best = 0.0
        for _ in 0..<3 {
            let t0 = now()
            pool.run { t, _ in
                #if arch(x86_64)
                if SIMDPath.compiled != .avx2 && KernelPath.active >= .avx2 {
                    sink[64 * t] = loom_fma_peak_avx2(iterations, 0.999, 1e-4)   // this build's Swift SIMD is SSE2
                    return
                }
                #endif
                sink[64 * t] = fmaLoop(iterations, 0.999, 1e-4)
            }
            best = max(best, Double(iterations) * 10 * 8 * 2 * Double(pool.threadCount) / (now() - t0))
        }
        return best
    }

    @inline(never)
    static func fmaLoop(_ n: Int, _ xs: Float, _ ys: Float) -> Float {
        let x = SIMD8<Float>(repeating: xs), y = SIMD8<Float>(repeating: ys)
        var a0 = x, a1 = y, a2 = x, a3 = y, a4 = x, a5 = y, a6 = x, a7 = y, a8 = x, a9 = y
        for _ in 0..<n {
            a0.addProduct(a0, x); a1.addProduct(a1, x); a2.addProduct(a2, x); a3.addProduct(a3, x)
            a4.addProduct(a4, x); a5.addProduct(a5, x); a6.addProduct(a6, x); a7.addProduct(a7, x)
            a8.addProduct(a8, x); a9.addProduct(a9, x)
        }
        let s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + (a8 + a9)
        return s[0] + s[7] + y[0]
    }

    /// int8 multiply-accumulates per second of the int8 dot instruction(s) the active kernel path
    /// uses (vpmaddubsw + vpmaddwd on avx2, vpdpbusd on avx512), on all threads; nil on baseline.
    public static func int8Peak(pool: ThreadPool, iterations: Int = 20_000_000) -> Double? {
        #if arch(x86_64)
        if KernelPath.active >= .avx2 {
            let sink = UnsafeMutablePointer<Int32>.allocate(capacity: 64 * pool.threadCount)
            defer { sink.deallocate() }
            let vnni = KernelPath.active == .avx512
            var best = 0.0
            for _ in 0..<3 {
                let t0 = now()
                pool.run { t, _ in sink[64 * t] = vnni ? loom_int8_peak_vnni(iterations, Int8(t + 1)) : loom_int8_peak_avx2(iterations, Int8(t + 1)) }
                best = max(best, Double(iterations) * 8 * 32 * Double(pool.threadCount) / (now() - t0))
            }
            return best
        }
        #endif
        #if LOOM_AVX2
        let sink = UnsafeMutablePointer<Int32>.allocate(capacity: 64 * pool.threadCount)
        defer { sink.deallocate() }
        var best = 0.0
        for _ in 0..<3 {
            let t0 = now()
            pool.run { t, _ in sink[64 * t] = int8Loop(iterations, Int8(t + 1)) }
            best = max(best, Double(iterations) * 8 * 32 * Double(pool.threadCount) / (now() - t0))
        }
        return best
        #else
        return nil
        #endif
    }

    #if LOOM_AVX2
    @inline(never)
    static func int8Loop(_ n: Int, _ seed: Int8) -> Int32 {
        let x = _mm256_set1_epi8(seed), y = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1)
        var a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        for _ in 0..<n {
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a0), ones))
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a1), ones))
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a2), ones))
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_maddubs_epi16(x, a3), ones))
            a4 = _mm256_add_epi32(a4, _mm256_madd_epi16(_mm256_maddubs_epi16(y, a4), ones))
            a5 = _mm256_add_epi32(a5, _mm256_madd_epi16(_mm256_maddubs_epi16(y, a5), ones))
            a6 = _mm256_add_epi32(a6, _mm256_madd_epi16(_mm256_maddubs_epi16(y, a6), ones))
            a7 = _mm256_add_epi32(a7, _mm256_madd_epi16(_mm256_maddubs_epi16(y, a7), ones))
        }
        let s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)))
        return unsafeBitCast(s, to: SIMD8<Int32>.self).wrappedSum()
    }
    #endif
}
