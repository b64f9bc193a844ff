#!/usr/bin/env python3
"""Derive the F16, Q8_0, Q4_0 and Q5_0 variants of SmolLM2-135M-Instruct from the shipped Q4_1 file, with
gguf-py's reference quantizers (gguf.quants, numpy ports of ggml's quantize_row_*_ref), so that
Loom's runtime tests and `loom bench model` can run every weight type on the same model.

    .venv/bin/python Scripts/make_model_variants.py          # ~1 min; idempotent

Policy (llama.cpp's for these targets, where Loom has the type):
  - 1-D tensors (norm weights) stay F32;
  - every 2-D matrix becomes the target type, except that `token_embd.weight` (also the tied output
    matrix) stays Q8_0 for the Q4_0 and Q5_0 variants, as shipped (llama.cpp keeps the output matrix
    at higher precision than the layers); for F16 and Q8_0 it becomes the target type.
Every weight is dequantized from the Q4_1/Q8_0 source to float32 first, so the variants hold the
same function quantized differently (F16 holds the Q4_1 weights exactly up to fp16 rounding).

Output: .cache/models/SmolLM2-135M-Instruct.{F16,Q8_0,Q4_0,Q5_0}.gguf. All metadata is copied;
`general.file_type` is set to the target's llama_ftype. The output is deterministic: each file's
sha256 is pinned below and checked, so goldens computed from it stay valid.
"""

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter, GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("LOOM_CACHE", ROOT / ".cache")) / "models"
SOURCE = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
# name: (tensor type, llama_ftype, pinned sha256 of the output)
VARIANTS = {
    "F16": (Q.F16, 1, "fea43f3ffef83a020894679eb91b2ab0127287d657a7313b47ba9c411dd4d47f"),
    "Q8_0": (Q.Q8_0, 7, "0c1d3326cd9793cfb7296113c063dd5c24e2bd734b48ec1a3d01b7158eca9387"),
    "Q4_0": (Q.Q4_0, 2, "c624c2bea4349b36453448197f53b3935a96da7934904c124a612716c348a8ff"),
    "Q5_0": (Q.Q5_0, 8, "7c2c0cd19265c73a396d5ac9d7ecc9880644cacc089ecc266556d8b6e415baf7"),
}


def path_of(name):
    return MODELS / f"SmolLM2-135M-Instruct.{name}.gguf"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_metadata(reader, writer, file_type):
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue  # written by GGUFWriter itself
        vtype = field.types[0]
        value = file_type if field.name == "general.file_type" else field.contents()
        if vtype == GGUFValueType.ARRAY:
            writer.add_key_value(field.name, value, vtype, sub_type=field.types[-1])
        else:
            writer.add_key_value(field.name, value, vtype)


def target_type(tensor, qtype):
    if len(tensor.shape) < 2:
        return Q.F32
    if tensor.name == "token_embd.weight" and qtype in (Q.Q4_0, Q.Q5_0):
        return Q.Q8_0
    return qtype


def make(name, qtype, file_type):
    reader = GGUFReader(str(SOURCE))
    out = path_of(name)
    tmp = out.with_suffix(".gguf.tmp")
    writer = GGUFWriter(str(tmp), "llama")
    copy_metadata(reader, writer, file_type)
    for t in reader.tensors:
        x = dequantize(t.data, t.tensor_type).astype(np.float32)   # (out, in) or (n,)
        ty = target_type(t, qtype)
        if ty == Q.F32:
            data = x
        elif ty == Q.F16:
            data = x.astype(np.float16)
        else:
            data = quantize(x, ty)
        writer.add_tensor(t.name, data, raw_shape=data.shape, raw_dtype=ty)   # byte shape for quantized data
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)
    return out


def main():
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: run Scripts/fetch-models.sh first")
    pin = "--print-sha" not in sys.argv
    for name, (qtype, file_type, want) in VARIANTS.items():
        out = path_of(name)
        if out.exists() and sha256(out) == want:
            print(f"variant: {out} (cached, sha256 ok)")
            continue
        make(name, qtype, file_type)
        got = sha256(out)
        if pin and got != want:
            out.unlink()
            sys.exit(f"{out.name}: sha256 {got}, want {want} (gguf/numpy version drift? see Scripts/requirements.txt)")
        print(f"variant: {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {got})")


if __name__ == "__main__":
    main()
