// Grouped-query attention (AVX2+FMA+F16C): the C twin of Ops.groupedAttention
// (LoomKernels/Ops/Ops+AttentionGrouped.swift) over f32 / f16 / q8_0 / q4_0 KV rows
// (KVRowFormat.swift), so a plain `swift build` — whose Swift is compiled for baseline x86-64 —
// runs prefill and decode attention with FMA and F16C too (perf: the Swift loop compiled for SSE2
// was ~48% of a plain build's pp512, 4.7× its time in a `make` build).
//
// Same loop, same arithmetic, same order as the Swift kernel compiled with -target-cpu native
// (where `addProductFast` is a fused multiply-add), so the results are the same bits:
//   tile of w ≤ 4 query heads of one KV head, for one query token at position p over the visible
//   rows j = 0 …< count:
//   scores  per K row: 8-lane partials u_r (lanes l: Σ over i ≡ l mod 16 in the low half of a
//           16-lane FMA chain, i ≡ l + 8 in the high half; one 8-lane FMA step for a last 8-chunk;
//           then low + high); for 8 rows at once the tree sums of hsumPair / hsumQuad / hsum8
//           (permute2f128 + add, unpack{lo,hi}_pd + add, hadd), × scale; other rows: hsum(u)
//           = (u.lo4 + u.hi4) → (a0 + a2) + (a1 + a3), then the scalar FMA tail, × scale
//   softmax e = exp(s − max) in place (Ops.exp: ggml's ggml_v_expf with FMAs), Σ in 8 lanes,
//           tree sum, then the tail lanes one by one; inverse = 1 / Σ
//   values  per output lane d: c = fma(p_j, v_j[d], c) over j, out = c · inverse (the lane
//           grouping of the Swift loop — 32, 8, 1 lanes — does not change a lane's arithmetic)
// With FP contraction off (below) clang fuses nothing on its own. Rows at byte strides: `pstride`
// between positions, `hstride` between KV heads (KVLayout). Formats: 0 f32, 1 f16, 2 q8_0, 3 q4_0
// (q8_0/q4_0: headDim a multiple of 32). Shape checks are the Swift caller's (Ops.attention).

#include "CLoomKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#pragma clang fp contract(off)

#define ATTR __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) ATTR

enum { KF32 = 0, KF16 = 1, KQ8 = 2, KQ4 = 3 };

/// Values i…i+7 of a row (i a multiple of 8), widened to f32 exactly as KVRowFormat.load8.
INLINE __m256 row8(int f, const uint8_t *row, long i) {
    switch (f) {
    case KF32: return _mm256_loadu_ps((const float *)(row + 4 * i));
    case KF16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
    case KQ8: {
        const uint8_t *b = row + (i >> 5) * 34;
        float d = _cvtsh_ss(*(const uint16_t *)b);
        __m256 x = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + (i & 31)))));
        return _mm256_mul_ps(x, _mm256_set1_ps(d));
    }
    default: {
        const uint8_t *b = row + (i >> 5) * 18;
        float d = _cvtsh_ss(*(const uint16_t *)b);
        long w = i & 31;
        __m256i x = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + 2 + (w & 15))));
        __m256i n = w < 16 ? _mm256_and_si256(x, _mm256_set1_epi32(15)) : _mm256_srli_epi32(x, 4);
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(n, _mm256_set1_epi32(8))), _mm256_set1_ps(d));
    }
    }
}

/// Value i of a row (KVRowFormat.value).
INLINE float row1(int f, const uint8_t *row, long i) {
    switch (f) {
    case KF32: return ((const float *)row)[i];
    case KF16: return _cvtsh_ss(((const uint16_t *)row)[i]);
    case KQ8: {
        const uint8_t *b = row + (i >> 5) * 34;
        return (float)(int8_t)b[2 + (i & 31)] * _cvtsh_ss(*(const uint16_t *)b);
    }
    default: {
        const uint8_t *b = row + (i >> 5) * 18;
        long w = i & 31;
        uint8_t q = b[2 + (w & 15)];
        return (float)((int)(w < 16 ? q & 15 : q >> 4) - 8) * _cvtsh_ss(*(const uint16_t *)b);
    }
    }
}

#include "math_avx2.inc"

/// Ops.hsumPair / hsumQuad / hsum8.
INLINE __m256 hpair(__m256 u, __m256 v) {
    return _mm256_add_ps(_mm256_permute2f128_ps(u, v, 0x20), _mm256_permute2f128_ps(u, v, 0x31));
}
INLINE __m256 hquad(__m256 x, __m256 y) {
    __m256d a = _mm256_castps_pd(x), b = _mm256_castps_pd(y);
    return _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)));
}

/// Ops.expSubtractingMax: x = exp(x − m) in place over n values; returns Σ.
INLINE float exp_sub_max(float *x, long n, float m) {
    const __m256 m8 = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = vexp(_mm256_sub_ps(_mm256_loadu_ps(x + i), m8));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float s = hsum(acc);
    if (i < n) {
        float t[8] = {0, 0, 0, 0, 0, 0, 0, 0}, e[8];
        for (long l = 0; l < n - i; l++) t[l] = x[i + l];
        _mm256_storeu_ps(e, vexp(_mm256_sub_ps(_mm256_loadu_ps(t), m8)));
        for (long l = 0; l < n - i; l++) { x[i + l] = e[l]; s += e[l]; }
    }
    return s;
}

typedef struct {
    const float *q;
    const uint8_t *k, *v;
    long stride, count, hd;
    float scale;
    float *scores;
    long rowLength;
    float *out;
} tile_t;

/// GroupTile.partials: the w heads' 8-lane partial dots with the K row at `row`.
INLINE void partials(int f, int w, const tile_t *t, const uint8_t *row, __m256 u[4]) {
    const long hd = t->hd;
    __m256 lo[4], hi[4];
    for (int r = 0; r < 4; r++) lo[r] = hi[r] = _mm256_setzero_ps();
    long i = 0;
    for (; i + 16 <= hd; i += 16) {
        __m256 x0 = row8(f, row, i), x1 = row8(f, row, i + 8);
        for (int r = 0; r < w; r++) {
            lo[r] = _mm256_fmadd_ps(_mm256_loadu_ps(t->q + r * hd + i), x0, lo[r]);
            hi[r] = _mm256_fmadd_ps(_mm256_loadu_ps(t->q + r * hd + i + 8), x1, hi[r]);
        }
    }
    if (i + 8 <= hd) {
        __m256 x = row8(f, row, i);
        for (int r = 0; r < w; r++) lo[r] = _mm256_fmadd_ps(_mm256_loadu_ps(t->q + r * hd + i), x, lo[r]);
    }
    for (int r = 0; r < w; r++) u[r] = _mm256_add_ps(lo[r], hi[r]);
}

/// GroupTile.scorePass: score rows and their maxima.
INLINE void score_pass(int f, int w, const tile_t *t, float m[4]) {
    const long hd = t->hd, count = t->count, stride = t->stride;
    const __m256 scale8 = _mm256_set1_ps(t->scale);
    __m256 vmax[4];
    for (int r = 0; r < 4; r++) vmax[r] = _mm256_set1_ps(-INFINITY);
    long j = 0;
    if (hd % 8 == 0) {
        for (; j + 8 <= count; j += 8) {
            const uint8_t *row = t->k + j * stride;
            __m256 p0[4], p1[4], p2[4], p3[4], p4[4], p5[4], p6[4], p7[4];
            partials(f, w, t, row, p0); partials(f, w, t, row + 4 * stride, p4);
            partials(f, w, t, row + stride, p1); partials(f, w, t, row + 5 * stride, p5);
            partials(f, w, t, row + 2 * stride, p2); partials(f, w, t, row + 6 * stride, p6);
            partials(f, w, t, row + 3 * stride, p3); partials(f, w, t, row + 7 * stride, p7);
            for (int r = 0; r < w; r++) {
                __m256 y = hquad(hpair(p0[r], p4[r]), hpair(p1[r], p5[r]));
                __m256 z = hquad(hpair(p2[r], p6[r]), hpair(p3[r], p7[r]));
                __m256 e = _mm256_mul_ps(_mm256_hadd_ps(y, z), scale8);
                _mm256_storeu_ps(t->scores + r * t->rowLength + j, e);
                vmax[r] = _mm256_max_ps(vmax[r], e);
            }
        }
    }
    for (int r = 0; r < 4; r++) {
        float l[8];
        _mm256_storeu_ps(l, vmax[r]);
        float a = l[0];
        for (int x = 1; x < 8; x++) a = l[x] > a ? l[x] : a;
        m[r] = a;
    }
    const long tail = hd & ~7L;
    for (; j < count; j++) {
        const uint8_t *row = t->k + j * stride;
        __m256 u[4];
        partials(f, w, t, row, u);
        for (int r = 0; r < w; r++) {
            float d = hsum(u[r]);
            for (long i = tail; i < hd; i++) d = fmaf(t->q[r * hd + i], row1(f, row, i), d);
            d *= t->scale;
            t->scores[r * t->rowLength + j] = d;
            m[r] = d > m[r] ? d : m[r];
        }
    }
}

/// GroupTile.valuePass: out_r[d] = inverse_r · Σ_j p_rj · v_j[d], 16, 8, then 1 lanes at a time.
INLINE void value_pass(int f, int w, const tile_t *t, const float inv[4]) {
    const long hd = t->hd, count = t->count, stride = t->stride;
    long d = 0;
    for (; d + 16 <= hd; d += 16) {
        __m256 c0[4], c1[4];
        for (int r = 0; r < 4; r++) c0[r] = c1[r] = _mm256_setzero_ps();
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            __m256 x0 = row8(f, row, d), x1 = row8(f, row, d + 8);
            for (int r = 0; r < w; r++) {
                __m256 e = _mm256_broadcast_ss(t->scores + r * t->rowLength + j);
                c0[r] = _mm256_fmadd_ps(e, x0, c0[r]);
                c1[r] = _mm256_fmadd_ps(e, x1, c1[r]);
            }
        }
        for (int r = 0; r < w; r++) {
            __m256 n = _mm256_set1_ps(inv[r]);
            _mm256_storeu_ps(t->out + r * hd + d, _mm256_mul_ps(c0[r], n));
            _mm256_storeu_ps(t->out + r * hd + d + 8, _mm256_mul_ps(c1[r], n));
        }
    }
    for (; d + 8 <= hd; d += 8) {
        __m256 c[4];
        for (int r = 0; r < 4; r++) c[r] = _mm256_setzero_ps();
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            __m256 x = row8(f, row, d);
            for (int r = 0; r < w; r++) c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(t->scores + r * t->rowLength + j), x, c[r]);
        }
        for (int r = 0; r < w; r++) _mm256_storeu_ps(t->out + r * hd + d, _mm256_mul_ps(c[r], _mm256_set1_ps(inv[r])));
    }
    for (; d < hd; d++) {
        float c[4] = {0, 0, 0, 0};
        const uint8_t *row = t->v;
        for (long j = 0; j < count; j++, row += stride) {
            float x = row1(f, row, d);
            for (int r = 0; r < w; r++) c[r] = fmaf(t->scores[r * t->rowLength + j], x, c[r]);
        }
        for (int r = 0; r < w; r++) t->out[r * hd + d] = c[r] * inv[r];
    }
}

/// GroupTile.run for format f and width w (both constants after inlining).
INLINE void run_tile(int f, int w, const tile_t *t) {
    float m[4], inv[4] = {0, 0, 0, 0};
    score_pass(f, w, t, m);
    for (int r = 0; r < w; r++) inv[r] = 1 / exp_sub_max(t->scores + r * t->rowLength, t->count, m[r]);
    value_pass(f, w, t, inv);
}

#define TILE_FN(name, F, W) \
    static __attribute__((noinline)) ATTR void name(const tile_t *t) { run_tile(F, W, t); }
#define TILE_SET(F, s) TILE_FN(tile_##s##_1, F, 1) TILE_FN(tile_##s##_2, F, 2) TILE_FN(tile_##s##_3, F, 3) TILE_FN(tile_##s##_4, F, 4)
TILE_SET(KF32, f32)
TILE_SET(KF16, f16)
TILE_SET(KQ8, q8)
TILE_SET(KQ4, q4)

typedef void (*tile_fn)(const tile_t *);
static tile_fn const tiles[4][4] = {
    {tile_f32_1, tile_f32_2, tile_f32_3, tile_f32_4},
    {tile_f16_1, tile_f16_2, tile_f16_3, tile_f16_4},
    {tile_q8_1, tile_q8_2, tile_q8_3, tile_q8_4},
    {tile_q4_1, tile_q4_2, tile_q4_3, tile_q4_4},
};

ATTR void loom_attention_avx2(const loom_attention_args *a) {
    const long nHead = a->nHead, group = a->group, hd = a->headDim, rows = a->maxTile;
    const tile_fn *set = tiles[a->format & 3];
    for (long t = a->t0; t < a->t1; t++) {
        const long p = a->pos0 + t;
        long first = 0;
        if (a->window > 0) { first = p - a->window + 1; if (first < 0) first = 0; }
        const long n = p + 1 - first;
        long h = a->h0;
        while (h < a->h1) {
            const long kvHead = h / group;
            const long end = (kvHead + 1) * group < a->h1 ? (kvHead + 1) * group : a->h1;
            const long run = end - h, ntiles = (run + rows - 1) / rows, w = (run + ntiles - 1) / ntiles;
            const long at = first * a->positionStride + kvHead * a->headStride;
            tile_t tile = {a->q + (t * nHead + h) * hd, (const uint8_t *)a->k + at, (const uint8_t *)a->v + at,
                           a->positionStride, n, hd, a->scale, a->scores, a->rowLength, a->out + (t * nHead + h) * hd};
            set[w - 1](&tile);
            h += w;
        }
    }
}
#endif
