#!/usr/bin/env python3
"""Golden pre-tokenizer splits for Tests/LoomTokenizersTests/PreTokenizerTests.swift.

usage: python3 Scripts/make_pretokenizer_goldens.py [path/to/llama.cpp/src/llama-vocab.cpp]
writes Fixtures/tokenizers/pretokenizer-goldens.json
requires: the `regex` PyPI module (tested with 2026.5.9), Python >= 3.7; reference llama.cpp as vendored
by llama-cpp-python 0.3.36 (default path below).

What this emulates of llama.cpp's unicode_regex_split (src/unicode.cpp), and how:
  * Pattern lists per `tokenizer.ggml.pre` are read from llama-vocab.cpp (make_pretokenizer_patterns.py's
    parser) and stored in the JSON, so the Swift table is checked against them too.
  * Sequential application: each pattern runs separately over every piece the previous pattern produced
    (initially the whole text); matches found left to right on the piece's substring only (so $ and
    lookaheads see the piece end); text between matches kept as its own piece; empty pieces dropped
    (llama.cpp records them as 0-length offsets, which produce no tokens).
  * Collapsed mode, for a pattern containing \\p{N} \\p{L} \\p{P} \\p{M} \\p{S} \\p{Lu} \\p{Ll} \\p{Lt}
    \\p{Lm} \\p{Lo}: the text is rewritten one character per code point exactly like llama.cpp (ASCII kept;
    non-ASCII whitespace -> \\x0B; else by Unicode category letter/number/punct/mark/symbol ->
    \\xD2/\\xD1/\\xD3/\\xD4/\\xD5, anything else -> \\xD0), and the pattern is rewritten with llama.cpp's
    own loop (\\p{X} -> [<byte><ASCII members>], no extra brackets inside a class), so \\p{Lu} etc. all
    mean "letter" and ASCII ranges never match non-ASCII text.
  * Code-point mode (no category in the pattern: llama.cpp's std::wregex path): the pattern runs on code
    points with non-ASCII whitespace rewritten to \\x0B.
  * std::regex (ECMAScript) vs Python `regex`: run with the ASCII flag, so \\s = [ \\t\\n\\v\\f\\r] (C-locale
    isspace), \\d = [0-9], \\w = [A-Za-z0-9_], \\b ASCII; an unescaped `$` outside a class becomes \\Z
    (ECMAScript $ is end of input only); `.` becomes [^\\n\\r]. Alternation is leftmost-first in both, and
    Python >= 3.7 iterates empty matches like std::regex_iterator.
  * llama.cpp's hand-written splitters for the gpt2 and llama3 patterns (unicode_regex_split_custom_gpt2
    / _llama3; qwen2 shares llama3's logic with \\p{N} single digits) are ported below: the golden uses
    their output, and the script asserts the regex emulation agrees with them on the whole corpus.
  * Whitespace is llama.cpp's unicode_set_whitespace; categories come from Python's unicodedata
    (Unicode 14 here; the corpus avoids code points assigned later).
"""
import json
import os
import sys
import unicodedata

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_pretokenizer_patterns  # noqa: E402

DEFAULT_VOCAB = "/tmp/lcp/llama_cpp_python-0.3.36/vendor/llama.cpp/src/llama-vocab.cpp"
OUT = os.path.join(HERE, "..", "Fixtures", "tokenizers", "pretokenizer-goldens.json")

WHITESPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
              0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
COLLAPSE = {"N": 0xD1, "L": 0xD2, "P": 0xD3, "M": 0xD4, "S": 0xD5}
UCAT = {"\\p{N}": "N", "\\p{L}": "L", "\\p{P}": "P", "\\p{M}": "M", "\\p{S}": "S",
        "\\p{Lu}": "L", "\\p{Ll}": "L", "\\p{Lt}": "L", "\\p{Lm}": "L", "\\p{Lo}": "L"}
UCAT_ASCII = {"N": "0-9", "L": "A-Za-z", "P": "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}", "M": "",
              "S": "\\$\\+<->^`\\|\\~"}


def category(ch):
    if ord(ch) in WHITESPACE:
        return "W"
    c = unicodedata.category(ch)[0]
    return c if c in COLLAPSE else "O"


def collapse_text(text):
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        elif ord(ch) in WHITESPACE:
            out.append("\x0b")
        else:
            out.append(chr(COLLAPSE.get(category(ch), 0xD0)))
    return "".join(out)


def collapse_regex(expr):
    """llama.cpp's rewrite loop (unicode_regex_split, `regex_expr_collapsed`)."""
    out, inside, i = [], False, 0
    while i < len(expr):
        c = expr[i]
        if c == "[" and (i == 0 or expr[i - 1] != "\\"):
            out.append("[")
            inside = True
            i += 1
            continue
        if inside and c == "]" and expr[i - 1] != "\\":
            out.append("]")
            inside = False
            i += 1
            continue
        if c == "\\" and i + 3 < len(expr) and expr[i + 1] == "p" and expr[i + 2] == "{":
            close = expr.find("}", i + 3)
            if close != -1 and close <= i + 10 and expr[i:close + 1] in UCAT:
                cat = UCAT[expr[i:close + 1]]
                body = chr(COLLAPSE[cat]) + UCAT_ASCII[cat]
                out.append(body if inside else "[" + body + "]")
                i = close + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def ecmascript_to_python(expr):
    out, inside, i = [], False, 0
    while i < len(expr):
        c = expr[i]
        if c == "\\":
            out.append(expr[i:i + 2])
            i += 2
            continue
        if c == "[" and not inside:
            inside = True
        elif c == "]" and inside:
            inside = False
        elif c == "$" and not inside:
            c = "\\Z"
        elif c == "." and not inside:
            c = "[^\\n\\r]"
        out.append(c)
        i += 1
    return "".join(out)


def split_stl(text, expr, pieces):
    collapsed = any(k in expr for k in UCAT)
    subject = collapse_text(text) if collapsed else "".join(
        "\x0b" if ord(ch) > 0x7F and ord(ch) in WHITESPACE else ch for ch in text)
    pattern = regex.compile(ecmascript_to_python(collapse_regex(expr) if collapsed else expr),
                            regex.ASCII | regex.V0)
    out = []
    for (s, e) in pieces:
        last = 0
        piece = subject[s:e]
        for m in pattern.finditer(piece):
            if m.start() > last:
                out.append((s + last, s + m.start()))
            if m.end() > m.start():
                out.append((s + m.start(), s + m.end()))
            last = m.end()
        if last < len(piece):
            out.append((s + last, e))
    return out


def custom(text, pieces, kind):
    """Port of unicode_regex_split_custom_gpt2 ("gpt2") and _llama3 ("llama3"; "qwen2" = 1-digit numbers)."""
    out = []
    for (s, e) in pieces:
        def cpt(p):
            return text[p] if s <= p < e else None

        def flag(p):
            return category(text[p]) if s <= p < e else None
        prev = s

        def add(end):
            nonlocal prev
            n = end - prev
            if n > 0:
                out.append((prev, end))
            prev = end
            return n
        pos = s
        while pos < e:
            c, f = cpt(pos), flag(pos)
            if c == "'" and pos + 1 < e:
                n = cpt(pos + 1) if kind == "gpt2" else cpt(pos + 1).lower()
                if n in ("s", "t", "m", "d"):
                    pos += add(pos + 2)
                    continue
                if pos + 2 < e:
                    nn = cpt(pos + 2) if kind == "gpt2" else cpt(pos + 2).lower()
                    if n + nn in ("re", "ve", "ll"):
                        pos += add(pos + 3)
                        continue
            if kind == "gpt2":
                f2 = flag(pos + 1) if c == " " else f
                if f2 in ("L", "N"):
                    pos += c == " "
                    while flag(pos) == f2:
                        pos += 1
                    add(pos)
                    continue
                if f2 is not None and f2 not in ("W", "L", "N"):
                    pos += c == " "
                    while flag(pos) is not None and flag(pos) not in ("W", "L", "N"):
                        pos += 1
                    add(pos)
                    continue
            else:
                if not (c in "\r\n" or f == "N") and (f == "L" or flag(pos + 1) == "L"):
                    pos += 1
                    while flag(pos) == "L":
                        pos += 1
                    add(pos)
                    continue
                if f == "N":
                    group = 3 if kind == "llama3" else 1
                    ini = pos
                    while flag(pos) == "N":
                        pos += 1
                        if pos - ini >= group:
                            add(pos)
                            ini = pos
                    add(pos)
                    continue
                f2 = flag(pos + 1) if c == " " else f
                if f2 not in ("W", "L", "N"):
                    pos += c == " "
                    while flag(pos) is not None and flag(pos) not in ("W", "L", "N"):
                        pos += 1
                    while cpt(pos) in ("\r", "\n"):
                        pos += 1
                    add(pos)
                    continue
            count, last_nl = 0, 0
            while flag(pos + count) == "W":
                if kind != "gpt2" and cpt(pos + count) in ("\r", "\n"):
                    last_nl = pos + count + 1
                count += 1
            if last_nl > 0:
                pos = last_nl
            elif count > 1 and cpt(pos + count) is not None:
                pos += count - 1
            elif count > 0:
                pos += count
            else:
                pos += 1
            add(pos)
    return out


def custom_kind(expr):
    if expr == "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)":
        return "gpt2"
    tail = "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    if expr == "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])" + tail:
        return "llama3"
    if expr == "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])" + tail.replace("\\p{N}{1,3}", "\\p{N}"):
        return "qwen2"
    return None


def split(text, exprs):
    pieces = [(0, len(text))] if text else []
    for expr in exprs:
        by_regex = split_stl(text, expr, pieces)
        kind = custom_kind(expr)
        if kind:
            by_custom = custom(text, pieces, kind)
            assert by_custom == by_regex, (kind, text, by_custom, by_regex)
            by_regex = by_custom
        pieces = by_regex
    return [text[s:e] for (s, e) in pieces]


CORPUS = [
    "Hello world", "  leading spaces", "a\n\n\nb", "don't", "I'M", "123456789", "🦙🦙", "こんにちは世界",
    "café ß", "", " ", "   ", "\n", "trailing spaces   ", "tabs\tand\t\tmore\ttabs",
    "line one\r\nline two\r\n\r\nthree", "We're DON'T they'll you'VE I'd it's 'tis", "x = 3.14159 * r ** 2",
    "def f(a, b):\n    return a + b  # sum\n", "if (x != y) { return -1; }", "<html><body>héllo</body></html>",
    "Numbers: 1, 22, 333, 4444, 55555, 1234567890", "Fractions ½ ⅓ and superscripts x² y³", "Arabic ٣٤٥ digits",
    "Ελληνικά ΚΕΦΑΛΑΙΑ και πεζά", "ÉCOLE Élève ÀÉÎÕÜ", "Ünïcödé with combining: e\u0301 a\u0300 n\u0303",
    "한국어 텍스트입니다", "हिन्दी भाषा", "Привет, мир! ПРИВЕТ", "中文，标点。符号！", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "emoji 👩\u200d💻 and 👍🏽!!", "non\u00a0breaking\u3000ideographic\u2028sep", "nel\u0085char\u2003em",
    "money $100 €20 ¥3000 — dash… ellipsis", "a  b   c    d", "  \n  \n  x", "ﬁne ﬂow ligatures",
    "mixedCase camelCaseWord XMLHttpRequest", "path/to/file.txt https://example.com/a?b=c&d=e",
    "'quoted' \"double\" `back`", "\u00a0\u00a0lead nbsp", "end with newline\n", "CRLF only\r\n\r\n",
]

MAIN = ["gpt-2", "llama-bpe", "smollm", "qwen2", "deepseek-llm", "deepseek-coder", "falcon", "gpt-4o",
        "tekken", "default", "qwen35", "poro-chat", "chameleon", "bailingmoe", "seed-coder", "chatglm-bpe",
        "deepseek-v3", "superbpe", "viking", "exaone-moe", "jais-2", "whitespace", "laguna"]


def main():
    vocab = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VOCAB
    lists, names = make_pretokenizer_patterns.parse(vocab)
    cases = []
    for pre in MAIN:
        t = names[pre]
        exprs = lists.get(t, lists["DEFAULT"])
        cases.append({"pre": pre, "patterns": exprs,
                      "splits": [{"text": text, "pieces": split(text, exprs)} for text in CORPUS]})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"generator": "Scripts/make_pretokenizer_goldens.py", "regex": regex.__version__,
                   "unicodedata": unicodedata.unidata_version, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} pre values x {len(CORPUS)} texts")


if __name__ == "__main__":
    main()
