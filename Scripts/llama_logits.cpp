// llama_logits: llama.cpp's logits for a fixed token sequence, a measuring tool for the architecture
// goldens (Scripts/make_tiny_models.py, Scripts/reference_arch.py). One batch, every position's
// logits, written as little-endian float32 [n_tokens, n_vocab] to OUT.
//
//   c++ -O2 -std=c++17 Scripts/llama_logits.cpp -I.cache/llama-cpp/src/include -I.cache/llama-cpp/src/ggml/include \
//       .cache/llama-cpp/build/src/libllama.a .cache/llama-cpp/build/ggml/src/libggml.a \
//       .cache/llama-cpp/build/ggml/src/libggml-cpu.a .cache/llama-cpp/build/ggml/src/libggml-base.a \
//       -fopenmp -lpthread -ldl -o /tmp/llama_logits
//   /tmp/llama_logits MODEL.gguf OUT.f32 N_CTX ID ID ID ...
//
// Flash attention off, f32 KV cache (LLAMA_ARG-free: set in code) so that the cache adds no rounding.

#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char ** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODEL.gguf OUT.f32 N_CTX ID...\n", argv[0]);
        return 2;
    }
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "load failed\n"); return 1; }
    std::vector<llama_token> ids;
    for (int i = 4; i < argc; i++) ids.push_back((llama_token) atoi(argv[i]));
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) atoi(argv[3]);
    cp.n_batch = cp.n_ubatch = (uint32_t) ids.size();
    cp.n_threads = cp.n_threads_batch = 2;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.swa_full = true;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "context failed\n"); return 1; }
    llama_batch batch = llama_batch_init((int32_t) ids.size(), 0, 1);
    for (size_t i = 0; i < ids.size(); i++) {
        batch.token[i] = ids[i];
        batch.pos[i] = (llama_pos) i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = (int32_t) ids.size();
    if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    FILE * f = fopen(argv[2], "wb");
    for (size_t i = 0; i < ids.size(); i++) fwrite(llama_get_logits_ith(ctx, (int32_t) i), sizeof(float), n_vocab, f);
    fclose(f);
    fprintf(stderr, "wrote %zu x %d logits\n", ids.size(), n_vocab);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
