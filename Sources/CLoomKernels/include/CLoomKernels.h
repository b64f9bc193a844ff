// CLoomKernels: the innermost loops of Loom's kernels for instruction sets a plain `swift build`
// does not target, compiled per function with `__attribute__((target(...)))` and chosen at run
// time (LoomKernels/Support/KernelPath.swift). Swift cannot do this itself: it has no per-function
// target attribute, and an x86 intrinsic called from Swift code compiled for baseline x86-64 stops
// the compiler ("Do not know how to split the result of this operator!"), so these loops are C.
// They are the same arithmetic as the Swift AVX2 kernels (Blocks/<type>/+AVX2.swift) over the same
// interleaved8 records and panel16 panels (LoomKernels/MatMul/Repack.swift); the Swift scalar
// references stay the truth and the tests compare every variant with them.
//
// Suffixes: _avx2 needs AVX2+FMA+F16C; _vnni needs that plus AVX-512 F/VL/BW/VNNI (256-bit
// vpdpbusd). Call a function only when loom_cpu_features() reports its features.

#ifndef CLOOM_KERNELS_H
#define CLOOM_KERNELS_H

#include <stdint.h>

/// CPU feature bits (loom_cpu_features).
enum {
    LOOM_CPU_AVX2 = 1 << 0,
    LOOM_CPU_FMA = 1 << 1,
    LOOM_CPU_F16C = 1 << 2,
    LOOM_CPU_AVX512F = 1 << 3,
    LOOM_CPU_AVX512BW = 1 << 4,
    LOOM_CPU_AVX512VL = 1 << 5,
    LOOM_CPU_AVX512VNNI = 1 << 6,
    LOOM_CPU_AVX512BF16 = 1 << 7,
    LOOM_CPU_AVX512DQ = 1 << 8,
    LOOM_CPU_NEON = 1 << 9,
};

/// The features of this CPU that the OS also enables (x86: cpuid + xgetbv via the compiler
/// runtime; arm64: NEON always). Whether this C file was compiled for x86-64 at all:
/// loom_cpu_x86_kernels().
uint32_t loom_cpu_features(void);
/// 1 when the x86 kernels below are compiled into this binary (an x86-64 target), else 0.
int loom_cpu_x86_kernels(void);

/// Quantized activations of one token row (see LoomKernels/Blocks/Q8Activations.swift):
/// q [k] int8, d [k/32] scales, s [k/32] d·Σq, isum [k/32] Σq.
typedef struct {
    const int8_t *q;
    const float *d;
    const float *s;
    const int32_t *isum;
} loom_q8row;

/// Quantizes one row of k floats (k a multiple of 32): per 32 values d = amax/127,
/// q = round-to-nearest-even(x·127/amax), s = d·Σq, isum = Σq. Same bits as the Swift reference.
void loom_q8_quantize_avx2(const float *x, long k, int8_t *q, float *d, float *s, int32_t *isum);

/// interleaved8 GEMV: out[8g…8g+7] for g in [g0, g1); records (g, b) at (g·blocks + b)·recordBytes.
typedef void (*loom_gemv8_fn)(const void *records, long blocks, long g0, long g1, loom_q8row a, float *out);
/// interleaved8 GEMM: out[t·n + 8g …] for t in [t0, t1) (a multiple of 4 long), g in [g0, g1);
/// activation row t at q + t·k, d/s/isum + t·k/32.
typedef void (*loom_gemm8_fn)(const void *records, long blocks, long g0, long g1,
                              const int8_t *q, const float *d, const float *s, const int32_t *isum, long k,
                              long t0, long t1, float *out, long n);

void loom_gemv8_q4_0_avx2(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q4_0_avx2(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q4_1_avx2(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q4_1_avx2(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q5_0_avx2(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q5_0_avx2(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q5_1_avx2(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q5_1_avx2(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q8_0_avx2(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q8_0_avx2(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);

void loom_gemv8_q4_0_vnni(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q4_0_vnni(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q4_1_vnni(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q4_1_vnni(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q5_0_vnni(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q5_0_vnni(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q5_1_vnni(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q5_1_vnni(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);
void loom_gemv8_q8_0_vnni(const void *, long, long, long, loom_q8row, float *);
void loom_gemm8_q8_0_vnni(const void *, long, long, long, const int8_t *, const float *, const float *, const int32_t *, long, long, long, float *, long);

/// panel16 GEMM (element: 0 f32, 1 f16, 2 bf16): out[t·n + r] for t < tokens, r in [r0, r1)
/// (r0 on a panel boundary); panels of 16 rows × k columns at `panels`. One token is the GEMV.
void loom_panel_gemm_avx2(int element, const void *panels, long k, const float *x, long tokens,
                          float *out, long n, long r0, long r1);

/// f16 → f32 (count values) and f32 → f16 (round to nearest even), F16C.
void loom_f16_to_f32_avx2(const uint16_t *src, float *dst, long count);
void loom_f32_to_f16_avx2(const float *src, uint16_t *dst, long count);

/// int8 multiply-accumulates per call of the peak loop (for MachineLimits): runs `iterations`
/// rounds of 8 independent 32-MAC instructions (vpmaddubsw+vpmaddwd, or vpdpbusd for _vnni).
int32_t loom_int8_peak_avx2(long iterations, int8_t seed);
int32_t loom_int8_peak_vnni(long iterations, int8_t seed);
/// 10 independent 8-lane FMA chains × iterations (FMA peak).
float loom_fma_peak_avx2(long iterations, float xs, float ys);

/// One call of grouped-query attention (attention_avx2.c; Ops+AttentionGrouped.swift): query
/// tokens [t0, t1) × query heads [h0, h1) of q [nTokens, nHead, headDim] into out (same shape),
/// over K/V rows of `format` (0 f32, 1 f16, 2 q8_0, 3 q4_0) at k/v (the layer's first row; the row
/// of position j, KV head g at j·positionStride + g·headStride bytes). Query token t sits at
/// position pos0 + t and sees positions max(0, p − window + 1)…p (window 0: from 0). group =
/// nHead / nKVHead; maxTile ≤ 4 query heads share a pass; scores: maxTile rows of rowLength floats.
typedef struct {
    int format;
    const float *q;
    const void *k;
    const void *v;
    float *out;
    long nHead, group, headDim, pos0, window;
    float scale;
    long h0, h1, t0, t1;
    float *scores;
    long rowLength, maxTile, positionStride, headStride;
} loom_attention_args;

/// Grouped-query attention, the same bits as the Swift loop compiled with FMA (AVX2+FMA+F16C).
void loom_attention_avx2(const loom_attention_args *args);
/// The same with AVX-512 (attention_avx512.c: each V row read once per tile): the same bits.
void loom_attention_avx512(const loom_attention_args *args);

/// RMSNorm of one row (ops_avx2.c; Ops.rmsNorm): out = x / √(mean(x²) + eps) · w (w may be NULL).
void loom_rms_norm_avx2(const float *x, const float *w, float *out, long n, float eps);
/// SwiGLU (ops_avx2.c; Ops.swiglu): out = silu(gate) · up over n floats.
void loom_swiglu_avx2(const float *gate, const float *up, float *out, long n);

#endif
