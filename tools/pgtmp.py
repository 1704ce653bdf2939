"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests, benchmarks and generating migrations.

Usage as a module: ``with throwaway_cluster() as dsn: ...``; as a command:
``python tools/pgtmp.py -- COMMAND ARGS`` runs COMMAND with DATABASE_URL pointing at a fresh database
and removes the cluster afterwards. fsync is off: this cluster is for throwaway data only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator


class PostgresUnavailable(RuntimeError):
    pass


def _pg_bin() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not candidates:
        raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; outside root we run as ourselves.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def throwaway_cluster(dbname: str = "pusterum") -> Iterator[str]:
    pg_bin = _pg_bin()
    data = tempfile.mkdtemp(prefix="pusterum-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    run = lambda *a: subprocess.run(_as_postgres(list(a)), check=True, capture_output=True)  # noqa: E731
    try:
        run(f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")
        run(f"{pg_bin}/pg_ctl", "-D", data, "-l", f"{data}/log", "-w", "-t", "30", "start", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        run(f"{pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", dbname)
        yield f"postgresql://postgres@127.0.0.1:{port}/{dbname}"
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(exc.stderr.decode(errors="replace")[-500:]) from exc
    finally:
        subprocess.run(_as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__)
        return 2
    command = argv[argv.index("--") + 1:]
    with throwaway_cluster() as dsn:
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": dsn})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
