#!/usr/bin/env python3
"""Turn SmolLM2-135M-Instruct.F16.gguf back into a Hugging Face model folder, so that
Tests/LoomConvertTests can convert it with LoomConvert and compare the result with the original GGUF.

    .venv/bin/python Scripts/make_hf_folder.py      # from the repo root; ~5 s; idempotent
    # needs: Scripts/fetch-models.sh + Scripts/make_model_variants.py (the F16 variant), and the pins
    # of Scripts/requirements.txt (gguf, numpy, tokenizers)

Output: $LOOM_CACHE/models/SmolLM2-135M-Instruct-hf/ (LOOM_CACHE defaults to <repo>/.cache):
  config.json             LlamaForCausalLM; hyperparameters from the GGUF's llama.* keys;
                          tie_word_embeddings true because the GGUF has no output.weight
  model-00001-of-00002.safetensors, model-00002-of-00002.safetensors
                          written by hand (u64 header length, JSON header padded with spaces to a
                          multiple of 8, data); split near half the bytes to exercise shards.
                          2-D weights F16 (as in the GGUF, so the round trip is exact), norms F32.
                          HF names (model.layers.N.self_attn.q_proj.weight, …), numpy shapes (the
                          GGUF shape reversed), and attn_q / attn_k UN-permuted back to HF's
                          rotate-half layout: the inverse of llama.cpp's LlamaModel.permute,
                          w.reshape(n_head, d/2, 2, n_in).swapaxes(1, 2).reshape(w.shape)
                          (n_head for q, n_head_kv for k)
  model.safetensors.index.json   {"metadata": {"total_size"}, "weight_map": {tensor: shard}}
  tokenizer.json          built with HF `tokenizers` from tokenizer.ggml.{tokens, merges, token_type}
                          as Scripts/make_tokenizer_goldens.py builds SmolLM2's tokenizer:
                          BPE, pre_tokenizer Sequence[Digits(individual_digits), ByteLevel],
                          ByteLevel decoder and post-processor, control tokens as special added tokens
  tokenizer_config.json   bos/eos/unk/pad tokens (from the GGUF's *_token_id), add_bos_token false,
                          add_prefix_space false, chat_template = tokenizer.chat_template
  special_tokens_map.json the same special tokens
  loom-source.json        size + mtime of the source GGUF and this script's version: the folder is
                          rebuilt only when they change (written last, so a crash leaves no stamp)
The folder is built in a temporary sibling and renamed into place.
"""

import json
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from tokenizers import processors

from make_tokenizer_goldens import bpe_tokenizer

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("LOOM_CACHE", ROOT / ".cache")) / "models"
SOURCE = MODELS / "SmolLM2-135M-Instruct.F16.gguf"
OUT = MODELS / "SmolLM2-135M-Instruct-hf"
VERSION = 1

LAYER_NAMES = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}
GLOBAL_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def field(reader, key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def hf_name(gguf_name):
    base, suffix = gguf_name.rsplit(".", 1)
    if base.startswith("blk."):
        _, layer, kind = base.split(".", 2)
        return f"model.layers.{layer}.{LAYER_NAMES[kind]}.{suffix}"
    return f"{GLOBAL_NAMES[base]}.{suffix}"


def unpermute(w, n_head):
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_tensors(reader):
    n_head = int(field(reader, "llama.attention.head_count"))
    n_kv = int(field(reader, "llama.attention.head_count_kv"))
    out = []
    for t in reader.tensors:
        data = np.array(t.data)  # numpy order: the GGUF shape reversed
        if t.name.endswith("attn_q.weight"):
            data = unpermute(data, n_head)
        elif t.name.endswith("attn_k.weight"):
            data = unpermute(data, n_kv)
        out.append((hf_name(t.name), np.ascontiguousarray(data)))
    return out


def write_safetensors(path, tensors):
    dtypes = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
    header, offset = {}, 0
    for name, data in tensors:
        header[name] = {"dtype": dtypes[data.dtype], "shape": list(data.shape), "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, data in tensors:
            f.write(data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes())


def write_weights(folder, tensors):
    total = sum(d.nbytes for _, d in tensors)
    shards, current, size = [], [], 0
    for item in tensors:
        if current and size + item[1].nbytes > total / 2 and len(shards) == 0:
            shards.append(current)
            current, size = [], 0
        current.append(item)
        size += item[1].nbytes
    shards.append(current)
    weight_map = {}
    for i, shard in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(folder / name, shard)
        weight_map.update({n: name for n, _ in shard})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")


def config(reader, tied):
    g = lambda k: field(reader, f"llama.{k}")
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
        "hidden_size": int(g("embedding_length")), "intermediate_size": int(g("feed_forward_length")),
        "num_hidden_layers": int(g("block_count")), "num_attention_heads": int(g("attention.head_count")),
        "num_key_value_heads": int(g("attention.head_count_kv")),
        "max_position_embeddings": int(g("context_length")),
        "rms_norm_eps": float(g("attention.layer_norm_rms_epsilon")), "rope_theta": float(g("rope.freq_base")),
        "vocab_size": len(field(reader, "tokenizer.ggml.tokens")), "tie_word_embeddings": tied,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id")),
        "pad_token_id": int(field(reader, "tokenizer.ggml.padding_token_id")),
        "torch_dtype": "float16",
    }


def tokenizer(reader):
    """make_tokenizer_goldens.py's tokenizer of the GGUF vocabulary, with the ByteLevel post-processor
    a Hugging Face tokenizer.json carries."""
    tok, tokens, specials = bpe_tokenizer(reader)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok, tokens, specials


def tokenizer_config(reader, tokens, specials):
    name = lambda key: tokens[int(field(reader, f"tokenizer.ggml.{key}_token_id"))]
    special = {"bos_token": name("bos"), "eos_token": name("eos"), "unk_token": name("unknown"), "pad_token": name("padding")}
    cfg = {**special, "add_bos_token": False, "add_prefix_space": False, "clean_up_tokenization_spaces": False,
           "model_max_length": int(field(reader, "llama.context_length")), "tokenizer_class": "GPT2Tokenizer",
           "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
           "chat_template": field(reader, "tokenizer.chat_template")}
    return cfg, {**special, "additional_special_tokens": cfg["additional_special_tokens"]}


def stamp():
    st = SOURCE.stat()
    return {"source": SOURCE.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "script_version": VERSION}


def build(tmp):
    reader = GGUFReader(str(SOURCE))
    assert field(reader, "general.architecture") == "llama"
    tensors = hf_tensors(reader)
    tied = not any(t.name == "output.weight" for t in reader.tensors)
    tmp.mkdir(parents=True)
    (tmp / "config.json").write_text(json.dumps(config(reader, tied), indent=2) + "\n")
    write_weights(tmp, tensors)
    tok, tokens, specials = tokenizer(reader)
    tok.save(str(tmp / "tokenizer.json"))
    cfg, special_map = tokenizer_config(reader, tokens, specials)
    (tmp / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
    (tmp / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")
    (tmp / "loom-source.json").write_text(json.dumps(stamp(), indent=2) + "\n")


def main():
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: run Scripts/fetch-models.sh and Scripts/make_model_variants.py first")
    marker = OUT / "loom-source.json"
    if marker.exists() and json.loads(marker.read_text()) == stamp():
        print(f"hf folder: {OUT} (up to date)")
        return
    tmp = OUT.with_name(OUT.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    build(tmp)
    shutil.rmtree(OUT, ignore_errors=True)
    os.replace(tmp, OUT)
    files = sorted(p.name for p in OUT.iterdir())
    print(f"hf folder: {OUT} ({', '.join(files)})")


if __name__ == "__main__":
    main()
