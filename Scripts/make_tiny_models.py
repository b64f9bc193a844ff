#!/usr/bin/env python3
"""Tiny random-weight GGUFs of the llama-family relatives Loom runs — gemma3, qwen3, phi3 and mistral
(a `llama` file that declares `attention.sliding_window`) — for testing each architecture's forward
pass against the numpy reference (Scripts/reference_arch.py) and llama.cpp (Scripts/llama_logits.cpp).

    .venv/bin/python Scripts/make_tiny_models.py OUT_DIR            # writes OUT_DIR/tiny-<arch>.gguf
    .venv/bin/python Scripts/make_tiny_models.py OUT_DIR --check    # and fails unless each file's sha256 is
                                                                    # the one its golden records (the tests' call)

Each file: 2-3 layers with the architecture's real head layout (GQA, a head width other than
dim/heads where the architecture allows it, qwen3/gemma3 QK-norm, gemma3 post-norms and interleaved
sliding-window layers with a window of 5, phi3 fused attn_qkv / gate-up and LongRoPE factors), f32
weights drawn from numpy's PCG64 with a fixed seed per architecture (deterministic: the same bytes on
every run with the pinned numpy/gguf of Scripts/requirements.txt), and a 512-token vocabulary: the
first 512 tokens of SmolLM2's byte-level BPE vocabulary with the merges among them, so llama.cpp
loads the file (token ids are all the tests need; nobody tokenizes text with it).
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType as Q

ROOT = Path(__file__).resolve().parent.parent
VOCAB_SOURCE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q8_0.gguf"
N_VOCAB = 512

# name: architecture hyperparameters (heads, kv heads, head width, …) and extras.
SPECS = {
    "gemma3": dict(arch="gemma3", seed=3, layers=3, dim=64, heads=4, kv=2, hd=32, ffn=128, ctx=2048,
                   eps=1e-6, base=1e6, swa=5, swa_pattern=2, tied=True),
    "qwen3": dict(arch="qwen3", seed=4, layers=2, dim=64, heads=4, kv=2, hd=32, ffn=96, ctx=2048,
                  eps=1e-6, base=1e6, tied=False),
    "phi3": dict(arch="phi3", seed=5, layers=2, dim=96, heads=6, kv=2, hd=16, ffn=128, ctx=4096,
                 eps=1e-5, base=1e4, tied=False, orig_ctx=4096, attn_factor=1.19, swa=2047),
    "mistral": dict(arch="llama", seed=6, layers=2, dim=64, heads=4, kv=2, hd=16, ffn=128, ctx=2048,
                    eps=1e-5, base=1e6, tied=False, swa=5),
}


def vocabulary():
    r = GGUFReader(str(VOCAB_SOURCE))
    f = lambda k: r.fields[k].contents()  # noqa: E731
    tokens = f("tokenizer.ggml.tokens")[:N_VOCAB]
    types = f("tokenizer.ggml.token_type")[:N_VOCAB]
    known = set(tokens)
    merges = [m for m in f("tokenizer.ggml.merges")
              if all(p in known for p in m.split(" ")) and m.replace(" ", "") in known]
    return tokens, types, merges


def write(path, s, vocab):
    rng = np.random.default_rng(s["seed"])
    arch, d, L, H, KV, hd, ff = s["arch"], s["dim"], s["layers"], s["heads"], s["kv"], s["hd"], s["ffn"]
    w = GGUFWriter(str(path), arch)
    w.add_name(f"loom-tiny-{s['seed']}")   # not "phi3": llama.cpp then expects Phi-3's own special tokens
    w.add_context_length(s["ctx"])
    w.add_embedding_length(d)
    w.add_block_count(L)
    w.add_feed_forward_length(ff)
    w.add_head_count(H)
    w.add_head_count_kv(KV)
    w.add_layer_norm_rms_eps(s["eps"])
    w.add_rope_freq_base(s["base"])
    if hd != d // H:
        w.add_key_length(hd)
        w.add_value_length(hd)
    if arch == "llama":
        w.add_rope_dimension_count(hd)
        w.add_vocab_size(N_VOCAB)
    if arch == "phi3":
        w.add_rope_dimension_count(hd)
        w.add_uint32(f"{arch}.rope.scaling.original_context_length", s["orig_ctx"])
        w.add_float32(f"{arch}.rope.scaling.attn_factor", s["attn_factor"])
    if "swa" in s:
        w.add_sliding_window(s["swa"])
    if "swa_pattern" in s:
        w.add_uint32(f"{arch}.attention.sliding_window_pattern", s["swa_pattern"])
    tokens, types, merges = vocab
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(False)

    def mat(rows, cols):            # ggml [cols, rows] = numpy (rows, cols)
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1 + 0.2 * rng.standard_normal(n)).astype(np.float32)

    def add(name, a):
        w.add_tensor(name, np.ascontiguousarray(a, dtype=np.float32), raw_dtype=Q.F32)

    add("token_embd.weight", rng.standard_normal((N_VOCAB, d)).astype(np.float32) * (0.3 if arch == "gemma3" else 1))
    add("output_norm.weight", norm(d))
    if not s["tied"]:
        add("output.weight", mat(N_VOCAB, d))
    if arch == "phi3":
        add("rope_factors_long.weight", (1 + 3 * rng.random(hd // 2)).astype(np.float32))
        add("rope_factors_short.weight", (1 + rng.random(hd // 2)).astype(np.float32))
    for l in range(L):
        p = f"blk.{l}."
        add(p + "attn_norm.weight", norm(d))
        if arch == "phi3":
            add(p + "attn_qkv.weight", mat(H * hd + 2 * KV * hd, d))
        else:
            add(p + "attn_q.weight", mat(H * hd, d))
            add(p + "attn_k.weight", mat(KV * hd, d))
            add(p + "attn_v.weight", mat(KV * hd, d))
        if arch in ("qwen3", "gemma3"):
            add(p + "attn_q_norm.weight", norm(hd))
            add(p + "attn_k_norm.weight", norm(hd))
        add(p + "attn_output.weight", mat(d, H * hd))
        if arch == "gemma3":
            add(p + "post_attention_norm.weight", norm(d))
        add(p + "ffn_norm.weight", norm(d))
        if arch == "phi3":
            add(p + "ffn_up.weight", mat(2 * ff, d))
        else:
            add(p + "ffn_gate.weight", mat(ff, d))
            add(p + "ffn_up.weight", mat(ff, d))
        add(p + "ffn_down.weight", mat(d, ff))
        if arch == "gemma3":
            add(p + "post_ffw_norm.weight", norm(d))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0] if args else "/tmp/loom-tiny-models")
    out.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary()
    for name, spec in SPECS.items():
        path = out / f"tiny-{name}.gguf"
        write(path, spec, vocab)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(path, os.path.getsize(path), digest)
        golden = ROOT / f"Fixtures/model/tiny-{name}-reference.json"
        if "--check" in sys.argv and json.loads(golden.read_text())["model"]["sha256"] != digest:
            sys.exit(f"{path.name}: sha256 {digest} differs from {golden.name}'s (numpy/gguf drift? Scripts/requirements.txt)")


if __name__ == "__main__":
    main()
