#!/usr/bin/env bash
# Print the `swift build` flags that select Loom's SIMD kernels for the CPU this runs on.
#
# Swift has no per-function target attributes, so the instruction set is chosen at compile time:
#   -target-cpu native   lets LLVM use every extension of this CPU (AVX2/FMA/F16C, AVX-512, …)
#   -DLOOM_AVX2          compiles the AVX2+FMA+F16C intrinsic kernels (x86-64 with all three)
# Binaries built this way run on this kind of CPU only, which is what `make` wants. Without these
# flags (a plain `swift build`, or Loom used as a dependency) the portable kernels are built.
# LOOM_PORTABLE=1 forces the portable build.
set -euo pipefail
[ "${LOOM_PORTABLE:-0}" = "1" ] && exit 0
[ "$(uname -m)" = "x86_64" ] || exit 0
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
out="-Xswiftc -target-cpu -Xswiftc native"
if has avx2 && has fma && has f16c; then out="$out -Xswiftc -DLOOM_AVX2"; fi
echo "$out"
