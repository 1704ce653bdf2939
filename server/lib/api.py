"""What every JSON API route answers first: whose phone is asking, and is it our app (not a cross-site form)?

A cross-site form cannot send the ``X-Pusterum`` header (nor a JSON content type) without a CORS
preflight, which we never grant; so the header is the API's CSRF protection, checked in one place.
"""

from __future__ import annotations

import uuid

from litestar import Request, Response

from server.engagement.schemas import ApiError
from server.lib.i18n import _


def api_error(status: int, message: str, detail: str | None = None, ids: list[uuid.UUID] | None = None) -> Response:
    """``error`` is for people, in her language; ``detail`` is for developers."""
    return Response(content=ApiError(error=message, detail=detail, ids=ids), status_code=status)


def refuse_caller(request: Request, *, json_body: bool = False) -> Response | None:
    """401 for a phone we do not know, 400 for a request our app did not make; None when it may go on."""
    if request.state.device is None:
        return api_error(401, _("We could not recognise this phone. Please open your invite link again."))
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if request.headers.get("x-pusterum") != "1" or (json_body and not is_json):
        return api_error(400, _("This request did not come from the Pusterum app."),
                         "send Content-Type: application/json and X-Pusterum: 1" if json_body else "send X-Pusterum: 1")
    return None
