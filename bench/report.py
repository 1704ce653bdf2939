"""The run's figures as a JSON-ready dict (ratios against the bare baseline, aims, validity) and as a table."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.client import Transfer
from bench.dashboard import AIM_P95_MS as AIM_DASHBOARD_P95_MS
from bench.wrk import CONNECTIONS, WrkResult

BATCH = 50
AIM_LIBRARY_RATIO = 0.5  # library req/s ÷ bare req/s, at least
AIM_EVENTS_PER_SECOND = 20_000  # on SQLite, at least
AIM_FIRST_LOAD_KB = 50  # at most
AIM_PUSH_PER_SECOND = 300  # encrypted deliveries to the local double, on 2 cores


def build(meta: dict[str, Any], bare: WrkResult, library: WrkResult, events: WrkResult, rows_added: int,
          transfers: list[Transfer], push: dict[str, Any], dashboard: dict[str, Any]) -> dict[str, Any]:
    rows_expected = events.requests * BATCH
    # A batch still in flight when wrk stops may be committed without wrk counting its answer.
    rows_ok = rows_expected <= rows_added <= rows_expected + CONNECTIONS * BATCH
    linked = [t for t in transfers if t.how != "imported"]
    first_kb = sum(t.body_bytes for t in linked) / 1024
    all_kb = sum(t.body_bytes for t in transfers) / 1024
    report: dict[str, Any] = {
        **meta,
        "bare_hello": asdict(bare),
        "library": {**asdict(library), "ratio_rps": library.requests_per_second / bare.requests_per_second,
                    "ratio_p99": library.p99_ms / bare.p99_ms},
        "events": {**asdict(events), "batch": BATCH, "events_per_second": events.requests_per_second * BATCH,
                   "ratio_rps": events.requests_per_second / bare.requests_per_second,
                   "ratio_p99": events.p99_ms / bare.p99_ms,
                   "rows_added": rows_added, "rows_expected": rows_expected, "rows_ok": rows_ok},
        "first_load": {"page_and_linked_kb": first_kb, "with_imported_modules_kb": all_kb,
                       "headers_kb_not_counted": sum(t.header_bytes for t in transfers) / 1024,
                       "files": [asdict(t) for t in transfers]},
        "push": push,
        "dashboard": dashboard,
    }
    report["aims"] = {
        "library_ratio_at_least_0.5": report["library"]["ratio_rps"] >= AIM_LIBRARY_RATIO,
        "events_per_second_at_least_20000": report["events"]["events_per_second"] >= AIM_EVENTS_PER_SECOND,
        "first_load_at_most_50_kb": all_kb <= AIM_FIRST_LOAD_KB,
        "push_deliveries_per_second_at_least_300": push["aim_met"],
        **_dashboard_aims(dashboard),
    }
    problems = [f"{name}: {r.non_200} non-200 answers, {r.socket_errors} socket errors"
                + (f" (first: {r.first_bad})" if r.first_bad else "")
                for name, r in (("GET /hello", bare), ("GET /library", library), ("POST /api/events", events))
                if not r.clean]
    if not rows_ok:
        problems.append(f"event rows: {rows_added:,} added, expected {rows_expected:,} "
                        f"(up to {CONNECTIONS * BATCH:,} more from batches in flight)")
    if not push["valid"]:
        problems.append(f"web push: {push['delivered']:,} of {push['reminders']:,} delivered, at most "
                        f"{push['most_to_one']} to one subscription, {push['rejected']} refused by the double "
                        f"{push['first_rejections']}")
    problems += dashboard["problems"]
    report["problems"] = problems
    report["valid"] = not problems
    return report


def _dashboard_aims(dashboard: dict[str, Any]) -> dict[str, bool]:
    aims = {}
    for engine, d in dashboard["engines"].items():
        if "sizes" in d:
            aims[f"dashboard_{engine}_p95_at_most_{AIM_DASHBOARD_P95_MS}_ms_at_1x"] = d["aim_p95_met"]
            aims[f"dashboard_{engine}_p95_grows_less_than_linearly"] = d["sublinear"]
    return aims


def build_only_dashboard(meta: dict[str, Any], dashboard: dict[str, Any]) -> dict[str, Any]:
    """``--only dashboard``: the same shape, with only that step."""
    return {**meta, "only": "dashboard", "dashboard": dashboard, "aims": _dashboard_aims(dashboard),
            "problems": dashboard["problems"], "valid": dashboard["valid"]}


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def render_dashboard(d: dict[str, Any]) -> list[str]:
    head = (f"{'engine':<10}{'size':>6}{'patients':>10}{'staff':>8}{'events':>12}{'generate s':>12}"
            f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'non-200':>9}")
    lines = [f"dashboard  GET {d['path']} as a researcher: {len(d['combinations'])} filter combinations × "
             f"{d['rounds']} rounds, one request at a time, after a warm-up pass; {d['workers']} workers; "
             f"demo-data over {d['days']} days" + (" (--quick: 0.1× the people)" if d["quick"] else ""),
             "", head, "-" * len(head)]
    for engine, e in d["engines"].items():
        if "skipped" in e:
            lines.append(f"{engine:<10}skipped: {e['skipped']}")
            continue
        lines += [f"{engine:<10}{s['scale']:>5g}×{s['patients']:>10,}{s['staff']:>8,}{s['events']:>12,}"
                  f"{s['generate_s']:>12.1f}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}"
                  f"{s['non_200']:>9}" for s in e["sizes"]]
    lines.append("")
    for engine, e in d["engines"].items():
        if "skipped" in e:
            continue
        g = e["growth"]
        one = next(s for s in e["sizes"] if s["scale"] == 1.0)
        slowest = sorted(one["per_combination_p50_ms"].items(), key=lambda kv: -kv[1])[:3]
        lines += [
            f"{engine:<10}p95 at 1×  {one['p95_ms']:>7.1f} ms   aim ≤ {d['aim_p95_ms_at_1x']} ms   "
            f"{_met(e['aim_p95_met'])}",
            f"{'':<10}p95 growth 1×/0.5× {_ratio(g['p95_1x_over_0.5x'])}, 2×/1× {_ratio(g['p95_2x_over_1x'])} "
            f"(p50: {_ratio(g['p50_1x_over_0.5x'])}, {_ratio(g['p50_2x_over_1x'])}; events 2×/1× "
            f"{_ratio(g['events_2x_over_1x'])})   less than linear: {_met(e['sublinear'])}",
            f"{'':<10}slowest at 1× (p50): " + "; ".join(f"{name} {ms:.0f} ms" for name, ms in slowest),
        ]
    return lines


def _validity(r: dict[str, Any], ok: str) -> list[str]:
    if r["valid"]:
        return [f"\nVALID: {ok}"]
    return ["\nNOT VALID: these figures do not count:", *(f"  - {p}" for p in r["problems"])]


def render(r: dict[str, Any]) -> str:
    if r.get("only") == "dashboard":
        return "\n".join([f"Pusterum bench (dashboard only)  {r['when']}  {r['machine']}", "",
                          *render_dashboard(r["dashboard"]),
                          *_validity(r, "every dashboard request answered 200.")])
    b, lib, ev, fl, aims = r["bare_hello"], r["library"], r["events"], r["first_load"], r["aims"]
    w = r["wrk"]
    pu = r["push"]
    lat = pu["due_to_delivered_s"]
    head = f"{'measurement':<36}{'req/s':>10}{'p99 ms':>9}{'non-200':>9}{'req/s ÷ bare':>14}{'p99 ÷ bare':>12}"
    rows = [("bare Litestar  GET /hello", b, 1.0, 1.0),
            ("Pusterum  GET /library (gzip)", lib, lib["ratio_rps"], lib["ratio_p99"]),
            (f"Pusterum  POST /api/events ×{ev['batch']}", ev, ev["ratio_rps"], ev["ratio_p99"])]
    lines = [
        f"Pusterum bench  {r['when']}  {r['machine']}",
        f"granian ASGI, {r['workers']} workers each; wrk {w['threads']} threads × {w['connections']} connections, "
        f"{w['seconds']} s per measurement after {w['warm_up_seconds']} s warm-up",
        "",
        head,
        "-" * len(head),
        *(f"{name:<36}{m['requests_per_second']:>10,.0f}{m['p99_ms']:>9.2f}{m['non_200'] + m['socket_errors']:>9}"
          f"{rps:>14.3f}{p99:>12.2f}" for name, m, rps, p99 in rows),
        "",
        f"library ÷ bare req/s     {lib['ratio_rps']:>8.2f}       aim ≥ {AIM_LIBRARY_RATIO}      "
        f"{_met(aims['library_ratio_at_least_0.5'])}",
        f"events/s (SQLite)        {ev['events_per_second']:>8,.0f}       aim ≥ {AIM_EVENTS_PER_SECOND:,}   "
        f"{_met(aims['events_per_second_at_least_20000'])}",
        f"first load /home         {fl['with_imported_modules_kb']:>8.1f} KB    aim ≤ {AIM_FIRST_LOAD_KB} KB    "
        f"{_met(aims['first_load_at_most_50_kb'])}",
        f"    gzip bodies as sent, headers not counted (they add {fl['headers_kb_not_counted']:.1f} KB);"
        f" page + <link>/<script src> only: {fl['page_and_linked_kb']:.1f} KB",
        *(f"    {t['body_bytes'] / 1024:6.1f} KB  {t['encoding']:<8} {t['how']:<9} {t['url']}" for t in fl["files"]),
        f"web push                 {pu['deliveries_per_second']:>8,.0f} /s     aim ≥ {AIM_PUSH_PER_SECOND}       "
        f"{_met(aims['push_deliveries_per_second_at_least_300'])}",
        f"    {pu['reminders']:,} reminders due at once, {pu['senders']} sender processes "
        f"(claimed {pu['claimed_per_sender']}), encrypted and VAPID-signed to the local double: due → "
        f"delivered p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s, all {lat['max']:.2f} s; "
        f"{pu['delivered']:,} delivered, at most {pu['most_to_one']} per subscription",
        f"event rows  {ev['rows_added']:,} added for {ev['requests']:,} answered batches × {ev['batch']}"
        f" = {ev['rows_expected']:,}: {'ok' if ev['rows_ok'] else 'MISMATCH'}",
    ]
    lines += ["", *render_dashboard(r["dashboard"])]
    lines += _validity(r, "every request answered 200 and every event was stored.")
    return "\n".join(lines)
