#!/usr/bin/env python3
"""Write Fixtures/kernels/ops-goldens.json: independent numpy (float64) references for Loom's Ops.

Inputs are seeded float32 values; every expected output is computed in float64 from the textbook
formulas (not from Loom's code), so the Swift tests compare against an independent implementation:
  * RoPE normal and neox (ggml LLAMA_ROPE_TYPE_NORM / NEOX): theta_i = freq_scale * pos * base^(-2i/n_rot),
    n_rot < head_dim (the tail is untouched), freq_scale != 1;
  * GELU, tanh approximation (ggml_gelu): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));
  * RMSNorm with weight: x / sqrt(mean(x^2) + eps) * w;
  * causal GQA attention: n_head 4, n_kv_head 2, head_dim 8, 3 query tokens at pos0 = 2, over a
    cache of n_kv = 7 rows (rows 5 and 6 hold values that causal masking must ignore).

Usage: .venv/bin/python Scripts/make_ops_goldens.py   (numpy 2.4.6; deterministic, seed 20240601)
"""
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fixtures", "kernels", "ops-goldens.json")
rng = np.random.default_rng(20240601)


def f32(shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def rope(x, positions, n_rot, base, scale, neox):
    x = x.astype(np.float64).copy()
    half = n_rot // 2
    for t, pos in enumerate(positions):
        for i in range(half):
            theta = scale * pos * base ** (-2.0 * i / n_rot)
            c, s = math.cos(theta), math.sin(theta)
            a, b = (i, i + half) if neox else (2 * i, 2 * i + 1)
            x0, x1 = x[t, :, a].copy(), x[t, :, b].copy()
            x[t, :, a] = x0 * c - x1 * s
            x[t, :, b] = x0 * s + x1 * c
    return x


def attention(q, k, v, pos0, n_head, n_kv_head):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    n_tokens, _, head_dim = q.shape
    group = n_head // n_kv_head
    out = np.zeros_like(q)
    for t in range(n_tokens):
        n = pos0 + t + 1
        for h in range(n_head):
            kh = h // group
            s = k[:n, kh, :] @ q[t, h, :] / math.sqrt(head_dim)
            p = np.exp(s - s.max())
            p /= p.sum()
            out[t, h, :] = p @ v[:n, kh, :]
    return out


def main():
    cases = {}
    # RoPE: x [tokens 3, heads 2, head_dim 12], n_rot 8, base 10000, freq_scale 0.25.
    x = f32((3, 2, 12))
    positions = [0, 7, 131]
    for name, neox in (("rope_normal", False), ("rope_neox", True)):
        cases[name] = {
            "n_tokens": 3, "n_heads": 2, "head_dim": 12, "n_rot": 8,
            "freq_base": 10000.0, "freq_scale": 0.25, "positions": positions,
            "x": flat(x), "out": flat(rope(x, positions, 8, 10000.0, 0.25, neox)),
        }
    g = np.concatenate([np.array([-8, -5, -3, -1, -1e-3, 0, 1e-3, 1, 3, 5, 8], np.float32),
                        f32(26, -6, 6)])
    gd = g.astype(np.float64)
    cases["gelu"] = {"x": flat(g), "out": flat(
        0.5 * gd * (1 + np.tanh(math.sqrt(2 / math.pi) * (gd + 0.044715 * gd ** 3))))}
    xr, wr = f32(37, -3, 3), f32(37, 0.5, 1.5)
    xd = xr.astype(np.float64)
    cases["rms_norm"] = {"eps": 1e-5, "x": flat(xr), "weight": flat(wr), "out": flat(
        xd / np.sqrt(np.mean(xd * xd) + 1e-5) * wr.astype(np.float64))}
    n_kv, n_head, n_kv_head, head_dim, n_tokens, pos0 = 7, 4, 2, 8, 3, 2
    q = f32((n_tokens, n_head, head_dim))
    k = f32((n_kv, n_kv_head, head_dim))
    v = f32((n_kv, n_kv_head, head_dim))
    k[pos0 + n_tokens:] = 50.0    # beyond the causal window: a large score if wrongly attended
    v[pos0 + n_tokens:] = -1000.0
    cases["attention"] = {
        "n_tokens": n_tokens, "n_head": n_head, "n_kv_head": n_kv_head, "head_dim": head_dim,
        "n_kv": n_kv, "pos0": pos0, "q": flat(q), "k": flat(k), "v": flat(v),
        "out": flat(attention(q, k, v, pos0, n_head, n_kv_head)),
    }
    doc = {"generator": "Scripts/make_ops_goldens.py", "numpy": np.__version__, "seed": 20240601,
           "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
