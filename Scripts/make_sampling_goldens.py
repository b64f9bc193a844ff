#!/usr/bin/env python3
"""Goldens for LoomSampling: llama.cpp's sampler formulas (src/llama-sampling.cpp) in numpy, applied to
a fixed random logit vector, and the xoshiro256** / SplitMix64 stream Loom's Sampler draws from.
Writes Fixtures/sampling/goldens.json for Tests/LoomSamplingTests/SamplingGoldenTests.swift.

    .venv/bin/python Scripts/make_sampling_goldens.py      # from the repo root (numpy pinned in Scripts/requirements.txt)

Formulas (min_keep = 1; logits float32, probabilities float64; "sorted" = descending logit, ties -> lower id):
  top_k(k):    k best by logit, sorted.
  typical(p):  softmax (sorted); H = -sum p log p; key = |-log p - H|; stable-sort by key;
               keep the shortest prefix with cumsum > p.
  top_p(p):    softmax (sorted); keep the shortest prefix with cumsum >= p.
  min_p(p):    keep logit >= max_logit + float32(log p) (float32 arithmetic), order kept.
  temperature: logit / t (float32).
  draw:        softmax; u = (xoshiro() >> 11) * 2^-53; first candidate with cumsum > u.
Each case records the kept ids in order and the softmax over the kept logits (after temperature).
"""

import json
import pathlib

import numpy as np

MASK64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


class Xoshiro256StarStar:
    def __init__(self, seed):
        st = seed & MASK64
        self.s = []
        for _ in range(4):
            st, v = splitmix64(st)
            self.s.append(v)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def unit(self):
        return (self.next() >> 11) * 2.0**-53


def sort_desc(ids, logits):
    order = sorted(range(len(ids)), key=lambda i: (-float(logits[i]), int(ids[i])))
    return ids[order], logits[order]


def softmax(logits):
    x = logits.astype(np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


def top_k(ids, logits, k):
    ids, logits = sort_desc(ids, logits)
    if k <= 0 or k >= len(ids):
        return ids, logits
    return ids[:k], logits[:k]


def typical(ids, logits, p):
    if p >= 1:
        return ids, logits
    ids, logits = sort_desc(ids, logits)
    probs = softmax(logits)
    nz = probs > 0
    entropy = -np.sum(probs[nz] * np.log(probs[nz]))
    key = np.where(nz, np.abs(-np.log(np.where(nz, probs, 1.0)) - entropy), np.inf)
    order = sorted(range(len(ids)), key=lambda i: (key[i], i))
    cum, last = 0.0, len(ids)
    for n, i in enumerate(order):
        cum += probs[i]
        if cum > p:
            last = n + 1
            break
    order = order[:last]
    return ids[order], logits[order]


def top_p(ids, logits, p):
    if p >= 1:
        return ids, logits
    ids, logits = sort_desc(ids, logits)
    cum = np.cumsum(softmax(logits))
    last = int(np.argmax(cum >= p)) + 1 if np.any(cum >= p) else len(ids)
    return ids[:last], logits[:last]


def min_p(ids, logits, p):
    if p <= 0:
        return ids, logits
    threshold = np.float32(logits.max()) + np.float32(np.log(np.float64(p)))
    keep = logits >= threshold
    if keep.sum() < 1:
        return ids, logits
    return ids[keep], logits[keep]


def chain(logits, o):
    ids = np.arange(len(logits), dtype=np.int64)
    lg = logits.astype(np.float32)
    if o.get("top_k", 0) > 0:
        ids, lg = top_k(ids, lg, o["top_k"])
    ids, lg = typical(ids, lg, o.get("typical_p", 1.0))
    ids, lg = top_p(ids, lg, o.get("top_p", 1.0))
    ids, lg = min_p(ids, lg, o.get("min_p", 0.0))
    lg = (lg / np.float32(o.get("temperature", 1.0))).astype(np.float32)
    return ids, lg


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    rng = np.random.default_rng(20260515)
    logits = (rng.standard_normal(1000) * 3.0).astype(np.float32)
    cases = [
        {"top_k": 40},
        {"top_k": 1},
        {"typical_p": 0.5},
        {"typical_p": 0.95},
        {"top_p": 0.9},
        {"top_p": 0.5},
        {"min_p": 0.05},
        {"min_p": 0.3},
        {"top_k": 40, "top_p": 0.9, "temperature": 0.8},
        {"top_k": 100, "typical_p": 0.7, "top_p": 0.95, "min_p": 0.02, "temperature": 1.3},
    ]
    out_cases = []
    for o in cases:
        ids, lg = chain(logits, o)
        out_cases.append({"options": o, "ids": [int(i) for i in ids],
                          "probs": [float(p) for p in softmax(lg)]})
    draws = []
    for seed, o in [(42, {"top_k": 40, "top_p": 0.9, "temperature": 0.8}), (7, {"temperature": 1.0})]:
        gen = Xoshiro256StarStar(seed)
        ids, lg = chain(logits, o)
        probs = softmax(lg)
        tokens = []
        for _ in range(50):
            u = gen.unit()
            cum, pick = 0.0, int(ids[-1])
            for i, p in zip(ids, probs):
                cum += p
                if u < cum:
                    pick = int(i)
                    break
            tokens.append(pick)
        draws.append({"seed": seed, "options": o, "tokens": tokens})
    streams = []
    for seed in [0, 1, 42, 2**63 - 1]:
        gen = Xoshiro256StarStar(seed)
        streams.append({"seed": seed, "outputs": [str(gen.next()) for _ in range(8)]})
    doc = {
        "generator": "Scripts/make_sampling_goldens.py",
        "numpy": np.__version__,
        "logits": [float(x) for x in logits],
        "cases": out_cases,
        "draws": draws,
        "xoshiro256starstar": streams,
    }
    path = root / "Fixtures" / "sampling" / "goldens.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
