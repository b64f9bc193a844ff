#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (Fuzz/Corpus/<target>/), deterministically.

    .venv/bin/python Scripts/make_fuzz_seeds.py        (gguf==0.19.0 from Scripts/requirements.txt)

gguf: Fixtures/gguf/tiny.gguf and three vocab-only files (BPE, SPM, WordPiece; a few tokens each)
written with gguf-py; json: one body per endpoint (Ollama's API reference examples, /v1 bodies as the
OpenAI and Anthropic SDKs send them); jinja: the real templates of Fixtures/templates (copied) and
snippets; tokenizer: a selector byte (0 SmolLM2 BPE, 1 Gemma 3 SPM, 2 WordPiece; +4 parseSpecial) and
text; modelfile, schema, safetensors: small valid files. Crash inputs found later are added by hand as
crash-<sha1> files (they are not rewritten here).
"""

import hashlib
import json
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Fuzz/Corpus"
sys.path.insert(0, str(ROOT / "Scripts"))


def write(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def gguf_seeds():
    import gguf
    shutil.copy(ROOT / "Fixtures/gguf/tiny.gguf", OUT / "gguf/tiny.gguf")
    vocabs = {
        "bpe": ("gpt2", ["<|endoftext|>", "h", "e", "l", "o", "Ġ", "he", "ll", "hell", "hello", "Ġw", "<|im_start|>"],
                ["h e", "l l", "he ll", "hell o", "Ġ w"], [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]),
        "spm": ("llama", ["<unk>", "<s>", "</s>", "<0x0A>", "▁", "▁h", "e", "llo", "▁hello", "w", "<0xC3>", "<0xA9>"],
                None, [2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 6, 6]),
        "wpm": ("bert", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "wo", "##rld", ",", "!"],
                None, [3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]),
    }
    for name, (model, tokens, merges, types) in vocabs.items():
        path = OUT / f"gguf/vocab-{name}.gguf"
        w = gguf.GGUFWriter(str(path), "llama")
        w.add_string("general.name", f"fuzz seed {name}")
        w.add_string("tokenizer.ggml.model", model)
        w.add_string("tokenizer.ggml.pre", "smollm" if name == "bpe" else "default")
        w.add_array("tokenizer.ggml.tokens", tokens)
        w.add_array("tokenizer.ggml.scores", [float(-i) for i in range(len(tokens))])
        w.add_array("tokenizer.ggml.token_type", types)
        if merges:
            w.add_array("tokenizer.ggml.merges", merges)
        w.add_uint32("tokenizer.ggml.bos_token_id", 1 if name != "wpm" else 2)
        w.add_uint32("tokenizer.ggml.eos_token_id", 2 if name != "bpe" else 0)
        w.add_uint32("tokenizer.ggml.unknown_token_id", 0 if name != "wpm" else 1)
        w.add_bool("tokenizer.ggml.add_bos_token", True)
        w.add_tensor("t", __import__("numpy").arange(8, dtype="float32").reshape(2, 4))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


def json_seeds():
    bodies = {
        "generate": {"model": "smollm2:135m", "prompt": "Why is the sky blue?", "stream": False,
                     "options": {"temperature": 0.5, "num_predict": 8, "seed": 42, "stop": ["\n"]}, "keep_alive": "5m"},
        "generate-format": {"model": "m", "prompt": "x", "format": {"type": "object", "properties": {"a": {"type": "integer"}}},
                            "raw": True, "images": ["aGVsbG8="], "think": False, "suffix": "s", "system": "s", "template": "t"},
        "chat": {"model": "smollm2:135m", "messages": [{"role": "system", "content": "Be brief."},
                                                       {"role": "user", "content": "Hi", "images": []}],
                 "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}],
                 "stream": True, "format": "json", "keep_alive": 0, "logprobs": True, "top_logprobs": 2},
        "chat-tool": {"model": "m", "messages": [{"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "f", "arguments": {"x": 1}}}]}, {"role": "tool", "content": "1", "tool_name": "f"}]},
        "embed": {"model": "all-minilm", "input": ["a", "b"], "truncate": True, "dimensions": 8},
        "embeddings": {"model": "all-minilm", "prompt": "hello"},
        "show": {"model": "smollm2:135m", "verbose": True},
        "copy": {"source": "a", "destination": "b"},
        "delete": {"model": "a:latest"},
        "create": {"model": "mine", "from": "smollm2:135m", "system": "You are a pirate.", "parameters": {"temperature": 0.2},
                   "messages": [{"role": "user", "content": "hi"}], "quantize": "q4_0", "stream": False,
                   "files": {"a.gguf": "sha256:" + "0" * 64}, "template": "{{ .Prompt }}", "license": ["MIT"]},
        "pull": {"model": "library/smollm2:135m", "insecure": True, "stream": False},
        "v1-chat": {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}],
                    "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 4, "temperature": 1.5,
                    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
                    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}], "stop": "x", "seed": 1},
        "v1-completions": {"model": "m", "prompt": "once", "max_tokens": 4, "stop": ["a", "b"], "suffix": "end", "echo": False},
        "v1-embeddings": {"model": "m", "input": [[1, 2, 3], "text"], "encoding_format": "base64", "dimensions": 4},
        "v1-responses": {"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
                         "instructions": "be brief", "max_output_tokens": 16, "stream": True,
                         "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}}},
        "v1-messages": {"model": "m", "max_tokens": 16, "system": [{"type": "text", "text": "sys"}],
                        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [
                            {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}]},
                                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}],
                        "thinking": {"type": "enabled", "budget_tokens": 1024}, "stop_sequences": ["x"],
                        "tools": [{"name": "f", "input_schema": {"type": "object"}}], "stream": False},
    }
    for name, body in bodies.items():
        write("json", name + ".json", json.dumps(body))
    write("json", "numbers.json", '{"n": [0, -0, 1e400, -1.5E-7, 12345678901234567890123, 0.1], "s": "\\u00e9\\ud83d\\ude00\\n"}')
    write("json", "null.json", "null")


def jinja_seeds():
    for src in sorted((ROOT / "Fixtures/templates").rglob("*.jinja")):
        shutil.copy(src, OUT / "jinja" / src.name)
    snippets = [
        "{% for m in messages %}{{ m.role | upper }}: {{ m.content | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}",
        "{% set ns = namespace(x=0) %}{% for i in range(5) %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}",
        "{{ tools | tojson(indent=2) }}{{ messages[0]['content'][1:5] }}{{ 'a,b' .split(',') | join('-') }}",
        "{% macro f(x, y=2) %}{{ x * y }}{% endmacro %}{{ f(3) }}{{ raise_exception('no') if false }}",
        "{{ strftime_now('%Y-%m-%d') }}{% if messages is defined and messages|length > 2 %}{{ bos_token }}{% endif %}",
        "{%- for k, v in {'a': 1, 'b': [1, 2]}.items() -%}{{ k ~ '=' ~ v }}{%- endfor -%}{# comment #}",
        "{% filter upper %}x{% endfilter %}{% generation %}y{% endgeneration %}{{ x if x else 'none' }}",
    ]
    for i, s in enumerate(snippets):
        write("jinja", f"snippet-{i}.jinja", s)


def tokenizer_seeds():
    texts = ["Hello world", "Hello, wörld! 123 456789", "<|im_start|>user\nHi<|im_end|>\n",
             "<start_of_turn>user\nHi<end_of_turn>", "[CLS] hello [SEP] [MASK]", "  leading and  double  spaces \t\n\n",
             "日本語のテキスト、中文、한국어", "emoji 🙂👍🏽 and ZWJ 👨‍👩‍👧", "café naïve Ünïcödé ÅΩ", "▁piece▁marker",
             "don't I'll we've", "x" * 300, "\u0000\u0001\u007f", "1234567890" * 5, "<0x0A>", "\r\n\r\n"]
    for i, t in enumerate(texts):
        for sel in (0, 1, 2, 4, 5, 6):
            write("tokenizer", f"t{i:02d}-{sel}", bytes([sel]) + t.encode())


def modelfile_seeds():
    files = [
        "FROM smollm2:135m\nPARAMETER temperature 0.7\nPARAMETER stop <|im_end|>\nPARAMETER stop \"\nUser:\"\nSYSTEM You are helpful.\n",
        'FROM ./model.gguf\nTEMPLATE """{{ if .System }}<|system|>{{ .System }}{{ end }}{{ .Prompt }}"""\n'
        "MESSAGE user Hello\nMESSAGE assistant Hi there\nLICENSE \"\"\"MIT\nline two\"\"\"\n",
        "# comment\n\ufeff\nfrom llama3\nparameter num_ctx 4096\nparameter seed -1\nparameter use_mmap true\nREQUIRES 0.14.0\nADAPTER ./a.gguf\n",
        "FROM a\nSYSTEM \"\"\"\n  indented\n\"\"\"\nPARAMETER top_k 40\nPARAMETER mirostat 1\nRENDERER x\nPARSER y\nDRAFT d\n",
    ]
    for i, f in enumerate(files):
        write("modelfile", f"modelfile-{i}", f)


def schema_seeds():
    import structured_outputs_check as s
    for i, (_, _, schema) in enumerate(s.SCHEMAS):
        write("schema", f"schema-{i}.json", json.dumps(schema))
    extra = [
        {"type": "object", "properties": {"n": {"type": "number", "minimum": -1.5, "exclusiveMaximum": 100}}, "required": ["n"]},
        {"type": "array", "prefixItems": [{"type": "boolean"}, {"type": "null"}], "items": False},
        {"type": "string", "format": "date-time"}, {"type": "string", "format": "uuid"},
        {"enum": [1, "a", None, [1], {"k": True}]}, {"oneOf": [{"type": "integer", "minimum": 10, "maximum": 12}, {"const": "x"}]},
        {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}}}}},
        True, {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 1},
    ]
    for i, schema in enumerate(extra):
        write("schema", f"extra-{i}.json", json.dumps(schema))


def safetensors_seeds():
    def file(entries, metadata=None):
        header, data = {}, b""
        if metadata is not None:
            header["__metadata__"] = metadata
        for name, dtype, shape, raw in entries:
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
            data += raw
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + data
    f32 = struct.pack("<6f", 1, -2, 0.5, 3.25, 1e-3, -65504)
    write("safetensors", "valid.safetensors", file([("a", "F32", [2, 3], f32), ("b", "F16", [2], b"\x00\x3c\x00\xc0"),
                                                    ("c", "BF16", [1, 2], b"\x80\x3f\x00\xc0"), ("ids", "I64", [1], struct.pack("<q", 7)),
                                                    ("empty", "F32", [0, 4], b"")], {"format": "pt"}))
    write("safetensors", "scalar.safetensors", file([("s", "F32", [], struct.pack("<f", 2.5)), ("u", "U8", [3], b"abc")]))
    write("safetensors", "header-only.safetensors", file([]))


if __name__ == "__main__":
    for t in ("gguf", "json", "jinja", "tokenizer", "modelfile", "schema", "safetensors"):
        (OUT / t).mkdir(parents=True, exist_ok=True)
    gguf_seeds()
    json_seeds()
    jinja_seeds()
    tokenizer_seeds()
    modelfile_seeds()
    schema_seeds()
    safetensors_seeds()
    for t in sorted(OUT.iterdir()):
        files = list(t.iterdir())
        print(f"{t.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
