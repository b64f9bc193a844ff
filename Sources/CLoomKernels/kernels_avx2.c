// AVX2+FMA+F16C kernels: the interleaved8 GEMV/GEMM (record8.inc), activation quantization, the
// panel16 float GEMM/GEMV, f16 row conversions and the peak loops. Each one is the C twin of a
// Swift AVX2 kernel (named beside it), same arithmetic in the same order.

#include "CLoomKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define ATTR __attribute__((target("avx2,fma,f16c")))
#define SFX avx2
#define VNNI 0
#include "record8.inc"

// MARK: activations (Q8Activations.quantize, on every x86 CPU with AVX2)

ATTR void loom_q8_quantize_avx2(const float *x, long k, int8_t *q, float *d, float *s, int32_t *isum) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (long b = 0; b < k / 32; b++) {
        const float *p = x + 32 * b;
        __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8), v2 = _mm256_loadu_ps(p + 16), v3 = _mm256_loadu_ps(p + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        __m128 m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        float lanes[4];
        _mm_storeu_ps(lanes, m2);
        float amax = lanes[1] >= lanes[0] ? lanes[1] : lanes[0];   // Swift's max(a, b)
        float id = amax != 0 ? 127.0f / amax : 0.0f;
        __m256 mul = _mm256_set1_ps(id);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, mul)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul));
        __m256i w01 = _mm256_packs_epi32(i0, i1), w23 = _mm256_packs_epi32(i2, i3);
        __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w01, w23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + 32 * b), bytes);
        __m256i sum8 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum8), _mm256_extracti128_si256(sum8, 1));
        int32_t l4[4];
        _mm_storeu_si128((__m128i *)l4, s4);
        int32_t total = (l4[0] + l4[2]) + (l4[1] + l4[3]);
        d[b] = amax / 127.0f;
        s[b] = d[b] * (float)total;
        isum[b] = total;
    }
}

// MARK: panel16 float GEMM (PanelGEMM in GEMM+Panel.swift)

enum { E_F32 = 0, E_F16 = 1, E_BF16 = 2 };

#define PINLINE static inline __attribute__((always_inline)) ATTR

/// Column at byte offset o of a panel as f32: rows 0–7 in *lo, 8–15 in *hi.
PINLINE void load16(int e, const uint8_t *panel, long o, __m256 *lo, __m256 *hi) {
    if (e == E_F32) {
        *lo = _mm256_loadu_ps((const float *)(panel + o));
        *hi = _mm256_loadu_ps((const float *)(panel + o + 32));
    } else if (e == E_F16) {
        *lo = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + o)));
        *hi = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + o + 16)));
    } else {
        __m256i v = _mm256_loadu_si256((const __m256i *)(panel + o));
        *lo = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
        *hi = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(-65536)));
    }
}

PINLINE void store16(__m256 lo, __m256 hi, float *out, long valid) {
    if (valid == 16) {
        _mm256_storeu_ps(out, lo);
        _mm256_storeu_ps(out + 8, hi);
        return;
    }
    float tmp[16];
    _mm256_storeu_ps(tmp, lo);
    _mm256_storeu_ps(tmp + 8, hi);
    memcpy(out, tmp, (size_t)valid * sizeof(float));
}

/// One panel × tokenCount (1…6) tokens of x; valid rows of the panel stored.
PINLINE void tile(int e, const uint8_t *panel, long k, const float *x, long tokenCount, float *out, long n, long valid) {
    const float *x1 = tokenCount > 1 ? x + k : x, *x2 = tokenCount > 2 ? x + 2 * k : x1, *x3 = tokenCount > 3 ? x + 3 * k : x2;
    const float *x4 = tokenCount > 4 ? x + 4 * k : x3, *x5 = tokenCount > 5 ? x + 5 * k : x4;
    __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0, l4 = l0, h4 = l0, l5 = l0, h5 = l0;
    const long column = e == E_F32 ? 64 : 32;
    for (long c = 0; c < k; c++) {
        __m256 v0, v1, b;
        load16(e, panel, column * c, &v0, &v1);
        b = _mm256_set1_ps(x[c]); l0 = _mm256_fmadd_ps(v0, b, l0); h0 = _mm256_fmadd_ps(v1, b, h0);
        b = _mm256_set1_ps(x1[c]); l1 = _mm256_fmadd_ps(v0, b, l1); h1 = _mm256_fmadd_ps(v1, b, h1);
        b = _mm256_set1_ps(x2[c]); l2 = _mm256_fmadd_ps(v0, b, l2); h2 = _mm256_fmadd_ps(v1, b, h2);
        b = _mm256_set1_ps(x3[c]); l3 = _mm256_fmadd_ps(v0, b, l3); h3 = _mm256_fmadd_ps(v1, b, h3);
        b = _mm256_set1_ps(x4[c]); l4 = _mm256_fmadd_ps(v0, b, l4); h4 = _mm256_fmadd_ps(v1, b, h4);
        b = _mm256_set1_ps(x5[c]); l5 = _mm256_fmadd_ps(v0, b, l5); h5 = _mm256_fmadd_ps(v1, b, h5);
    }
    store16(l0, h0, out, valid);
    if (tokenCount > 1) store16(l1, h1, out + n, valid);
    if (tokenCount > 2) store16(l2, h2, out + 2 * n, valid);
    if (tokenCount > 3) store16(l3, h3, out + 3 * n, valid);
    if (tokenCount > 4) store16(l4, h4, out + 4 * n, valid);
    if (tokenCount > 5) store16(l5, h5, out + 5 * n, valid);
}

/// One token: 4 panels (8 FMA chains) per pass over x, then single panels.
PINLINE void panel_gemv(int e, const uint8_t *panels, long k, const float *x, float *out, long r0, long r1) {
    const long eb = e == E_F32 ? 4 : 2, panelBytes = 16 * k * eb, column = 16 * eb;
    long p = r0;
    for (; p + 64 <= r1; p += 64) {
        const uint8_t *a = panels + (p / 16) * panelBytes, *b = a + panelBytes, *c2 = b + panelBytes, *dd = c2 + panelBytes;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (long c = 0; c < k; c++) {
            __m256 xv = _mm256_set1_ps(x[c]), v0, v1;
            long o = column * c;
            load16(e, a, o, &v0, &v1); a0 = _mm256_fmadd_ps(v0, xv, a0); a1 = _mm256_fmadd_ps(v1, xv, a1);
            load16(e, b, o, &v0, &v1); b0 = _mm256_fmadd_ps(v0, xv, b0); b1 = _mm256_fmadd_ps(v1, xv, b1);
            load16(e, c2, o, &v0, &v1); c0 = _mm256_fmadd_ps(v0, xv, c0); c1 = _mm256_fmadd_ps(v1, xv, c1);
            load16(e, dd, o, &v0, &v1); d0 = _mm256_fmadd_ps(v0, xv, d0); d1 = _mm256_fmadd_ps(v1, xv, d1);
        }
        store16(a0, a1, out + p, 16); store16(b0, b1, out + p + 16, 16);
        store16(c0, c1, out + p + 32, 16); store16(d0, d1, out + p + 48, 16);
    }
    for (; p < r1; p += 16) {
        const uint8_t *a = panels + (p / 16) * panelBytes;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (long c = 0; c < k; c++) {
            __m256 xv = _mm256_set1_ps(x[c]), v0, v1;
            load16(e, a, column * c, &v0, &v1);
            a0 = _mm256_fmadd_ps(v0, xv, a0); a1 = _mm256_fmadd_ps(v1, xv, a1);
        }
        store16(a0, a1, out + p, r1 - p < 16 ? r1 - p : 16);
    }
}

PINLINE void panel_gemm(int e, const uint8_t *panels, long k, const float *x, long tokens, float *out, long n, long r0, long r1) {
    if (tokens == 1) { panel_gemv(e, panels, k, x, out, r0, r1); return; }
    const long eb = e == E_F32 ? 4 : 2, panelBytes = 16 * k * eb, tokenTile = 6;
    long block = (128 * 1024) / (4 * k) / tokenTile * tokenTile;
    if (block < tokenTile) block = tokenTile;
    for (long t0 = 0; t0 < tokens; t0 += block) {
        long t1 = t0 + block < tokens ? t0 + block : tokens;
        for (long p = r0; p < r1; p += 16) {
            const uint8_t *panel = panels + (p / 16) * panelBytes;
            long valid = r1 - p < 16 ? r1 - p : 16;
            for (long t = t0; t < t1; t += tokenTile) {
                long count = t1 - t < tokenTile ? t1 - t : tokenTile;
                tile(e, panel, k, x + t * k, count, out + t * n + p, n, valid);
            }
        }
    }
}

ATTR void loom_panel_gemm_avx2(int element, const void *panels, long k, const float *x, long tokens, float *out, long n, long r0, long r1) {
    const uint8_t *p = (const uint8_t *)panels;
    switch (element) {
    case E_F16: panel_gemm(E_F16, p, k, x, tokens, out, n, r0, r1); break;
    case E_BF16: panel_gemm(E_BF16, p, k, x, tokens, out, n, r0, r1); break;
    default: panel_gemm(E_F32, p, k, x, tokens, out, n, r0, r1); break;
    }
}

// MARK: f16 rows

ATTR void loom_f16_to_f32_avx2(const uint16_t *src, float *dst, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < count; i++) dst[i] = _cvtsh_ss(src[i]);
}

ATTR void loom_f32_to_f16_avx2(const float *src, uint16_t *dst, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < count; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

// MARK: peaks (MachineLimits)

ATTR int32_t loom_int8_peak_avx2(long iterations, int8_t seed) {
    const __m256i x = _mm256_set1_epi8(seed), y = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1);
    __m256i a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_si256();
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < 8; j++) a[j] = _mm256_add_epi32(a[j], _mm256_madd_epi16(_mm256_maddubs_epi16(j < 4 ? x : y, a[j]), ones));
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

ATTR float loom_fma_peak_avx2(long iterations, float xs, float ys) {
    const __m256 x = _mm256_set1_ps(xs), y = _mm256_set1_ps(ys);
    __m256 a[10];
    for (int j = 0; j < 10; j++) a[j] = j % 2 ? y : x;
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < 10; j++) a[j] = _mm256_fmadd_ps(a[j], x, a[j]);
        __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]), "+x"(a[4]), "+x"(a[5]), "+x"(a[6]), "+x"(a[7]), "+x"(a[8]), "+x"(a[9]));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])),
                             _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[4], a[5]), _mm256_add_ps(a[6], a[7])), _mm256_add_ps(a[8], a[9])));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7] + ys;
}
#endif
