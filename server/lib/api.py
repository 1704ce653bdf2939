"""The JSON API's door and its one error shape: whose phone is asking, and is it our app (not a cross-site form)?

A cross-site form cannot send the ``X-Pusterum`` header (nor a JSON content type) without a CORS
preflight, which we never grant; so the header is the API's CSRF protection, checked in one place: the
``requires_app`` guard, which runs before the body is read. Every API refusal is an ``ApiError`` (a
``server.lib.errors`` problem, answered by ``server.plugins``).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.lib.errors import Malformed, Problem, Unrecognised, headers_of, status_of
from server.lib.forms import field_message
from server.lib.i18n import _


class ApiError(msgspec.Struct):
    error: str  # for people: in the participant's language
    detail: str | None = None  # for developers: which event and field
    ids: list[uuid.UUID] | None = None


def api_error(status: int, message: str, detail: str | None = None, ids: list[uuid.UUID] | None = None) -> Response:
    """``error`` is for people, in her language; ``detail`` is for developers."""
    return Response(content=ApiError(error=message, detail=detail, ids=ids), status_code=status)


def problem_response(problem: Problem) -> Response:
    """A service's refusal as the API's answer, with the headers its status needs (Retry-After)."""
    response = api_error(status_of(problem), problem.message, problem.detail, problem.ids)
    response.headers.update(headers_of(problem))
    return response


def body_words(*, invalid: str, unreadable: str, too_large: str | None = None) -> dict[str, Any]:
    """A JSON API route's ``opt``: what people are told when Litestar refuses its typed ``data:`` body
    before the handler runs (not JSON; not in the right form; larger than ``request_max_body_size``)."""
    return {"api_body": {"invalid": invalid, "unreadable": unreadable, "too_large": too_large or invalid}}


def body_refusal(request: Request, exc: HTTPException) -> Response | None:
    """The ApiError for a body refused at parsing (422 for the wrong form, in the words of the first field
    that has its own, else the route's, with msgspec's words and path as the detail; 400 for what is not
    JSON; 413 for too much), or None if this route has no words."""
    handler = request.scope.get("route_handler")
    words = (getattr(handler, "opt", None) or {}).get("api_body")
    if not words:
        return None
    if isinstance(exc, ValidationException):
        problems = [e for e in (exc.extra or []) if isinstance(e, dict)]  # type: ignore[union-attr]
        detail = "; ".join(f"{e.get('message')} - at `$.{e['key']}`" if e.get("key") else str(e.get("message"))
                           for e in problems) or None
        data = handler.parsed_fn_signature.parameters.get("data")  # type: ignore[union-attr]
        own = next((said for e in problems if data and e.get("key")
                    and (said := field_message(data.annotation, str(e["key"])))), None)
        return api_error(422, own or _(words["invalid"]), detail)
    if exc.status_code == 413:
        limit = getattr(handler, "request_max_body_size", None)
        return api_error(413, _(words["too_large"]), f"at most {limit} bytes" if limit else None)
    if exc.status_code == 400:
        return api_error(400, _(words["unreadable"]), "body is not valid JSON")
    return None


def requires_app(*, json_body: bool = False) -> Guard:
    """401 for a phone we do not know, 400 for a request our app did not make."""
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        if connection.scope["state"].get("device") is None:
            raise Unrecognised(_("We could not recognise this phone. Please open your invite link again."))
        is_json = connection.headers.get("content-type", "").startswith("application/json")
        if connection.headers.get("x-pusterum") != "1" or (json_body and not is_json):
            raise Malformed(_("This request did not come from the Pusterum app."),
                            "send Content-Type: application/json and X-Pusterum: 1" if json_body
                            else "send X-Pusterum: 1")
    return guard
