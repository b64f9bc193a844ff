// The interleaved8 GEMV/GEMM for AVX-512 VNNI (256-bit vpdpbusd, AVX-512 VL): record8.inc.

#include "CLoomKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ATTR __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define SFX vnni
#define VNNI 1
#include "record8.inc"

ATTR int32_t loom_int8_peak_vnni(long iterations, int8_t seed) {
    const __m256i x = _mm256_set1_epi8(seed), y = _mm256_set1_epi8(1);
    __m256i a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_si256();
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < 8; j++) a[j] = _mm256_dpbusd_epi32(a[j], j < 4 ? x : y, a[j]);
        __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]), "+x"(a[4]), "+x"(a[5]), "+x"(a[6]), "+x"(a[7]));
    }
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a[0], a[1]), _mm256_add_epi32(a[2], a[3])),
                                 _mm256_add_epi32(_mm256_add_epi32(a[4], a[5]), _mm256_add_epi32(a[6], a[7])));
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, s);
    int32_t total = 0;
    for (int j = 0; j < 8; j++) total += lanes[j];
    return total;
}
#endif
