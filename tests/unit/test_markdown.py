"""Content Markdown renders inert: no author HTML, no script links, no htmx attributes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from server.lib.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<div hx-get="/api/events" hx-trigger="load">x</div>',
    '<a data-hx-post="/x">y</a>',
    "<iframe src='https://evil.example'></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_renders_attack_payloads_inert(payload):
    for tag, attrs in elements(render_markdown(payload)):
        assert tag not in {"script", "iframe", "img", "div", "object", "embed", "style"}
        for name, value in attrs.items():
            assert not name.startswith(("on", "hx-", "data-hx-", "style")), (tag, name)
            if name == "href":
                assert (value or "").startswith(("https:", "mailto:", "tel:")), value


def test_it_keeps_ordinary_formatting_and_safe_links():
    html = render_markdown("Træk vejret *roligt*.\n\n- et\n- to\n\n[1813](tel:1813) [x](javascript:alert(1))")
    assert "<em>roligt</em>" in html and "<li>et</li>" in html
    assert 'href="tel:1813"' in html and 'rel="noopener noreferrer"' in html
    assert [a.get("href") for t, a in elements(html) if t == "a"] == ["tel:1813"]
