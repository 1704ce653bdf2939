"""Templates link to the app by route name (``url_for('content:exercise', slug=…)``), never by a path written by hand.

A path written into a template breaks silently when a route moves; a name fails loudly when the page renders.
What a template may still write as a path: files under the static router (and those go through
``static_url``, which adds the version). Everything else that starts with "/" is served by a named route.
A page served as a file from ``pwa/`` cannot build a path from a name at all, so it may hold none: a page
with links is a template served by a route (the offline page is ``pwa:offline``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

TEMPLATES = ROOT / "server" / "templates"
STATIC_PAGES = ROOT / "pwa"

# Any attribute whose value is a path: href="/home", action='/join', data-done="/wellbeing", value="/settings".
LITERAL_ATTRIBUTE = re.compile(r"""(?<![\w-])([a-zA-Z][\w:.-]*)\s*=\s*(["'])(/[^"']*)\2""")
# A path as a string in Jinja: {% set next = "/settings" %}, {{ '/home' if … }}, {{ x ~ "/play" }}.
JINJA_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
JINJA_STRING = re.compile(r"""(["'])(/\w[^"']*)\1""")
# A path glued together in a URL attribute: href="{{ prefix }}/{{ code }}", action="{{ url_for(…) }}/x".
URL_ATTRIBUTE = re.compile(r"""(?<![\w-])(href|src|action|formaction|poster|hx-[\w-]+|data-[\w-]+)\s*=\s*(["'])"""
                           r"""((?:(?!\2).)*?\}\}/(?:(?!\2).)*)\2""", re.DOTALL)


@pytest.fixture(scope="module")
def app():
    from server.app import create_app

    return create_app()  # only its routes are read: no lifespan, no database


def _static_prefix(app) -> str:
    """Where the static files router serves, by its name (the one prefix a template may write)."""
    return app.route_reverse("static", file_path="x")[: -len("x")]


def _route_names(app, path: str) -> list[str]:
    """The names of the routes a hand-written path would reach, to say what to write instead."""
    plain = re.sub(r"\{%.*?%\}", "", re.sub(r"\{\{.*?\}\}", "x", path))
    wanted = [s for s in re.split(r"[?#]", plain)[0].split("/") if s]
    matches = []  # (how many path parameters, names): /pauses/mine is staff:mine rather than staff:pause
    for route in app.routes:
        parts = [c for c in route.path_components if c != ""]
        if len(parts) == len(wanted) and all(
                not isinstance(c, str) or c == w for c, w in zip(parts, wanted, strict=True)):
            matches.append((len(route.path_parameters), [h.name for h in route.route_handlers if h.name]))
    fewest = min((n for n, _ in matches), default=0)
    return [name for n, names in matches if n == fewest for name in names]


def hand_written_paths(template: Path, static: str) -> list[tuple[int, str, str]]:
    """(line, what is written, the path) for each app path written by hand in a template."""
    text = template.read_text()
    blocks = list(JINJA_BLOCK.finditer(text))
    found = []

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def in_jinja(offset: int) -> bool:
        return any(b.start() <= offset < b.end() for b in blocks)

    for m in LITERAL_ATTRIBUTE.finditer(text):
        path = m.group(3)
        # "//host/…" is another site; name="…" inside {% %} is Jinja, read below.
        if not path.startswith((static, "//")) and not in_jinja(m.start()):
            found.append((line_of(m.start()), m.group(), path))
    for block in blocks:
        for m in JINJA_STRING.finditer(block.group()):
            if not m.group(2).startswith(static):
                found.append((line_of(block.start() + m.start()), m.group(), m.group(2)))
    for m in URL_ATTRIBUTE.finditer(text):
        found.append((line_of(m.start()), m.group(), m.group(3)))
    return sorted(set(found))


def test_it_finds_paths_written_by_hand(tmp_path):
    sample = tmp_path / "sample.html"
    sample.write_text('<a href="/home">\n<form action="{{ prefix }}/{{ code }}">\n{% set next = "/settings" %}\n'
                      '<link href="/static/css/app.css"><a href="{{ url_for(\'journeys:home\') }}#x">'
                      '<a href="https://example.org/a"><i>{{ url | trim("/") }}</i>\n')
    assert [(line, written) for line, written, _ in hand_written_paths(sample, "/static/")] == [
        (1, 'href="/home"'), (2, 'action="{{ prefix }}/{{ code }}"'), (3, '"/settings"')]


def _paths_by_hand(app, pages: list[Path]) -> list[str]:
    """Each hand-written app path in ``pages``, with the route names that would reach it."""
    static = _static_prefix(app)
    problems = []
    for template in pages:
        for line, written, path in hand_written_paths(template, static):
            names = dict.fromkeys(_route_names(app, path))
            hint = f"  → url_for({' or '.join(repr(n) for n in names)}, …)" if names else ""
            problems.append(f"{template.relative_to(ROOT)}:{line}: {written}{hint}")
    return problems


def test_templates_link_to_the_app_by_route_name(app):
    problems = _paths_by_hand(app, sorted(TEMPLATES.rglob("*.html")))
    assert not problems, ("Paths written by hand in templates; build them from the route's name with "
                          "url_for('domain:action', param=value):\n" + "\n".join(problems))


def test_static_pages_hold_no_app_path(app):
    problems = _paths_by_hand(app, sorted(STATIC_PAGES.rglob("*.html")))
    assert not problems, ("Paths written by hand in a page served as a file; make it a template served by a "
                          "named route and build them with url_for:\n" + "\n".join(problems))
