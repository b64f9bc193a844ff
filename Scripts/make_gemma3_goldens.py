#!/usr/bin/env python3
"""llama.cpp's greedy continuations of Gemma 3 270M Q4_K_M (the base model) for a few raw prompts, made
with `llama-simple` (llama.cpp's minimal greedy generator: BOS added, special tokens parsed, stops at an
end-of-generation token) — what Loom's `/api/generate` with `raw: true` and temperature 0 must reproduce.

    .venv/bin/python Scripts/make_gemma3_goldens.py     # after make models + Scripts/build-llama-cpp.sh

Writes Fixtures/model/gemma3-llama-cpp-greedy.json: {"model", "sha256", "n_predict", "prompts": [{"prompt",
"text"}]}. llama-simple is a measuring tool (Scripts/build-llama-cpp.sh), never a dependency of Loom.
"""
import json, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache/models/gemma-3-270m-Q4_K_M.gguf"
TOOL = ROOT / ".cache/llama-cpp/build/bin/llama-simple"
N = 24
PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n",
    "Once upon a time, in a small village,",
    "The three primary colors are",
]


def main():
    out = []
    for prompt in PROMPTS:
        text = subprocess.run([str(TOOL), "-m", str(MODEL), "-n", str(N), prompt], check=True, capture_output=True,
                              text=True).stdout
        prefix = "<bos>" + prompt
        assert text.startswith(prefix), text
        assert text.endswith("\n")  # llama-simple ends its output with one newline of its own
        out.append({"prompt": prompt, "text": text[len(prefix):-1]})
        print(repr(out[-1]))
    golden = {"model": MODEL.name, "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
              "generator": "Scripts/make_gemma3_goldens.py (llama-simple, llama-cpp-python 0.3.36 sdist)",
              "n_predict": N, "prompts": out}
    (ROOT / "Fixtures/model/gemma3-llama-cpp-greedy.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
