#!/usr/bin/env python3
"""N `serve` instances sharing one model store read-only, behind nginx running deploy/nginx.conf — all
on free loopback ports, nginx as a child process with its own prefix, config, pid, logs and temp
dirs in a temporary directory (the system nginx service is never touched).

    .venv/bin/python Scripts/scaleout.py --instances 3 --models ~/.loom/models
    .venv/bin/python Scripts/scaleout.py --instances 3 --models /tmp/store \\
        --import smollm2:135m=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf

prints the nginx URL (use it as OLLAMA_HOST) and runs until Ctrl-C. `--import` fills the store first,
with one short-lived writable server, as a deployment would (one writer, many readers).

Also the library of Tests/Integration/test_scaleout.py and Scripts/soak.py: `Instance` (one `serve`:
start, kill -9, restart on the same port, its log lines), `Nginx` (deploy/nginx.conf rendered for
given upstream ports, its access log), `prepare_store`, `Cluster` (all of it together).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVE = Path(os.environ.get("LOOM_SERVE", ROOT / ".build/release/serve"))
NGINX_CONF = ROOT / "deploy/nginx.conf"
NGINX = os.environ.get("LOOM_NGINX", shutil.which("nginx") or "/usr/sbin/nginx")


def free_port():
    """A loopback port free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One `serve --host 127.0.0.1:PORT --models DIR [--read-only]`; stderr lines kept in `lines`
    (over restarts). Port 0 at the first start picks a free port; restarts reuse it."""

    def __init__(self, models, port=0, read_only=True, env=None, args=(), serve=SERVE):
        self.models, self.port, self.read_only = str(models), port, read_only
        self.env = {**os.environ, **(env or {})}
        self.args, self.serve = list(args), str(serve)
        self.lines = []
        self.proc = None

    def start(self, timeout=120):
        cmd = [self.serve, "--host", f"127.0.0.1:{self.port}", "--models", self.models] + self.args
        if self.read_only:
            cmd.append("--read-only")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env)
        ready = threading.Event()
        proc, lines = self.proc, self.lines

        def drain():
            for line in proc.stderr:
                lines.append(line.rstrip("\n"))
                m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(timeout) or proc.poll() is not None:
            self.stop()
            raise RuntimeError("serve did not start:\n" + "\n".join(self.lines[-20:]))
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def kill9(self):
        """SIGKILL, and reap it (its sockets are closed when this returns)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        if not self.alive:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def connections(self):
        """Established TCP connections to this instance's port (from /proc/net/tcp): nginx has routed
        a request (or keeps an idle keep-alive connection) to it."""
        n = 0
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "01" and int(local.split(":")[1], 16) == self.port:
                    n += 1
        return n

    def requests(self, path_prefix="/api/"):
        """Log lines of requests this instance answered (`METHOD /path STATUS …`)."""
        return [line for line in self.lines if re.match(r"(GET|POST|DELETE|HEAD|PUT) " + re.escape(path_prefix), line)]


def prepare_store(models, imports, serve=SERVE):
    """Imports NAME=FILE.gguf pairs into the store at `models` with one writable server, then stops it
    (what `loom create` / a writable server does once before read-only instances start)."""
    Path(models).mkdir(parents=True, exist_ok=True)
    args = [a for spec in imports for a in ("--import", spec)]
    writer = Instance(models, read_only=False, args=args, serve=serve).start(timeout=600)
    writer.stop()
    return writer.lines


class Nginx:
    """nginx -p PREFIX -c PREFIX/nginx.conf in the foreground (a child process): deploy/nginx.conf with
    its instance lines replaced by `upstream_ports` (keeping the file's per-server parameters) and its
    listen line by a free loopback port, wrapped in a main config whose files all live in PREFIX."""

    LOG_FORMAT = '$msec $request_method $uri $status $upstream_addr $upstream_status $request_time'

    def __init__(self, upstream_ports, port=0, template=NGINX_CONF, nginx=NGINX):
        self.dir = tempfile.mkdtemp(prefix="loom-nginx-")
        os.chmod(self.dir, 0o755)   # workers run as an unprivileged user when the master is root
        self.port = port or free_port()
        self.nginx = nginx
        self.conf = os.path.join(self.dir, "nginx.conf")
        Path(self.conf).write_text(self.render(Path(template).read_text(), upstream_ports))
        self.proc = None
        self.stderr = []

    def render(self, template, ports):
        block = re.search(r"^([ \t]*)# BEGIN instances\n(.*?)^[ \t]*# END instances\n", template, re.S | re.M)
        if not block:
            raise ValueError(f"{NGINX_CONF}: no '# BEGIN instances' … '# END instances' block")
        first = re.search(r"server\s+\S+(.*);", block.group(2))
        params = first.group(1) if first else ""
        indent = block.group(1)
        servers = "".join(f"{indent}server 127.0.0.1:{p}{params};\n" for p in ports)
        text = template[:block.start(2)] + servers + template[block.end(2):]
        text, n = re.subn(r"^([ \t]*)listen\s+[^;]+;", rf"\g<1>listen 127.0.0.1:{self.port};", text, flags=re.M)
        if n != 1:
            raise ValueError(f"{NGINX_CONF}: expected one listen line, found {n}")
        d = self.dir
        temps = "\n".join(f"    {k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return f"""# generated by Scripts/scaleout.py from {NGINX_CONF}
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format loom '{self.LOG_FORMAT}';
    access_log {d}/access.log loom;
{temps}
{text}
}}
"""

    def start(self, timeout=30):
        self.proc = subprocess.Popen([self.nginx, "-p", self.dir + "/", "-c", self.conf, "-e", f"{self.dir}/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited {self.proc.returncode}:\n{''.join(self.stderr)}{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening:\n" + self.error_log())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def error_log(self):
        p = Path(self.dir, "error.log")
        return p.read_text() if p.exists() else ""

    def access_log(self):
        """[(time, method, uri, status, upstream_addr, upstream_status, request_time)] so far."""
        p = Path(self.dir, "access.log")
        if not p.exists():
            return []
        out = []
        for line in p.read_text().splitlines():
            m = re.match(r"(\S+) (\S+) (\S+) (\d+) (.*?) (\S+(?:, \S+)*|-) (\S+)$", line)
            if m:
                t, method, uri, status, addr, ustatus, rt = m.groups()
                out.append((float(t), method, uri, int(status), addr, ustatus, rt))
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)   # graceful: finish requests in flight
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    """`n` read-only instances on one store + nginx in front. `env` goes to every instance."""

    def __init__(self, n, models, env=None, serve=SERVE):
        self.instances = []
        self.nginx = None
        try:
            for _ in range(n):
                self.instances.append(Instance(models, env=env, serve=serve).start())
            self.nginx = Nginx([i.port for i in self.instances]).start()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self):
        return self.nginx.url

    def stop(self):
        if self.nginx:
            self.nginx.cleanup()
        for i in self.instances:
            i.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", "-n", type=int, default=3)
    ap.add_argument("--models", default=os.environ.get("OLLAMA_MODELS", str(Path.home() / ".loom/models")))
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="NAME=FILE.gguf")
    ap.add_argument("--serve", default=str(SERVE))
    args = ap.parse_args()
    if args.imports:
        prepare_store(args.models, args.imports, serve=args.serve)
    cluster = Cluster(args.instances, args.models, serve=args.serve)
    print(f"nginx {cluster.url}  ->  " + ", ".join(f"serve pid {i.pid} {i.url}" for i in cluster.instances))
    print(f"nginx prefix {cluster.nginx.dir}; Ctrl-C stops everything", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
