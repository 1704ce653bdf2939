"""`make bench`: serves the app and a bare Litestar hello-world the same way, in the same run, and
reports the app's figures as ratios against that baseline (absolute numbers depend on the machine);
then the dashboard on a year of demo data in three sizes on SQLite and PostgreSQL (``bench/dashboard.py``;
alone: ``--only dashboard``).

Exit status: 0 for a valid run (aims met or not, as printed), 1 if any request failed or event rows are
missing, 2 if the bench could not run (wrk missing, a server did not start).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import client, dashboard, push, report, signin, wrk
from bench.servers import App, Bare, Server

RESULTS = Path(__file__).resolve().parent / "results"
WORKERS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per measurement, to check the harness itself "
                        "(dashboard: 0.1× the data, 2 rounds)")
    parser.add_argument("--only", choices=("dashboard", "signin", "events"), help="run only this step")
    parser.add_argument("--engine", action="append", choices=dashboard.ENGINES,
                        help="dashboard: only this engine (repeat for both; default both)")
    args = parser.parse_args(argv)
    engines = tuple(args.engine or dashboard.ENGINES)
    if args.only is None and not wrk.have_wrk():
        print(f"bench: {wrk.MISSING}", file=sys.stderr)
        return 2
    seconds = 2 if args.quick else 10
    try:
        if args.only == "signin":
            print(json.dumps({**_meta(), "signin": signin.measure()}, indent=2))
            return 0
        if args.only == "events":
            print(json.dumps({**_meta(), "events": ingest_on_each_engine(seconds, engines)}, indent=2))
            return 0
        if args.only == "dashboard":
            result = report.build_only_dashboard(_meta(), dashboard.measure(quick=args.quick, engines=engines))
        else:
            result = run(seconds, args.quick, engines)
    except RuntimeError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(report.render(result))
    return 0 if result["valid"] else 1


def _owned(stack: ExitStack, server: Server) -> Server:
    """Stops the server and removes its var dir when the run ends, however it ends."""
    stack.callback(server.remove_var_dir)
    stack.callback(server.stop)
    return server


def _meta() -> dict:
    return {"when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}


def _ingest(app: App, cookie: str, seconds: int) -> tuple[wrk.WrkResult, int]:
    """POST /api/events with wrk (after a warm-up), and the rows it added, counted once settled."""
    api_headers = {"Cookie": f"pusterum={cookie}", "Content-Type": "application/json", "X-Pusterum": "1"}
    occurred_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def events_run(length: int) -> wrk.WrkResult:
        nonce = secrets.token_hex(4)  # a fresh one per wrk run keeps every id of the run new
        return wrk.run(f"{app.url}/api/events", seconds=length, headers=api_headers, script=wrk.EVENTS_LUA,
                       script_args=(str(report.BATCH), occurred_at, nonce))

    events_run(wrk.WARM_UP_SECONDS)
    rows_before = app.settled_event_rows()
    events = events_run(seconds)
    return events, app.settled_event_rows() - rows_before


def ingest_on_each_engine(seconds: int, engines: tuple[str, ...]) -> dict:
    """Event ingest alone (``--only events``), on SQLite and on PostgreSQL (a throwaway cluster)."""
    out: dict = {}
    for engine in engines:
        with ExitStack() as stack, dashboard.database(engine) as dsn:
            app = _owned(stack, App(WORKERS))
            if dsn is not None:
                app.env["DATABASE_URL"] = dsn
            app.prepare()
            app.start()
            events, rows = _ingest(app, client.enrol(app.url, app.invite_code), seconds)
            answered = events.requests - events.non_200
            out[engine] = {"events_per_s": round(events.requests_per_second * report.BATCH), "p99_ms": events.p99_ms,
                           "requests": events.requests, "non_200": events.non_200, "rows": rows,
                           "rows_expected_at_least": answered * report.BATCH}
    return out


def run(seconds: int, quick: bool, engines: tuple[str, ...]) -> dict:
    """Each server is measured alone on the machine: the baseline first, stopped, then the app."""
    with ExitStack() as stack:
        bare = _owned(stack, Bare(WORKERS))
        app = _owned(stack, App(WORKERS))
        print(f"preparing the app in {app.var_dir} (migrate, content import, demo) …", file=sys.stderr)
        app.prepare()
        print(f"measuring, {seconds} s each after {wrk.WARM_UP_SECONDS} s warm-up …", file=sys.stderr)
        bare.start()
        bare_result = wrk.measure(f"{bare.url}/hello", seconds=seconds, headers={})
        bare.stop()

        app.start()
        cookie = client.enrol(app.url, app.invite_code)
        library = wrk.measure(f"{app.url}/library", seconds=seconds,
                              headers={"Cookie": f"pusterum={cookie}", "Accept-Encoding": "gzip"})

        events, rows_added = _ingest(app, cookie, seconds)

        transfers = client.first_load(app.url, cookie)
        app.stop()  # the push measurement needs the CPUs: the senders stand in for the app's workers
        reminders = 1000 if seconds < 10 else 10_000
        print(f"web push: {reminders:,} reminders due at once, {push.SENDERS} sender processes …", file=sys.stderr)
        push_result = push.measure(app, reminders)
        meta = {
            **_meta(),
            "workers": WORKERS,
            "wrk": {"threads": wrk.THREADS, "connections": wrk.CONNECTIONS, "seconds": seconds,
                    "warm_up_seconds": wrk.WARM_UP_SECONDS},
        }
    # Its own servers and databases, one size after another, once the servers above are gone.
    board = dashboard.measure(quick=quick, engines=engines)
    return report.build(meta, bare_result, library, events, rows_added, transfers, push_result, board)


if __name__ == "__main__":
    raise SystemExit(main())
