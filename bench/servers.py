"""The app and the baseline as real granian processes on loopback, each with its own fresh var dir."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings that must not leak from the caller's shell into the measured servers.
_DROPPED = {"DATABASE_URL", "PUSTERUM_TEST_DB", "PUSTERUM_TIME_SCALE", "PUSTERUM_ENV", "SECRET_KEY", "BASE_URL",
            "HOST", "PORT", "WORKERS", "LOG_LEVEL"}
IMPORT_ATTEMPTS = 3
IMPORT_RETRY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process in its own session, so that stopping it also stops its granian workers."""

    name = "server"
    health_path = "/"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.var_dir = Path(tempfile.mkdtemp(prefix=f"pusterum-bench-{self.name}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith("GRANIAN_")}
        self.env.update({"PUSTERUM_VAR_DIR": str(self.var_dir), "PUSTERUM_ENV": "development",
                         "HOST": "127.0.0.1", "PORT": str(self.port), "BASE_URL": self.url,
                         "WORKERS": str(workers)})
        self.log_path = self.var_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), env=self.env, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} server did not start; its log ends:\n{self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else "(no log)"

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL to whatever is left after 15 s."""
        if self.process is None:
            return
        group = self.process.pid  # the session leader: its pid is the group id
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)  # whatever outlived the SIGTERM, workers included
        self.process.wait(timeout=5)
        self.process = None

    def remove_var_dir(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)


class Bare(Server):
    """The hello-world baseline: granian's CLI with the options `python -m server serve` gives Granian()."""

    name = "bare"
    health_path = "/hello"

    def command(self) -> list[str]:
        return [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                "--workers", str(self.workers), "--host", "127.0.0.1", "--port", str(self.port),
                "--no-access-log", "--respawn-failed-workers", "bench.bare_app:create_app"]


# The bench sends ~20,000 events a second from one participant, far past the per-participant limits
# (a phone's day in a fraction of a second): raised, so the limits are still counted on every batch (their
# cost stays in the figures) but never refuse. The caller's own values, if set, win.
RAISED_LIMITS = {"LIMIT_EVENTS_PER_MINUTE": "2000000000", "LIMIT_EVENTS_PER_DAY": "2000000000",
                 "LIMIT_ENROL_PER_CODE_HOUR": "1000000", "LIMIT_ENROL_PER_ADDRESS_HOUR": "1000000"}


class App(Server):
    """Pusterum on SQLite in its var dir: migrated, content imported, demo invite created, then served."""

    name = "app"
    health_path = "/healthz"

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.env = {**RAISED_LIMITS, **self.env}
        self.invite_code = ""  # the demo patient invite (/j/<code>)
        self.staff_code = ""  # the demo unit's staff code (/u/<code>)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "server", "serve"]  # granian, ASGI, factory, WORKERS from the env

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.python("server", *args, stdin=stdin)

    def python(self, module: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``python -m MODULE ARGS`` with this server's settings, e.g. a bench helper that uses the app's tables."""
        return subprocess.run([sys.executable, "-m", module, *args], env=self.env, cwd=ROOT, input=stdin,
                              capture_output=True, text=True, timeout=300)

    def _must(self, *args: str) -> str:
        done = self.cli(*args)
        if done.returncode != 0:
            raise RuntimeError(f"pusterum {' '.join(args)} failed:\n{(done.stderr or done.stdout)[-2000:]}")
        return done.stdout

    def prepare(self) -> None:
        self._must("db", "migrate")
        self._import_content()
        printed = self._must("demo")
        patient, staff = re.search(r"/j/(\S+)", printed), re.search(r"/u/(\S+)", printed)
        if patient is None or staff is None:
            raise RuntimeError(f"pusterum demo printed no patient or no staff link:\n{printed}")
        self.invite_code, self.staff_code = patient.group(1), staff.group(1)

    def _import_content(self) -> None:
        """content/ may be half-written while people edit it: wait a minute and try again, twice."""
        for attempt in range(1, IMPORT_ATTEMPTS + 1):
            done = self.cli("content", "import")
            if done.returncode == 0:
                return
            problem = (done.stderr or done.stdout).strip()[-2000:]
            if attempt == IMPORT_ATTEMPTS:
                raise RuntimeError(f"pusterum content import failed {attempt} times:\n{problem}")
            print(f"content import failed (attempt {attempt}), retrying in {IMPORT_RETRY_SECONDS} s:\n{problem}",
                  file=sys.stderr)
            time.sleep(IMPORT_RETRY_SECONDS)

    def event_rows(self) -> int:
        if "DATABASE_URL" in self.env:  # PostgreSQL: asked through the app's own tables
            done = self.python("bench.soak_db", "rows")
            if done.returncode:
                raise RuntimeError(f"counting rows failed:\n{done.stderr[-2000:]}")
            return int(done.stdout.strip().splitlines()[-1])
        with sqlite3.connect(self.var_dir / "pusterum.sqlite3") as conn:
            return conn.execute("SELECT count(*) FROM event").fetchone()[0]

    def settled_event_rows(self) -> int:
        """The row count once batches still in flight when wrk stopped have been committed."""
        rows = self.event_rows()
        for _ in range(50):
            time.sleep(0.2)
            now = self.event_rows()
            if now == rows:
                return now
            rows = now
        return rows
