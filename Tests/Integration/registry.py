"""A real OCI registry for Loom's pull/push tests: CNCF Distribution (Debian's `docker-registry`, 2.8)
on a free loopback port, its storage in a temporary directory, optionally behind authentication.

    with Registry() as reg:                        # anonymous
    with Registry(auth="htpasswd") as reg:         # HTTP Basic (bcrypt htpasswd): 401 + `Basic realm=…`
    with Registry(auth="token") as reg:            # Bearer tokens from TokenIssuer (below): 401 + `Bearer realm=…`

Contract
- `Registry(auth=None | "htpasswd" | "token")` is a context manager. On enter it writes config.yml
  (JSON, which YAML reads) and starts `docker-registry serve config.yml` with stdout+stderr in a log
  file, then waits until `GET /v2/` answers 200 or 401. On exit it stops the registry (and the token
  issuer) and removes the directory.
- `.host` ("127.0.0.1:PORT"), `.url` ("http://127.0.0.1:PORT"), `.storage` (the filesystem driver's
  root), `.log_text()`.
- One user in the auth modes: `USER` / `PASSWORD`. `auth_file(path)` writes a Docker-style
  credentials file for this registry (`{"auths": {HOST: {"auth": base64("loom:s3cret")}}}`); Loom
  reads it from `$LOOM_REGISTRY_AUTH`.
- `logged()` lists (method, uri, status, bytes written) of every request the log has recorded
  (Distribution logs one `msg="response completed"` line per request when it ends, also when the
  client went away; `http.response.written=N` counts bytes written to the socket, so a killed client
  may have received up to a socket buffer less). `served(digest=None, repo=None)` lists (status,
  bytes written) of the GETs of blob URIs among them, `bytes_served(digest=None, repo=None)` their
  sum. `wait_idle()` waits until the log stops growing (call it before counting after a kill).
- `blob_data_path(digest)`: where the registry stores a blob. `tamper(digest)` flips bytes in the
  middle of that file (same length), so the registry serves bytes that no longer match the digest.
- `upload_model(repo, tag, manifest_bytes, blobs)` pushes straight over HTTP, authenticating itself
  in the auth modes: per blob `POST /v2/REPO/blobs/uploads/` then one monolithic
  `PUT <location>?digest=…` streaming the file; then `PUT /v2/REPO/manifests/TAG` with the Docker v2
  manifest media type. Returns the manifest digest the registry reports. `manifest(repo, tag)` and
  `blob(repo, digest)` read back (authenticated too).
- `model_manifest(gguf, workdir)` builds an Ollama-style manifest for a GGUF file without Loom
  (config blob + one `application/vnd.ollama.image.model` layer), for pull tests that must not depend
  on Loom's push.

TokenIssuer: Distribution ships no token server, so this is the smallest one its `auth: token`
accepts. `GET /token?service=S&scope=repository:NS/NAME:pull,push` (scope may repeat) checks HTTP
Basic against USER/PASSWORD (401 + `WWW-Authenticate: Basic` otherwise) and answers
`{"token": JWT, "access_token": JWT, "expires_in": 300, "issued_at": RFC 3339}`. The JWT is RS256,
signed by a fresh RSA key whose self-signed certificate is the registry's `rootcertbundle`; its
header carries that certificate in `x5c`; its claims are iss/sub/aud/exp/nbf/iat/jti and `access`
granting exactly the scopes asked for. `issued` lists (user, scopes) of every token given out.
It also accepts Ollama's key signatures, as ollama.com does for registered keys: `Authorization:
<base64 ssh-ed25519 public key>:<base64 ed25519 signature>` over `GET,<the request URL>,<base64 of
the hex sha256 of an empty body>`, from a key in `ollama_keys` (user "ollama-key"); the signature is
checked with `cryptography`, independently of Loom.

Run this file to check the harness against the real registry in all three modes:
    .venv/bin/python Tests/Integration/registry.py
"""

import base64
import datetime
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import bcrypt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.x509.oid import NameOID

REGISTRY_BIN = os.environ.get("LOOM_DOCKER_REGISTRY", shutil.which("docker-registry") or "/usr/bin/docker-registry")
USER = "loom"
PASSWORD = "s3cret"
SERVICE = "loom-test-registry"
ISSUER = "loom-test-issuer"
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
MODEL_TYPE = "application/vnd.ollama.image.model"

_COMPLETED = re.compile(r'msg="response completed[^"]*".*?http\.request\.method=(\w+).*?'
                        r'http\.request\.uri="?([^"\s]+)"?.*?http\.response\.status=(\d+).*?'
                        r'http\.response\.written=(\d+)')
_BLOB_URI = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")


def available() -> bool:
    """Whether the registry binary is installed."""
    return Path(REGISTRY_BIN).is_file() and os.access(REGISTRY_BIN, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256_file(path) -> str:
    """`sha256:<hex>` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def basic_header(user=USER, password=PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _challenge(header: str):
    """(scheme lowercased, {param: value}) of a `WWW-Authenticate` header."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


# -- token issuer -----------------------------------------------------------------------------------

class TokenIssuer:
    """The token server of Distribution's `auth: token` (see the module docstring)."""

    def __init__(self, directory: Path):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert = self._self_signed(self.key)
        self.cert_path = Path(directory) / "token-root.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.issued = []
        self.ollama_keys = set()   # base64 ssh-ed25519 public key blobs the issuer trusts
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def _self_signed(key):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))

    @staticmethod
    def access(scopes):
        """`repository:NS/NAME:pull,push` scopes → the `access` claim granting them."""
        out = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            out.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
        return out

    def token(self, user, service, scopes) -> str:
        """An RS256 JWT for `user` granting `scopes` on `service`."""
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        claims = {"iss": ISSUER, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": self.access(scopes)}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)

    def signer(self, request):
        """"ollama-key" when the request carries a valid Ollama signature by a key in `ollama_keys`."""
        public, sep, signature = (request.headers.get("Authorization") or "").partition(":")
        if not sep or public not in self.ollama_keys:
            return None
        blob = base64.b64decode(public)
        key = ed25519.Ed25519PublicKey.from_public_bytes(blob[-32:])
        empty = base64.b64encode(hashlib.sha256(b"").hexdigest().encode()).decode()
        message = f"GET,http://127.0.0.1:{self.port}{request.path},{empty}".encode()
        try:
            key.verify(base64.b64decode(signature), message)
        except Exception:
            return None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
        if abs(int(query.get("ts", ["0"])[0]) - time.time()) > 300 or not query.get("nonce"):
            return None
        return "ollama-key"

    def _handler(self):
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/token":
                    return self._answer(404, {"errors": [{"code": "NOT_FOUND"}]})
                user = USER if self.headers.get("Authorization") == basic_header() else issuer.signer(self)
                if user is None:
                    return self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                                        [("WWW-Authenticate", 'Basic realm="loom-test-token"')])
                query = urllib.parse.parse_qs(url.query)
                scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
                token = issuer.token(user, query.get("service", [SERVICE])[0], scopes)
                issuer.issued.append((user, scopes))
                issued_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                self._answer(200, {"token": token, "access_token": token, "expires_in": 300, "issued_at": issued_at})

        return Handler

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# -- registry ---------------------------------------------------------------------------------------

class Registry:
    """Distribution on a free loopback port (see the module docstring)."""

    def __init__(self, auth=None):
        if auth not in (None, "htpasswd", "token"):
            raise ValueError(f"auth must be None, 'htpasswd' or 'token', not {auth!r}")
        self.auth = auth
        self.issuer = None
        self.proc = None
        self._tokens = {}

    # lifecycle

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="loom-registry-")
        root = Path(self.dir.name)
        self.storage = root / "storage"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        config = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.storage)}, "delete": {"enabled": True},
                        "maintenance": {"uploadpurging": {"enabled": False}}},
            "http": {"addr": self.host, "secret": uuid.uuid4().hex},
        }
        if self.auth == "htpasswd":
            htpasswd = root / "htpasswd"
            htpasswd.write_text(f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()}\n")
            config["auth"] = {"htpasswd": {"realm": "loom-test-registry", "path": str(htpasswd)}}
        elif self.auth == "token":
            self.issuer = TokenIssuer(root)
            config["auth"] = {"token": {"realm": self.issuer.realm, "service": SERVICE, "issuer": ISSUER,
                                        "rootcertbundle": str(self.issuer.cert_path)}}
        (root / "config.yml").write_text(json.dumps(config, indent=1))
        self.log_path = root / "registry.log"
        self._log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(root / "config.yml")],
                                         stdout=self._log, stderr=subprocess.STDOUT, cwd=root)
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if requests.get(self.url + "/v2/", timeout=1).status_code in (200, 401):
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not answer within {timeout} s:\n{self.log_text()}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.issuer:
            self.issuer.stop()
        self._log.close()
        self.dir.cleanup()
        return False

    # the log

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def logged(self):
        """[(method, uri, status, bytes written)] of every request the log has recorded as ended."""
        return [(m.group(1), urllib.parse.unquote(m.group(2)), int(m.group(3)), int(m.group(4)))
                for m in _COMPLETED.finditer(self.log_text())]

    def served(self, digest=None, repo=None):
        """[(status, bytes written)] of the blob GETs the log has recorded, for `digest` and `repo`
        ("namespace/name") if given."""
        out = []
        for method, uri, status, written in self.logged():
            blob = _BLOB_URI.match(uri.split("?")[0])
            if method == "GET" and blob and (digest is None or blob.group(2) == digest) \
                    and (repo is None or blob.group(1) == repo):
                out.append((status, written))
        return out

    def bytes_served(self, digest=None, repo=None) -> int:
        """Sum of `http.response.written` over the blob GETs (of `digest`, of `repo` if given)."""
        return sum(written for _, written in self.served(digest, repo))

    def wait_idle(self, quiet=0.4, timeout=15):
        """Waits until the log has not grown for `quiet` seconds (requests in flight have ended)."""
        deadline = time.monotonic() + timeout
        size, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_size = self.log_path.stat().st_size
            if now_size != size:
                size, since = now_size, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.05)

    # storage

    def blob_data_path(self, digest) -> Path:
        hexdigest = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"

    def tamper(self, digest, count=64):
        """Inverts `count` bytes in the middle of the stored blob (its length is unchanged)."""
        path = self.blob_data_path(digest)
        size = path.stat().st_size
        offset = max(0, size // 2 - count // 2)
        with open(path, "r+b") as f:
            f.seek(offset)
            original = f.read(count)
            f.seek(offset)
            f.write(bytes(b ^ 0xFF for b in original))

    # credentials

    def auth_file(self, path, user=USER, password=PASSWORD) -> Path:
        """Writes a Docker-style credentials file for this registry; returns its path."""
        path = Path(path)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        path.write_text(json.dumps({"auths": {self.host: {"auth": auth}}}))
        return path

    def _authorization(self, response):
        """The Authorization header answering a 401 `response` (fetching a token in token mode)."""
        scheme, params = _challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic":
            return basic_header()
        if scheme == "bearer":
            query = {"service": params.get("service", "")}
            if "scope" in params:
                query["scope"] = params["scope"]
            r = requests.get(params["realm"], params=query, headers={"Authorization": basic_header()}, timeout=30)
            r.raise_for_status()
            return "Bearer " + r.json()["token"]
        raise RuntimeError(f"unexpected challenge {response.headers.get('WWW-Authenticate')!r}")

    def request(self, method, url, *, data=None, headers=None, anonymous=False, **kw):
        """One registry request (URL absolute or a path); answers a 401 challenge once unless
        `anonymous`. `data` may be a callable returning a fresh body (a file is read once)."""
        url = url if "://" in url else self.url + url
        headers = dict(headers or {})
        scope_key = re.sub(r"/(blobs|manifests)/.*$", "", urllib.parse.urlsplit(url).path)
        if not anonymous and scope_key in self._tokens:
            headers["Authorization"] = self._tokens[scope_key]
        body = data() if callable(data) else data
        r = requests.request(method, url, data=body, headers=headers, timeout=120, **kw)
        if r.status_code == 401 and not anonymous and self.auth:
            headers["Authorization"] = self._tokens[scope_key] = self._authorization(r)
            body = data() if callable(data) else data
            r = requests.request(method, url, data=body, headers=headers, timeout=120, **kw)
        return r

    # content

    def upload_blob(self, repo, digest, path):
        """POST an upload, then PUT the whole file with ?digest= (monolithic)."""
        r = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        if r.status_code != 202:
            raise RuntimeError(f"POST upload of {digest}: {r.status_code} {r.text}")
        location = r.headers["Location"]
        location = location if "://" in location else self.url + location
        separator = "&" if "?" in location else "?"
        size = os.path.getsize(path)
        files = []

        def body():
            f = open(path, "rb")
            files.append(f)
            return f

        try:
            r = self.request("PUT", f"{location}{separator}digest={digest}", data=body,
                             headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        finally:
            for f in files:
                f.close()
        if r.status_code != 201:
            raise RuntimeError(f"PUT blob {digest}: {r.status_code} {r.text}")

    def upload_model(self, repo, tag, manifest_bytes, blobs) -> str:
        """Uploads every blob ({digest: path}), then the manifest; returns its digest."""
        for digest, path in blobs.items():
            self.upload_blob(repo, digest, path)
        r = self.request("PUT", f"/v2/{repo}/manifests/{tag}", data=manifest_bytes,
                         headers={"Content-Type": MANIFEST_TYPE})
        if r.status_code != 201:
            raise RuntimeError(f"PUT manifest {repo}:{tag}: {r.status_code} {r.text}")
        return r.headers["Docker-Content-Digest"]

    def manifest(self, repo, tag):
        """(status, raw manifest bytes, Docker-Content-Digest) of a manifest GET."""
        r = self.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE})
        return r.status_code, r.content, r.headers.get("Docker-Content-Digest")

    def blob(self, repo, digest) -> bytes:
        r = self.request("GET", f"/v2/{repo}/blobs/{digest}")
        r.raise_for_status()
        return r.content


def model_manifest(gguf, workdir, file_type=None):
    """(manifest bytes, {digest: path}) of an Ollama-style model made of `gguf` alone: a config blob
    written into `workdir` and one model layer. Independent of Loom. `file_type` defaults to the
    file name's last dotted part (`….Q4_1.gguf` → Q4_1)."""
    gguf = Path(gguf)
    file_type = file_type or gguf.stem.rpartition(".")[2]
    model_digest = sha256_file(gguf)
    config = {"model_format": "gguf", "model_family": "llama", "model_families": ["llama"], "model_type": "135M",
              "file_type": file_type, "architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [model_digest]}}
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    config_path = Path(workdir) / ("sha256-" + config_digest.split(":")[1])
    config_path.write_bytes(config_bytes)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": MODEL_TYPE, "digest": model_digest, "size": gguf.stat().st_size}]}
    return json.dumps(manifest, separators=(",", ":")).encode(), {config_digest: config_path, model_digest: gguf}


# -- self-check -------------------------------------------------------------------------------------

def _self_check():
    """Push and pull a small model in each mode with plain HTTP; refuse anonymous access in the auth
    modes; count served bytes; tamper. Raises AssertionError on any deviation."""
    with tempfile.TemporaryDirectory() as work:
        gguf = Path(work) / "fake.gguf"
        gguf.write_bytes(b"GGUF" + os.urandom(3 << 20))
        manifest, blobs = model_manifest(gguf, work)
        model_digest = next(d for d, p in blobs.items() if p == gguf)
        for auth in (None, "htpasswd", "token"):
            with Registry(auth=auth) as reg:
                t0 = time.perf_counter()
                digest = reg.upload_model("library/fake", "1b", manifest, blobs)
                assert digest == "sha256:" + hashlib.sha256(manifest).hexdigest(), (digest, auth)
                status, body, served_digest = reg.manifest("library/fake", "1b")
                assert (status, body, served_digest) == (200, manifest, digest), (status, auth)
                assert reg.blob("library/fake", model_digest) == gguf.read_bytes()
                anonymous = reg.request("GET", "/v2/library/fake/manifests/1b", anonymous=True,
                                        headers={"Accept": MANIFEST_TYPE})
                if auth is None:
                    assert anonymous.status_code == 200
                else:
                    assert anonymous.status_code == 401, anonymous.status_code
                    scheme, params = _challenge(anonymous.headers["WWW-Authenticate"])
                    assert scheme == ("basic" if auth == "htpasswd" else "bearer"), scheme
                    wrong = requests.get(reg.url + "/v2/library/fake/manifests/1b",
                                         headers={"Authorization": basic_header(USER, "wrong") if auth == "htpasswd"
                                                  else "Bearer " + _forged_token()})
                    assert wrong.status_code == 401, wrong.status_code
                if auth == "token":
                    assert reg.issuer.issued and all(u == USER for u, _ in reg.issuer.issued)
                    refused = requests.get(reg.issuer.realm, params={"service": SERVICE})
                    assert refused.status_code == 401
                reg.wait_idle(quiet=0.2)
                assert reg.bytes_served(model_digest) == gguf.stat().st_size, (reg.served(model_digest), auth)
                reg.tamper(model_digest)
                data = reg.blob("library/fake", model_digest)
                assert len(data) == gguf.stat().st_size and data != gguf.read_bytes()
                print(f"registry auth={auth}: upload/download/refusal/tamper ok in {time.perf_counter() - t0:.2f} s")


def _forged_token():
    """A well-formed token signed by a key the registry does not trust."""
    with tempfile.TemporaryDirectory() as d:
        stranger = TokenIssuer(Path(d))
        try:
            return stranger.token(USER, SERVICE, ["repository:library/fake:pull"])
        finally:
            stranger.stop()


if __name__ == "__main__":
    _self_check()
