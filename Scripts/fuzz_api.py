#!/usr/bin/env python3
"""schemathesis (PyPI schemathesis==4.32.5) over Loom's HTTP API: openapi.yaml against a fresh real
`serve` on a free loopback port, with a throwaway store holding the default model as smollm2:135m.

    LOOM_SERVE=.build/release/serve .venv/bin/python Scripts/fuzz_api.py     (part of `make fuzz`)
    LOOM_FUZZ_API_EXAMPLES=N   test cases per operation and phase (default 40)

Two runs over one server, both with the checks not_a_server_error (no 5xx), status_code_conformance,
content_type_conformance, response_schema_conformance and response_headers_conformance:
  1. the operations that generate text (/api/generate, /api/chat, the /v1 generating routes),
     positive data only, from a copy of openapi.yaml narrowed for the run: `model` is the served
     model and the token budget is required and at most 16 (so every case really generates, and
     finishes), `options` are well-typed;
  2. every other operation except /api/pull and /api/push (they reach the network), positive and
     negative data, with openapi.yaml as published (a mistyped option is a 400 in Loom; Ollama
     answers 500).
/api/delete and /api/copy work on the throwaway store. Exit status non-zero when schemathesis
reports a failure or the server died; the server's log is printed then.
"""

import copy
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVE = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
MODEL_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2:135m"
EXAMPLES = int(os.environ.get("LOOM_FUZZ_API_EXAMPLES", "40"))
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"
GENERATING = ["generate", "chat", "openaiChatCompletions", "openaiCompletions", "openaiResponses", "anthropicMessages"]
NETWORK = ["pull", "push"]


class Server:
    def __init__(self, store):
        env = {**os.environ, "OLLAMA_CONTEXT_LENGTH": "512", "OLLAMA_KEEP_ALIVE": "10m"}
        self.proc = subprocess.Popen([str(SERVE), "--host", "127.0.0.1:0", "--models", store, "--import", f"{MODEL}={MODEL_FILE}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines, self.port = [], None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(120) or self.port is None:
            self.stop()
            raise SystemExit("serve did not start:\n" + "\n".join(self.lines))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def narrowed(spec):
    """The spec for run 1: the served model, a required token budget of 1...16, typed options."""
    s = copy.deepcopy(spec)
    schemas = s["components"]["schemas"]
    model = {"type": "string", "enum": [MODEL]}
    budget = {"type": "integer", "minimum": 1, "maximum": 16}
    opts = schemas["Options"]
    opts["properties"]["num_predict"] = budget
    opts["properties"]["num_ctx"] = {"type": "integer", "minimum": 64, "maximum": 512}
    opts["required"] = ["num_predict"]
    for name in ("GenerateRequest", "ChatRequest"):
        schemas[name]["properties"]["model"] = model
        schemas[name]["required"] = ["model", "options"]
    paths = s["paths"]
    for path, key in (("/v1/chat/completions", "max_tokens"), ("/v1/completions", "max_tokens"),
                      ("/v1/responses", "max_output_tokens"), ("/v1/messages", "max_tokens")):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        body["properties"]["model"] = model
        body["properties"][key] = budget
        body["properties"].pop("max_completion_tokens", None)
        body["required"] = sorted(set(body.get("required", [])) | {key})
    return s


def run(label, spec, url, report, args):
    path = Path(report) / f"{label}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    cmd = [str(SCHEMATHESIS), "run", str(path), "--url", url, "--checks", CHECKS, "--workers", "1",
           "--max-examples", str(EXAMPLES), "--seed", "21", "--request-timeout", "120",
           "--report", "junit", "--report-dir", str(Path(report) / label), *args]
    print(f"== schemathesis {label}: {' '.join(cmd[2:])}", flush=True)
    start = time.time()
    rc = subprocess.call(cmd, cwd=report, env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    print(f"== schemathesis {label}: exit {rc} after {time.time() - start:.0f}s", flush=True)
    return rc


def main():
    if not SERVE.exists():
        raise SystemExit(f"no serve binary at {SERVE} (build it, or set LOOM_SERVE)")
    if not MODEL_FILE.exists():
        raise SystemExit(f"missing {MODEL_FILE}: run `make models`")
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    with tempfile.TemporaryDirectory(prefix="loom-fuzz-api-") as tmp:
        store = Path(tmp) / "models"
        store.mkdir()
        server = Server(str(store))
        try:
            include = [a for op in GENERATING for a in ("--include-operation-id", op)]
            exclude = [a for op in GENERATING + NETWORK for a in ("--exclude-operation-id", op)]
            rc1 = run("generating", narrowed(spec), server.url, tmp, ["--mode", "positive", *include])
            rc2 = run("other", spec, server.url, tmp, ["--mode", "all", *exclude])
            alive = server.proc.poll() is None
        finally:
            server.stop()
        errors = [l for l in server.lines if re.search(r" 5\d\d ", l)]
        print(f"== server: {len(server.lines)} log lines, {len(errors)} with a 5xx status, alive to the end: {alive}")
        for line in errors[:20]:
            print("   ", line)
        if rc1 or rc2 or not alive:
            print("\n".join(server.lines[-40:]))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
