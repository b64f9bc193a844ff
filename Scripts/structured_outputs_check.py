#!/usr/bin/env python3
"""Structured outputs acceptance measurement: how often `format` ("json" and JSON Schema objects)
yields valid output from the real `serve`, and what the constraint costs in tokens/s.

    LOOM_SERVE=.build-test/release/serve .venv/bin/python Scripts/structured_outputs_check.py
    .venv/bin/python Scripts/structured_outputs_check.py --serve .build/release/serve --seeds 20

It starts `serve` on a free loopback port (the Server helper of Tests/Integration/test_server.py)
with SmolLM2-135M-Instruct Q4_1 (`make models`) and, at temperature 0.8 with seeds 1..N (default 50):

- format "json" with a prompt asking for JSON: counts outputs that json.loads() to an object;
- 10 JSON Schemas (nested objects, arrays with minItems/maxItems, enums, anyOf, oneOf, $ref/$defs and
  definitions incl. a recursive one, date/time/date-time/uuid formats, integer ranges, const, type
  arrays, prefixItems, required + optional properties, additionalProperties:false): every output is
  parsed and validated with jsonschema's Draft202012Validator and its format checker;
- per schema: "k/N valid", how many hit the num_predict safety cap (done_reason "length", a failure
  unless the text is nevertheless valid), mean eval_count and decode tokens/s (eval_count/eval_duration);
- the same prompts without `format` for a few seeds: unconstrained tokens/s and the ratio
  constrained/unconstrained.

Failures are printed verbatim. Exit status 1 when anything was invalid. Takes a few minutes; not part
of `make test`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CAP = 512            # num_predict: a safety cap only
TEMPERATURE = 0.8
UNCONSTRAINED_SEEDS = 3
UNCONSTRAINED_TOKENS = 128

JSON_PROMPT = "Describe a cat in JSON."

SHORT = {"type": "string", "maxLength": 16}

# anyOf + $ref/$defs + const (also used by Tests/Integration/test_server.py StructuredTests).
SHAPE = {"$defs": {"point": {"type": "object",
                             "properties": {"x": {"type": "integer", "minimum": -100, "maximum": 100},
                                            "y": {"type": "integer", "minimum": -100, "maximum": 100}},
                             "required": ["x", "y"], "additionalProperties": False}},
         "type": "object",
         "properties": {"shape": {"anyOf": [
             {"type": "object", "properties": {"kind": {"const": "circle"}, "center": {"$ref": "#/$defs/point"},
                                               "radius": {"type": "integer", "minimum": 1, "maximum": 50}},
              "required": ["kind", "center", "radius"], "additionalProperties": False},
             {"type": "object", "properties": {"kind": {"const": "segment"}, "from": {"$ref": "#/$defs/point"},
                                               "to": {"$ref": "#/$defs/point"}},
              "required": ["kind", "from", "to"], "additionalProperties": False}]}},
         "required": ["shape"], "additionalProperties": False}

SCHEMAS = [
    ("nested person (required+optional, additionalProperties:false)",
     "Describe a person and their address in JSON.",
     {"type": "object",
      "properties": {
          "name": SHORT,
          "age": {"type": "integer", "minimum": 0, "maximum": 120},
          "email": {"type": ["string", "null"], "maxLength": 24},
          "address": {"type": "object",
                      "properties": {"street": {"type": "string", "maxLength": 24}, "city": SHORT,
                                     "zip": {"type": "string", "minLength": 5, "maxLength": 5}},
                      "required": ["city"], "additionalProperties": False}},
      "required": ["name", "age", "address"], "additionalProperties": False}),

    ("pet (enum, array minItems/maxItems)",
     "Describe a pet in JSON: its name, species, colors and toys.",
     {"type": "object",
      "properties": {
          "name": SHORT,
          "species": {"enum": ["cat", "dog", "rabbit", "parrot"]},
          "colors": {"type": "array", "items": {"enum": ["black", "white", "brown", "orange", "grey"]},
                     "minItems": 1, "maxItems": 3},
          "toys": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 0, "maxItems": 2}},
      "required": ["name", "species", "colors", "toys"], "additionalProperties": False}),

    ("shape (anyOf + $ref/$defs + const)",
     "Describe a geometric shape in JSON.",
     SHAPE),

    # Recursion cannot bound the depth; maxItems bounds the breadth and `children` is optional, so the
    # model can close every level (with `children` required, SmolLM2 nests until the cap nearly always).
    ("tree (recursive $ref, maxItems bounds the breadth)",
     "Describe a tree with a root and two leaves in JSON.",
     {"$defs": {"node": {"type": "object",
                         "properties": {"name": {"type": "string", "maxLength": 10},
                                        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
                         "required": ["name"], "additionalProperties": False}},
      "$ref": "#/$defs/node"}),

    ("event (date, time, date-time, uuid formats)",
     "Describe a meeting in JSON with an id, a date, a start time and a creation timestamp.",
     {"type": "object",
      "properties": {"id": {"type": "string", "format": "uuid"},
                     "day": {"type": "string", "format": "date"},
                     "start": {"type": "string", "format": "time"},
                     "created": {"type": "string", "format": "date-time"},
                     "title": SHORT},
      "required": ["id", "day", "start", "created"], "additionalProperties": False}),

    ("scores (integer ranges, exclusive bounds, whole-number float bounds)",
     "Give the scores of a game in JSON.",
     {"type": "object",
      "properties": {"home": {"type": "integer", "minimum": 0, "maximum": 20},
                     "away": {"type": "integer", "exclusiveMinimum": -1, "exclusiveMaximum": 21},
                     "rating": {"type": "number", "minimum": 0, "maximum": 5},
                     "rounds": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9},
                                "minItems": 2, "maxItems": 4}},
      "required": ["home", "away", "rating", "rounds"], "additionalProperties": False}),

    ("config (const, type arrays, booleans, definitions)",
     "Write a small application config in JSON.",
     {"definitions": {"level": {"enum": ["debug", "info", "warn", "error"]}},
      "type": "object",
      "properties": {"version": {"const": 2},
                     "debug": {"type": "boolean"},
                     "log": {"$ref": "#/definitions/level"},
                     "proxy": {"type": ["string", "null"], "maxLength": 20},
                     "workers": {"type": ["integer", "null"], "minimum": 1, "maximum": 16}},
      "required": ["version", "debug", "log", "proxy"], "additionalProperties": False}),

    ("payment (oneOf with const discriminators)",
     "Describe a payment in JSON.",
     {"type": "object",
      "properties": {"amount": {"type": "integer", "minimum": 1, "maximum": 1000},
                     "method": {"oneOf": [
                         {"type": "object", "properties": {"type": {"const": "card"},
                                                           "last4": {"type": "string", "minLength": 4, "maxLength": 4}},
                          "required": ["type", "last4"], "additionalProperties": False},
                         {"type": "object", "properties": {"type": {"const": "cash"},
                                                           "currency": {"enum": ["EUR", "USD", "GBP"]}},
                          "required": ["type", "currency"], "additionalProperties": False}]}},
      "required": ["amount", "method"], "additionalProperties": False}),

    ("row (prefixItems tuple)",
     "Give one row of a table of products in JSON: name, stock and availability.",
     {"type": "object",
      "properties": {"row": {"type": "array",
                             "prefixItems": [SHORT, {"type": "integer", "minimum": 0, "maximum": 999}, {"type": "boolean"}],
                             "minItems": 3, "maxItems": 3}},
      "required": ["row"], "additionalProperties": False}),

    ("inventory (array of objects, optional properties, enum)",
     "List the items of a small inventory in JSON.",
     {"type": "object",
      "properties": {"items": {"type": "array", "minItems": 1, "maxItems": 3,
                               "items": {"type": "object",
                                         "properties": {"sku": {"type": "string", "minLength": 3, "maxLength": 8},
                                                        "qty": {"type": "integer", "minimum": 0, "maximum": 99},
                                                        "unit": {"enum": ["pcs", "kg", "box"]},
                                                        "note": {"type": "string", "maxLength": 16}},
                                         "required": ["sku", "qty"], "additionalProperties": False}},
                     "owner": SHORT},
      "required": ["items"], "additionalProperties": False}),
]


def rate(r):
    return r["eval_count"] / (r["eval_duration"] / 1e9) if r.get("eval_duration") else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", help="the serve binary (default: $LOOM_SERVE or .build/release/serve)")
    parser.add_argument("--seeds", type=int, default=50, help="seeds 1..N per format (default 50)")
    args = parser.parse_args()
    if args.serve:
        os.environ["LOOM_SERVE"] = str(Path(args.serve).resolve())
    sys.path.insert(0, str(ROOT / "Tests/Integration"))
    import test_server                      # noqa: E402  (reads LOOM_SERVE at import)
    from jsonschema import Draft202012Validator

    if not test_server.SERVE.exists() or not test_server.MODEL_FILE.exists():
        sys.exit(f"missing {test_server.SERVE} or {test_server.MODEL_FILE}: run `make release models` first")
    for _, _, schema in SCHEMAS:
        Draft202012Validator.check_schema(schema)

    started = time.time()
    server = test_server.Server()
    model = test_server.MODEL
    seeds = range(1, args.seeds + 1)
    n = len(seeds)
    print(f"serve: {test_server.SERVE}\nmodel: {model} ({test_server.MODEL_FILE.name}); temperature {TEMPERATURE}, "
          f"seeds 1..{n}, num_predict cap {CAP}\n")

    def generate(prompt, fmt, seed, num_predict=CAP):
        body = {"model": model, "prompt": prompt, "stream": False,
                "options": {"temperature": TEMPERATURE, "seed": seed, "num_predict": num_predict}}
        if fmt is not None:
            body["format"] = fmt
        status, _, data = server.request("POST", "/api/generate", body)
        reply = json.loads(data)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {reply}")
        return reply

    def unconstrained_rate(prompt):
        rates = [rate(generate(prompt, None, seed, UNCONSTRAINED_TOKENS)) for seed in range(1, UNCONSTRAINED_SEEDS + 1)]
        return statistics.mean(rates)

    failures_total = 0
    violations = 0          # complete outputs (done_reason "stop") that are nevertheless invalid
    rows = []
    try:
        generate("Hi", None, 1, 1)           # load the model outside the measurements

        # -- format "json" ----------------------------------------------------------------------
        t0 = time.time()
        ok, capped, counts, rates, failures = 0, 0, [], [], []
        for seed in seeds:
            r = generate(JSON_PROMPT, "json", seed)
            counts.append(r["eval_count"])
            rates.append(rate(r))
            capped += r["done_reason"] == "length"
            try:
                value = json.loads(r["response"])
                if not isinstance(value, dict):
                    raise ValueError(f"not an object: {type(value).__name__}")
                ok += 1
            except ValueError as e:
                failures.append((seed, r["done_reason"], str(e), r["response"]))
        free = unconstrained_rate(JSON_PROMPT)
        rows.append(("format \"json\"", ok, capped, statistics.mean(counts), statistics.mean(rates), free, time.time() - t0))
        print(f'format "json" ({JSON_PROMPT!r}): {ok}/{n} parse as JSON objects; {capped} hit the cap; '
              f"mean eval_count {statistics.mean(counts):.1f}; {statistics.mean(rates):.1f} tok/s "
              f"(unconstrained {free:.1f} tok/s, ratio {statistics.mean(rates) / free:.2f}); {time.time() - t0:.1f} s")
        for seed, reason, err, text in failures:
            print(f"  FAIL seed {seed} (done_reason {reason}): {err}\n    {text!r}")
        failures_total += len(failures)
        violations += sum(reason != "length" for _, reason, _, _ in failures)

        # -- JSON Schemas -------------------------------------------------------------------------
        for title, prompt, schema in SCHEMAS:
            t0 = time.time()
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            ok, capped, counts, rates, failures = 0, 0, [], [], []
            for seed in seeds:
                r = generate(prompt, schema, seed)
                counts.append(r["eval_count"])
                rates.append(rate(r))
                capped += r["done_reason"] == "length"
                try:
                    value = json.loads(r["response"])
                    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
                    if errors:
                        raise ValueError("; ".join(f"{'/'.join(map(str, e.path)) or '$'}: {e.message}" for e in errors))
                    ok += 1
                except ValueError as e:
                    failures.append((seed, r["done_reason"], str(e), r["response"]))
            free = unconstrained_rate(prompt)
            mean_rate = statistics.mean(rates)
            rows.append((title, ok, capped, statistics.mean(counts), mean_rate, free, time.time() - t0))
            print(f"{title}: {ok}/{n} valid; {capped} hit the cap; mean eval_count {statistics.mean(counts):.1f}; "
                  f"{mean_rate:.1f} tok/s (unconstrained {free:.1f} tok/s, ratio {mean_rate / free:.2f}); "
                  f"{time.time() - t0:.1f} s")
            for seed, reason, err, text in failures:
                print(f"  FAIL seed {seed} (done_reason {reason}): {err}\n    {text!r}")
            failures_total += len(failures)
            violations += sum(reason != "length" for _, reason, _, _ in failures)
    finally:
        server.stop()

    print("\n| format | valid | hit cap | mean eval_count | tok/s constrained | tok/s unconstrained | ratio | time |")
    print("|---|---|---|---|---|---|---|---|")
    for title, ok, capped, count, cr, fr, took in rows:
        print(f"| {title} | {ok}/{n} | {capped} | {count:.1f} | {cr:.1f} | {fr:.1f} | {cr / fr:.2f} | {took:.1f} s |")
    ratios = [cr / fr for *_, cr, fr, _ in rows]
    valid = sum(r[1] for r in rows)
    capped = sum(r[2] for r in rows)
    print(f"\ntotal: {valid}/{n * len(rows)} valid; {capped} hit the cap of {CAP} tokens; {violations} complete "
          f"(done_reason stop) but invalid")
    print(f"mean tokens/s ratio constrained/unconstrained "
          f"{statistics.mean(ratios):.2f} (min {min(ratios):.2f}); total time {time.time() - started:.1f} s")
    return 1 if failures_total else 0


if __name__ == "__main__":
    sys.exit(main())
