"""The Jinja environment: translations, cache-busting static URLs, route paths, and the page helper for controllers."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import datetime
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from litestar import Litestar, Request
from litestar.response import Template

from server.lib.i18n import current_language, gettext, ngettext
from server.lib.localtime import local
from server.lib.paths import route_path
from server.lib.text import format_number
from server.settings import get_settings

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
PWA_DIR = get_settings().pwa_dir


@cache
def static_url(path: str) -> str:
    """A URL that changes whenever the file does, so browsers may cache it for a year."""
    return f"/static/{path}?v={static_digest(path)}"


def static_digest(path: str) -> str | None:
    """The content hash of the static file at ``path`` (relative to the app's static folder) as ``static_url``
    writes it in ``?v=``; None when no such file lies inside that folder. Hashed again only when the file
    changes (its size or modification time), so asking for each request costs a ``stat``."""
    try:
        full = (PWA_DIR / path).resolve(strict=True)
        info = full.stat()
    except (OSError, ValueError):
        return None
    if not full.is_relative_to(PWA_DIR) or not stat.S_ISREG(info.st_mode):
        return None
    return _digest(full, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=256)
def _digest(path: Path, _size: int, _mtime_ns: int) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()


def minutes_seconds(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def local_datetime(moment: datetime) -> str:
    """Day and time as people in Denmark read them, in Copenhagen time (summer time included)."""
    return local(moment).strftime("%d.%m. %H:%M")


def number(value: float | None, digits: int = 0, *, signed: bool = False, trim: bool = False) -> str:
    """``{{ x | num(1, signed=True) }}``: numbers as the reader writes them (``server.lib.text.format_number``)."""
    return format_number(value, current_language.get(), digits, signed=signed, trim=trim)


@pass_context
def url_for_path(context: Any, route_name: str, /, under: str = "", **path_parameters: Any) -> str:
    """``route_path`` in a template: {{ url_for_path('participants:consent', under=prefix, code=code) }}."""
    return route_path(context["request"].app, route_name, under=under, **path_parameters)


def _dumps(value: Any, **options: Any) -> str:
    """``tojson`` that also writes Structs (published content, e.g. a step's breathing guide for the player)."""
    return json.dumps(value, default=msgspec.to_builtins, **options)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=not get_settings().production,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.policies["json.dumps_function"] = _dumps
    env.globals.update(static_url=static_url, url_for_path=url_for_path, settings=get_settings())
    env.filters["mmss"] = minutes_seconds
    env.filters["localdatetime"] = local_datetime
    env.filters["num"] = number
    return env


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render a page with what every page needs: the language and the device."""
    return Template(
        template_name=template,
        status_code=status_code,
        context={"lang": request.state.language, "device": request.state.device, **context},
    )


def render_page(request: Request, template: str, **context: Any) -> str:
    """Render to a string for pages that are cached: they must not depend on who asks beyond the key."""
    engine = request.app.template_engine
    return engine.get_template(template).render(lang=request.state.language, device=request.state.device,
                                                request=request, csrf_input="", **context)


def render_for_everyone(app: Litestar, template: str, **context: Any) -> str:
    """Render a page that is the same for every visitor and request (the offline page, which the service
    worker keeps before anyone has chosen a language): no request, no language, links by route name from the
    app's own routes."""
    return app.template_engine.get_template(template).render(url_for=partial(route_path, app), **context)  # type: ignore[union-attr]
