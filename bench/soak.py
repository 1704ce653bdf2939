"""`make soak` (issue 12, items 1 and 3): a region's busy minute — phones syncing, people joining, staff pausing,
a researcher, a coordinator, sign-ins and one burst of 100 sign-ins — against each deployment in turn, then a
count of the rows: every acknowledged event stored exactly once, every enrolment a participant, every pause
saved a row. The load itself is ``bench/soak_load.py``.

Deployments: SQLite with WORKERS=1 and with WORKERS=2, and PostgreSQL (a throwaway cluster) with two separate
app instances behind Debian's nginx ending TLS with a self-signed certificate (``bench/nginx.py``).

Exit status: 0 for a valid run (aims met or not, as printed: ``MISSED``), 1 (``NOT VALID``) if any request
got a 5xx, no answer or an answer other than the one expected, or a row is missing or doubled; 2 if the soak
could not run (nginx or PostgreSQL missing, a server did not start).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import nginx
from bench.__main__ import RESULTS, _meta, _owned
from bench.servers import App
from bench.soak_db import ROLES
from bench.soak_load import Load, Plan, Soak, Target
from tools.pgtmp import PostgresUnavailable, throwaway_cluster

# Extra settings for every server of the soak. The rate limits are raised by App itself (RAISED_LIMITS in
# bench/servers.py, counted but never reached): the soak's 2 joins a second from one address and its phones
# must not be counted as a flood, or its figures measure the 429s. Anything else the soak needs goes here.
SOAK_SETTINGS: dict[str, str] = {}
DEPLOYMENTS = ("sqlite-1", "sqlite-2", "postgres-nginx")
INSTANCES = 2  # separate `serve` processes behind nginx, each with WORKERS=1
PATIENT_PAGES = ("GET /home", "GET /welcome/municipality")  # what the p99 aim is about
AIM_PATIENT_P99_MS = 200
AIM_BURST_MAX_MS = 1000
PASSWORD = "a quiet afternoon by the fjord"  # throwaway accounts in a throwaway database
_LOG_PROBLEM = re.compile(r"Traceback|\bWARNING\b|\bERROR\b|\bCRITICAL\b|\[error\]|\[crit\]|\[alert\]|\[emerg\]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs on each deployment")
    parser.add_argument("--quick", action="store_true", help="10 s per deployment, to check the harness itself")
    parser.add_argument("--deployment", action="append", choices=DEPLOYMENTS,
                        help="only this deployment (repeat for more; default all three)")
    args = parser.parse_args(argv)
    plan = Plan(seconds=10 if args.quick else args.seconds)
    chosen = tuple(args.deployment or DEPLOYMENTS)
    if "postgres-nginx" in chosen and not nginx.have_nginx():
        print(f"soak: {nginx.MISSING}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    try:
        for name in chosen:
            print(f"soak: {name}, {plan.seconds:g} s …", file=sys.stderr, flush=True)
            results[name] = judge(deploy_and_run(name, plan))
    except (RuntimeError, PostgresUnavailable) as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    result = {**_meta(), "seconds": plan.seconds, "plan": asdict(plan), "settings": SOAK_SETTINGS,
              "deployments": results, "valid": all(r["valid"] for r in results.values())}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    return 0 if result["valid"] else 1


# --- deployments ---

def deploy_and_run(name: str, plan: Plan) -> dict[str, Any]:
    """Serves the deployment, soaks it, counts its rows and reads its logs; everything is removed after."""
    with ExitStack() as stack:
        if name.startswith("sqlite"):
            apps = [_owned(stack, App(int(name.split("-")[1])))]
            _settle(apps)
            url, verify = apps[0].url, True
        else:
            dsn = stack.enter_context(throwaway_cluster())
            apps = [_owned(stack, App(1)) for _ in range(INSTANCES)]
            proxy = nginx.TlsProxy([a.port for a in apps])
            stack.callback(proxy.remove_prefix)
            stack.callback(proxy.stop)
            secret = secrets.token_urlsafe(48)  # one key for all: a cookie from one instance opens the other
            _settle(apps, DATABASE_URL=dsn, SECRET_KEY=secret, BASE_URL=proxy.url, TRUSTED_PROXIES="127.0.0.1")
            proxy.start()
            url, verify = proxy.url, False
        first = apps[0]
        target = Target(url=url, patient_code=first.invite_code, staff_code=first.staff_code,
                        site_id=_accounts(first), accounts=_credentials(), verify=verify)
        load = asyncio.run(Soak(target, plan).run())
        rows = _count(first, load)
        logs = {f"instance {i + 1}" if len(apps) > 1 else "app": _problems(a.log_path) for i, a in enumerate(apps)}
        balance = {}
        if not name.startswith("sqlite"):
            logs["nginx"] = _problems(proxy.prefix / "error.log")
            balance = proxy.answers_by_instance()
        return {"deployment": name, "workers": [a.workers for a in apps], "load": load, "rows": rows,
                "answers_by_instance": balance, "log_problems": {k: v for k, v in logs.items() if v}}


def _settle(apps: list[App], **env: str) -> None:
    """Settings for every instance; the first prepares the shared database (migrate, content, demo), then all
    serve. Development mode throughout: production would ask every workspace account for a second factor."""
    for app in apps:
        app.env.update({**SOAK_SETTINGS, **env})
    print(f"  preparing {apps[0].var_dir} (migrate, content import, demo) …", file=sys.stderr, flush=True)
    apps[0].prepare()
    for app in apps:
        app.invite_code, app.staff_code = apps[0].invite_code, apps[0].staff_code
        app.start()


def _credentials() -> dict[str, tuple[str, str]]:
    return {role: (f"soak-{role}@example.org", PASSWORD) for role in ROLES}


def _accounts(app: App) -> int:
    """Makes the researcher, the coordinator (linked to the demo clinic) and the signer; the clinic's id."""
    lines = "".join(f"{email} {password}\n" for email, password in _credentials().values())
    done = app.python("bench.soak_db", "setup", stdin=lines)
    if done.returncode:
        raise RuntimeError(f"bench.soak_db setup failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["site_id"]


def _count(app: App, load: Load) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".ids") as ids:
        ids.write("\n".join(sorted(load.acknowledged)))
        ids.flush()
        done = app.python("bench.soak_db", "count", ids.name)
    if done.returncode:
        raise RuntimeError(f"bench.soak_db count failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _problems(log: Path, limit: int = 6000) -> str:
    """Every error line of a server's log and the traceback after it, for the report (the dirs are removed)."""
    if not log.exists():
        return ""
    lines = log.read_text(errors="replace").splitlines()
    keep: list[str] = []
    for i, line in enumerate(lines):
        if _LOG_PROBLEM.search(line):
            keep += lines[i:i + 40] if "Traceback" in line else [line]
    return "\n".join(dict.fromkeys(keep))[:limit]


# --- judging ---

def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds (0 for nothing measured)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000


def judge(run: dict[str, Any]) -> dict[str, Any]:
    """Routes' figures, the row check and the aims; JSON-ready (the load's raw samples are left out)."""
    load: Load = run.pop("load")
    rows = run["rows"]
    routes: dict[str, dict[str, Any]] = {}
    for label in sorted({s.label for s in load.samples}):
        taken = [s for s in load.samples if s.label == label]
        timed = [s.seconds for s in taken if s.phase == "soak"]  # set-up ran on a quiet server: not counted
        routes[label] = {"requests": len(timed), "p50_ms": round(_pct(timed, 50), 1),
                         "p99_ms": round(_pct(timed, 99), 1), "max_ms": round(max(timed, default=0) * 1000, 1),
                         "statuses": dict(sorted(Counter(str(s.status) for s in taken).items())),
                         "before_the_clock": len(taken) - len(timed)}
    server_errors = sum(s.status >= 500 for s in load.samples)
    no_answer = sum(s.status == 0 for s in load.samples)
    joined = sum(load.enrolled.values())
    participants = sum(rows["participants"].values())
    patient = [s.seconds for s in load.samples if s.label in PATIENT_PAGES and s.phase == "soak"]
    probes = {label: {"n": len(v), "p99_ms": round(_pct(v, 99), 1), "max_ms": round(max(v, default=0) * 1000, 1)}
              for label, v in load.burst.get("probes", {}).items()}
    problems = []
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    if no_answer:
        problems.append(f"{no_answer} requests got no answer")
    if other := len(load.failures) - no_answer:
        problems.append(f"{other} answers were not the expected status (a limit? see SOAK_SETTINGS)")
    if rows["missing"] or rows["stored_twice"] or load.resent_stored_again:
        problems.append(f"events: {rows['missing']} acknowledged ids missing, {rows['stored_twice']} stored twice, "
                        f"{load.resent_stored_again} rows added by resent batches")
    if participants != joined:
        problems.append(f"{joined} enrolments answered 303 but {participants} participants are stored")
    if rows["pauses"] != load.pauses_saved:
        problems.append(f"{load.pauses_saved} pauses were saved but {rows['pauses']} pause rows are stored")
    burst_max = max((p["max_ms"] for p in probes.values()), default=0.0)
    return {
        **run,
        "routes": routes,
        "server_errors": server_errors,
        "server_error_answers": load.server_errors[:50],
        "failures": load.failures[:50],
        "failures_total": len(load.failures),
        "events": {"batches": load.batches, "acknowledged": len(load.acknowledged), "rows": rows["rows"],
                   "missing": rows["missing"], "missing_examples": rows["missing_examples"],
                   "stored_twice": rows["stored_twice"], "not_acknowledged": rows["not_acknowledged"],
                   "resent_batches": load.resent, "resent_stored_again": load.resent_stored_again},
        "enrolments": {"answered_303": dict(load.enrolled), "participants": rows["participants"]},
        "pauses": {"saved": load.pauses_saved, "rows": rows["pauses"]},
        "codes_made": load.codes_made,
        "client_loop_lag_ms": {"p99": round(_pct(load.loop_lag, 99), 1),
                               "max": round(max(load.loop_lag, default=0) * 1000, 1)},
        "patient_pages": {"requests": len(patient), "p50_ms": round(_pct(patient, 50), 1),
                          "p99_ms": round(_pct(patient, 99), 1), "aim_p99_ms": AIM_PATIENT_P99_MS,
                          "met": _pct(patient, 99) <= AIM_PATIENT_P99_MS},
        "burst": {**{k: v for k, v in load.burst.items() if k != "probes"}, "probes": probes,
                  "aim_max_ms": AIM_BURST_MAX_MS, "met": bool(probes) and burst_max < AIM_BURST_MAX_MS},
        "problems": problems,
        "valid": not problems,
    }


# --- the table ---

def render(result: dict[str, Any]) -> str:
    out = [f"Soak, {result['seconds']:g} s per deployment — {result['when']}, {result['machine']}"]
    for name, r in result["deployments"].items():
        balance = f"; nginx sent {r['answers_by_instance']}" if r["answers_by_instance"] else ""
        out += ["", f"{name} (workers per instance: {r['workers']}{balance})",
                f"  {'route':<52} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}  statuses (set-up included)"]
        for label, f in r["routes"].items():
            out.append(f"  {label:<52} {f['requests']:>6} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}  "
                       + ", ".join(f"{k}×{v}" for k, v in f["statuses"].items()))
        e, p, b = r["events"], r["patient_pages"], r["burst"]
        out += [f"  5xx: {r['server_errors']}; events acknowledged {e['acknowledged']:,}, stored {e['rows']:,} "
                f"(missing {e['missing']}, twice {e['stored_twice']}, unacknowledged {e['not_acknowledged']}); "
                f"resent batches {e['resent_batches']}, rows they added {e['resent_stored_again']}",
                f"  enrolments {r['enrolments']['answered_303']} → participants {r['enrolments']['participants']}; "
                f"pauses saved {r['pauses']['saved']} → rows {r['pauses']['rows']}; codes made {r['codes_made']}",
                f"  patient pages p50 {p['p50_ms']:.0f} ms, p99 {p['p99_ms']:.0f} ms "
                f"(aim ≤ {p['aim_p99_ms']} ms: {'met' if p['met'] else 'MISSED'}); this client's own event loop "
                f"ran late by p99 {r['client_loop_lag_ms']['p99']:.0f} / max {r['client_loop_lag_ms']['max']:.0f} ms",
                f"  burst of {b.get('sign_ins', 0)} sign-ins: {b.get('signed_in', 0)} in {b.get('seconds', 0)} s; "
                + "; ".join(f"{k.split(' (')[0]} p99 {v['p99_ms']:.0f} / max {v['max_ms']:.0f} ms ({v['n']} probes)"
                            for k, v in b["probes"].items())
                + f" (aim < {b['aim_max_ms']} ms: {'met' if b['met'] else 'MISSED'})"]
        for problem in r["problems"]:
            out.append(f"  NOT VALID: {problem}")
        for e in r["server_error_answers"][:10]:
            out.append(f"    {e['status']} {e['route']} after {e['ms']} ms, {e['at_s']} s into the {e['phase']}, "
                       f"request_id={e['request_id']} Retry-After={e['retry_after'] or '-'}")
        for failure in r["failures"][:5]:
            out.append(f"    {failure}")
        for where, text in r["log_problems"].items():
            out.append(f"  {where} log: {text.count(chr(10)) + 1} problem line(s), first: {text.splitlines()[0][:160]}")
    out += ["", "valid" if result["valid"] else "NOT VALID: see above; the figures do not count"]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
