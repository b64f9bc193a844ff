#!/usr/bin/env python3
"""Goldens for `create` with `quantize`: what llama.cpp's `llama-quantize` (without an importance
matrix) writes for SmolLM2-135M-Instruct F16 in every file type Loom offers — per tensor its type and
the sha256 of its bytes — and, types only, for Gemma 3 270M (requantized from its Q4_K_M, so the mix
is seen on a model with 4 query heads per KV head and rows that are not whole 256-blocks).

    .venv/bin/python Scripts/make_quantize_goldens.py      # needs make models + Scripts/build-llama-cpp.sh

Writes Fixtures/quantize/smollm2-f16.json and Fixtures/quantize/gemma3-types.json:
  {"source": file name, "source_sha256": …, "llama_cpp": sdist version,
   "file_types": {"Q4_K_M": {"file_type": 15, "tensors": {name: [type, sha256 or null]}}, …}}
llama-quantize is a measuring tool (Scripts/build-llama-cpp.sh), never a dependency of Loom.
"""
import hashlib, json, subprocess, sys, tempfile
from pathlib import Path

from gguf import GGUFReader

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / ".cache/llama-cpp/build/bin/llama-quantize"
TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M",
         "Q5_K_S", "Q5_K_M", "Q6_K", "IQ4_NL", "BF16", "F16"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantize(source, ftype, out, requantize=False):
    args = [str(TOOL)] + (["--allow-requantize"] if requantize else []) + [str(source), str(out), ftype, "2"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reader = GGUFReader(str(out))
    tensors = {t.name: [t.tensor_type.name, hashlib.sha256(bytes(t.data.tobytes())).hexdigest()] for t in reader.tensors}
    return int(reader.fields["general.file_type"].contents()), tensors


def golden(source, types, out_name, with_bytes=True, requantize=False):
    result = {"source": source.name, "source_sha256": sha256(source), "llama_cpp": "llama-cpp-python 0.3.36", "file_types": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for ftype in types:
            file_type, tensors = quantize(source, ftype, Path(tmp) / f"{ftype}.gguf", requantize)
            if not with_bytes:
                tensors = {name: [t, None] for name, (t, _) in tensors.items()}
            result["file_types"][ftype] = {"file_type": file_type, "tensors": tensors}
            kinds = sorted({t for t, _ in tensors.values()})
            print(f"{source.name} {ftype}: {len(tensors)} tensors {kinds}", file=sys.stderr)
    path = ROOT / "Fixtures/quantize" / out_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    models = ROOT / ".cache/models"
    golden(models / "SmolLM2-135M-Instruct.F16.gguf", TYPES, "smollm2-f16.json")
    golden(models / "gemma-3-270m-Q4_K_M.gguf", ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q6_K", "Q3_K_M", "Q2_K", "IQ4_NL"],
           "gemma3-types.json", with_bytes=False, requantize=True)
