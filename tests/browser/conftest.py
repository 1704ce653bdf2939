"""Browser tests: a real server process and Debian's Chromium, driven by Playwright at a phone's size.

The server runs with PUSTERUM_TIME_SCALE so a one-minute practice plays to its end in about a second.
axe-core is evaluated through the DevTools protocol, so the page's strict CSP stays in force and any
CSP violation the page causes is caught as a console error.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
TIME_SCALE = "0.02"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


AUDIO_EXERCISE = """---
kind: mindfulness
audience: [patient]
minutes: 1
tags: [short]
audio: calm.wav
title: {da: Lyt et øjeblik, en: Listen for a moment}
summary: {da: En kort øvelse med lyd, en: A short practice with sound}
steps:
  - seconds: 30
    da: Lyt.
    en: Listen.
  - seconds: 30
    da: Træk vejret.
    en: Breathe.
---
<!-- da -->
Med lyd.
<!-- en -->
With sound.
"""


def _write_wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> None:
    """A quiet tone, so the audio tests have a real file to cache and seek in."""
    import math
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(int(800 * math.sin(2 * math.pi * 220 * i / rate)).to_bytes(2, "little", signed=True)
                                 for i in range(int(seconds * rate))))


class LiveServer:
    """The app in its own process, serving copies of pwa/ and content/ that a test may change and redeploy."""

    def __init__(self) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="pusterum-browser-"))
        self.pwa_dir = self.var_dir / "pwa"
        self.content_dir = self.var_dir / "content"
        shutil.copytree(ROOT / "pwa", self.pwa_dir)
        shutil.copytree(os.environ["PUSTERUM_CONTENT_DIR"], self.content_dir)
        (self.content_dir / "audio").mkdir(exist_ok=True)
        _write_wav(self.content_dir / "audio" / "calm.wav")
        (self.content_dir / "exercises" / "listen-for-a-moment.md").write_text(AUDIO_EXERCISE)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUSTERUM_TEST_DB")}
        self.env.update({"PUSTERUM_VAR_DIR": str(self.var_dir), "HOST": "127.0.0.1", "PORT": str(self.port),
                         "BASE_URL": self.url, "PUSTERUM_TIME_SCALE": TIME_SCALE,
                         "WORKERS": "1", "PUSTERUM_PWA_DIR": str(self.pwa_dir), "REMINDER_POLL_SECONDS": "0.3",
                         "PUSTERUM_CONTENT_DIR": str(self.content_dir)})
        self.process: subprocess.Popen | None = None
        self.invite_url = ""

    def cli(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "server", *args], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self) -> None:
        self.cli("db", "migrate")
        self.cli("content", "import")
        self.invite_url = re.search(r"(http\S+/j/\S+)", self.cli("demo")).group(1)
        self.serve()

    def serve(self) -> None:
        self.log = open(self.var_dir / "server.log", "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "server", "serve"], env=self.env, cwd=ROOT,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {(self.var_dir / 'server.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        self.log.close()

    def redeploy(self, change) -> None:
        """Stop, let ``change`` edit the served files, and start again on the same port and database."""
        self.stop()
        change(self.pwa_dir)
        self.serve()

    def query(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.var_dir / "pusterum.sqlite3") as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="da-DK",
                                  device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    csp = [p for p in problems if "Content Security Policy" in p]
    assert csp == [], f"the page broke its own CSP: {csp}"


def axe_violations(page) -> list[dict]:
    """Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return result


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe found problems on {page.url}: {violations}"


def assert_fits(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at a {width}px viewport"


def poll(page, script: str, arg=None, timeout: float = 15.0):
    """Waits until ``script`` (evaluated in the page) is truthy and returns its value.

    Playwright's wait_for_function polls string predicates through eval(), which the app's CSP
    rightly refuses; page.evaluate goes through the DevTools protocol and is not affected.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout
    value = None
    while True:
        try:
            value = page.evaluate(script, arg) if arg is not None else page.evaluate(script)
        except PlaywrightError as exc:  # the page navigated while we asked: ask again on the new page
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script} (last value: {value!r})")
        time.sleep(0.1)
