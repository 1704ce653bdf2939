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
from litestar import Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.lib.errors import Malformed, Unrecognised
from server.lib.i18n import _


class ApiError(msgspec.Struct):
    error: str  # for people: in the participant's language
    detail: str | None = None  # for developers: which event and field
    ids: list[uuid.UUID] | None = None


def api_error(status: int, message: str, detail: str | None = None, ids: list[uuid.UUID] | None = None) -> Response:
    """``error`` is for people, in her language; ``detail`` is for developers."""
    return Response(content=ApiError(error=message, detail=detail, ids=ids), status_code=status)


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
