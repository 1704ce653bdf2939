"""``/join``: "Have a code? Type it here". Public, and rate-limited per client so guessing is slow.

A typed code has about 40 bits. Each try is counted per client address before the code is looked up
(``server.accounts.throttle``: five at once, then one every three minutes), so simultaneous guesses are
no faster. A right code gives its own try back, but does not clear the misses: otherwise one real code
would let a person guess on for ever. A code that never existed, has expired or was revoked gets the
same answer; something that cannot be a code at all is not counted.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from server.accounts import throttle
from server.coordination import services
from server.coordination.schemas import TypedCodeForm
from server.lib.clients import client_address
from server.lib.i18n import N_, _, wait_words
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants import services as participants

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
NOT_FOUND = N_("That code did not work. Please check it and try again, or ask the clinic for a new one.")


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
        typed = services.normalise_typed(data.code)
        if typed is None:  # cannot be a code at all: no guess was made, so nothing is counted
            return _form(request, status_code=400, code=data.code[:20], error=_(
                "A code has 8 letters and numbers, for example ab3d-9fgh. Please check it and try again."))
        keys = throttle.typed_code_keys(client_address(request))
        if wait := await throttle.take(keys):  # before the lookup: simultaneous guesses are counted too
            response = _form(request, status_code=429, code=data.code[:20], error=_(
                "You have tried several codes in a short time. Please wait %(wait)s and try again. "
                "If it keeps failing, ask the clinic for a new code.", wait=wait_words(wait)))
            response.headers["Retry-After"] = str(wait)
            return response
        code, checked = await services.check_typed(typed)
        if isinstance(checked, participants.CodeProblem):
            return _form(request, status_code=400, code=data.code[:20], error=_(NOT_FOUND))
        await throttle.passed(keys)
        return redirect_to(request, "participants:join", under=participants.DOOR[checked.kind], code=code)
