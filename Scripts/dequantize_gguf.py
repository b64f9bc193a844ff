#!/usr/bin/env python3
"""Write a copy of a GGUF with every tensor dequantized to F32 (same metadata, same tensor names and
order), with gguf-py's reference dequantizers (gguf.quants.dequantize, numpy ports of ggml's
dequantize_row_*). The copy computes the same function as the source, exactly: used to run an
architecture on a model whose quant types Loom lacks a kernel for yet (e.g. Gemma 3's Q4_K/Q6_K).

    .venv/bin/python Scripts/dequantize_gguf.py .cache/models/gemma-3-270m-Q4_K_M.gguf /tmp/arch/gemma3-f32.gguf
"""

import os
import sys

import numpy as np
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType as Q
from gguf.quants import dequantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_variants import copy_metadata  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: dequantize_gguf.py SOURCE.gguf OUT.gguf")
    src, out = sys.argv[1], sys.argv[2]
    reader = GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    tmp = out + ".tmp"
    writer = GGUFWriter(tmp, arch)
    copy_metadata(reader, writer, 0)   # general.file_type 0 = ALL_F32
    for t in reader.tensors:
        x = dequantize(t.data, t.tensor_type).astype(np.float32)
        writer.add_tensor(t.name, x, raw_shape=x.shape, raw_dtype=Q.F32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)
    print(f"{out}: {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
