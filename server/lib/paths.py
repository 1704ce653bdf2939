"""Paths of named routes: the one way Python code names a page of ours, so no path is written twice.

``redirect_to(request, "journeys:home")`` answers a form; ``path_for("staff:home")`` serves code that runs
without a request (the reminder sender, printed invite links), from the route table of the app that
``bind`` was given at start (every app of this code has the same routes). ``route_path`` also does what
Litestar's ``route_reverse`` cannot: pick one of a route's several paths (patients join at /j/<code>,
staff at /u/<code>: ``under="/u"``), and fill a path parameter called ``name`` (the audio files).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.exceptions import NoRouteMatchFoundException
from litestar.response import Redirect

_app: Litestar | None = None


def bind(app: Litestar) -> None:
    global _app
    _app = app


def route_path(app: Litestar, route_name: str, /, under: str = "", **path_parameters: Any) -> str:
    prefix = under.rstrip("/") + "/"
    for route in app.routes:
        if any(h.name == route_name for h in route.route_handlers) and (not under or route.path.startswith(prefix)):
            try:
                return "/" + "/".join(c if isinstance(c, str) else str(path_parameters[c.name])
                                      for c in route.path_components)
            except KeyError as missing:
                raise NoRouteMatchFoundException(f"Route {route_name} needs the path parameter {missing}") from None
    raise NoRouteMatchFoundException(f"Route {route_name} can not be found{f' under {under}' if under else ''}")


def path_for(route_name: str, /, under: str = "", **path_parameters: Any) -> str:
    assert _app is not None, "server.lib.paths.bind(app) is called by create_app()"
    return route_path(_app, route_name, under=under, **path_parameters)


def redirect_to(request: Request, route: str, /, *, query: str = "", fragment: str = "", under: str = "",
                **params: Any) -> Redirect:
    """303 to a named route (POST, then redirect, then GET); a path only, so the browser keeps its host."""
    return Redirect(route_path(request.app, route, under=under, **params) + query + fragment, status_code=303)
