"""`make bench`: serves the app and a bare Litestar hello-world the same way, in the same run, and
reports the app's figures as ratios against that baseline (absolute numbers depend on the machine).

Measures: library page req/s and p99; POST /api/events with batches of 50 (events/s, every row
counted afterwards); the home page's first-load transfer size (HTML + CSS + JS, compressed).
"""

from __future__ import annotations

import argparse
import json
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.load import LUA, enrol, first_load_bytes, wrk
from bench.servers import AppUnderTest, bare_server

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per measurement (checks the harness itself)")
    parser.add_argument("--workers", type=int, default=2, help="server workers for both the app and the baseline")
    args = parser.parse_args()
    seconds = 2 if args.quick else 10
    app = AppUnderTest(workers=args.workers)
    try:
        app.prepare()
        bare, bare_url = bare_server(args.workers)
        with bare:
            wrk(f"{bare_url}/hello", seconds=2, headers={})  # warm-up
            baseline = wrk(f"{bare_url}/hello", seconds=seconds, headers={})
        with app.server():
            cookie = enrol(app.url, app.invite_code)
            page_headers = {"Cookie": f"pusterum={cookie}", "Accept-Encoding": "gzip"}
            wrk(f"{app.url}/library", seconds=2, headers=page_headers)
            library = wrk(f"{app.url}/library", seconds=seconds, headers=page_headers)
            rows_before = app.event_rows()
            api_headers = {"Cookie": f"pusterum={cookie}", "Content-Type": "application/json", "X-Pusterum": "1"}
            events = wrk(f"{app.url}/api/events", seconds=seconds, headers=api_headers, script=LUA)
            rows_added = app.event_rows() - rows_before
            sizes = first_load_bytes(app.url, cookie)
    finally:
        app.cleanup()

    first_load_kb = sum(sizes.values()) / 1024
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "workers": args.workers,
        "seconds_per_measurement": seconds,
        "baseline_hello": vars(baseline),
        "library": {**vars(library), "ratio_rps": library.requests_per_second / baseline.requests_per_second,
                    "ratio_p99": library.p99_ms / baseline.p99_ms},
        "events": {**vars(events), "events_per_second": events.requests_per_second * 50,
                   "ratio_rps": events.requests_per_second / baseline.requests_per_second,
                   "rows_added": rows_added, "rows_expected_at_least": events.requests * 50 - events.non_2xx * 50},
        "first_load": {"total_kb": first_load_kb, "files": sizes},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(render(report))
    valid = library.non_2xx == 0 and events.non_2xx == 0 and rows_added >= report["events"]["rows_expected_at_least"]
    if not valid:
        print("\nNOT VALID: some requests failed or rows are missing; the figures above do not count.")
    return 0 if valid else 1


def render(r: dict) -> str:
    b, lib, ev, fl = r["baseline_hello"], r["library"], r["events"], r["first_load"]
    lines = [
        f"Pusterum bench — {r['when']} — {r['machine']} — {r['workers']} workers each, wrk 2 threads × 32 connections,"
        f" {r['seconds_per_measurement']} s per measurement",
        "",
        f"{'measurement':<34}{'req/s':>10}{'p99 ms':>9}{'vs bare req/s':>15}{'vs bare p99':>13}",
        f"{'bare Litestar GET /hello':<34}{b['requests_per_second']:>10.0f}{b['p99_ms']:>9.2f}"
        f"{'1.00×':>15}{'1.00×':>13}",
        f"{'GET /library (cached, gzip)':<34}{lib['requests_per_second']:>10.0f}{lib['p99_ms']:>9.2f}"
        f"{lib['ratio_rps']:>14.2f}×{lib['ratio_p99']:>12.2f}×",
        f"{'POST /api/events (50 per batch)':<34}{ev['requests_per_second']:>10.0f}{ev['p99_ms']:>9.2f}"
        f"{ev['ratio_rps']:>14.2f}×{ev['p99_ms'] / b['p99_ms']:>12.2f}×",
        "",
        f"events/s on SQLite: {ev['events_per_second']:,.0f} (aim ≥ 20,000); rows added {ev['rows_added']:,}"
        f" for {ev['requests']:,} acknowledged batches",
        f"library vs bare: {lib['ratio_rps']:.2f}× (aim ≥ 0.5×)",
        f"first load of /home (HTML + CSS + JS, gzip, bodies as sent): {fl['total_kb']:.1f} KB (aim ≤ 50 KB)",
    ]
    lines += [f"    {size / 1024:6.1f} KB  {url}" for url, size in fl["files"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
