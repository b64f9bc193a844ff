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

#include "attention_tile.inc"

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

ATTR void loom_attention_avx2(const loom_attention_args *a) { attention_loop(a); }
#endif
