"""``/join``: "Have a code? Type it here". Public, and rate-limited per client so guessing is slow.

A typed code has about 40 bits, so each client gets five misses in 15 minutes before a growing wait
(the accounts throttle). A success does not clear the misses: otherwise one real code would let a
person guess on for ever. A code that never existed, has expired or was revoked gets the same answer.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from server.accounts import services as accounts
from server.coordination import services
from server.coordination.schemas import TypedCodeForm
from server.lib.clients import client_address
from server.lib.i18n import N_, _
from server.lib.paths import redirect_to
from server.lib.signing import keyed_digest
from server.lib.templates import page
from server.participants import services as participants

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
NOT_FOUND = N_("That code did not work. Please check it and try again, or ask the clinic for a new one.")


def throttle_keys(request: Request) -> list[str]:
    return [f"typed-code:{keyed_digest('throttle', client_address(request), 32)}"]


def _form(request: Request, *, status_code: int = 200, error: str | None = None, code: str = "") -> Template:
    return page(request, "participants/join_typed.html", status_code=status_code, error=error, code=code)


class TypedCodeController(Controller):
    path = "/join"
    cache_control = CacheControlHeader(no_store=True)

    @get("/", name="coordinate:join")
    async def form(self, request: Request) -> Template:
        return _form(request)

    @post("/", name="coordinate:join_post", status_code=303)
    async def submit(self, request: Request, data: Annotated[TypedCodeForm, Form]) -> Template | Redirect:
        keys = throttle_keys(request)
        if wait := await accounts.wait_seconds(keys):
            return _form(request, status_code=429, code=data.code[:20], error=_(
                "You have tried several codes in a short time. Please wait %(seconds)d seconds and try again. "
                "If it keeps failing, ask the clinic for a new code.", seconds=wait))
        typed = services.normalise_typed(data.code)
        if typed is None:  # cannot be a code at all: no guess was made, so nothing is counted
            return _form(request, status_code=400, code=data.code[:20], error=_(
                "A code has 8 letters and numbers, for example ab3d-9fgh. Please check it and try again."))
        code, checked = await services.check_typed(typed)
        if isinstance(checked, participants.CodeProblem):
            await accounts.record_failure(keys)
            return _form(request, status_code=400, code=data.code[:20], error=_(NOT_FOUND))
        return redirect_to(request, "participants:join", under=participants.DOOR[checked.kind], code=code)
