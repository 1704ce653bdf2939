"""`make audit`: Lighthouse (mobile) scores for the home, library and player pages as an enrolled
participant, and the bytes a repeat visit fetches from the network.

Chromium runs with a remote-debugging port; Playwright enrols through the real join flow in that
profile, then Lighthouse audits the same browser (`--port`, `--disable-storage-reset`), so the
pages see her cookie and service worker exactly as on a phone. Lighthouse comes from npm into
`.audit/` (git-ignored); the browser is Debian's Chromium.
"""

from __future__ import annotations

import json
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
LIGHTHOUSE = ROOT / ".audit" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
PAGES = {"home": "/home", "library": "/library", "player": "/exercises/breathing-space-3/play"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def main() -> int:
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "install", "--prefix", str(ROOT / ".audit"), "--no-audit", "--no-fund", "--silent",
                        "lighthouse@13"], check=True)
    var = Path(tempfile.mkdtemp(prefix="pusterum-audit-"))
    port, debug_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"PUSTERUM_VAR_DIR": str(var), "PORT": str(port), "HOST": "127.0.0.1", "BASE_URL": base,
                "WORKERS": "1", "LOG_LEVEL": "WARNING"})
    cli = [sys.executable, "-m", "server"]
    for args in (["db", "migrate"], ["content", "import"]):
        subprocess.run([*cli, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    code = re.search(r"/j/(\S+)", subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True,
                                                 capture_output=True, text=True).stdout).group(1)
    server = subprocess.Popen([*cli, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    chrome = None
    try:
        wait_for(f"{base}/healthz")
        chrome = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                   f"--remote-debugging-port={debug_port}", f"--user-data-dir={var / 'profile'}",
                                   "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{debug_port}/json/version")
        repeat_bytes = enrol_and_measure_repeat_visit(debug_port, base, code)
        scores = {name: lighthouse(debug_port, base + path) for name, path in PAGES.items()}
    finally:
        for process in (chrome, server):
            if process:
                process.terminate()
                process.wait(timeout=15)
        shutil.rmtree(var, ignore_errors=True)
    print("Lighthouse 13, mobile (enrolled participant; scores 0–100)")
    print(f"{'page':<10}{'performance':>13}{'accessibility':>15}{'best practices':>16}")
    for name, s in scores.items():
        print(f"{name:<10}{s['performance']:>13}{s['accessibility']:>15}{s['best-practices']:>16}")
    print(f"repeat visit of /home: {repeat_bytes['network']:,} bytes over the network (page and worker), "
          f"{repeat_bytes['worker']} responses from the worker's caches")
    return 0


def enrol_and_measure_repeat_visit(debug_port: int, base: str, code: str) -> dict[str, int]:
    # Lets Playwright see the requests the service worker itself sends (Chromium only).
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
        context = browser.contexts[0]
        page = context.new_page()
        page.goto(f"{base}/j/{code}/consent?lang=da")
        page.check("#consent")
        page.click(".consent-form button[type=submit]")
        page.click("form button[name=skip]")
        page.wait_for_url("**/home")
        deadline = time.monotonic() + 15
        while not page.evaluate("!!navigator.serviceWorker.controller") and time.monotonic() < deadline:
            time.sleep(0.1)
        page.reload()  # everything the shell needs is now cached
        counted = {"network": 0, "worker": 0}

        def count(request) -> None:
            # Bytes that crossed the network: the page's own requests not answered by the worker, and
            # the worker's requests (network-first pages are fetched by the worker, not the page).
            response = request.response()
            if response is None or request.method != "GET":
                return
            if request.service_worker is not None or not response.from_service_worker:
                counted["network"] += max(0, request.sizes()["responseBodySize"])
            else:
                counted["worker"] += 1  # Chromium reports no body size for answers from the cache

        context.on("requestfinished", count)
        page.goto(f"{base}/home")
        page.wait_for_load_state("networkidle")
        time.sleep(1)
        page.close()
        return counted


def lighthouse(debug_port: int, url: str) -> dict[str, int]:
    out = subprocess.run([str(LIGHTHOUSE), url, f"--port={debug_port}", "--disable-storage-reset", "--quiet",
                          "--output=json", "--only-categories=performance,accessibility,best-practices"],
                         capture_output=True, text=True, check=True, timeout=240,
                         env={**os.environ, "CHROME_PATH": CHROMIUM})
    report = json.loads(out.stdout)
    return {k: round(v["score"] * 100) for k, v in report["categories"].items()}


if __name__ == "__main__":
    raise SystemExit(main())
