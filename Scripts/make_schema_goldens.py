#!/usr/bin/env python3
"""Reference side of Loom's constrained-decoding tests (Tests/LoomSamplingTests/Constraint*.swift).

  validate          stdin: JSON lines {"schema": <schema>, "text": "<generated output>"}
                    stdout: one line per input: "ok", or "error: <reason>" — the text must parse
                    with json.loads (strict RFC 8259) and validate against the schema with
                    jsonschema's Draft 2020-12 validator *with format checking* (date, time,
                    date-time via rfc3339-validator, uuid).
  vocab MODEL.gguf  stdout: JSON {"tokens": [hex bytes per token id, "" for control tokens],
                    "eos": [ids]} — the byte-level BPE vocabulary decoded with GPT-2's
                    byte↔unicode table, as the runtime gives it to TokenConstraint.

Pinned in Scripts/requirements.txt: jsonschema==4.26.0, rfc3339-validator==0.1.4, gguf==0.19.0.
"""
import json
import sys


def validate() -> None:
    import jsonschema
    from jsonschema import Draft202012Validator

    # The draft's own checker: a bare FormatChecker() mixes drafts (draft 3's "time" has no offset).
    checker = Draft202012Validator.FORMAT_CHECKER
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            instance = json.loads(case["text"])
        except ValueError as e:
            print(f"error: not JSON: {e}".replace("\n", " "))
            continue
        try:
            Draft202012Validator(case["schema"], format_checker=checker).validate(instance)
            print("ok")
        except jsonschema.ValidationError as e:
            print(f"error: {e.message}".replace("\n", " "))
        sys.stdout.flush()


def gpt2_byte_decoder() -> dict:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def vocab(path: str) -> None:
    import gguf

    reader = gguf.GGUFReader(path)
    fields = reader.fields
    tokens_field = fields["tokenizer.ggml.tokens"]
    types_field = fields["tokenizer.ggml.token_type"]
    tokens = [bytes(tokens_field.parts[i]).decode("utf-8") for i in tokens_field.data]
    types = [int(types_field.parts[i][0]) for i in types_field.data]
    decoder = gpt2_byte_decoder()
    out = []
    for text, kind in zip(tokens, types):
        if kind in (1, 6):  # normal, byte
            try:
                out.append(bytes(decoder[c] for c in text).hex())
            except KeyError:
                out.append(text.encode("utf-8").hex())
        else:  # control, user-defined, unused: no text for the constraint
            out.append("")
    eos = []
    for key in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"):
        if key in fields:
            f = fields[key]
            eos.append(int(f.parts[f.data[0]][0]))
    json.dump({"tokens": out, "eos": sorted(set(eos))}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "validate":
        validate()
    elif len(sys.argv) == 3 and sys.argv[1] == "vocab":
        vocab(sys.argv[2])
    else:
        sys.exit(__doc__)
