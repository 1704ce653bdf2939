"""The join flow (invite link → language → consent → municipality) and the participant's own settings."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from server.lib.templates import page
from server.lib.web import clear_device_cookie, device_cookie, language_cookie, use_language
from server.participants import own_data, services
from server.participants.guards import current_participant, safe_next
from server.participants.municipalities import municipalities
from server.participants.schemas import ConsentForm, LanguageForm, MunicipalityForm, WithdrawForm
from server.participants.withdrawal import withdraw
from server.settings import get_settings

Form = Body(media_type=RequestEncodingType.URL_ENCODED)

_CODE_STATUS = {services.CodeProblem.UNKNOWN: 404, services.CodeProblem.EXPIRED: 410,
                services.CodeProblem.REVOKED: 410}


def _code_problem(request: Request, problem: services.CodeProblem) -> Template:
    return page(request, "participants/invite_problem.html", status_code=_CODE_STATUS[problem],
                problem=problem.value)


# Patients join at /j/<code>, staff at /u/<code> (a unit's code, e.g. from a QR code on the break-room wall).
_PREFIX = {"patient": "/j", "staff": "/u"}
_AFTER_JOIN = {"patient": "/welcome/municipality", "staff": "/pause"}


def _prefix(request: Request) -> str:
    return request.url.path[:2]


def _wrong_door(request: Request, code: str, checked: services.ValidCode) -> Redirect | None:
    """A staff code opened as /j/... (or the other way round) is sent to its own door, not refused."""
    right = _PREFIX.get(checked.kind, "/j")
    if _prefix(request) != right:
        rest = request.url.path.split(code, 1)[1]
        query = f"?{request.url.query}" if request.url.query else ""
        return Redirect(f"{right}/{code}{rest}{query}", status_code=303)
    return None


class JoinController(Controller):
    @get(["/j/{code:str}", "/u/{code:str}"], name="participants:join")
    async def choose_language(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        if request.state.device is not None:  # already here: straight to her start (the QR code, scanned again)
            return Redirect(_AFTER_JOIN["staff"] if request.state.device.kind == "staff" else "/home",
                            status_code=303)
        checked = await services.check_code(code)
        if isinstance(checked, services.CodeProblem):
            return _code_problem(request, checked)
        return _wrong_door(request, code, checked) or page(
            request, "participants/join_language.html", code=code, prefix=_prefix(request))

    @get(["/j/{code:str}/consent", "/u/{code:str}/consent"], name="participants:consent")
    async def consent(self, request: Request, code: FromPath[str], lang: FromQuery[str] = "") -> Template | Redirect:
        if request.state.device is not None:
            return Redirect("/home", status_code=303)
        checked = await services.check_code(code)
        if isinstance(checked, services.CodeProblem):
            return _code_problem(request, checked)
        if wrong := _wrong_door(request, code, checked):
            return wrong
        if lang not in ("da", "en"):
            return Redirect(f"{_prefix(request)}/{code}", status_code=303)
        use_language(request, lang)  # this page already speaks the language she chose
        response = page(request, "participants/join_consent.html", code=code, error=False,
                        prefix=_prefix(request), kind=checked.kind)
        response.cookies.append(language_cookie(get_settings(), lang))
        return response

    @post(["/j/{code:str}", "/u/{code:str}"], name="participants:enrol", status_code=303)
    async def enrol(self, request: Request, code: FromPath[str],
                    data: Annotated[ConsentForm, Form]) -> Template | Redirect:
        if request.state.device is not None:
            return Redirect("/home", status_code=303)
        if data.consent != "yes":
            use_language(request, data.lang)
            kind = "staff" if _prefix(request) == "/u" else "patient"
            return page(request, "participants/join_consent.html", status_code=400, code=code, error=True,
                        prefix=_prefix(request), kind=kind)
        try:
            participant_id, kind = await services.enrol(code, language=data.lang)
        except services.EnrolmentRefused as refused:
            return _code_problem(request, refused.problem)
        response = Redirect(_AFTER_JOIN.get(kind, "/home"), status_code=303)
        response.cookies.append(device_cookie(get_settings(), participant_id, data.lang, kind))
        return response


def _municipality_page(request: Request, chosen: str | None, *, welcome: bool, error: bool = False) -> Template:
    return page(request, "participants/municipality.html", status_code=400 if error else 200,
                municipalities=municipalities(), chosen=chosen, error=error, welcome=welcome)


class SettingsController(Controller):
    @get("/welcome/municipality", name="participants:municipality")
    async def municipality(self, request: Request) -> Template:
        participant = await current_participant(request)
        return _municipality_page(request, participant.municipality_code, welcome=True)

    @post("/welcome/municipality", name="participants:set_municipality", status_code=303)
    async def set_municipality(self, request: Request,
                               data: Annotated[MunicipalityForm, Form]) -> Template | Redirect:
        participant = await current_participant(request)
        if not data.skip:
            if data.municipality and data.municipality not in municipalities():
                return _municipality_page(request, participant.municipality_code, error=True,
                                          welcome=safe_next(data.next) != "/settings")
            await services.set_municipality(participant.id, data.municipality or None)
        return Redirect(safe_next(data.next), status_code=303)

    @get("/settings", name="participants:settings")
    async def settings(self, request: Request) -> Template:
        participant = await current_participant(request)
        chosen = municipalities().get(participant.municipality_code or "")
        return page(request, "participants/settings.html", participant=participant, municipality=chosen)

    @get("/settings/municipality", name="participants:change_municipality")
    async def change_municipality(self, request: Request) -> Template:
        participant = await current_participant(request)
        return _municipality_page(request, participant.municipality_code, welcome=False)

    @post("/language", name="participants:language", status_code=303)
    async def language(self, request: Request, data: Annotated[LanguageForm, Form]) -> Redirect:
        """Changes the language for this device: the participant's, or a visitor's before she joins."""
        settings = get_settings()
        response = Redirect(safe_next(data.next), status_code=303)
        device = request.state.device
        if device is not None:
            await services.set_language(device.participant_id, data.lang)
            response.cookies.append(device_cookie(settings, device.participant_id, data.lang, device.kind))
        response.cookies.append(language_cookie(settings, data.lang))
        return response

    @get("/settings/withdraw", name="participants:withdraw_form")
    async def withdraw_form(self, request: Request) -> Template:
        participant = await current_participant(request)
        return page(request, "participants/withdraw.html", participant=participant, error=False)

    @post("/settings/withdraw", name="participants:withdraw", status_code=200)
    async def withdraw(self, request: Request, data: Annotated[WithdrawForm, Form]) -> Template:
        participant = await current_participant(request)
        if data.choice not in ("keep", "delete"):
            return page(request, "participants/withdraw.html", status_code=400, participant=participant, error=True)
        await withdraw(participant.id, data.choice)  # type: ignore[arg-type]
        # The goodbye page is shown as to a visitor, so the app's scripts stop recording at once.
        response = page(request, "participants/withdrawn.html", device=None, deleted=data.choice == "delete")
        # The browser removes this site's caches, storage and service worker itself; the page's script
        # does the same for browsers that ignore the header.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        response.cookies.append(clear_device_cookie(get_settings()))
        return response

    @get("/settings/my-data.json", name="participants:data_json", cache_control=CacheControlHeader(no_store=True))
    async def data_json(self, request: Request) -> Response:
        """Everything we hold about her, for her to keep or take elsewhere."""
        participant = await current_participant(request)
        data = await own_data.collect(participant.id)
        return Response(content=msgspec.json.format(msgspec.json.encode(data), indent=2), media_type="application/json",
                        headers={"content-disposition": 'attachment; filename="pusterum-my-data.json"'})

    @get("/settings/my-data.csv", name="participants:data_csv", cache_control=CacheControlHeader(no_store=True))
    async def data_csv(self, request: Request) -> Response:
        participant = await current_participant(request)
        data = await own_data.collect(participant.id)
        return Response(content=own_data.events_csv(data), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="pusterum-my-activity.csv"'})
