#!/usr/bin/env python3
"""K-quant goldens: llama.cpp's quantizer bytes and gguf.quants' dequantization.

Usage: .venv/bin/python Scripts/make_kquant_goldens.py     (deterministic; writes Fixtures/kernels/kquant-goldens.json)

Quantization is measured with llama.cpp itself: Scripts/ggml_quantize.c is compiled against the
llama.cpp build's libggml-base.a (.cache/llama-cpp, Scripts/build-llama-cpp.sh) and runs
ggml_quantize_chunk without an importance matrix — quantize_row_q*_K_ref, what llama-quantize uses
without one. gguf.quants has no K-quant quantizer, so dequantization alone comes from it.

For each type: the quantized bytes (hex) and the dequantized f32 values (bit patterns, hex) of each
input row. Inputs (rows of 512 = two super-blocks, f32 bit patterns in hex): seeded normal rows at
several scales, and awkward rows: all zero, constant, tiny, huge magnitude, a few outliers, one
all-positive / all-negative super-block, sub-blocks of very different scales, ties.
"""
import importlib.metadata
import json
import os
import subprocess
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 512
TYPES = (T.Q4_K, T.Q5_K, T.Q6_K, T.Q3_K, T.Q2_K)


def inputs():
    rng = np.random.default_rng(4242)
    rows = [rng.standard_normal(N) * s for s in (1.0, 0.02, 300.0)]
    rows.append(np.zeros(N))                                         # all zero
    rows.append(np.full(N, 0.375))                                   # constant (positive)
    rows.append(np.full(N, -2.5))                                    # constant (negative)
    rows.append(rng.standard_normal(N) * 1e-20)                      # tiny
    rows.append(rng.standard_normal(N) * 3e4)                        # huge (fp16 range edge for d)
    r = rng.standard_normal(N) * 0.1
    r[[3, 77, 300, 301, 511]] = [40.0, -55.0, 12.0, -90.0, 33.0]      # a few outliers
    rows.append(r)
    r = np.abs(rng.standard_normal(N))
    r[256:] = -r[256:]                                               # one-signed super-blocks
    rows.append(r)
    r = rng.standard_normal(N)
    for j in range(N // 16):
        r[16 * j:16 * j + 16] *= 10.0 ** ((j % 7) - 3)               # sub-blocks of very different scales
    rows.append(r)
    r = (np.arange(N) % 32 - 15.5) * 0.125                           # ties on half steps
    r[256:288] = 0                                                   # a zero sub-block inside a block
    rows.append(r)
    rows.append(rng.uniform(-1, 1, N) + 3.0)                         # offset (min ≠ 0)
    return np.stack(rows).astype(np.float32)


def tool():
    exe = os.path.join(tempfile.gettempdir(), "loom_ggml_quantize")
    cache = os.path.join(ROOT, ".cache", "llama-cpp")
    subprocess.run(["cc", "-O2", "-I", os.path.join(cache, "src", "ggml", "include"),
                    os.path.join(ROOT, "Scripts", "ggml_quantize.c"),
                    os.path.join(cache, "build", "ggml", "src", "libggml-base.a"),
                    "-lm", "-lpthread", "-lstdc++", "-fopenmp", "-o", exe], check=True)
    return exe


def measured(exe, qt, x):
    """llama.cpp's bytes of type `qt` for the rows `x` and gguf.quants' dequantization of them (hex)."""
    res = subprocess.run([exe, qt.name.lower().replace("_k", "_K"), str(x.shape[1])], input=x.tobytes(), capture_output=True, check=True)
    q = np.frombuffer(res.stdout, dtype=np.uint8).reshape(x.shape[0], -1)
    with np.errstate(invalid="ignore", over="ignore"):   # inf scales of huge blocks
        dq = gguf.quants.dequantize(q, qt).astype(np.float32)
    return {"bytes_hex": [bytes(row).hex() for row in q],
            "dequantized_f32_hex": [[f"{v:08x}" for v in row.view(np.uint32)] for row in dq]}


def write(out, name):
    """Writes a golden to Fixtures/kernels/`name`."""
    path = os.path.join(ROOT, "Fixtures", "kernels", name)
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print("wrote", path)


def main():
    x = inputs()
    exe = tool()
    out = {"generator": "Scripts/make_kquant_goldens.py: bytes from llama.cpp's ggml_quantize_chunk (Scripts/ggml_quantize.c), "
                        f"dequantization from gguf=={importlib.metadata.version('gguf')} (gguf.quants)",
           "input_f32_hex": [[f"{v:08x}" for v in row.view(np.uint32)] for row in x], "types": {}}
    for qt in TYPES:
        out["types"][qt.name] = measured(exe, qt, x)
    write(out, "kquant-goldens.json")


if __name__ == "__main__":
    main()
