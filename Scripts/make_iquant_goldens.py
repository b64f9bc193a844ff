#!/usr/bin/env python3
"""Goldens for IQ4_NL, Q3_K and Q2_K: llama.cpp's own quantizer (bytes) and gguf.quants (floats).

Usage: .venv/bin/python Scripts/make_iquant_goldens.py     (deterministic; writes Fixtures/kernels/iq-goldens.json)

gguf.quants has no quantizer for these types, so the bytes come from ggml_quantize_chunk — what
llama-quantize runs without an importance matrix (IQ4_NL: quantize_iq4_nl's search; Q3_K, Q2_K:
quantize_row_q3_K_ref / quantize_row_q2_K_ref) — through Scripts/ggml_quantize.c, compiled here
against the llama.cpp build's libggml-base.a (.cache/llama-cpp, Scripts/build-llama-cpp.sh). The
dequantized floats are gguf.quants' of those bytes. For each type: the f32 input (bit patterns,
hex, rows of 256), the bytes (hex) and the dequantized f32 values (bit patterns, hex).
Inputs: seeded normal rows at several scales, and awkward rows — blocks of zeros, constants, one
spike, a negative extreme, tiny values, integer steps, huge values — and whole rows of zeros, of one
constant, and of noise with outliers.
"""
import importlib.metadata
import os

import numpy as np
from gguf import GGMLQuantizationType as T

from make_kquant_goldens import measured, tool, write   # llama.cpp's quantizer as a measuring tool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 256


def inputs():
    rng = np.random.default_rng(4096)
    rows = [rng.standard_normal(N).astype(np.float32) * s for s in (1.0, 0.01, 100.0, 3e-5)]
    rows.append(rng.uniform(-1, 1, N).astype(np.float32))
    rows.append((rng.standard_normal(N) + 2.5).astype(np.float32))        # one-signed, offset
    edge = np.zeros(N, dtype=np.float32)
    edge[32:64] = 0.75                                   # constant block
    edge[64:96] = rng.standard_normal(32) * 1e-3
    edge[70] = 5.0                                       # one spike
    edge[96:128] = -np.abs(rng.standard_normal(32))
    edge[100] = -7.0                                     # negative extreme
    edge[128:160] = 1e-30                                # tiny
    edge[160:192] = np.arange(32, dtype=np.float32) - 16  # integer steps
    edge[192:224] = (np.arange(32, dtype=np.float32) - 15.5) * 0.25
    edge[224:256] = rng.uniform(-1, 1, 32) * 3e6         # huge (fp16 scale overflow for 4-bit codes)
    rows.append(edge)
    rows.append(np.zeros(N, dtype=np.float32))
    rows.append(np.full(N, -1.25, dtype=np.float32))
    spikes = rng.standard_normal(N).astype(np.float32) * 0.1
    spikes[[3, 77, 130, 250]] = [40.0, -25.0, 60.0, -90.0]
    rows.append(spikes)
    half = rng.standard_normal(N).astype(np.float32)
    half[:128] *= 1e-6                                   # quiet half, loud half
    rows.append(half)
    return np.stack(rows).astype(np.float32)


def main():
    x = inputs()
    version = importlib.metadata.version("gguf")
    out = {"generator": "Scripts/make_iquant_goldens.py: bytes from llama.cpp's ggml_quantize_chunk "
                        f"(Scripts/ggml_quantize.c), floats from gguf.quants (gguf=={version})",
           "input_f32_hex": [[f"{v:08x}" for v in row.view(np.uint32)] for row in x], "types": {}}
    exe = tool()
    for qt in (T.IQ4_NL, T.Q3_K, T.Q2_K):
        out["types"][qt.name] = measured(exe, qt, x)
    write(out, "iq-goldens.json")


if __name__ == "__main__":
    main()
