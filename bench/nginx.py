"""Debian's nginx in front of app instances, the way a region would deploy Pusterum: TLS ended at nginx with a
throwaway self-signed certificate, requests balanced over the instances, the client's address passed on in
``X-Forwarded-For`` and the scheme in ``X-Forwarded-Proto``.

It runs as a foreground process (``daemon off``) from a temporary prefix directory holding its configuration,
certificate, pid file, logs and temp files, so it touches nothing of the system's nginx set-up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.servers import free_port

NGINX = "/usr/sbin/nginx"
MISSING = "nginx is not installed (Debian: apt-get install -y nginx)"

_CONFIG = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$upstream_addr $status';  # which instance answered: the balance is reported
    access_log {prefix}/access.log upstream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    client_max_body_size 2m;
    upstream pusterum {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {prefix}/cert.pem;
        ssl_certificate_key {prefix}/key.pem;
        location / {{
            proxy_pass http://pusterum;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 180s;  # the sign-in burst: see soak_load.CLIENT_TIMEOUT
        }}
    }}
}}
"""


def have_nginx() -> bool:
    return Path(NGINX).exists()


class TlsProxy:
    """nginx on a free port of 127.0.0.1 with ``https://`` in front of the given upstream ports."""

    def __init__(self, upstream_ports: list[int]) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="pusterum-nginx-"))
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.upstream_ports = upstream_ports
        self.process: subprocess.Popen[bytes] | None = None

    def _write_files(self) -> None:
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / temp).mkdir(parents=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(self.prefix / "key.pem"),
                        "-out", str(self.prefix / "cert.pem")], check=True, capture_output=True)
        # As root, nginx would hand its workers to `nobody`, who may not write into a root-owned temp dir.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p in self.upstream_ports)
        (self.prefix / "nginx.conf").write_text(_CONFIG.format(user=user, prefix=self.prefix, port=self.port,
                                                               servers=servers))

    def start(self, timeout: float = 20) -> None:
        self._write_files()
        # -e: the error log from the first line on, before the configuration names it.
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", "nginx.conf", "-e", str(self.prefix / "error.log"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", verify=False, timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not start; its error log ends:\n{self.log_tail()}")

    def answers_by_instance(self) -> dict[str, int]:
        """How many requests each upstream instance answered (from the access log), to show both took load."""
        log = self.prefix / "access.log"
        counts: dict[str, int] = {}
        for line in log.read_text().splitlines() if log.exists() else ():
            upstream = line.split(" ", 1)[0]
            counts[upstream] = counts.get(upstream, 0) + 1
        return counts

    def log_tail(self, chars: int = 2000) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"

    def stop(self) -> None:
        """SIGQUIT lets the workers finish what they hold; SIGKILL to the group if that takes over 10 s."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None

    def remove_prefix(self) -> None:
        shutil.rmtree(self.prefix, ignore_errors=True)
