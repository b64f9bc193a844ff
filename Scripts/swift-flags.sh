#!/usr/bin/env bash
# Print the extra `swift build` flags `make` uses for the CPU this runs on.
#
# The kernels' instruction set is chosen at run time without any flag: the C kernels of
# Sources/CLoomKernels carry per-function target attributes and KernelPath picks baseline / avx2 /
# avx512 from the CPU's features, so a plain `swift build` and Loom's dependents are fast too.
# Swift has no per-function target attribute, so these flags add what only a compile-time choice gives:
#   -target-cpu native   lets LLVM use every extension of this CPU for Swift code (AVX2/FMA/F16C, AVX-512, …)
#   -DLOOM_AVX2          compiles the Swift AVX2+FMA+F16C intrinsic kernels (the K-quants, IQ4_NL, the
#                        attention's f16 loads; the types with C kernels use those)
# Binaries built this way run on this kind of CPU only, which is what `make` wants.
# LOOM_PORTABLE=1 prints nothing (a plain build).
set -euo pipefail
[ "${LOOM_PORTABLE:-0}" = "1" ] && exit 0
[ "$(uname -m)" = "x86_64" ] || exit 0
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
out="-Xswiftc -target-cpu -Xswiftc native"
if has avx2 && has fma && has f16c; then out="$out -Xswiftc -DLOOM_AVX2"; fi
echo "$out"
