// ggml_quantize: llama.cpp's own quantizer as a measuring tool for the quant goldens (never linked
// into Loom). Quantizes rows of little-endian float32 with ggml_quantize_chunk — the function
// llama-quantize calls — without an importance matrix, so each type uses the reference algorithm
// llama-quantize uses without one (quantize_row_<type>_ref for Q*_K, the iq4_nl search for IQ4_NL).
//
//   ggml_quantize TYPE N_PER_ROW < rows.f32 > blocks.bin      TYPE: a ggml type name, e.g. q4_K
//
// Built and run by Scripts/make_kquant_goldens.py against libggml-base.a of the llama.cpp build
// (Scripts/build-llama-cpp.sh).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ggml.h"

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: ggml_quantize TYPE N_PER_ROW < f32 > blocks\n"); return 2; }
    enum ggml_type type = GGML_TYPE_COUNT;
    for (int t = 0; t < GGML_TYPE_COUNT; t++) {
        const char *name = ggml_type_name((enum ggml_type)t);
        if (name && strcasecmp(name, argv[1]) == 0) { type = (enum ggml_type)t; break; }
    }
    if (type == GGML_TYPE_COUNT) { fprintf(stderr, "unknown type %s\n", argv[1]); return 2; }
    long n = atol(argv[2]);
    size_t cap = 1 << 20, len = 0;
    float *x = malloc(cap * sizeof(float));
    size_t got;
    while ((got = fread(x + len, sizeof(float), cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) { cap *= 2; x = realloc(x, cap * sizeof(float)); }
    }
    if (n <= 0 || len % n != 0) { fprintf(stderr, "input is not whole rows of %ld\n", n); return 2; }
    long rows = (long)(len / n);
    size_t bytes = ggml_row_size(type, n) * rows;
    void *out = malloc(bytes);
    ggml_quantize_init(type);
    size_t wrote = ggml_quantize_chunk(type, x, out, 0, rows, n, NULL);
    if (wrote != bytes) { fprintf(stderr, "wrote %zu of %zu bytes\n", wrote, bytes); return 1; }
    fwrite(out, 1, bytes, stdout);
    return 0;
}
