"""The follow-up dashboard on a year of demo data: for each engine (SQLite, then PostgreSQL on a throwaway
cluster) and size (0.5×, 1×, 2× of ``pusterum demo-data``'s default people, 365 days), a fresh database is
migrated and filled, the app is served as in the rest of the bench, a researcher signs in, and the dashboard
is requested with ~20 filter combinations people would use, one request at a time, several rounds.

Reported per engine and size: the generation time and events, p50/p95/max of the dashboard's answer time
(measured at the client, whole body read), and how p95 grows from 0.5× to 1× and 1× to 2× (data doubles each
time; below 2.0 is less than linear). Aim: p95 ≤ 300 ms at 1×.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx

from bench.servers import ROOT, App
from server.lib.localtime import today
from tools.pgtmp import PostgresUnavailable, throwaway_cluster

DASHBOARD_PATH = "/workspace/reports"  # the page measured (GET; filters as query parameters)
LOGIN_PATH = "/workspace/login"
ENGINES = ("sqlite", "postgres")
SCALES = (0.5, 1.0, 2.0)
# `pusterum demo-data`'s defaults (server/demo/data.py; not imported here, as that would need the
# database settings): 1× passes no counts, and the counts it prints are checked against these.
DEFAULT_PATIENTS, DEFAULT_STAFF, DAYS = 3000, 5000, 365
ROUNDS = 5  # measured passes over every combination, each in its own shuffled order, after one warm-up pass
AIM_P95_MS = 300  # at 1×, on each engine
WORKERS = 2
EMAIL = "bench-researcher@example.org"
PASSWORD = "a long walk along the quiet harbour"  # a throwaway account in a throwaway database
GENERATE_TIMEOUT = 3600
_SUMMARY = re.compile(r"([\d,]+) patients and ([\d,]+) staff at \d+ demo sites, ([\d,]+) events .*?in ([\d.]+) s "
                      r"\(events ([\d.]+) s, rollups ([\d.]+) s\)")


def _month(today: date, offset: int) -> str:
    index = today.year * 12 + today.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


def combinations(offer: dict[str, Any], today: date) -> list[tuple[str, dict[str, str]]]:
    """What people ask the dashboard: a period, a place, a role, a group, and a few of these together."""
    h1, h2 = offer["hospitals"][0], offer["hospitals"][-1]
    c1, c2 = offer["clinics"][0], offer["clinics"][-1]
    u1 = offer["units"][0]["slug"]
    u2 = next((u["slug"] for u in offer["units"] if u["site"] == h2), u1)
    groups = [g["slug"] for g in offer["groups"]] or [""]
    g1, g2 = groups[len(groups) // 2], groups[-1]
    m1, m2 = (offer["municipalities"] + ["0101", "0101"])[:2]
    year, quarter = today.year, (today.month - 1) // 3 + 1
    last_quarter = f"{year}-Q{quarter - 1}" if quarter > 1 else f"{year - 1}-Q4"
    return [
        ("no filter (this calendar year)", {}),
        ("last calendar year", {"period": str(year - 1)}),
        ("this quarter", {"period": f"{year}-Q{quarter}"}),
        ("last month", {"period": _month(today, -1)}),
        ("a hospital", {"site": h1}),
        ("a clinic", {"site": c1}),
        ("a clinic, last quarter", {"site": c2, "period": last_quarter}),
        ("a unit", {"unit": u1}),
        ("a unit's staff", {"unit": u2, "kind": "staff"}),
        ("a municipality", {"municipality": m1}),
        ("another municipality", {"municipality": m2}),
        ("municipality not stated", {"municipality": "none"}),
        ("staff", {"kind": "staff"}),
        ("patients", {"kind": "patient"}),
        ("a course group", {"group": g1}),
        ("a course group's patients", {"group": g2, "kind": "patient"}),
        ("a clinic and a municipality", {"site": c1, "municipality": m1}),
        ("patients in a municipality, a quarter", {"kind": "patient", "municipality": m2, "period": last_quarter}),
        ("a hospital's staff, last calendar year", {"site": h2, "kind": "staff", "period": str(year - 1)}),
    ]


def _pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@contextlib.contextmanager
def database(engine: str) -> Iterator[str | None]:
    """None for SQLite (the app's var dir); a throwaway PostgreSQL cluster's URL, removed afterwards."""
    if engine == "sqlite":
        yield None
        return
    with throwaway_cluster() as dsn:
        yield dsn


def _generate(app: App, patients: int | None, staff: int | None) -> dict[str, Any]:
    counts = [] if patients is None else ["--patients", str(patients), "--staff", str(staff)]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "server", "demo-data", *counts, "--days", str(DAYS)],
                              env=app.env, cwd=ROOT, capture_output=True, text=True, timeout=GENERATE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"pusterum demo-data took more than {GENERATE_TIMEOUT} s") from exc
    wall = time.perf_counter() - started
    match = _SUMMARY.search(done.stdout)
    if done.returncode or match is None:
        raise RuntimeError(f"pusterum demo-data failed:\n{(done.stderr or done.stdout)[-2000:]}")
    number = lambda i: int(match.group(i).replace(",", ""))  # noqa: E731
    return {"patients": number(1), "staff": number(2), "events": number(3), "generate_s": wall,
            "reported_s": {"total": float(match.group(4)), "events": float(match.group(5)),
                           "rollups": float(match.group(6))}}


def _offer(app: App) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.dashboard_setup", EMAIL], input=PASSWORD + "\n", env=app.env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"bench.dashboard_setup failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sign_in(base_url: str) -> httpx.Client:
    """The login form as a browser posts it; the client keeps the session cookie (no second factor in
    development)."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60,
                          headers={"Accept-Language": "da", "Accept-Encoding": "gzip"})
    form = client.get(LOGIN_PATH)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"GET {LOGIN_PATH} answered {form.status_code} without a CSRF token")
    done = client.post(LOGIN_PATH, data={"_csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD})
    if done.status_code != 303 or done.headers.get("location") != "/workspace":
        raise RuntimeError(f"signing in answered {done.status_code} → {done.headers.get('location')}: "
                           f"{done.text[:300]}")
    return client


def _requests(client: httpx.Client, combos: list[tuple[str, dict[str, str]]], rounds: int) -> dict[str, Any]:
    timings: dict[str, list[float]] = {name: [] for name, _ in combos}
    bad: list[str] = []
    cold: list[float] = []

    def one(params: dict[str, str]) -> float:
        started = time.perf_counter()
        response = client.get(DASHBOARD_PATH, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            bad.append(f"{response.status_code} for {params}: {response.text[:200]!r}")
        return elapsed

    for _, params in combos:  # warm-up: the first of each, not counted
        cold.append(one(params))
    for n in range(rounds):
        order = list(combos)
        random.Random(n).shuffle(order)
        for name, params in order:
            timings[name].append(one(params))
    every = [ms for values in timings.values() for ms in values]
    return {"requests": len(every), "p50_ms": _pct(every, 50), "p95_ms": _pct(every, 95), "max_ms": max(every),
            "warm_up_first_ms": cold[0], "warm_up_max_ms": max(cold),
            "per_combination_p50_ms": {name: statistics.median(v) for name, v in timings.items()},
            "non_200": len(bad), "first_bad": bad[0] if bad else ""}


def _size(engine: str, scale: float, quick: bool, rounds: int) -> dict[str, Any]:
    factor = scale * (0.1 if quick else 1.0)
    counts = (None, None) if factor == 1.0 else (round(DEFAULT_PATIENTS * factor), round(DEFAULT_STAFF * factor))
    with database(engine) as dsn:
        app = App(WORKERS)
        try:
            if dsn:
                app.env["DATABASE_URL"] = dsn
            app.prepare()
            print(f"  {engine} {scale:g}×: demo-data …", file=sys.stderr, flush=True)
            made = _generate(app, *counts)
            if counts == (None, None) and (made["patients"], made["staff"]) != (DEFAULT_PATIENTS, DEFAULT_STAFF):
                raise RuntimeError(f"demo-data's defaults are now {made['patients']} patients and {made['staff']} "
                                   "staff: update DEFAULT_PATIENTS and DEFAULT_STAFF in bench/dashboard.py")
            offer = _offer(app)
            combos = combinations(offer, today())
            app.start()
            print(f"  {engine} {scale:g}×: {made['events']:,} events in {made['generate_s']:.0f} s; "
                  f"{len(combos)} combinations × {rounds} rounds …", file=sys.stderr, flush=True)
            client = sign_in(app.url)
            try:
                measured = _requests(client, combos, rounds)
            finally:
                client.close()
            if measured["non_200"]:
                measured["server_log_tail"] = app.log_tail(4000)
        finally:
            app.stop()
            app.remove_var_dir()
    return {"scale": scale, **made, **measured}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def measure(*, quick: bool = False, engines: tuple[str, ...] = ENGINES) -> dict[str, Any]:
    rounds = 2 if quick else ROUNDS
    result: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "path": DASHBOARD_PATH,
                              "days": DAYS, "rounds": rounds, "workers": WORKERS, "quick": quick,
                              "combinations": [name for name, _ in combinations(_EXAMPLE, today())],
                              "aim_p95_ms_at_1x": AIM_P95_MS, "engines": {}}
    problems: list[str] = []
    for engine in engines:
        print(f"dashboard on {engine}: sizes {', '.join(f'{s:g}×' for s in SCALES)} …", file=sys.stderr)
        try:
            sizes = [_size(engine, scale, quick, rounds) for scale in SCALES]
        except PostgresUnavailable as exc:  # as in the tests outside CI: said, not failed
            result["engines"][engine] = {"skipped": f"PostgreSQL not available: {exc}"}
            continue
        by = {s["scale"]: s for s in sizes}
        growth = {"p95_1x_over_0.5x": _ratio(by[1.0]["p95_ms"], by[0.5]["p95_ms"]),
                  "p95_2x_over_1x": _ratio(by[2.0]["p95_ms"], by[1.0]["p95_ms"]),
                  "p50_1x_over_0.5x": _ratio(by[1.0]["p50_ms"], by[0.5]["p50_ms"]),
                  "p50_2x_over_1x": _ratio(by[2.0]["p50_ms"], by[1.0]["p50_ms"]),
                  "events_2x_over_1x": _ratio(by[2.0]["events"], by[1.0]["events"])}
        result["engines"][engine] = {
            "sizes": sizes, "growth": growth,
            "aim_p95_met": by[1.0]["p95_ms"] <= AIM_P95_MS,
            "sublinear": all(r is not None and r < 2.0 for r in (growth["p95_1x_over_0.5x"],
                                                               growth["p95_2x_over_1x"])),
        }
        problems += [f"dashboard on {engine} at {s['scale']:g}×: {s['non_200']} answers other than 200 "
                     f"(first: {s['first_bad']})" for s in sizes if s["non_200"]]
    result["problems"] = problems
    result["valid"] = not problems
    return result


# Only for naming the combinations in the results (the real ones are built from each database's demo data).
_EXAMPLE = {"hospitals": ["h"], "clinics": ["c"], "units": [{"slug": "u", "site": "h"}], "groups": [],
            "municipalities": []}
