#!/usr/bin/env python3
"""llama.cpp's perplexity (llama-perplexity, ctx 512, 2 threads) over Fixtures/text/GPL-3.txt (the GNU
GPL v3 text, verbatim) for the real Gemma 3 270M Q4_K_M file and SmolLM2-135M-Instruct in every type of
issue 17, each SmolLM2 file made from the F16 variant by llama-quantize (no imatrix). Loom's own
`create` quantizer writes the same tensors byte for byte (Tests/LoomStoreTests), so Loom's perplexity
on its own quantized files is comparable with these figures.

    .venv/bin/python Scripts/make_perplexity_goldens.py     # after make models + Scripts/build-llama-cpp.sh

Writes Fixtures/perplexity/gpl3-ctx512.json: {"text", "ctx", "llama_cpp", "models": {name: {"file_type",
"ppl", "chunks"}}}; the quantized SmolLM2 files are kept in .cache/models/llama-quantize/.
llama-quantize and llama-perplexity are measuring tools (Scripts/build-llama-cpp.sh), never dependencies.
"""
import json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".cache/llama-cpp/build/bin"
MODELS = ROOT / ".cache/models"
TEXT = ROOT / "Fixtures/text/GPL-3.txt"
SMOLLM2_TYPES = ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q6_K", "Q3_K_M", "Q2_K", "IQ4_NL", "BF16", "Q4_0", "Q8_0"]


def perplexity(model):
    out = subprocess.run([str(BIN / "llama-perplexity"), "-m", str(model), "-f", str(TEXT), "-c", "512", "-t", "2"],
                         check=True, capture_output=True, text=True)
    log = out.stdout + out.stderr
    ppl = float(re.search(r"Final estimate: PPL = ([0-9.]+)", log).group(1))
    chunks = int(re.search(r"calculating perplexity over (\d+) chunks", log).group(1))
    return ppl, chunks


def main():
    result = {"text": TEXT.name, "ctx": 512, "llama_cpp": "llama-cpp-python 0.3.36 (llama-perplexity -c 512 -t 2)", "models": {}}
    files = {"gemma-3-270m-Q4_K_M": (MODELS / "gemma-3-270m-Q4_K_M.gguf", "Q4_K_M")}
    out_dir = MODELS / "llama-quantize"
    out_dir.mkdir(parents=True, exist_ok=True)
    for t in SMOLLM2_TYPES:
        path = out_dir / f"SmolLM2-135M-Instruct.{t}.gguf"
        if not path.exists():
            subprocess.run([str(BIN / "llama-quantize"), str(MODELS / "SmolLM2-135M-Instruct.F16.gguf"), str(path), t, "2"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files[f"SmolLM2-135M-Instruct.{t}"] = (path, t)
    for name, (path, file_type) in files.items():
        ppl, chunks = perplexity(path)
        result["models"][name] = {"file_type": file_type, "ppl": ppl, "chunks": chunks}
        print(f"{name}: PPL {ppl} over {chunks} chunks", file=sys.stderr)
    (ROOT / "Fixtures/perplexity/gpl3-ctx512.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
