#!/usr/bin/env python3
"""Quantization goldens from gguf.quants (numpy ports of ggml's reference quantizers).

Usage: .venv/bin/python Scripts/make_quant_goldens.py     (deterministic; writes Fixtures/kernels/quant-goldens.json)

For each type: the f32 input (bit patterns, hex), the quantized bytes (hex) and the dequantized f32
values (bit patterns, hex). Inputs: seeded normal rows of 256 values at several scales, plus edge
blocks (all zero, constant, one spike, negative extreme, tiny values, ties at .5 steps).
"""
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inputs():
    rng = np.random.default_rng(2024)
    rows = [rng.standard_normal(256).astype(np.float32) * s for s in (1.0, 0.01, 100.0)]
    edge = np.zeros(256, dtype=np.float32)
    edge[32:64] = 0.75                                   # constant block
    edge[64:96] = rng.standard_normal(32) * 1e-3
    edge[70] = 5.0                                       # one spike
    edge[96:128] = -np.abs(rng.standard_normal(32))
    edge[100] = -7.0                                     # negative extreme
    edge[128:160] = 1e-30                                # tiny
    edge[160:192] = np.arange(32, dtype=np.float32) - 16  # integer steps
    edge[192:224] = (np.arange(32, dtype=np.float32) - 15.5) * 0.25  # ties for Q8 rounding
    edge[224:256] = rng.uniform(-1, 1, 32)
    rows.append(edge)
    return np.stack(rows).astype(np.float32)


def main():
    x = inputs()
    out = {"generator": "Scripts/make_quant_goldens.py with gguf==0.19.0 (gguf.quants)",
           "input_f32_hex": [row.view(np.uint32).tolist() for row in x], "types": {}}
    out["input_f32_hex"] = [[f"{v:08x}" for v in row] for row in out["input_f32_hex"]]
    for qt in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.F16, T.BF16):
        if qt == T.F16:
            q = x.astype(np.float16).view(np.uint8)
            dq = q.view(np.float16).astype(np.float32)
        else:
            q = gguf.quants.quantize(x, qt)
            dq = gguf.quants.dequantize(q, qt).astype(np.float32)
        out["types"][qt.name] = {
            "bytes_hex": [bytes(row).hex() for row in q],
            "dequantized_f32_hex": [[f"{v:08x}" for v in row.view(np.uint32)] for row in dq],
        }
    path = os.path.join(ROOT, "Fixtures", "kernels", "quant-goldens.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
