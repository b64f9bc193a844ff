// Grouped-query attention with AVX-512 (F, VL, BW, DQ + FMA + F16C): the AVX2 kernel
// (attention_avx2.c) with a value pass that reads each V row once.
//
// The AVX2 value pass keeps 2 × w ymm accumulators, so it walks the V rows once per 16 output
// lanes: 4 passes over a 64-wide head, each touching 32 of a row's 128 bytes (f16). At depth
// that pass was ~40% of decode attention's time, half of it waiting on those strided loads
// (perf, SmolLM2 Q4_0, d2048). With 32 zmm registers the pass here holds 4 zmm per head (64 lanes,
// w ≤ 4: 16 accumulators) and reads each row's 64 lanes in one go, a sequential stream.
//   values  per output lane d: c = fma(p_j, v_j[d], c) over j in order, out = c · inverse:
//           the same chain per lane as the AVX2 kernel and the Swift loop (the lane grouping —
//           64, 16, 8, then 1 lanes — changes no lane's arithmetic), so the same bits
//   scores, softmax, the tile loop: attention_tile.inc, as the AVX2 kernel
// Measured (loom bench model, SmolLM2 Q4_0, f16 cache, tg128 at d2048, Zen 4, same minutes):
// 1 thread 92.6 t/s with the AVX2 kernel (LOOM_KERNELS=avx2), 123.1 with this one; 2 threads
// 2.13–2.50× llama-bench (README § decode at depth).
// Formats as attention_avx2.c; a 16-lane load of q8_0 / q4_0 stays inside one 32-value block.

#include "CLoomKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#pragma clang fp contract(off)

#define ATTR __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq")))
#define INLINE static inline __attribute__((always_inline)) ATTR

#include "attention_tile.inc"

/// Values i…i+15 of a row (i a multiple of 16), widened to f32 lane by lane as row8 does.
INLINE __m512 row16(int f, const uint8_t *row, long i) {
    switch (f) {
    case KF32: return _mm512_loadu_ps((const float *)(row + 4 * i));
    case KF16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i)));
    case KQ8: {
        const uint8_t *b = row + (i >> 5) * 34;
        float d = _cvtsh_ss(*(const uint16_t *)b);
        __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 2 + (i & 31)))));
        return _mm512_mul_ps(x, _mm512_set1_ps(d));
    }
    default: {
        const uint8_t *b = row + (i >> 5) * 18;
        float d = _cvtsh_ss(*(const uint16_t *)b);
        __m512i x = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(b + 2)));
        __m512i n = (i & 31) < 16 ? _mm512_and_si512(x, _mm512_set1_epi32(15)) : _mm512_srli_epi32(x, 4);
        return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(n, _mm512_set1_epi32(8))), _mm512_set1_ps(d));
    }
    }
}

/// out_r[d] = inverse_r · Σ_j p_rj · v_j[d]: 64 lanes per pass over the rows, then 16, 8, 1.
INLINE void value_pass(int f, int w, const tile_t *t, const float inv[4]) {
    const long hd = t->hd, count = t->count, stride = t->stride;
    const float *p = t->scores;
    const long rl = t->rowLength;
    long d = 0;
    for (; d + 64 <= hd; d += 64) {
        __m512 c[4][4];
        for (int r = 0; r < 4; r++) for (int x = 0; x < 4; x++) c[r][x] = _mm512_setzero_ps();
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            __m512 x0 = row16(f, row, d), x1 = row16(f, row, d + 16), x2 = row16(f, row, d + 32), x3 = row16(f, row, d + 48);
            for (int r = 0; r < w; r++) {
                __m512 e = _mm512_set1_ps(p[r * rl + j]);
                c[r][0] = _mm512_fmadd_ps(e, x0, c[r][0]);
                c[r][1] = _mm512_fmadd_ps(e, x1, c[r][1]);
                c[r][2] = _mm512_fmadd_ps(e, x2, c[r][2]);
                c[r][3] = _mm512_fmadd_ps(e, x3, c[r][3]);
            }
        }
        for (int r = 0; r < w; r++) {
            __m512 n = _mm512_set1_ps(inv[r]);
            for (int x = 0; x < 4; x++) _mm512_storeu_ps(t->out + r * hd + d + 16 * x, _mm512_mul_ps(c[r][x], n));
        }
    }
    for (; d + 16 <= hd; d += 16) {
        __m512 c[4];
        for (int r = 0; r < 4; r++) c[r] = _mm512_setzero_ps();
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            __m512 x = row16(f, row, d);
            for (int r = 0; r < w; r++) c[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * rl + j]), x, c[r]);
        }
        for (int r = 0; r < w; r++) _mm512_storeu_ps(t->out + r * hd + d, _mm512_mul_ps(c[r], _mm512_set1_ps(inv[r])));
    }
    for (; d + 8 <= hd; d += 8) {
        __m256 c[4];
        for (int r = 0; r < 4; r++) c[r] = _mm256_setzero_ps();
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            __m256 x = row8(f, row, d);
            for (int r = 0; r < w; r++) c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + r * rl + j), x, c[r]);
        }
        for (int r = 0; r < w; r++) _mm256_storeu_ps(t->out + r * hd + d, _mm256_mul_ps(c[r], _mm256_set1_ps(inv[r])));
    }
    for (; d < hd; d++) {
        float c[4] = {0, 0, 0, 0};
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            float x = row1(f, row, d);
            for (int r = 0; r < w; r++) c[r] = fmaf(p[r * rl + j], x, c[r]);
        }
        for (int r = 0; r < w; r++) t->out[r * hd + d] = c[r] * inv[r];
    }
}

ATTR void loom_attention_avx512(const loom_attention_args *a) { attention_loop(a); }
#endif
