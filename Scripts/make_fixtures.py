#!/usr/bin/env python3
"""Regenerate the small committed fixtures and goldens from the `gguf` Python package (the reference).

Usage: .venv/bin/python Scripts/make_fixtures.py        (from the repository root; deterministic)

Writes:
  Fixtures/gguf/tiny.gguf        a small GGUF v3 file written by gguf-py's GGUFWriter: every metadata
                                 value type (including nested arrays and an empty string), tensors of
                                 types F32, F16, BF16, Q8_0, Q4_0, Q4_1, I32 (quantized with gguf.quants)
  Fixtures/gguf/tiny.json        that file dumped by Scripts/gguf_dump.py
  Fixtures/ggml-types.json       gguf-py's GGMLQuantizationType ids/names and GGML_QUANT_SIZES
  Fixtures/half-golden.json      f32 → fp16 bits (numpy) and f32 → bf16 bits (gguf.quants, ggml's rule)
                                 for edge cases and seeded random values
"""
import json
import os
import subprocess
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Fixtures")


def tiny_gguf(path):
    w = gguf.GGUFWriter(path, arch="tiny")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.1)
    w.add_uint64("test.u64", 18_000_000_000_000_000_000)
    w.add_int64("test.i64", -9_000_000_000_000_000_000)
    w.add_float64("test.f64", -2.5e-300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo, 世界 🦙\n\"quoted\"")
    w.add_key_value("test.array.u8", [1, 2, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("test.array.i16", [-1, 0, 1], V.ARRAY, sub_type=V.INT16)
    w.add_key_value("test.array.u64", [0, 2**64 - 1], V.ARRAY, sub_type=V.UINT64)
    w.add_key_value("test.array.f32", [0.5, -1.25, 3.0e38], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.array.f64", [1.0 / 3.0], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("test.array.bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_array("test.array.string", ["a", "", "ü", "<|im_start|>"])
    w.add_array("test.array.i32.long", list(range(-50, 100)))
    w.add_key_value("test.array.nested", [[1, 2], [3], [4, 5, 6]], V.ARRAY, sub_type=V.ARRAY)
    w.add_key_value("test.array.nested_strings", [["x", "y"], ["z"]], V.ARRAY, sub_type=V.ARRAY)

    rng = np.random.default_rng(1234)
    f32 = rng.standard_normal((3, 40)).astype(np.float32)          # numpy shape: rows × row length
    w.add_tensor("t.f32", f32)
    w.add_tensor("t.f16", rng.standard_normal((2, 7)).astype(np.float16))
    m = rng.standard_normal((4, 64)).astype(np.float32)
    for qt in (T.BF16, T.Q8_0, T.Q4_0, T.Q4_1):
        q = gguf.quants.quantize(m, qt)
        w.add_tensor(f"t.{qt.name.lower()}", q, raw_shape=q.shape, raw_dtype=qt)
    w.add_tensor("t.i32", np.arange(5, dtype=np.int32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def type_table(path):
    rows = [{"id": int(t), "name": t.name, "block_size": gguf.GGML_QUANT_SIZES[t][0],
             "bytes_per_block": gguf.GGML_QUANT_SIZES[t][1]} for t in T]
    with open(path, "w") as f:
        json.dump({"generator": f"Scripts/make_fixtures.py with gguf=={gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}",
                   "types": rows}, f, indent=1)
        f.write("\n")


def half_golden(path):
    rng = np.random.default_rng(42)
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 65504.0, 65520.0, 65519.99, 1e-8, 5.96e-8, 2.98e-8,
                        6.1e-5, 3.0e38, -3.4028235e38, np.inf, -np.inf, 1.0009765625, 1.00048828125,
                        1.000732421875, 0.333333343, 1.0e-40, -1.0e-45], dtype=np.float32)
    values = np.concatenate([special,
                             rng.standard_normal(200).astype(np.float32),
                             (rng.standard_normal(100) * 1e4).astype(np.float32),
                             (rng.standard_normal(100) * 1e-5).astype(np.float32),
                             rng.integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32).view(np.float32)])
    values = values[~np.isnan(values)]  # NaN payload handling is covered by the Swift test
    with np.errstate(over="ignore"):  # overflow to ±inf is part of what is checked
        f16 = values.astype(np.float16).view(np.uint16)
    bf16 = gguf.quants.quantize(values.reshape(1, -1), T.BF16).view(np.uint16).reshape(-1)
    with open(path, "w") as f:
        json.dump({"generator": "Scripts/make_fixtures.py (numpy astype(float16); gguf.quants BF16)",
                   "f32_bits": [int(x) for x in values.view(np.uint32)],
                   "f16_bits": [int(x) for x in f16],
                   "bf16_bits": [int(x) for x in bf16]}, f)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(os.path.join(FIX, "gguf"), exist_ok=True)
    tiny = os.path.join(FIX, "gguf", "tiny.gguf")
    tiny_gguf(tiny)
    dump = subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "gguf_dump.py"), tiny, "--provenance",
                           "source=Fixtures/gguf/tiny.gguf", "generator=Scripts/make_fixtures.py"],
                          check=True, capture_output=True, text=True).stdout
    with open(os.path.join(FIX, "gguf", "tiny.json"), "w") as f:
        f.write(dump)
    type_table(os.path.join(FIX, "ggml-types.json"))
    half_golden(os.path.join(FIX, "half-golden.json"))
    print("fixtures written to", FIX)
