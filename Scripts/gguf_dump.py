#!/usr/bin/env python3
"""Dump a GGUF file as canonical JSON, read by the `gguf` Python package (the independent reference).

Usage: gguf_dump.py FILE.gguf [--provenance KEY=VALUE ...] > out.json

Format (consumed by Tests/LoomGGUFTests):
  version, alignment, data_offset, tensor_count, kv_count
  metadata: [{key, type, value}] in file order, where
    - integers: value is the number; bools: true/false; strings: the string
    - floats: value is the number and "bits" the IEEE bit pattern as hex (compared exactly)
    - arrays: element_type, count, fnv1a64 over the canonical encoding of all elements
      (each element as GGUF encodes it: numbers little-endian, bools one byte, strings u64 length +
      UTF-8, nested arrays u32 type + u64 count + elements), and "values" (≤ 64 elements) or
      "head"/"tail" (8 each) rendered like scalar values.
  tensors: [{name, type, type_id, shape (ggml order: row length first), offset (from data section),
             n_bytes, n_elements}]
Nested arrays are rebuilt from the reader's flat `parts` list (gguf-py flattens them itself).
"""
import json
import struct
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGMLQuantizationType

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
SCALAR_FMT = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.UINT64: "<Q", GGUFValueType.INT64: "<q", GGUFValueType.FLOAT32: "<f",
    GGUFValueType.FLOAT64: "<d", GGUFValueType.BOOL: "<B",
}


def fnv1a64(data: bytes) -> str:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def decode(parts, vtype):
    """Consume parts for one value of vtype; return (type, python value)."""
    if vtype == GGUFValueType.STRING:
        next(parts)  # length
        return ("string", str(bytes(next(parts)), encoding="utf-8"))
    if vtype == GGUFValueType.ARRAY:
        itype = GGUFValueType(int(next(parts)[0]))
        count = int(next(parts)[0])
        return ("array", (itype, [decode(parts, itype) for _ in range(count)]))
    raw = next(parts)
    return (vtype.name.lower(), raw.tolist()[0])


def encode(item) -> bytes:
    kind, v = item
    if kind == "string":
        b = v.encode("utf-8")
        return struct.pack("<Q", len(b)) + b
    if kind == "array":
        itype, elems = v
        return struct.pack("<IQ", int(itype), len(elems)) + b"".join(encode(e) for e in elems)
    vtype = GGUFValueType[kind.upper()]
    return struct.pack(SCALAR_FMT[vtype], int(v) if vtype == GGUFValueType.BOOL else v)


def render(item, with_type=False):
    kind, v = item
    out = {"type": kind} if with_type else {}
    if kind == "array":
        itype, elems = v
        out.update(element_type=itype.name.lower(), count=len(elems),
                   fnv1a64=fnv1a64(b"".join(encode(e) for e in elems)))
        if len(elems) <= 64:
            out["values"] = [render(e, with_type=itype == GGUFValueType.ARRAY) for e in elems]
        else:
            out["head"] = [render(e) for e in elems[:8]]
            out["tail"] = [render(e) for e in elems[-8:]]
        return out
    if kind in ("float32", "float64"):
        fmt, ifmt = ("<f", "<I") if kind == "float32" else ("<d", "<Q")
        bits = struct.unpack(ifmt, struct.pack(fmt, v))[0]
        val = {"value": v if np.isfinite(v) else None, "bits": f"{bits:x}"}
        return {**out, **val} if with_type or out else val
    if with_type:
        out["value"] = v
        return out
    return v


def dump(path, provenance):
    r = GGUFReader(path)
    fields = list(r.fields.values())[3:]  # the first three are gguf-py's synthetic GGUF.* fields
    metadata = []
    for f in fields:
        parts = iter(f.parts[3:])  # skip key length, key bytes, value type
        item = decode(parts, GGUFValueType(int(f.parts[2][0])))
        entry = {"key": f.name}
        entry.update(render(item, with_type=True))
        metadata.append(entry)
    tensors = [{
        "name": t.name,
        "type": GGMLQuantizationType(t.tensor_type).name,
        "type_id": int(t.tensor_type),
        "shape": [int(x) for x in t.shape],
        "offset": int(t.data_offset - r.data_offset),
        "n_bytes": int(t.n_bytes),
        "n_elements": int(t.n_elements),
    } for t in r.tensors]
    version = int(r.fields["GGUF.version"].parts[0][0])
    return {
        "provenance": provenance,
        "version": version,
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "tensor_count": len(tensors),
        "kv_count": len(metadata),
        "metadata": metadata,
        "tensors": tensors,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    prov = dict(a.split("=", 1) for a in args[2:]) if len(args) > 1 and args[1] == "--provenance" else {}
    json.dump(dump(args[0], prov), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
