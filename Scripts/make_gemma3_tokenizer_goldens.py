#!/usr/bin/env python3
"""Gemma 3's tokenizer (SentencePiece-style BPE, 262144 tokens, add_space_prefix false, many control
and user-defined tokens) measured with llama.cpp: writes Fixtures/tokenizers/gemma3-goldens.json for
Tests/LoomTokenizersTests/Gemma3TokenizerTests.swift.

    .venv/bin/python Scripts/make_gemma3_tokenizer_goldens.py      # from the repo root

Needs .cache/models/gemma-3-270m-Q4_K_M.gguf (Scripts/fetch-models.sh) and the llama.cpp build
(Scripts/build-llama-cpp.sh). libllama is driven through Scripts/llama_vocab_tool.cpp (see
Scripts/make_vocab_goldens.py: one process for all texts); the first texts are also run through
llama-tokenize itself, which must agree.

For each text:
  ids          llama_tokenize(add_special = true, parse_special = true): BOS, special-token texts
               as their tokens — the prompt path (Loom: encode(text, addSpecial: true, parseSpecial: true))
  ids_plain    llama_tokenize(add_special = false, parse_special = false)
  pieces       the concatenated llama_token_to_piece(special = true) of `ids` (Loom's decode)
  detokenized  llama_detokenize(ids, remove_special = false, unparse_special = true)
Output: {"generator", "model", "cases": [{text, ids, ids_plain, pieces, detokenized}]}, one case a line.
"""

import importlib.util
import json
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache/models/gemma-3-270m-Q4_K_M.gguf"
OUT = ROOT / "Fixtures/tokenizers/gemma3-goldens.json"
LLAMA_TOKENIZE = ROOT / ".cache/llama-cpp/build/bin/llama-tokenize"

TEXTS = [
    "Hello world",
    " Hello world",
    "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n",
    "<start_of_turn>user\nWrite a haiku about the sea.<end_of_turn>\n<start_of_turn>model\nWaves fold into foam,\n"
    "salt wind carries gull voices—\nthe tide keeps its time.<end_of_turn>\n",
    "<start_of_turn>system\nYou are terse.<end_of_turn>\n<start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\n",
    "<bos><start_of_turn>user\ndouble bos<end_of_turn>",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "int main(void) {\n\tprintf(\"%d\\n\", 42);\n\t\treturn 0;\n}\n",
    "class A:\n\n\n    def f(self):\n\t\tpass   # trailing spaces   \n",
    "   leading spaces and trailing   ",
    "two  spaces, three   spaces, eight        spaces",
    "\n\n\n\nfour newlines, then\r\nCRLF\r\n",
    "\t\ttabs\tand\t\t\tmore tabs",
    "1234567890 3.14159 -42 1,000,000 2024-06-01 0x1F",
    "Ünïcödé: naïve café, Straße, ångström, Ελληνικά, русский язык",
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "Emoji: 😀👍🏽🇫🇷 👨‍👩‍👧‍👦 ❤️",
    "مرحبا بالعالم — שלום עולם — नमस्ते दुनिया",
    "Math: ∑ᵢ xᵢ² ≤ ∞, α→β, √2 ≈ 1.414",
    "HTML: <table><tr><td>cell</td></tr></table> <b>bold</b> <h1>Title</h1>",
    "Tokens as text: </s> <s> <unk> <pad> <eos> <mask> [multimodal]",
    "<unused0><unused1> <unused99> text <start_of_image> img <end_of_image>",
    "<end_of_turn><end_of_turn>\n<start_of_turn>",
    "Mixed:\n  - item 1\n  - item 2\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "URL https://example.com/path?q=1&r=2#frag and email a.b@c.org",
    "JSON: {\"key\": [1, 2.5, null, true], \"nested\": {\"x\": \"y\"}}",
    "",
    " ",
    "\n",
    "a",
    "ZWJ\u200djoiner and NBSP\u00a0space and soft\u00adhyphen",
    "Repeated: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ........................",
    "    indented with 4\n        indented with 8\n                16 spaces\n",
]


def main():
    spec = importlib.util.spec_from_file_location("make_vocab_goldens", ROOT / "Scripts/make_vocab_goldens.py")
    mvg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mvg)
    texts = [t.encode() for t in TEXTS]
    with tempfile.TemporaryDirectory() as tmp:
        exe = mvg.build_tool(Path(tmp))
        prompt = mvg.run_tool(exe, MODEL, texts, add_special=True, parse_special=True)
        plain = mvg.run_tool(exe, MODEL, texts, add_special=False, parse_special=False)
        # llama-tokenize itself must agree (it adds BOS and parses special tokens by default)
        for t, row in list(zip(texts, prompt))[:4]:
            f = Path(tmp) / "text.txt"
            f.write_bytes(t)
            out = subprocess.run([str(LLAMA_TOKENIZE), "-m", str(MODEL), "-f", str(f), "--no-escape", "--ids", "--log-disable"],
                                 check=True, capture_output=True).stdout.decode()
            line = [l for l in out.splitlines() if l.startswith("[")][0].strip("[]")
            ids = [int(x) for x in line.split(",")] if line.strip() else []
            assert ids == row[0], (t, ids, row[0])
    cases = []
    for t, p, q in zip(TEXTS, prompt, plain):
        cases.append({"text": t, "ids": p[0], "ids_plain": q[0], "pieces": p[1].decode("utf-8", "replace"),
                      "detokenized": p[2].decode("utf-8", "replace")})
        assert p[1].decode() == "<bos>" + t, (t, p[1])
    body = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    OUT.write_text('{"generator": "Scripts/make_gemma3_tokenizer_goldens.py (libllama of llama-cpp-python 0.3.36)",\n'
                   ' "model": "gemma-3-270m-Q4_K_M.gguf",\n "cases": [\n' + body + "\n]}\n")
    print(f"{OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
