// Row ops of a llama layer for AVX2+FMA: RMSNorm and SwiGLU, the C twins of Ops.rmsNorm
// (Ops+Norm.swift) and Ops.swiglu (Ops+Activation.swift), so a plain `swift build` computes them
// as a `make` build does (its Swift for baseline x86-64 multiplies and adds unfused, so its norms
// and activations — and from there its greedy continuations — drifted from make's bits).
// Same operations in the same order as that Swift compiled with -target-cpu native:
//   rmsNorm  Σx² in two 8-lane FMA chains over 16-value steps (+ one 8-value step), tree sum,
//            scalar FMA tail; scale = 1 / √(Σ/n + eps); out = (x · scale) · w (or x · scale)
//   swiglu   out = g / (1 + exp(−g)) · u, 8 lanes at a time; a last partial vector zero-filled
// `out` may alias the inputs (whole vectors are loaded before they are stored).

#include "CLoomKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#pragma clang fp contract(off)

#define ATTR __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) ATTR

#include "math_avx2.inc"

ATTR void loom_rms_norm_avx2(const float *x, const float *w, float *out, long n, float eps) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 u = _mm256_loadu_ps(x + i), v = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_fmadd_ps(u, u, a0);
        a1 = _mm256_fmadd_ps(v, v, a1);
    }
    if (i + 8 <= n) {
        __m256 u = _mm256_loadu_ps(x + i);
        a0 = _mm256_fmadd_ps(u, u, a0);
        i += 8;
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s = fmaf(x[i], x[i], s);
    const float scale = 1.0f / sqrtf(s / (float)n + eps);
    const __m256 s8 = _mm256_set1_ps(scale);
    i = 0;
    if (w) {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s8), _mm256_loadu_ps(w + i)));
        for (; i < n; i++) out[i] = x[i] * scale * w[i];
    } else {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), s8));
        for (; i < n; i++) out[i] = x[i] * scale;
    }
}

INLINE __m256 silu_mul(__m256 g, __m256 u) {
    const __m256 one = _mm256_set1_ps(1);
    __m256 e = vexp(_mm256_xor_ps(g, _mm256_set1_ps(-0.0f)));   // −g, as Swift negates
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u);
}

ATTR void loom_swiglu_avx2(const float *gate, const float *up, float *out, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, silu_mul(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        float g[8] = {0, 0, 0, 0, 0, 0, 0, 0}, u[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r[8];
        for (long l = 0; l < n - i; l++) { g[l] = gate[i + l]; u[l] = up[i + l]; }
        _mm256_storeu_ps(r, silu_mul(_mm256_loadu_ps(g), _mm256_loadu_ps(u)));
        for (long l = 0; l < n - i; l++) out[i + l] = r[l];
    }
}
#endif
