#!/usr/bin/env python3
"""Independent numpy reference forward pass of the llama-family relatives Loom runs — gemma3, qwen3,
phi3, and llama (with or without a declared sliding window) — read from a GGUF by
`general.architecture`, written from llama.cpp's graphs (src/models/{gemma3,qwen3,phi3,llama}.cpp and
the hparams loading of src/llama-model.cpp), not from Loom's code. Float64 arithmetic on
gguf.quants-dequantized weights (which handles Q4_K/Q6_K, so the real Gemma 3 file runs directly).

    .venv/bin/python Scripts/reference_arch.py tiny [LLAMA_LOGITS]   # Fixtures/model/tiny-<arch>-reference.json
    .venv/bin/python Scripts/reference_arch.py gemma3 [LLAMA_LOGITS] # Fixtures/model/gemma3-270m-q4_k_m-reference.json

LLAMA_LOGITS: the compiled Scripts/llama_logits.cpp (see its header); when given, llama.cpp's logits
of the same file and tokens are measured against this reference and recorded (tiny: stored whole).

The math per token position p (every option read from the metadata, llama.cpp's defaults):
  x = token_embd[id] (gemma3: · sqrt(dim), as f32 sqrtf)
  per layer: h = rmsnorm(x)·attn_norm; q,k,v = h·W (phi3: one attn_qkv, rows q|k|v)
    qwen3/gemma3: q,k = per-head rmsnorm(·)·attn_q_norm / attn_k_norm
    RoPE: llama NORM (x[2i], x[2i+1]); qwen3/gemma3/phi3 NEOX (x[i], x[i+n/2]);
      θ_i = p · base^(-2i/n_rot) / f_i (phi3 LongRoPE factors f: short unless ctx_train > orig ctx),
      cos/sin · attn_factor (phi3 rope.scaling.attn_factor);
      gemma3 local layers (l % pattern < pattern-1 when sliding_window > 0) use rope.freq_base_swa
      (default 10000)
    scores = q·k · scale (gemma3 f_attention_scale = 1/sqrt(head_dim), others 1/sqrt(head_dim)),
      causal; gemma3 local layers also mask key j when p - j >= sliding_window
      (LLAMA_SWA_TYPE_STANDARD); llama and phi3 ignore sliding_window, as llama.cpp does
    o = attn·Wo (gemma3: rmsnorm(o)·post_attention_norm); x += o
    h = rmsnorm(x)·ffn_norm; f = act(h·Wgate)·(h·Wup) (phi3: ffn_up rows gate|up), act = silu
      (gemma3: gelu tanh); o = f·Wdown (gemma3: rmsnorm(o)·post_ffw_norm); x += o
  logits = rmsnorm(x)·output_norm · (output or token_embd)ᵀ (gemma3: final_logit_softcapping if set)
"""

import base64
import hashlib
import importlib.metadata
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

ROOT = Path(__file__).resolve().parent.parent
TOP_K = 5


class Model:
    def __init__(self, path):
        r = GGUFReader(str(path))
        f = r.fields
        arch = f["general.architecture"].contents()
        self.arch = arch
        g = lambda k, d=None: f[f"{arch}.{k}"].contents() if f"{arch}.{k}" in f else d  # noqa: E731
        self.n_layer, self.d = int(g("block_count")), int(g("embedding_length"))
        self.n_head = int(g("attention.head_count"))
        self.n_kv = int(g("attention.head_count_kv", self.n_head))
        self.hd = int(g("attention.key_length", self.d // self.n_head))
        self.d_ff = int(g("feed_forward_length"))
        self.eps = float(np.float32(g("attention.layer_norm_rms_epsilon")))
        self.ctx = int(g("context_length"))
        self.rope_base = float(g("rope.freq_base", 10000.0))
        self.n_rot = int(g("rope.dimension_count", self.hd))
        scale = g("rope.scaling.factor", 0.0)
        self.freq_scale = 1.0 if not scale else 1.0 / float(scale)
        self.neox = arch in ("qwen3", "gemma3", "phi3", "qwen2")
        self.qk_norm = arch in ("qwen3", "gemma3")
        self.post_norms = arch == "gemma3"
        self.gelu = arch == "gemma3"
        self.emb_scale = float(np.sqrt(np.float32(self.d), dtype=np.float32)) if arch == "gemma3" else 1.0
        self.attn_scale = 1.0 / np.sqrt(self.hd)
        if arch == "gemma3" and self.n_layer == 62:
            self.attn_scale = 1.0 / np.sqrt(self.d // self.n_head)
        self.softcap = float(g("final_logit_softcapping", 0.0)) if arch == "gemma3" else 0.0
        self.attn_factor = float(g("rope.scaling.attn_factor", 1.0))
        self.swa = 0
        self.is_swa = [False] * self.n_layer
        self.swa_base = float(g("rope.freq_base_swa", 10000.0))
        if arch == "gemma3" and int(g("attention.sliding_window", 0)) > 0:
            self.swa = int(g("attention.sliding_window"))
            n = int(g("attention.sliding_window_pattern", 6))
            self.is_swa = [n == 0 or l % n < n - 1 for l in range(self.n_layer)]
        tensors = {t.name: t for t in r.tensors}
        self.types = {}

        def w(name):
            t = tensors[name]
            self.types[name] = t.tensor_type.name
            return np.ascontiguousarray(dequantize(t.data, t.tensor_type).astype(np.float64))

        self.factors = None
        if arch == "phi3":
            orig = int(g("rope.scaling.original_context_length", self.ctx))
            name = "rope_factors_long.weight" if self.ctx > orig else "rope_factors_short.weight"
            if name in tensors:
                self.factors = w(name)
        self.tok_embd = w("token_embd.weight")
        self.vocab = self.tok_embd.shape[0]
        self.out = w("output.weight") if "output.weight" in tensors else self.tok_embd
        self.out_norm = w("output_norm.weight")
        self.layers = []
        for i in range(self.n_layer):
            p = f"blk.{i}."
            L = {k: w(p + n) for k, n in [("attn_norm", "attn_norm.weight"), ("wo", "attn_output.weight"),
                                           ("ffn_norm", "ffn_norm.weight"), ("down", "ffn_down.weight")]}
            qd, kvd = self.n_head * self.hd, self.n_kv * self.hd
            if p + "attn_qkv.weight" in tensors:
                qkv = w(p + "attn_qkv.weight")
                L["wq"], L["wk"], L["wv"] = qkv[:qd], qkv[qd:qd + kvd], qkv[qd + kvd:]
            else:
                L["wq"], L["wk"], L["wv"] = w(p + "attn_q.weight"), w(p + "attn_k.weight"), w(p + "attn_v.weight")
            for b in ("q", "k", "v"):
                if p + f"attn_{b}.bias" in tensors:
                    L["b" + b] = w(p + f"attn_{b}.bias")
            if self.qk_norm:
                L["q_norm"], L["k_norm"] = w(p + "attn_q_norm.weight"), w(p + "attn_k_norm.weight")
            if self.post_norms:
                L["post_attn"], L["post_ffn"] = w(p + "post_attention_norm.weight"), w(p + "post_ffw_norm.weight")
            if arch == "phi3":
                up = w(p + "ffn_up.weight")
                L["gate"], L["up"] = up[:self.d_ff], up[self.d_ff:]
            else:
                L["gate"], L["up"] = w(p + "ffn_gate.weight"), w(p + "ffn_up.weight")
            self.layers.append(L)

    def hparams(self):
        return {"architecture": self.arch, "n_layer": self.n_layer, "d_model": self.d, "n_head": self.n_head,
                "n_head_kv": self.n_kv, "head_dim": self.hd, "d_ff": self.d_ff, "rms_eps": self.eps,
                "rope_freq_base": self.rope_base, "rope_dim": self.n_rot, "rope_style": "NEOX" if self.neox else "NORM",
                "sliding_window": self.swa, "swa_layers": [i for i, s in enumerate(self.is_swa) if s],
                "rope_freq_base_swa": self.swa_base if self.swa else None, "attn_scale": self.attn_scale,
                "rope_attn_factor": self.attn_factor, "rope_factors": self.factors is not None,
                "vocab": self.vocab}


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, m, base):
    """x: (T, heads, hd); rotates the first n_rot dims of each head."""
    n = m.n_rot
    inv = base ** (-np.arange(0, n, 2, dtype=np.float64) / n)
    if m.factors is not None:
        inv = inv / m.factors
    th = m.freq_scale * pos.astype(np.float64)[:, None] * inv[None, :]
    c, s = (np.cos(th) * m.attn_factor)[:, None, :], (np.sin(th) * m.attn_factor)[:, None, :]
    out = x.copy()
    if m.neox:
        a, b = x[..., :n // 2], x[..., n // 2:n]
        out[..., :n // 2], out[..., n // 2:n] = a * c - b * s, a * s + b * c
    else:
        a, b = x[..., 0:n:2], x[..., 1:n:2]
        out[..., 0:n:2], out[..., 1:n:2] = a * c - b * s, a * s + b * c
    return out


def silu(z):
    return z / (1.0 + np.exp(-z))


def gelu_tanh(z):
    return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z ** 3)))


class Cache:
    def __init__(self, m):
        self.k = [np.zeros((0, m.n_kv, m.hd)) for _ in range(m.n_layer)]
        self.v = [np.zeros((0, m.n_kv, m.hd)) for _ in range(m.n_layer)]

    @property
    def length(self):
        return self.k[0].shape[0]


def forward(m, ids, cache):
    """Logits (T, vocab) of `ids` at positions cache.length…, appending their keys/values."""
    T, p0 = len(ids), cache.length
    pos = np.arange(p0, p0 + T)
    hd, group = m.hd, m.n_head // m.n_kv
    x = m.tok_embd[np.asarray(ids)] * m.emb_scale
    for li, L in enumerate(m.layers):
        h = rmsnorm(x, L["attn_norm"], m.eps)
        q, k, v = h @ L["wq"].T, h @ L["wk"].T, h @ L["wv"].T
        q, k, v = q + L.get("bq", 0), k + L.get("bk", 0), v + L.get("bv", 0)
        q, k, v = q.reshape(T, m.n_head, hd), k.reshape(T, m.n_kv, hd), v.reshape(T, m.n_kv, hd)
        if m.qk_norm:
            q, k = rmsnorm(q, L["q_norm"], m.eps), rmsnorm(k, L["k_norm"], m.eps)
        base = m.swa_base if m.is_swa[li] else m.rope_base
        q, k = rope(q, pos, m, base), rope(k, pos, m, base)
        cache.k[li] = K = np.concatenate([cache.k[li], k])
        cache.v[li] = V = np.concatenate([cache.v[li], v])
        j = np.arange(K.shape[0])[None, :]
        visible = j <= pos[:, None]
        if m.is_swa[li]:
            visible &= (pos[:, None] - j) < m.swa
        attn = np.empty((T, m.n_head, hd))
        for hq in range(m.n_head):
            sc = (q[:, hq, :] @ K[:, hq // group, :].T) * m.attn_scale
            sc = np.where(visible, sc, -np.inf)
            sc -= sc.max(axis=1, keepdims=True)
            pr = np.exp(sc)
            pr /= pr.sum(axis=1, keepdims=True)
            attn[:, hq, :] = pr @ V[:, hq // group, :]
        o = attn.reshape(T, m.n_head * hd) @ L["wo"].T
        if m.post_norms:
            o = rmsnorm(o, L["post_attn"], m.eps)
        x = x + o
        h = rmsnorm(x, L["ffn_norm"], m.eps)
        gate = h @ L["gate"].T
        f = (gelu_tanh(gate) if m.gelu else silu(gate)) * (h @ L["up"].T)
        o = f @ L["down"].T
        if m.post_norms:
            o = rmsnorm(o, L["post_ffn"], m.eps)
        x = x + o
    logits = rmsnorm(x, m.out_norm, m.eps) @ m.out.T
    if m.softcap:
        logits = m.softcap * np.tanh(logits / m.softcap)
    return logits


# ----------------------------------------------------------------------------------------------

def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def b64(a):
    return base64.b64encode(np.asarray(a, dtype="<f4").tobytes()).decode("ascii")


def top_k(row, k=TOP_K):
    idx = np.argsort(-row, kind="stable")[:k]
    return [[int(i), float(row[i])] for i in idx]


def llama_cpp_logits(tool, model, ids, vocab, n_ctx):
    with tempfile.NamedTemporaryFile(suffix=".f32") as out:
        subprocess.run([tool, str(model), out.name, str(n_ctx)] + [str(i) for i in ids], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return np.fromfile(out.name, dtype="<f4").reshape(len(ids), vocab).astype(np.float64)


def rel_err(a, b):
    """max over positions of max|a − b| / max|b|."""
    return float(np.max(np.max(np.abs(a - b), axis=1) / np.max(np.abs(b), axis=1)))


def versions():
    return {"numpy": np.__version__, "gguf": importlib.metadata.version("gguf")}


def greedy(m, ids, n):
    cache = Cache(m)
    row = forward(m, ids, cache)[-1]
    gen, gaps = [], []
    for step in range(n):
        t2 = top_k(row, 2)
        gen.append(t2[0][0])
        gaps.append(t2[0][1] - t2[1][1])
        if step + 1 < n:
            row = forward(m, [gen[-1]], cache)[0]
    return gen, gaps


def tiny(tool):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_tiny_models import SPECS, main as make  # noqa: E402
    out = Path(tempfile.mkdtemp(prefix="loom-tiny-"))
    sys.argv = [sys.argv[0], str(out)]
    make()
    ids = [int(i) for i in np.random.default_rng(7).integers(3, 512, 24)]
    for name in SPECS:
        path = out / f"tiny-{name}.gguf"
        m = Model(path)
        logits = forward(m, ids, Cache(m))
        gen, gaps = greedy(m, ids[:8], 8)
        golden = {"generator": "Scripts/reference_arch.py tiny", "versions": versions(),
                  "model": {"file": path.name, "sha256": sha256(path), "maker": "Scripts/make_tiny_models.py",
                            "hparams": m.hparams()},
                  "precision": "float64 on the f32 weights", "token_ids": ids,
                  "logits_f32le_b64": b64(logits), "max_abs_logit": [float(np.max(np.abs(r))) for r in logits],
                  "greedy": {"prompt_ids": ids[:8], "token_ids": gen, "top2_gap": gaps}}
        if tool:
            ll = llama_cpp_logits(tool, path, ids, m.vocab, 256)
            golden["llama_cpp"] = {"tool": "Scripts/llama_logits.cpp (n_ctx 256, f32 KV cache, no flash attention)",
                                   "logits_f32le_b64": b64(ll), "max_rel_err_vs_numpy": rel_err(ll, logits)}
            print(f"{name}: llama.cpp vs numpy max |Δ|/max|logit| = {golden['llama_cpp']['max_rel_err_vs_numpy']:.2e}")
        dest = ROOT / f"Fixtures/model/tiny-{name}-reference.json"
        dest.write_text(json.dumps(golden, indent=1) + "\n")
        print(dest)


GEMMA = ROOT / ".cache/models/gemma-3-270m-Q4_K_M.gguf"
GEMMA_SHA = None  # filled from the file; Scripts/fetch-models.sh pins it


def long_text():
    adj = ["quiet", "bright", "ancient", "curious", "heavy", "gentle", "distant"]
    noun = ["river", "teacher", "lantern", "mountain", "engine", "garden", "harbor", "violin", "market",
            "glacier", "library"]
    verb = ["follows", "watches", "remembers", "carries", "ignores"]
    return " ".join(f"Sentence {i}: the {adj[i % 7]} {noun[i % 11]} {verb[i % 5]} the {noun[(3 * i + 1) % 11]}."
                    for i in range(70))


GEMMA_PROMPTS = [
    ("english", "Once upon a time, in a small village at the edge of a great forest, there lived"),
    ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n        return n\n"),
    ("long", long_text()),   # > 512 tokens: the local layers' window matters
]


def tokenize(text):
    tool = ROOT / ".cache/llama-cpp/build/bin/llama-tokenize"
    outp = subprocess.run([str(tool), "-m", str(GEMMA), "-p", text, "--ids", "--log-disable"],
                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(outp)


def gemma3(tool):
    m = Model(GEMMA)
    sample = sorted(int(i) for i in np.random.default_rng(0).choice(m.vocab, 256, replace=False))
    prompts = []
    for name, text in GEMMA_PROMPTS:
        ids = tokenize(text)
        logits = forward(m, ids, Cache(m))
        T = len(ids)
        every = list(range(0, T, 16)) + ([T - 1] if (T - 1) % 16 else [])
        p = {"name": name, "text": text, "n_tokens": T, "token_ids": ids,
             "argmax": [int(np.argmax(r)) for r in logits], "top5": [top_k(r) for r in logits],
             "max_abs_logit": [float(np.max(np.abs(r))) for r in logits],
             "sample_positions": every, "sample_logits": [[float(logits[t][i]) for i in sample] for t in every]}
        if name != "long":
            gen, gaps = greedy(m, ids, 32)
            p["greedy"] = {"token_ids": gen, "top2_gap": gaps}
        if tool:
            ll = llama_cpp_logits(tool, GEMMA, ids, m.vocab, 1024)
            p["llama_cpp_max_rel_err_vs_numpy"] = rel_err(ll, logits)
            p["llama_cpp_argmax_agree"] = float(np.mean(np.argmax(ll, 1) == np.argmax(logits, 1)))
            print(f"{name}: {T} tokens, llama.cpp (Q4_K_M, its own q8 activations) vs numpy max rel err "
                  f"{p['llama_cpp_max_rel_err_vs_numpy']:.3e}, argmax agreement {p['llama_cpp_argmax_agree']:.3f}")
        prompts.append(p)
        print(f"{name}: {T} tokens; greedy {p.get('greedy', {}).get('token_ids')}")
    golden = {"generator": "Scripts/reference_arch.py gemma3", "versions": versions(),
              "model": {"file": GEMMA.name, "sha256": sha256(GEMMA), "hparams": m.hparams(),
                        "tensor_types": sorted(set(m.types.values()))},
              "precision": "float64 on float64-widened gguf.quants.dequantize weights",
              "tokenizer": "llama.cpp's llama-tokenize on the same file (BOS added)",
              "sample_ids": sample, "prompts": prompts}
    dest = ROOT / "Fixtures/model/gemma3-270m-q4_k_m-reference.json"
    dest.write_text(json.dumps(golden) + "\n")
    print(dest, dest.stat().st_size)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "tiny"
    tool = sys.argv[2] if len(sys.argv) > 2 else None
    {"tiny": tiny, "gemma3": gemma3}[what](tool)
