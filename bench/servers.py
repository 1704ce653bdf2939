"""Starting the app and the baseline as real server processes on loopback, each with its own state."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Server:
    def __init__(self, command: list[str], env: dict[str, str], health: str, cwd: Path = ROOT) -> None:
        self.command, self.env, self.health, self.cwd = command, env, health, cwd
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until_up(self.health)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class AppUnderTest:
    """The real app on SQLite in a fresh var dir: migrated, content imported, demo invite created."""

    def __init__(self, workers: int) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="pusterum-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUSTERUM_TIME_SCALE")}
        self.env.update({"PUSTERUM_VAR_DIR": str(self.var_dir), "HOST": "127.0.0.1", "PORT": str(self.port),
                         "WORKERS": str(workers), "BASE_URL": self.url, "LOG_LEVEL": "WARNING"})
        self.invite_code = ""

    def prepare(self) -> None:
        for args in (("db", "migrate"), ("content", "import")):
            self._cli(*args)
        self.invite_code = re.search(r"/j/(\S+)", self._cli("demo")).group(1)

    def _cli(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "server", *args], env=self.env, cwd=ROOT, capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"pusterum {' '.join(args)} failed: {result.stderr[-500:]}")
        return result.stdout

    def server(self) -> Server:
        return Server([sys.executable, "-m", "server", "serve"], self.env, f"{self.url}/healthz")

    def event_rows(self) -> int:
        import sqlite3

        with sqlite3.connect(self.var_dir / "pusterum.sqlite3") as conn:
            return conn.execute("SELECT count(*) FROM event").fetchone()[0]

    def cleanup(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)


def bare_server(workers: int) -> tuple[Server, str]:
    port = free_port()
    granian = Path(sys.executable).parent / "granian"
    command = [str(granian), "--interface", "asgi", "--factory", "--workers", str(workers), "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "bench.bare_app:create_app"]
    url = f"http://127.0.0.1:{port}"
    return Server(command, dict(os.environ), f"{url}/hello"), url
