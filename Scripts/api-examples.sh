#!/usr/bin/env bash
# Run the curl examples of Ollama's API documentation (docs/api.md: generate streaming, no
# streaming, JSON mode, raw, reproducible, options, load, unload; chat streaming, no streaming,
# history, load, unload) against a running server, with the model name replaced by smollm2:135m.
#
#   make serve &            # or: .build/release/serve --models DIR
#   Scripts/api-examples.sh # prints each request and the server's answer
#
# Environment: OLLAMA_HOST (default 127.0.0.1:11434), MODEL (default smollm2:135m).
set -uo pipefail
host=${OLLAMA_HOST:-127.0.0.1:11434}
case $host in http://*|https://*) ;; *) host=http://$host ;; esac
model=${MODEL:-smollm2:135m}

run() {   # run TITLE PATH JSON
  echo "### $1"
  echo "\$ curl $host$2 -d '$3'"
  curl -sS "$host$2" -d "$3"
  echo; echo
}

run "generate (streaming)" /api/generate '{"model": "'"$model"'", "prompt": "Why is the sky blue?"}'
run "generate (no streaming)" /api/generate '{"model": "'"$model"'", "prompt": "Why is the sky blue?", "stream": false}'
run "generate (JSON mode)" /api/generate '{"model": "'"$model"'", "prompt": "What color is the sky at different times of the day? Respond using JSON", "format": "json", "stream": false}'
run "generate (raw)" /api/generate '{"model": "'"$model"'", "prompt": "<|im_start|>user\nwhy is the sky blue?<|im_end|>\n<|im_start|>assistant\n", "raw": true, "stream": false}'
run "generate (reproducible, twice)" /api/generate '{"model": "'"$model"'", "prompt": "Why is the sky blue?", "stream": false, "options": {"seed": 123}}'
run "generate (reproducible, twice)" /api/generate '{"model": "'"$model"'", "prompt": "Why is the sky blue?", "stream": false, "options": {"seed": 123}}'
run "generate (with options)" /api/generate '{"model": "'"$model"'", "prompt": "Why is the sky blue?", "stream": false, "options": {"num_keep": 5, "seed": 42, "num_predict": 100, "top_k": 20, "top_p": 0.9, "min_p": 0.0, "typical_p": 0.7, "repeat_last_n": 33, "temperature": 0.8, "repeat_penalty": 1.2, "presence_penalty": 1.5, "frequency_penalty": 1.0, "mirostat": 1, "mirostat_tau": 0.8, "mirostat_eta": 0.6, "penalize_newline": true, "stop": ["\n", "user:"], "numa": false, "num_ctx": 1024, "num_batch": 2, "num_gpu": 1, "main_gpu": 0, "low_vram": false, "vocab_only": false, "use_mmap": true, "use_mlock": false, "num_thread": 8}}'
run "generate (load)" /api/generate '{"model": "'"$model"'"}'
run "generate (unload)" /api/generate '{"model": "'"$model"'", "keep_alive": 0}'
run "chat (streaming)" /api/chat '{"model": "'"$model"'", "messages": [{"role": "user", "content": "why is the sky blue?"}]}'
run "chat (no streaming)" /api/chat '{"model": "'"$model"'", "messages": [{"role": "user", "content": "why is the sky blue?"}], "stream": false}'
run "chat (with history)" /api/chat '{"model": "'"$model"'", "messages": [{"role": "user", "content": "why is the sky blue?"}, {"role": "assistant", "content": "due to rayleigh scattering."}, {"role": "user", "content": "how is that different than mie scattering?"}], "stream": false}'
run "chat (reproducible)" /api/chat '{"model": "'"$model"'", "messages": [{"role": "user", "content": "Hello!"}], "options": {"seed": 101, "temperature": 0}, "stream": false}'
run "chat (load)" /api/chat '{"model": "'"$model"'", "messages": []}'
run "chat (unload)" /api/chat '{"model": "'"$model"'", "messages": [], "keep_alive": 0}'
echo "### ps"; curl -sS "$host/api/ps"; echo
