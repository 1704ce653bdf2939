"""Web push figures: encrypted deliveries per second to the local double, and time from "due" to
"delivered" for N reminders that all fall due at the same moment, sent by two sender processes (as two
app workers would) from the app's SQLite database. The double runs in a third process on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.servers import ROOT, App

SENDERS = 2
AIM_DELIVERIES_PER_SECOND = 300


def measure(app: App, n: int) -> dict[str, Any]:
    keys = app.cli("push", "keys")
    match = re.search(r"Public key: (\S+)", keys.stdout)
    if keys.returncode or match is None:
        raise RuntimeError(f"pusterum push keys failed: {keys.stderr[-1000:]}")
    with tempfile.TemporaryDirectory(prefix="pusterum-push-bench-") as tmp:
        out = Path(tmp)
        double = subprocess.Popen([sys.executable, "-m", "bench.push_double", match.group(1), str(n), tmp], cwd=ROOT,
                                  stdin=subprocess.PIPE, text=True)
        try:
            for _ in range(600):
                if (out / "subscriptions.json").exists():
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("the push double did not start")
            due = time.time() + 60  # set-up first; everything falls due at once, later
            python = [sys.executable, "-m", "bench.push_sender"]
            subprocess.run([*python, "setup", str(out / "subscriptions.json"), str(due)], env=app.env, cwd=ROOT,
                           check=True, timeout=300)
            due = time.time() + 3  # moved up now that the rows exist: senders start, then wait for it
            with sqlite3.connect(app.var_dir / "pusterum.sqlite3") as conn:
                conn.execute("UPDATE reminder_plan SET next_due_at = ?", (_sqlite_time(due),))
            senders = [subprocess.Popen([*python, "send", str(due)], env=app.env, cwd=ROOT, stdout=subprocess.PIPE,
                                        text=True) for _ in range(SENDERS)]
            claimed = [int(s.communicate(timeout=900)[0].strip().splitlines()[-1]) for s in senders]
        finally:
            double.communicate("", timeout=120)
        stats = json.loads((out / "stats.json").read_text())
    latencies = [t - due for t in stats["received_at"]]
    span = max(latencies, default=0.0)
    return {
        "reminders": n, "senders": SENDERS, "claimed_per_sender": claimed, "delivered": stats["delivered"],
        "distinct": stats["distinct"], "most_to_one": stats["most_to_one"], "rejected": stats["rejected"],
        "first_rejections": stats["rejections"],
        "deliveries_per_second": stats["delivered"] / span if span else 0.0,
        "due_to_delivered_s": {"p50": _pct(latencies, 50), "p95": _pct(latencies, 95), "max": span},
        "valid": stats["delivered"] == n and stats["most_to_one"] == 1 and stats["rejected"] == 0,
        "aim_met": stats["delivered"] / span >= AIM_DELIVERIES_PER_SECOND if span else False,
    }


def _pct(values: list[float], p: int) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def _sqlite_time(epoch: float) -> str:
    """The text Piccolo stores for a timestamptz in SQLite (``str`` of the UTC datetime)."""
    return str(datetime.fromtimestamp(epoch, UTC))
