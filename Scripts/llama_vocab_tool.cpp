// llama_vocab_tool: llama.cpp's tokenizer as a measuring tool for the tokenizer goldens (never
// linked into Loom). Loads a GGUF's vocabulary once (vocab_only) and, for each input text, prints
// what libllama gives:
//
//   llama_vocab_tool MODEL.gguf ADD_SPECIAL PARSE_SPECIAL < texts > results
//
// stdin: texts, each as "<byte length>\n<bytes>". stdout, per text, one line:
//   "<ids separated by spaces>\t<hex of the concatenated pieces>\t<hex of llama_detokenize>"
// ids: llama_tokenize(text, add_special, parse_special); pieces: llama_token_to_piece(id, lstrip 0,
// special true) — what Loom's decode concatenates; detokenize: llama_detokenize(remove_special
// false, unparse_special true).
//
// Built and run by Scripts/make_vocab_goldens.py against libllama.a of the llama.cpp build
// (Scripts/build-llama-cpp.sh).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "llama.h"

static void hex(const std::string &s) {
    for (unsigned char c : s) printf("%02x", c);
}

static void quiet(enum ggml_log_level, const char *, void *) {}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: llama_vocab_tool MODEL ADD_SPECIAL PARSE_SPECIAL < texts\n"); return 2; }
    llama_log_set(quiet, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const llama_vocab *vocab = llama_model_get_vocab(model);
    const bool add_special = atoi(argv[2]) != 0, parse_special = atoi(argv[3]) != 0;
    size_t len;
    while (scanf("%zu", &len) == 1) {
        getchar();  // the newline after the length
        std::string text(len, '\0');
        if (len && fread(&text[0], 1, len, stdin) != len) { fprintf(stderr, "short read\n"); return 1; }
        int n = -llama_tokenize(vocab, text.data(), (int32_t)text.size(), nullptr, 0, add_special, parse_special);
        std::vector<llama_token> ids(n > 0 ? n : 0);
        if (n > 0) llama_tokenize(vocab, text.data(), (int32_t)text.size(), ids.data(), n, add_special, parse_special);
        std::string pieces;
        for (size_t i = 0; i < ids.size(); i++) {
            printf(i ? " %d" : "%d", ids[i]);
            char buf[512];
            int m = llama_token_to_piece(vocab, ids[i], buf, sizeof buf, 0, true);
            if (m < 0) { std::string big(-m, '\0'); llama_token_to_piece(vocab, ids[i], &big[0], -m, 0, true); pieces += big; }
            else pieces.append(buf, m);
        }
        printf("\t");
        hex(pieces);
        printf("\t");
        std::string out(text.size() * 4 + 64, '\0');
        int k = llama_detokenize(vocab, ids.data(), (int32_t)ids.size(), &out[0], (int32_t)out.size(), false, true);
        if (k < 0) { out.resize(-k); k = llama_detokenize(vocab, ids.data(), (int32_t)ids.size(), &out[0], (int32_t)out.size(), false, true); }
        out.resize(k > 0 ? k : 0);
        hex(out);
        printf("\n");
        fflush(stdout);
    }
    llama_model_free(model);
    return 0;
}
