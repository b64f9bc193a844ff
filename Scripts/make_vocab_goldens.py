#!/usr/bin/env python3
"""llama.cpp's tokenizer as the measuring instrument for the vocab files that ship without test
files: writes Fixtures/tokenizers/llama-cpp-vocab/ggml-vocab-<name>.gguf.{inp,out} for
Tests/LoomTokenizersTests/VocabFileTests.swift.

    .venv/bin/python Scripts/make_vocab_goldens.py          # write the goldens
    .venv/bin/python Scripts/make_vocab_goldens.py --check  # instrument check: libllama must
                                                            # reproduce every shipped .out file

Inputs: the vocab-only GGUFs of llama.cpp's models/ (Scripts/fetch-llama-cpp-data.sh puts them in
.cache/llama-cpp/models) and libllama.a built from the same llama.cpp sources (Scripts/build-llama-cpp.sh).
The test strings are llama.cpp's own: ggml-vocab-llama-spm.gguf.inp, which 13 of the 15 shipped .inp
files are byte for byte, split on "\n__ggml_vocab_test__\n" as tests/test-tokenizer-0.cpp splits
them. Each string is tokenized like test-tokenizer-0 does (llama_tokenize with add_special = false,
parse_special = false) by Scripts/llama_vocab_tool.cpp, compiled here with g++ against libllama.a:
one process per vocabulary, where llama-tokenize would load the vocabulary once per string (its ids
agree: Scripts/make_gemma3_tokenizer_goldens.py cross-checks). The .out format is the shipped one:
one line per case, " id id id".

Special-token goldens, for every vocab file: Fixtures/tokenizers/llama-cpp-vocab/special-<name>.json,
{"name", "cases": [{"text", "plain", "special", "plain_pieces", "special_pieces"}]}: texts that embed the vocabulary's special-token
texts (control, user-defined and unknown tokens, and the end-of-generation / FIM texts llama.cpp
recognizes whatever their type) next to letters, spaces and newlines, and a few texts normalizers
change (compatibility characters, odd spaces, combining marks, zero-width characters), with the ids
llama_tokenize gives with add_special = false and parse_special = false ("plain") / true ("special"),
and the hex of their concatenated llama_token_to_piece(special = true) bytes ("*_pieces").
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from gguf import GGUFReader

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / ".cache/llama-cpp/models"
OUT = ROOT / "Fixtures/tokenizers/llama-cpp-vocab"
SEP = b"\n__ggml_vocab_test__\n"
# vocab files of llama.cpp's models/ without .inp/.out
MISSING = ["aquila", "baichuan", "gpt-neox", "nomic-bert-moe"]


def split_inputs(raw: bytes):
    pieces = raw.split(SEP)
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return pieces


def build_tool(dest: Path) -> Path:
    """Compile Scripts/llama_vocab_tool.cpp against the llama.cpp build's static libraries."""
    b = ROOT / ".cache/llama-cpp/build"
    src = ROOT / ".cache/llama-cpp/src"
    exe = dest / "llama_vocab_tool"
    subprocess.run(["g++", "-O1", "-std=c++17", f"-I{src}/include", f"-I{src}/ggml/include",
                    str(ROOT / "Scripts/llama_vocab_tool.cpp"), f"{b}/src/libllama.a", f"{b}/ggml/src/libggml.a",
                    f"{b}/ggml/src/libggml-cpu.a", f"{b}/ggml/src/libggml-base.a", "-fopenmp", "-lpthread", "-ldl",
                    "-o", str(exe)], check=True)
    return exe


def run_tool(exe: Path, model: Path, texts, add_special=False, parse_special=False):
    """[(ids, pieces bytes, detokenized bytes)] for each text, from one libllama process."""
    stdin = b"".join(str(len(t)).encode() + b"\n" + t for t in texts)
    out = subprocess.run([str(exe), str(model), str(int(add_special)), str(int(parse_special))],
                         input=stdin, check=True, capture_output=True).stdout.decode()
    rows = []
    for line in out.split("\n")[: len(texts)]:
        ids, pieces, detok = line.split("\t")
        rows.append(([int(x) for x in ids.split()], bytes.fromhex(pieces), bytes.fromhex(detok)))
    assert len(rows) == len(texts), (model, len(rows), len(texts))
    return rows


# texts llama.cpp gives attributes to by name (src/llama-vocab.cpp, llama_vocab::impl::load)
NAMED = ["<|endoftext|>", "</s>", "<s>", "<unk>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<eos>", "<|eot_id|>",
         "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<PRE>", "<|file_sep|>", "<mask>", "[MASK]", "<|tool_response>"]


# texts a normalizer changes (Unigram's precompiled charsmap: NFKC and friends; whitespace runs)
NORMALIZATION = [
    "\ufb01nance \u2460\u2461\u2462 \uff21\uff22\uff23\uff11\uff12\uff13 \uff76\uff80\uff76\uff85",
    "a\u00a0b\u3000c\u2009d \u2122 \u00bd \u338f \u2168",
    "  many   spaces\t\ttabs \n\n newlines  ",
    "A\u030a vs \u00c5, e\u0301 vs \u00e9, \u1e9b\u0323",
    "\u00ad\u200b\ufeffzero width\u200d",
]


def special_texts(model: Path):
    """Up to 24 special-token texts of the vocabulary: named ones, then control / user-defined / unknown."""
    r = GGUFReader(str(model))
    toks = r.fields["tokenizer.ggml.tokens"]
    tt = r.fields["tokenizer.ggml.token_type"]
    texts = [bytes(toks.parts[i]) for i in toks.data]
    types = [int(tt.parts[i][0]) for i in tt.data]
    have = set(texts)
    chosen = [t.encode() for t in NAMED if t.encode() in have]
    special = [i for i, ty in enumerate(types) if ty in (2, 3, 4)]
    pick = special[:10] + special[len(special) // 2: len(special) // 2 + 3] + special[-6:]
    for i in pick:
        if texts[i] not in chosen and texts[i]:
            chosen.append(texts[i])
    return chosen[:24]


def special_cases(model: Path):
    texts = special_texts(model)
    cases = []
    for t in texts:
        cases += [t, b"a" + t + b"b", b"Hello " + t + b" world", b" " + t + b"\n" + t + b"  x", b"\n\n" + t + b"\t"]
    if len(texts) > 1:
        cases.append(texts[0] + b" " + texts[1] + b"text" + texts[-1])
    return cases + [t.encode() for t in NORMALIZATION]


def dump(doc):
    """JSON with one case per line."""
    cases = ",\n".join(json.dumps(c, ensure_ascii=False) for c in doc["cases"])
    return '{"name": ' + json.dumps(doc["name"]) + ', "cases": [\n' + cases + "\n]}\n"


def out_line(ids):
    return "".join(f" {i}" for i in ids)


def main():
    tmp = tempfile.TemporaryDirectory()
    exe = build_tool(Path(tmp.name))
    cases = split_inputs((MODELS / "ggml-vocab-llama-spm.gguf.inp").read_bytes())
    if "--check" in sys.argv:
        bad = 0
        for inp in sorted(MODELS.glob("ggml-vocab-*.gguf.inp")):
            model = Path(str(inp)[: -len(".inp")])
            texts = split_inputs(inp.read_bytes())
            want = [l.strip() for l in Path(str(model) + ".out").read_text().splitlines()]
            got = [out_line(r[0]).strip() for r in run_tool(exe, model, texts)]
            diff = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
            print(f"{model.name}: {len(texts)} cases, {len(diff)} differ {diff[:10]}")
            bad += len(diff) + abs(len(want) - len(got))
        sys.exit(1 if bad else 0)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in MISSING:
        model = MODELS / f"ggml-vocab-{name}.gguf"
        (OUT / f"ggml-vocab-{name}.gguf.inp").write_bytes(SEP.join(cases) + SEP)
        lines = [out_line(r[0]) for r in run_tool(exe, model, cases)]
        (OUT / f"ggml-vocab-{name}.gguf.out").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(cases)} cases")
    for model in sorted(MODELS.glob("ggml-vocab-*.gguf")):
        name = model.name[len("ggml-vocab-"): -len(".gguf")]
        texts = special_cases(model)
        plain = run_tool(exe, model, texts)
        special = run_tool(exe, model, texts, parse_special=True)
        doc = {"name": name, "cases": [{"text": t.decode(), "plain": p[0], "special": q[0],
                                        "plain_pieces": p[1].hex(), "special_pieces": q[1].hex()}
                                       for t, p, q in zip(texts, plain, special)]}
        (OUT / f"special-{name}.json").write_text(dump(doc))
        print(f"special-{name}: {len(texts)} cases, {sum(p[0] != q[0] for p, q in zip(plain, special))} differ by parse_special")


if __name__ == "__main__":
    main()
