#!/usr/bin/env python3
"""llama.cpp's greedy continuations of Gemma 3 270M Q4_K_M (the base model) for a few raw prompts, made
with `llama-simple` (llama.cpp's minimal greedy generator: BOS added, special tokens parsed, stops at an
end-of-generation token) — what Loom's `/api/generate` with `raw: true` and temperature 0 reproduces —
next to the exact greedy continuation (the float64 numpy reference, Scripts/reference_arch.py) and its
top-1 − top-2 logit gaps. Where the exact gap is small, float32 engines pick either token (llama.cpp
itself departs from the exact continuation on three of these four prompts), so `agreed` is the text
before the first step whose exact gap is below NEAR_TIE; llama.cpp's text is checked to start with it.

    .venv/bin/python Scripts/make_gemma3_goldens.py     # after make models + Scripts/build-llama-cpp.sh

Writes Fixtures/model/gemma3-llama-cpp-greedy.json: {"model", "sha256", "n_predict", "prompts": [{"prompt",
"text"}]}. llama-simple is a measuring tool (Scripts/build-llama-cpp.sh), never a dependency of Loom.
"""
import json, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_arch  # noqa: E402
from gguf import GGUFReader  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache/models/gemma-3-270m-Q4_K_M.gguf"
TOOL = ROOT / ".cache/llama-cpp/build/bin/llama-simple"
N = 24
NEAR_TIE = 0.2
PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n",
    "Once upon a time, in a small village,",
    "The three primary colors are",
]


def main():
    out = []
    model = reference_arch.Model(str(MODEL))
    reader = GGUFReader(str(MODEL))
    field = reader.fields["tokenizer.ggml.tokens"]
    pieces = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    for prompt in PROMPTS:
        text = subprocess.run([str(TOOL), "-m", str(MODEL), "-n", str(N), prompt], check=True, capture_output=True,
                              text=True).stdout
        prefix = "<bos>" + prompt
        assert text.startswith(prefix), text
        assert text.endswith("\n")  # llama-simple ends its output with one newline of its own
        ids, gaps = reference_arch.greedy(model, reference_arch.tokenize(prompt), N)
        exact = [pieces[i].replace("\u2581", " ") for i in ids]
        cut = next((i for i, g in enumerate(gaps) if g < NEAR_TIE), N)
        agreed = "".join(exact[:cut])
        llama = text[len(prefix):-1]
        assert llama.startswith(agreed), (llama, agreed)
        out.append({"prompt": prompt, "text": llama, "exact": "".join(exact), "exact_gaps": [round(g, 4) for g in gaps],
                    "agreed": agreed})
        print(repr(out[-1]))
    golden = {"model": MODEL.name, "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
              "generator": "Scripts/make_gemma3_goldens.py (llama-simple, llama-cpp-python 0.3.36 sdist)",
              "n_predict": N, "near_tie": NEAR_TIE, "prompts": out}
    (ROOT / "Fixtures/model/gemma3-llama-cpp-greedy.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
