// CPU feature detection for the run-time choice of kernels (LoomKernels/Support/KernelPath.swift).
// x86-64: the compiler runtime's cpuid + xgetbv checks (__builtin_cpu_supports reports a feature
// only when the OS saves its registers). arm64: NEON is part of the base ISA.

#include "CLoomKernels.h"

uint32_t loom_cpu_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= LOOM_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= LOOM_CPU_FMA;
    if (__builtin_cpu_supports("f16c")) f |= LOOM_CPU_F16C;
    if (__builtin_cpu_supports("avx512f")) f |= LOOM_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) f |= LOOM_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vl")) f |= LOOM_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512dq")) f |= LOOM_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vnni")) f |= LOOM_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx512bf16")) f |= LOOM_CPU_AVX512BF16;
#elif defined(__aarch64__)
    f |= LOOM_CPU_NEON;
#endif
    return f;
}

int loom_cpu_x86_kernels(void) {
#if defined(__x86_64__)
    return 1;
#else
    return 0;
#endif
}
