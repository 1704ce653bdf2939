"""What a browser does, done with httpx: join with an invite link, sign in to the workspace, and fetch the home
page's first load. The bench, the sign-in burst and the soak all go through these, so they ask the same way."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

DEVICE_COOKIE = "pusterum"
LOGIN_PATH = "/workspace/login"


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

    async def once() -> str:
        async with httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=15) as client:
            joined = await join(client, code)
            if joined.status_code >= 400:
                raise RuntimeError(f"POST /j/<code> answered {joined.status_code}: {joined.text[:300]}")
            return device_cookie(client)

    return asyncio.run(once())


def device_cookie(client: httpx.AsyncClient | httpx.Client) -> str:
    """The device cookie the client holds, by either of its names (``__Host-`` over https)."""
    device = client.cookies.get(DEVICE_COOKIE) or client.cookies.get(f"__Host-{DEVICE_COOKIE}")
    if not device:
        raise RuntimeError(f"the join answered without a {DEVICE_COOKIE} cookie")
    return device


def form_inputs(html: str) -> dict[str, str]:
    """The page's named inputs and their values (hidden ones included), as a browser would post them back."""
    return _parse(html).inputs


def csrf_token(html: str) -> str:
    """The form's ``_csrf_token`` (its cookie is in the client's jar)."""
    token = form_inputs(html).get("_csrf_token")
    if not token:
        raise RuntimeError("the page has no _csrf_token input")
    return token


OnAnswer = Callable[[str, httpx.Response, float], None]  # route template, answer, seconds


async def timed(on_answer: OnAnswer | None, template: str, call: Awaitable[httpx.Response]) -> httpx.Response:
    """Awaits the request and tells ``on_answer`` (if any) how long it took, under its route template."""
    began = time.perf_counter()
    response = await call
    if on_answer is not None:
        on_answer(template, response, time.perf_counter() - began)
    return response


async def join(client: httpx.AsyncClient, code: str, door: str = "/j",
               on_answer: OnAnswer | None = None) -> httpx.Response:
    """What a phone does with an invite link (``/j`` a patient's, ``/u`` a unit's QR code): the consent page,
    then its form; returns the form's answer (303 and the device cookie when she joined). ``on_answer`` hears
    each answer, for callers that count them (the soak)."""
    page = await timed(on_answer, f"GET {door}/{{code}}/consent",
                       client.get(f"{door}/{code}/consent", params={"lang": "da"}))
    if page.status_code != 200:
        return page
    # The client's cookie jar sends pusterum_csrf (and the language cookie) back, as a browser would.
    form = {"_csrf_token": csrf_token(page.text), "lang": "da", "consent": "yes"}
    return await timed(on_answer, f"POST {door}/{{code}}", client.post(f"{door}/{code}", data=form))


async def sign_in(client: httpx.AsyncClient, email: str, password: str,
                  on_answer: OnAnswer | None = None) -> httpx.Response:
    """The workspace's login form as a browser posts it (303 to /workspace when it worked; no second factor
    in development); the client keeps the session cookie."""
    form = await timed(on_answer, f"GET {LOGIN_PATH}", client.get(LOGIN_PATH))
    if form.status_code != 200:
        return form
    return await timed(on_answer, f"POST {LOGIN_PATH}", client.post(LOGIN_PATH, data={
        "_csrf_token": csrf_token(form.text), "email": email, "password": password}))


def forget_session(client: httpx.AsyncClient) -> None:
    """The browser closed: its session cookie goes, the known-browser cookie from that sign-in stays, so the
    sign-in throttle counts its next tries on their own, as for someone on her usual browser."""
    for cookie in list(client.cookies.jar):
        if cookie.name.endswith("pusterum_ws"):
            client.cookies.delete(cookie.name, cookie.domain, cookie.path)


async def known_browsers(make: Callable[[], httpx.AsyncClient], email: str, password: str,
                         n: int) -> list[httpx.AsyncClient]:
    """``n`` browsers that have each signed in once before, one after the other, and closed their session.

    A burst of simultaneous sign-ins to one account from one address is what a guesser does, and the
    throttle lets five of those be checked at a time (``server.accounts.throttle``); a burst of people on
    their usual browsers is what a busy morning is."""
    browsers = []
    for _ in range(n):
        browser = make()
        answer = await sign_in(browser, email, password)
        if answer.status_code != 303:
            raise RuntimeError(f"signing in a browser before the burst answered {answer.status_code}")
        forget_session(browser)
        browsers.append(browser)
    return browsers


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
