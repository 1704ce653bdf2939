"""What a browser does, done with httpx: join with the demo invite, and fetch the home page's first load."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

DEVICE_COOKIE = "pusterum"
CSRF_COOKIE = "pusterum_csrf"


class _Html(HTMLParser):
    """Collects hidden inputs, stylesheet links and script sources."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "input" and a.get("name"):
            self.inputs[a["name"]] = a.get("value", "")
        elif tag == "link" and "stylesheet" in a.get("rel", "").lower().split() and a.get("href"):
            self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])


def _parse(html: str) -> _Html:
    parser = _Html()
    parser.feed(html)
    return parser


def enrol(base_url: str, code: str) -> str:
    """Consent page, then the consent form, as a browser posts it; returns the device cookie's value."""
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=15) as client:
        page = client.get(f"/j/{code}/consent", params={"lang": "da"})
        if page.status_code != 200:
            raise RuntimeError(f"GET /j/<code>/consent answered {page.status_code}")
        token = _parse(page.text).inputs.get("_csrf_token")
        csrf_cookie = page.cookies.get(CSRF_COOKIE)
        if not token or not csrf_cookie:
            raise RuntimeError("the consent page has no _csrf_token input or set no pusterum_csrf cookie")
        # The client's cookie jar sends pusterum_csrf (and the language cookie) back, as a browser would.
        joined = client.post(f"/j/{code}", data={"_csrf_token": token, "lang": "da", "consent": "yes"})
        device = joined.cookies.get(DEVICE_COOKIE)
        if joined.status_code >= 400 or not device:
            raise RuntimeError(f"POST /j/<code> answered {joined.status_code} without a {DEVICE_COOKIE} cookie: "
                               f"{joined.text[:300]}")
        return device


@dataclass(frozen=True)
class Transfer:
    url: str
    how: str  # "page", "linked" (<link rel=stylesheet>/<script src>) or "imported" (static ES module import)
    body_bytes: int  # as sent on the wire: compressed when the server compressed it
    header_bytes: int  # status line and headers, HTTP/1.1 as received; not in the totals
    encoding: str


# Static module imports: `import … from "./x.js"`, `export … from "./x.js"`, `import "./x.js"`.
_IMPORT = re.compile(r"""^\s*(?:import|export)\s+(?:[^"';]*?\bfrom\s*)?["']([^"']+)["']""", re.M)


def first_load(base_url: str, cookie: str, path: str = "/home") -> list[Transfer]:
    """The page, every same-origin stylesheet and script it names, and the modules those scripts import."""
    origin = urlsplit(base_url).netloc
    transfers: dict[str, Transfer] = {}
    headers = {"Accept-Encoding": "gzip", "Cookie": f"{DEVICE_COOKIE}={cookie}"}
    with httpx.Client(base_url=base_url, headers=headers, follow_redirects=False, timeout=15) as client:

        def fetch(url: str, how: str) -> bytes:
            with client.stream("GET", url) as response:
                raw = b"".join(response.iter_raw())  # still compressed, as on the wire
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url} answered {response.status_code}")
                encoding = response.headers.get("content-encoding", "")
                head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n\r\n")
                head += sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
            transfers[url] = Transfer(url, how, len(raw), head, encoding or "identity")
            return gzip.decompress(raw) if encoding == "gzip" else raw

        def local(ref: str, base: str) -> str | None:
            absolute = urlsplit(urljoin(base_url + base, ref))
            if absolute.netloc != origin:
                return None
            return absolute.path + (f"?{absolute.query}" if absolute.query else "")

        html = fetch(path, "page").decode()
        queue = [(u, "linked") for u in (local(ref, path) for ref in _parse(html).assets) if u]
        while queue:
            url, how = queue.pop(0)
            if url in transfers:
                continue
            body = fetch(url, how)
            if urlsplit(url).path.endswith((".js", ".mjs")):
                imported = (local(ref, url) for ref in _IMPORT.findall(body.decode(errors="replace")))
                queue += [(u, "imported") for u in imported if u]
    return list(transfers.values())
