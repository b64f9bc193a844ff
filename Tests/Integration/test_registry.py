#!/usr/bin/env python3
"""Loom's pull and push against a real OCI registry (CNCF Distribution, `docker-registry`, started by
`registry.py` beside this file): the `serve` binary on free loopback ports, driven by the official
`ollama` client, by raw HTTP and by the `loom` CLI.

    LOOM_SERVE=.build-test/release/serve .venv/bin/python Tests/Integration/test_registry.py
    ... test_registry.py CrashResumeTests -v        # one class

Environment: LOOM_SERVE (serve binary), LOOM_CLI (loom binary, default beside serve),
LOOM_REQUIRE_MODELS=1 (a missing registry binary or model file fails instead of skipping),
LOOM_CRASH_SEED (the crash test's random seed; printed). Every server gets LOOM_REGISTRY_AUTH: a
missing file (anonymous) or a credentials file written by `Registry.auth_file`.

What is checked (each test can fail):
1. RoundTripTests: a store holding smollm2:135m (imported from the Q4_1 GGUF) copies it to
   HOST/library/smollm2:135m and pushes it with the client (streaming, then a second tag not
   streaming); empty servers pull both tags (streaming and not). The pulled manifest file is the
   registry's bytes (sha256 = the registry's digest = the source's file), the blob sets are equal and
   every blob hashes to its name, /api/tags lists the name, and `loom run NAME` on the puller answers
   what /api/chat answers on the source at temperature 0. The status streams are checked in order.
   Also: `loom run` on an empty server pulls first; `loom pull` / `loom push`; raw-HTTP streams.
2. AuthTests: htpasswd and token registries refuse pull and push without (or with wrong)
   credentials («unauthorized», nothing written on either side) and accept them with
   LOOM_REGISTRY_AUTH (the token mode through the token issuer).
3. ErrorTests: a tampered blob (digest mismatch text, nothing kept), an unknown model, http:// without
   insecure.
4. ConcurrencyTests: two simultaneous pulls of one model download its blob once.
5. CrashResumeTests: a whole pull of the F16 model (271 MB) is timed (T: 0.6-0.8 s on the 2-core
   dev machine, ~1.5 s while it compiles), then 20 pulls are killed (kill -9 of serve) at uniform
   random moments in [0, T], serve restarted on the same store each time. After each kill every
   manifest names present blobs of its sizes and blobs/ holds only finished blobs that hash to their
   names; after each restart /api/tags lists nothing else. An attempt killed after the registry served
   it > 32 MiB of a blob not yet complete must be followed by one served less than the blob (resume).
   A model that completed is deleted, so the next attempt starts over. Then a pull completes. A kill
   may cut an atomic manifest write short (a hidden temp file); the restart must remove it. ~20-25 s.
"""

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path

import ollama
from cryptography.hazmat.primitives import serialization
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import registry  # noqa: E402
from registry import Registry  # noqa: E402
from test_server import LOOM, MODEL, MODEL_FILE, ROOT, SERVE, Server  # noqa: E402

F16_FILE = ROOT / ".cache/models/SmolLM2-135M-Instruct.F16.gguf"
REQUIRE = os.environ.get("LOOM_REQUIRE_MODELS") == "1"
NO_CREDENTIALS = {"LOOM_REGISTRY_AUTH": "/nonexistent/loom-registry-auth.json", "LOOM_REGISTRY_KEY": "/nonexistent/id_ed25519"}
PROMPT = "Say hi"
NUM_PREDICT = 16
MIB = 1 << 20
TIMEOUT = 300
PULL_TAIL = ["verifying sha256 digest", "writing manifest", "success"]
PUSH_TAIL = ["pushing manifest", "success"]
BLOB_NAME = re.compile(r"^sha256-[0-9a-f]{64}$")


def requirement_problems():
    """Why the registry tests cannot run here (empty when they can)."""
    problems = []
    if not registry.available():
        problems.append(f"{registry.REGISTRY_BIN} is missing (Scripts/install-system-deps.sh installs docker-registry)")
    if not F16_FILE.exists():
        problems.append(f"{F16_FILE} is missing (`make models`)")
    return problems


SKIP_REASON = "; ".join(requirement_problems())
needs_registry = unittest.skipIf(bool(SKIP_REASON) and not REQUIRE, SKIP_REASON)


# -- the store (Ollama's layout) --------------------------------------------------------------------

def split_name(name):
    """`[scheme://]host/namespace/model[:tag]` → (host, namespace, model, tag)."""
    host, namespace, rest = name.split("://", 1)[-1].split("/")
    model, _, tag = rest.partition(":")
    return host, namespace, model, tag or "latest"


def manifest_file(store, name) -> Path:
    host, namespace, model, tag = split_name(name)
    return Path(store) / "manifests" / host / namespace / model / tag


def blob_file(store, digest) -> Path:
    return Path(store) / "blobs" / digest.replace(":", "-")


def manifest_files(store):
    """The manifests of a store: files four levels under manifests/, except hidden ones (temporaries
    of an atomic write — Loom's `.tmp-*`, Foundation's `.dat.nosync*` — which a kill can leave)."""
    root = Path(store) / "manifests"
    return sorted(p for p in root.glob("*/*/*/*") if p.is_file() and not p.name.startswith(".")) if root.exists() else []


def manifest_temporaries(store):
    root = Path(store) / "manifests"
    return sorted(p for p in root.rglob(".*") if p.is_file()) if root.exists() else []


def regular_files(directory):
    directory = Path(directory)
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def references(manifest_bytes):
    """[(digest, size)] of a manifest's config and layers."""
    m = json.loads(manifest_bytes)
    return [(m["config"]["digest"], m["config"]["size"])] + [(layer["digest"], layer["size"]) for layer in m["layers"]]


_hashes = {}


def file_digest(path) -> str:
    """`sha256:<hex>` of a file, cached by (inode, size, mtime)."""
    st = os.stat(path)
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _hashes:
        _hashes[key] = registry.sha256_file(path)
    return _hashes[key]


def sha256_bytes(data) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def store_problems(store):
    """What is wrong with a store: a manifest naming a missing blob or one of another size, a file in
    blobs/ that is not `sha256-<hex>` or does not hash to its name."""
    problems = []
    for path in manifest_files(store):
        try:
            refs = references(path.read_bytes())
        except (ValueError, KeyError) as e:
            problems.append(f"{path}: unreadable manifest ({e})")
            continue
        for digest, size in refs:
            blob = blob_file(store, digest)
            if not blob.exists():
                problems.append(f"{path} names missing blob {digest}")
            elif blob.stat().st_size != size:
                problems.append(f"{path} names {digest} of size {size}, the blob has {blob.stat().st_size}")
    for blob in regular_files(Path(store) / "blobs"):
        if not BLOB_NAME.match(blob.name):
            problems.append(f"blobs/ holds {blob.name}, not a finished blob")
        elif file_digest(blob) != blob.name.replace("-", ":"):
            problems.append(f"blobs/{blob.name} hashes to {file_digest(blob)}")
    return problems


def store_model(store, local_name):
    """(manifest bytes, {digest: blob path}) of a model in a Loom store."""
    path = manifest_file(store, local_name if "/" in local_name else f"registry.ollama.ai/library/{local_name}")
    manifest = path.read_bytes()
    return manifest, {digest: blob_file(store, digest) for digest, _ in references(manifest)}


def import_store(directory, name=MODEL, gguf=MODEL_FILE):
    """Imports `gguf` as `name` into `directory` with `serve --import` (until it listens), then stops it."""
    proc = subprocess.Popen([str(SERVE), "--host", "127.0.0.1:0", "--models", str(directory), "--import", f"{name}={gguf}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = []
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("Listening on"):
                break
    finally:
        timer.cancel()
        proc.terminate()
        proc.communicate(timeout=30)
    if not manifest_files(directory):
        raise RuntimeError("serve --import wrote no manifest:\n" + "".join(lines))


# -- the server's API -------------------------------------------------------------------------------

def api(server, method, path, body=None, stream=False):
    return requests.request(method, server.url + path, json=body, stream=stream, timeout=TIMEOUT)


def ndjson(response):
    return [json.loads(line) for line in response.iter_lines() if line.strip()]


def registry_call(server, kind, name, stream=True, insecure=True):
    """Raw POST /api/pull or /api/push: (status, content type, [objects])."""
    r = api(server, "POST", f"/api/{kind}", {"model": name, "insecure": insecure, "stream": stream}, stream=stream)
    objects = ndjson(r) if stream else [r.json()]
    return r.status_code, r.headers.get("content-type", ""), objects


def tags(server):
    r = api(server, "GET", "/api/tags")
    r.raise_for_status()
    return {m["name"]: m for m in r.json()["models"]}


def copy(server, source, destination):
    r = api(server, "POST", "/api/copy", {"source": source, "destination": destination})
    assert r.status_code == 200, (r.status_code, r.text)


def delete(server, name):
    r = api(server, "DELETE", "/api/delete", {"model": name})
    assert r.status_code == 200, (r.status_code, r.text)


def chat_answer(server, model):
    r = api(server, "POST", "/api/chat", {"model": model, "messages": [{"role": "user", "content": PROMPT}], "stream": False,
                                          "options": {"temperature": 0, "num_predict": NUM_PREDICT}})
    r.raise_for_status()
    return r.json()["message"]["content"]


def generate_answer(server, model):
    r = api(server, "POST", "/api/generate", {"model": model, "prompt": PROMPT, "stream": False,
                                              "options": {"temperature": 0, "num_predict": NUM_PREDICT}})
    r.raise_for_status()
    return r.json()["response"]


def loom(server, *args, env=None):
    """Runs the `loom` CLI against `server` (OLLAMA_HOST)."""
    return subprocess.run([str(LOOM), *args], capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, **NO_CREDENTIALS, **(env or {}), "OLLAMA_HOST": f"127.0.0.1:{server.port}"})


def progress(objects):
    """Client ProgressResponses or raw dicts → dicts without empty fields."""
    out = []
    for o in objects:
        d = o.model_dump(exclude_none=True) if hasattr(o, "model_dump") else dict(o)
        out.append({k: v for k, v in d.items() if v is not None})
    return out


class RegistryTestCase(unittest.TestCase):
    """Status-stream and store assertions shared by the test classes."""

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        if SKIP_REASON:   # only reached under LOOM_REQUIRE_MODELS=1
            raise AssertionError(SKIP_REASON)
        cls._cleanups = []

    @classmethod
    def tearDownClass(cls):
        for fn in reversed(cls._cleanups):
            fn()

    @classmethod
    def keep(cls, fn):
        cls._cleanups.append(fn)

    @classmethod
    def start_registry(cls, auth=None):
        reg = Registry(auth=auth).__enter__()
        cls.keep(lambda: reg.__exit__(None, None, None))
        return reg

    @classmethod
    def start_server(cls, models=None, env=None):
        server = Server(env={**NO_CREDENTIALS, **(env or {})}, models=str(models) if models else None, empty=models is None)
        cls.keep(server.stop)
        return server

    @classmethod
    def temp_dir(cls, prefix):
        d = tempfile.TemporaryDirectory(prefix=prefix)
        cls.keep(d.cleanup)
        return Path(d.name)

    @classmethod
    def source_store(cls):
        """A store holding smollm2:135m, imported from the Q4_1 GGUF."""
        store = cls.temp_dir("loom-source-")
        import_store(store)
        return store

    def assertStoreSound(self, store):
        self.assertEqual(store_problems(store), [])

    def assertStoreEmpty(self, store):
        written = [str(p.relative_to(store)) for p in regular_files(store)
                   if p.relative_to(store).parts[0] in ("manifests", "blobs", "partial")]
        self.assertEqual(written, [], "nothing may be written in the store")

    def assertPullStatuses(self, objects, manifest_bytes, fresh=True):
        """pulling manifest, pulling <id> per blob (digest/total/completed; one line at completed ==
        total for a blob already present), verifying sha256 digest, writing manifest, success."""
        objects = progress(objects)
        statuses = [o.get("status") for o in objects]
        self.assertFalse([o for o in objects if "error" in o], statuses)
        self.assertEqual(statuses[0], "pulling manifest", statuses)
        tail = [s for s in statuses[1:] if not s.startswith("pulling ") and s != "removing unused layers"]
        self.assertEqual(tail, PULL_TAIL, statuses)
        first_tail = statuses.index(PULL_TAIL[0])
        self.assertTrue(all(s.startswith("pulling ") for s in statuses[1:first_tail]), statuses)
        self.assertEqual(statuses[-1], "success")
        self.assertBlobProgress(objects[1:first_tail], manifest_bytes, "pulling", fresh)

    def assertPushStatuses(self, objects, manifest_bytes):
        """retrieving manifest, pushing <id> per blob (digest/total/completed), pushing manifest, success."""
        objects = progress(objects)
        statuses = [o.get("status") for o in objects]
        self.assertFalse([o for o in objects if "error" in o], statuses)
        self.assertEqual(statuses[0], "retrieving manifest", statuses)
        self.assertEqual(statuses[-2:], PUSH_TAIL, statuses)
        self.assertBlobProgress(objects[1:-2], manifest_bytes, "pushing", fresh=None)

    def assertBlobProgress(self, objects, manifest_bytes, verb, fresh):
        sizes = dict(references(manifest_bytes))
        seen = {}
        for o in objects:
            digest = o.get("digest")
            self.assertIn(digest, sizes, o)
            self.assertEqual(o["status"], f"{verb} {digest[7:19]}", o)
            self.assertEqual(o.get("total"), sizes[digest], o)
            completed = o.get("completed", 0)
            self.assertLessEqual(completed, sizes[digest], o)
            self.assertGreaterEqual(completed, seen.get(digest, [0])[-1], f"completed went back: {o}")
            seen.setdefault(digest, []).append(completed)
        self.assertEqual(set(seen), set(sizes), "one progress series per blob")
        for digest, series in seen.items():
            self.assertEqual(series[-1], sizes[digest], f"{digest} ends at completed == total")
            if fresh is False:
                self.assertEqual(series, [sizes[digest]], f"{digest} is present: one line, completed == total")

    def assertPulledLike(self, store, name, reg, repo, tag, source_manifest):
        """The store holds `name` with the registry's manifest bytes (= `source_manifest`), sound."""
        path = manifest_file(store, name)
        self.assertTrue(path.exists(), f"no manifest at {path}")
        status, served, digest = reg.manifest(repo, tag)
        self.assertEqual(status, 200)
        self.assertEqual(path.read_bytes(), served, "the manifest is stored as the registry served it")
        self.assertEqual(sha256_bytes(path.read_bytes()), digest)
        self.assertEqual(sha256_bytes(path.read_bytes()), sha256_bytes(source_manifest))
        for d, _ in references(source_manifest):
            self.assertEqual(file_digest(blob_file(store, d)), d)
        self.assertStoreSound(store)


# -- 1. round trip, loom run, CLI, raw streams --------------------------------------------------------

@needs_registry
class RoundTripTests(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reg = cls.start_registry()
        cls.store_a = cls.source_store()
        cls.a = cls.start_server(cls.store_a)
        cls.manifest, cls.blobs = store_model(cls.store_a, MODEL)
        cls.expected = {chat_answer(cls.a, MODEL).strip(), generate_answer(cls.a, MODEL).strip()}

    def name(self, repo, tag="135m"):
        return f"{self.reg.host}/{repo}:{tag}"

    def upload(self, repo, tag="135m"):
        """Puts store A's model on the registry with the harness (not Loom's push)."""
        self.reg.upload_model(repo, tag, self.manifest, self.blobs)
        return self.name(repo, tag)

    def assertAnswers(self, out):
        self.assertTrue(all(self.expected), f"the source answers empty: {self.expected}")
        self.assertTrue(out.strip(), "loom run printed no answer")
        self.assertTrue(any(out.strip().endswith(e) for e in self.expected),
                        f"loom run printed {out!r}; the source answers {self.expected}")

    def test_push_then_pull_round_trip(self):
        client_a = ollama.Client(host=self.a.url, timeout=TIMEOUT)
        name, name2 = self.name("library/smollm2"), self.name("library/smollm2", "again")
        copy(self.a, MODEL, name)
        copy(self.a, MODEL, name2)
        source = manifest_file(self.store_a, name).read_bytes()
        self.assertEqual(source, self.manifest, "copy keeps the manifest bytes")

        pushed = list(client_a.push(name, insecure=True, stream=True))
        self.assertPushStatuses(pushed, source)
        whole = client_a.push(name2, insecure=True, stream=False)
        self.assertEqual(whole.status, "success")
        for tag in ("135m", "again"):
            status, body, digest = self.reg.manifest("library/smollm2", tag)
            self.assertEqual((status, digest), (200, sha256_bytes(source)), "the registry has the source's manifest bytes")
            self.assertEqual(body, source)
        self.reg.wait_idle(quiet=0.2)
        self.assertEqual(self.reg.bytes_served(repo="library/smollm2"), 0, "a push downloads nothing")

        b = self.start_server()
        client_b = ollama.Client(host=b.url, timeout=TIMEOUT)
        pulled = list(client_b.pull(name, insecure=True, stream=True))
        self.assertPullStatuses(pulled, source, fresh=True)
        self.assertPulledLike(b.models, name, self.reg, "library/smollm2", "135m", source)
        self.assertEqual({p.name for p in regular_files(Path(b.models) / "blobs")},
                         {p.name for p in regular_files(Path(self.store_a) / "blobs")}, "the same blob set")
        listed = tags(b)
        self.assertIn(name, listed)
        self.assertEqual(listed[name]["digest"], hashlib.sha256(source).hexdigest())

        again = list(client_b.pull(name, insecure=True, stream=True))
        self.assertPullStatuses(again, source, fresh=False)

        b2 = self.start_server()
        whole = ollama.Client(host=b2.url, timeout=TIMEOUT).pull(name2, insecure=True, stream=False)
        self.assertEqual(whole.status, "success")
        self.assertPulledLike(b2.models, name2, self.reg, "library/smollm2", "again", source)

        run = loom(b, "run", name, PROMPT, "--temperature", "0", "--num-predict", str(NUM_PREDICT))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertAnswers(run.stdout)

    def test_push_mounts_layers_from_their_source_repository(self):
        """Layers whose `from` names a model on the same registry are mounted from its repository
        (POST …/blobs/uploads/?mount=<digest>&from=<ns/model> → 201), not uploaded again."""
        source = self.upload("library/mount-source")
        target = self.name("library/mount-target")
        store = self.temp_dir("loom-mount-")
        m = json.loads(self.manifest)
        for layer in m["layers"] + [m["config"]]:
            layer["from"] = source
        data = json.dumps(m).encode()
        path = manifest_file(store, target)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        (store / "blobs").mkdir()
        for digest, blob in self.blobs.items():
            os.link(blob, blob_file(store, digest))
        server = self.start_server(store)
        self.reg.wait_idle()
        before = len(self.reg.logged())
        status, _, objects = registry_call(server, "push", target)
        self.assertEqual((status, objects[-1]), (200, {"status": "success"}), objects)
        self.assertPushStatuses(objects, data)
        self.reg.wait_idle()
        calls = self.reg.logged()[before:]
        mounts = sorted(u.split("mount=")[1].split("&")[0] for method, u, code, _ in calls
                        if method == "POST" and "mount=" in u and "from=library/mount-source" in u and code == 201)
        self.assertEqual(mounts, sorted(d for d, _ in references(data)), calls)
        self.assertEqual([c for c in calls if c[0] in ("PATCH", "PUT") and "/blobs/uploads/" in c[1]], [], "nothing uploaded")
        code, served, _ = self.reg.manifest("library/mount-target", "135m")
        self.assertEqual((code, served), (200, data))

    def test_loom_run_pulls_a_missing_model(self):
        name = self.upload("library/runme")
        c = self.start_server()
        run = loom(c, "run", name, PROMPT, "--insecure", "--temperature", "0", "--num-predict", str(NUM_PREDICT))
        self.assertEqual(run.returncode, 0, f"stdout: {run.stdout}\nstderr: {run.stderr}")
        self.assertAnswers(run.stdout)
        self.assertPulledLike(c.models, name, self.reg, "library/runme", "135m", self.manifest)
        self.assertIn(name, tags(c))

    def test_loom_pull_and_push_commands(self):
        name = self.upload("library/clipull")
        d = self.start_server()
        pulled = loom(d, "pull", name, "--insecure")
        self.assertEqual(pulled.returncode, 0, pulled.stderr)
        self.assertPulledLike(d.models, name, self.reg, "library/clipull", "135m", self.manifest)
        target = self.name("library/clipush")
        copy(d, name, target)
        pushed = loom(d, "push", target, "--insecure")
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        self.assertEqual(self.reg.manifest("library/clipush", "135m")[1], self.manifest)
        missing = loom(d, "pull", self.name("library/nosuch"), "--insecure")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("file does not exist", missing.stderr + missing.stdout)

    def test_raw_http_streams(self):
        name = self.upload("library/raw")
        d = self.start_server()
        status, ctype, objects = registry_call(d, "pull", name)
        self.assertEqual((status, ctype), (200, "application/x-ndjson"))
        self.assertPullStatuses(objects, self.manifest, fresh=True)
        status, ctype, objects = registry_call(d, "pull", name)
        self.assertPullStatuses(objects, self.manifest, fresh=False)
        status, ctype, objects = registry_call(d, "pull", name, stream=False)
        self.assertEqual((status, objects), (200, [{"status": "success"}]))
        self.assertTrue(ctype.startswith("application/json"), ctype)
        self.assertPulledLike(d.models, name, self.reg, "library/raw", "135m", self.manifest)

        target = self.name("library/rawpush")
        copy(d, name, target)
        status, ctype, objects = registry_call(d, "push", target)
        self.assertEqual((status, ctype), (200, "application/x-ndjson"))
        self.assertPushStatuses(objects, self.manifest)
        self.assertEqual(self.reg.manifest("library/rawpush", "135m")[1], self.manifest)
        status, _, objects = registry_call(d, "push", target, stream=False)
        self.assertEqual((status, objects), (200, [{"status": "success"}]))


# -- 2. authentication --------------------------------------------------------------------------------

@needs_registry
class AuthTests(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store_src = cls.source_store()
        cls.manifest, cls.blobs = store_model(cls.store_src, MODEL)

    def check(self, mode):
        reg = self.start_registry(auth=mode)
        reg.upload_model("library/smollm2", "135m", self.manifest, self.blobs)
        name = f"{reg.host}/library/smollm2:135m"
        target = f"{reg.host}/library/pushed:135m"
        work = self.temp_dir("loom-auth-")
        wrong = reg.auth_file(work / "wrong.json", password="not-the-password")
        right = reg.auth_file(work / "auth.json")
        pusher_store = work / "pusher"
        shutil.copytree(self.store_src, pusher_store)

        for label, env in (("no credentials", NO_CREDENTIALS), ("wrong password", {"LOOM_REGISTRY_AUTH": str(wrong)})):
            with self.subTest(mode=mode, credentials=label):
                puller = self.start_server(env=env)
                with self.assertRaises(ollama.ResponseError) as caught:
                    list(ollama.Client(host=puller.url, timeout=TIMEOUT).pull(name, insecure=True, stream=True))
                self.assertIn("unauthorized", caught.exception.error.lower())
                status, _, objects = registry_call(puller, "pull", name, stream=False)
                self.assertNotEqual(status, 200)
                self.assertIn("unauthorized", objects[0].get("error", "").lower(), objects)
                self.assertStoreEmpty(puller.models)
                self.assertNotIn(name, tags(puller))
                puller.stop()

                pusher = self.start_server(pusher_store, env=env)
                copy(pusher, MODEL, target)
                with self.assertRaises(ollama.ResponseError) as caught:
                    list(ollama.Client(host=pusher.url, timeout=TIMEOUT).push(target, insecure=True, stream=True))
                self.assertIn("unauthorized", caught.exception.error.lower())
                self.assertEqual(reg.manifest("library/pushed", "135m")[0], 404)
                self.assertFalse((reg.storage / "docker/registry/v2/repositories/library/pushed").exists(),
                                 "nothing written in the registry")
                pusher.stop()

        issued = len(reg.issuer.issued) if reg.issuer else 0
        with self.subTest(mode=mode, credentials="right"):
            puller = self.start_server(env={"LOOM_REGISTRY_AUTH": str(right)})
            pulled = list(ollama.Client(host=puller.url, timeout=TIMEOUT).pull(name, insecure=True, stream=True))
            self.assertPullStatuses(pulled, self.manifest)
            self.assertPulledLike(puller.models, name, reg, "library/smollm2", "135m", self.manifest)
            pusher = self.start_server(pusher_store, env={"LOOM_REGISTRY_AUTH": str(right)})
            copy(pusher, MODEL, target)
            pushed = list(ollama.Client(host=pusher.url, timeout=TIMEOUT).push(target, insecure=True, stream=True))
            self.assertPushStatuses(pushed, self.manifest)
            self.assertEqual(reg.manifest("library/pushed", "135m")[1], self.manifest)
        if reg.issuer:
            scopes = [s for _, asked in reg.issuer.issued[issued:] for s in asked]
            self.assertTrue(any(s.startswith("repository:library/smollm2:") and "pull" in s for s in scopes), scopes)
            self.assertTrue(any(s.startswith("repository:library/pushed:") and "push" in s for s in scopes), scopes)

    def test_ollama_key(self):
        """Token auth by Ollama's ed25519 key signature (no password): a key the issuer trusts pulls and
        pushes; an unknown key is refused. The key file is written by `cryptography` (OpenSSH form)."""
        from cryptography.hazmat.primitives.asymmetric import ed25519 as ed
        reg = self.start_registry(auth="token")
        reg.upload_model("library/smollm2", "135m", self.manifest, self.blobs)
        name = f"{reg.host}/library/smollm2:135m"
        work = self.temp_dir("loom-key-")
        keys = {}
        for label in ("trusted", "unknown"):
            k = ed.Ed25519PrivateKey.generate()
            path = work / f"id_{label}"
            path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
            keys[label] = path
            if label == "trusted":
                reg.issuer.ollama_keys.add(k.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1].decode())
        stranger = self.start_server(env={"LOOM_REGISTRY_KEY": str(keys["unknown"])})
        status, _, objects = registry_call(stranger, "pull", name, stream=False)
        self.assertIn("unauthorized", objects[0].get("error", "").lower(), objects)
        self.assertStoreEmpty(stranger.models)
        friend = self.start_server(env={"LOOM_REGISTRY_KEY": str(keys["trusted"])})
        self.assertPullStatuses(list(ollama.Client(host=friend.url, timeout=TIMEOUT).pull(name, insecure=True, stream=True)), self.manifest)
        self.assertPulledLike(friend.models, name, reg, "library/smollm2", "135m", self.manifest)
        target = f"{reg.host}/library/keyed:135m"
        copy(friend, name, target)
        self.assertPushStatuses(list(ollama.Client(host=friend.url, timeout=TIMEOUT).push(target, insecure=True, stream=True)), self.manifest)
        self.assertEqual(reg.manifest("library/keyed", "135m")[1], self.manifest)
        self.assertTrue(any(user == "ollama-key" and any(":push" in sc or "push" in sc for sc in scopes) for user, scopes in reg.issuer.issued),
                        reg.issuer.issued)

    def test_htpasswd(self):
        self.check("htpasswd")

    def test_token(self):
        self.check("token")


# -- 3. errors ----------------------------------------------------------------------------------------

@needs_registry
class ErrorTests(RegistryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reg = cls.start_registry()
        work = cls.temp_dir("loom-errors-")
        cls.manifest, cls.blobs = registry.model_manifest(MODEL_FILE, work)
        cls.model_digest = references(cls.manifest)[1][0]

    def test_tampered_blob(self):
        reg = self.start_registry()    # its own: tampering changes the blob for every repository
        reg.upload_model("library/tampered", "135m", self.manifest, self.blobs)
        reg.tamper(self.model_digest)
        got = registry.sha256_file(reg.blob_data_path(self.model_digest))
        self.assertNotEqual(got, self.model_digest)
        expected = f"digest mismatch, file must be downloaded again: want {self.model_digest}, got {got}"
        name = f"{reg.host}/library/tampered:135m"
        s = self.start_server()

        status, _, objects = registry_call(s, "pull", name)
        self.assertEqual(status, 200)
        errors = [o["error"] for o in objects if "error" in o]
        self.assertEqual(len(errors), 1, objects)
        self.assertIn(expected, errors[0])
        self.assertNotIn("success", [o.get("status") for o in objects])
        self.assertTampereeGone(s, name)

        status, _, objects = registry_call(s, "pull", name, stream=False)
        self.assertNotEqual(status, 200)
        self.assertIn(expected, objects[0].get("error", ""), objects)
        self.assertTampereeGone(s, name)

        with self.assertRaises(ollama.ResponseError) as caught:
            list(ollama.Client(host=s.url, timeout=TIMEOUT).pull(name, insecure=True, stream=True))
        self.assertIn(expected, caught.exception.error)
        self.assertTampereeGone(s, name)
        reg.wait_idle(quiet=0.2)
        self.assertGreaterEqual(reg.bytes_served(self.model_digest), 3 * self.blobs[self.model_digest].stat().st_size,
                                "every attempt downloads the blob again")

    def assertTampereeGone(self, server, name):
        self.assertFalse(manifest_file(server.models, name).exists(), "no manifest for a mismatching model")
        self.assertFalse(blob_file(server.models, self.model_digest).exists(), "the mismatching blob is not kept")
        self.assertStoreSound(server.models)
        self.assertNotIn(name, tags(server))

    def test_unknown_model(self):
        s = self.start_server()
        name = f"{self.reg.host}/library/nosuch:1b"
        with self.assertRaises(ollama.ResponseError) as caught:
            ollama.Client(host=s.url, timeout=TIMEOUT).pull(name, insecure=True, stream=False)
        self.assertEqual(caught.exception.error, "pull model manifest: file does not exist")
        self.assertNotEqual(caught.exception.status_code, 200)
        status, _, objects = registry_call(s, "pull", name)
        self.assertEqual(objects[-1].get("error"), "pull model manifest: file does not exist", objects)
        self.assertIn([o.get("status") for o in objects[:-1]], ([], ["pulling manifest"]), objects)
        self.assertStoreEmpty(s.models)

    def test_http_scheme_needs_insecure(self):
        self.reg.upload_model("library/plain", "135m", self.manifest, self.blobs)
        s = self.start_server()
        name = f"http://{self.reg.host}/library/plain:135m"
        status, _, objects = registry_call(s, "pull", name, stream=False, insecure=False)
        self.assertNotEqual(status, 200)
        self.assertEqual(objects[0].get("error"), "insecure protocol http", objects)
        with self.assertRaises(ollama.ResponseError) as caught:
            list(ollama.Client(host=s.url, timeout=TIMEOUT).pull(name, insecure=False, stream=True))
        self.assertEqual(caught.exception.error, "insecure protocol http")
        self.assertStoreEmpty(s.models)
        self.reg.wait_idle(quiet=0.2)
        self.assertFalse([r for r in self.reg.logged() if r[0] in ("GET", "HEAD") and r[1].startswith("/v2/library/plain/")],
                         "refused before any request")


# -- 4. concurrent pulls --------------------------------------------------------------------------------

@needs_registry
class ConcurrencyTests(RegistryTestCase):
    def test_two_pulls_download_once(self):
        reg = self.start_registry()
        manifest, blobs = registry.model_manifest(F16_FILE, self.temp_dir("loom-conc-"), file_type="F16")
        digest, size = references(manifest)[1]
        reg.upload_model("library/twice", "f16", manifest, blobs)
        name = f"{reg.host}/library/twice:f16"
        s = self.start_server()
        barrier = threading.Barrier(2)
        results = [None, None]

        def pull(i):
            barrier.wait()
            results[i] = registry_call(s, "pull", name, stream=False)

        threads = [threading.Thread(target=pull, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        self.assertEqual([(r[0], r[2]) for r in results], [(200, [{"status": "success"}])] * 2)
        reg.wait_idle()
        served = reg.bytes_served(digest)
        print(f"\n  two concurrent pulls: model blob {size} bytes, registry served {served} ({reg.served(digest)})")
        self.assertLessEqual(abs(served - size), 16 << 10, "the blob is downloaded once")
        self.assertPulledLike(s.models, name, reg, "library/twice", "f16", manifest)


# -- 5. kill -9 during pulls ----------------------------------------------------------------------------

class PullAttempt(threading.Thread):
    """One streaming POST /api/pull; remembers its lines and whether it ended in success."""

    def __init__(self, server, name):
        super().__init__(daemon=True)
        self.server, self.name = server, name
        self.objects, self.failure = [], None
        self.started_at = None
        self.sent = threading.Event()

    def run(self):
        self.started_at = time.perf_counter()
        self.sent.set()
        try:
            r = api(self.server, "POST", "/api/pull", {"model": self.name, "insecure": True}, stream=True)
            for line in r.iter_lines():
                if line.strip():
                    self.objects.append(json.loads(line))
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            self.failure = e

    @property
    def succeeded(self):
        return any(o.get("status") == "success" for o in self.objects)

    @property
    def errors(self):
        return [o["error"] for o in self.objects if "error" in o]


@needs_registry
class CrashResumeTests(RegistryTestCase):
    KILLS = 20
    # When a pull is killed the registry has written 18-20 MiB more than reached the partial file
    # (measured: the socket buffers of the parallel range requests), so an attempt counts as killed
    # with progress from 32 MiB served on.
    RESUME_THRESHOLD = 32 * MIB

    def test_kill_9_during_pulls(self):
        began = time.perf_counter()
        reg = self.start_registry()
        manifest, blobs = registry.model_manifest(F16_FILE, self.temp_dir("loom-crash-src-"), file_type="F16")
        digest, size = references(manifest)[1]
        reg.upload_model("library/crash", "f16", manifest, blobs)
        name = f"{reg.host}/library/crash:f16"
        store = self.temp_dir("loom-crash-")
        server = Server(env=NO_CREDENTIALS, models=str(store))
        self.addCleanup(lambda: server.stop())

        t0 = time.perf_counter()
        status, _, objects = registry_call(server, "pull", name, stream=False)
        full = time.perf_counter() - t0
        self.assertEqual((status, objects), (200, [{"status": "success"}]))
        self.assertPulledLike(store, name, reg, "library/crash", "f16", manifest)
        delete(server, name)
        self.assertFalse(blob_file(store, digest).exists(), "delete removes the unreferenced blob")

        seed = int(os.environ.get("LOOM_CRASH_SEED", random.randrange(1 << 30)))
        rng = random.Random(seed)
        kills = [rng.uniform(0, full) for _ in range(self.KILLS)]
        print(f"\n  full pull of {size / MIB:.0f} MiB: T = {full:.2f} s; seed {seed}")
        attempts = []
        reg.wait_idle()
        for i, at in enumerate(kills):
            before = reg.bytes_served(digest)
            attempt = PullAttempt(server, name)
            attempt.start()
            attempt.sent.wait()
            time.sleep(max(0.0, at - (time.perf_counter() - attempt.started_at)))
            server.proc.kill()
            server.proc.wait()
            attempt.join(60)
            reg.wait_idle()
            served = reg.bytes_served(digest) - before
            complete = blob_file(store, digest).exists()
            partial = sum(p.stat().st_blocks * 512 for p in regular_files(store / "partial"))   # on disk
            row = {"kill": at, "served": served, "complete": complete, "partial": partial,
                   "succeeded": attempt.succeeded, "errors": attempt.errors}
            attempts.append(row)
            temporaries = len(manifest_temporaries(store))
            print(f"  attempt {i + 1:2d}: kill at {at:5.2f} s, served {served / MIB:6.1f} MiB, "
                  f"partial/ {partial / MIB:6.1f} MiB on disk, blob {'complete' if complete else 'absent'}"
                  f"{', pull had succeeded' if attempt.succeeded else ''}"
                  f"{f', {temporaries} temp file(s) in manifests/' if temporaries else ''}")
            self.assertEqual(attempt.errors, [], f"attempt {i + 1} failed by itself")
            self.assertEqual(store_problems(store), [], f"after the kill of attempt {i + 1}")

            server = Server(env=NO_CREDENTIALS, models=str(store))
            self.assertStoreSound(store)   # startup (pruning) keeps it sound
            self.assertEqual(manifest_temporaries(store), [], f"startup {i + 1} removes temp files a kill left in manifests/")
            listed = tags(server)
            self.assertLessEqual(set(listed), {name}, f"after restart {i + 1}: {sorted(listed)}")
            if manifest_file(store, name).exists():
                self.assertEqual(listed[name]["digest"], hashlib.sha256(manifest_file(store, name).read_bytes()).hexdigest())
                delete(server, name)     # the model is whole: start the next attempt from nothing
                row["deleted"] = True
            else:
                self.assertEqual(listed, {}, f"after restart {i + 1}")

        for i in range(1, len(attempts)):
            prev, cur = attempts[i - 1], attempts[i]
            if prev["served"] > self.RESUME_THRESHOLD and not prev["complete"] and not prev.get("deleted"):
                self.assertLess(cur["served"], size,
                                f"attempt {i + 1} downloaded the whole blob again after attempt {i} "
                                f"had received {prev['served'] / MIB:.1f} MiB")

        final = PullAttempt(server, name)
        final.start()
        final.join(TIMEOUT)
        self.assertTrue(final.succeeded, final.objects)
        self.assertPulledLike(store, name, reg, "library/crash", "f16", manifest)
        self.assertEqual(file_digest(blob_file(store, digest)), digest)
        mid = sum(1 for a in attempts if 0 < a["served"] and not a["complete"])
        print(f"  {mid} of {len(attempts)} kills landed mid-download; whole test {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    if not SERVE.exists() or not MODEL_FILE.exists():
        sys.exit(f"missing {SERVE} or {MODEL_FILE}: run `make release models` (or `make test`) first")
    if SKIP_REASON and REQUIRE:
        sys.exit(f"LOOM_REQUIRE_MODELS=1: {SKIP_REASON}")
    unittest.main(verbosity=2)
