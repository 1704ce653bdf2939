"""Driving load with wrk and reading its figures; enrolling a participant; measuring first-load bytes."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx

LUA = Path(__file__).resolve().parent / "events.lua"


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int, headers: dict[str, str], script: Path | None = None, connections: int = 32,
        threads: int = 2) -> WrkResult:
    if shutil.which("wrk") is None:
        raise SystemExit("make bench needs wrk: apt-get install wrk")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # Anchored: "+/- Stdev" figures such as 90.50% must not be read as percentiles.
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1)),
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def enrol(base_url: str, code: str) -> str:
    """Joins like a browser does and returns the device cookie's value."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        page = client.get(f"/j/{code}/consent", params={"lang": "da"})
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post(f"/j/{code}", data={"_csrf_token": token, "lang": "da", "consent": "yes"})
        assert response.status_code == 303, response.text
        return client.cookies["pusterum"]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.urls.append(a["href"])
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])


def first_load_bytes(base_url: str, cookie: str, path: str = "/home") -> dict[str, int]:
    """Compressed bytes on the wire (bodies only) for a page and the CSS and JS it loads.

    ES modules that the entry script imports statically are followed too, as the browser would.
    """
    sizes: dict[str, int] = {}
    with httpx.Client(base_url=base_url, headers={"Accept-Encoding": "gzip", "Cookie": f"pusterum={cookie}"}) as c:
        def fetch(url: str) -> bytes:
            with c.stream("GET", url) as response:
                response.raise_for_status()
                raw = b"".join(response.iter_raw())  # as sent: still compressed
                encoded = response.headers.get("content-encoding") == "gzip"
            sizes[url] = len(raw)
            return gzip.decompress(raw) if encoded else raw

        html = fetch(path).decode()
        parser = _Assets()
        parser.feed(html)
        queue = list(parser.urls)
        while queue:
            url = queue.pop(0)
            if url in sizes:
                continue
            body = fetch(url)
            if url.split("?")[0].endswith(".js"):
                for imported in re.findall(r'^import .*? from "(\./[^"]+)";', body.decode(), re.M):
                    queue.append(url.rsplit("/", 1)[0].split("?")[0] + "/" + imported[2:])
    return sizes
