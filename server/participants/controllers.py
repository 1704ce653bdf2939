"""The join flow (invite link → language → consent → municipality) and the participant's own settings."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.lib.clients import client_address
from server.lib.guards import requires_device, requires_kind, safe_next
from server.lib.paths import redirect_to, route_path
from server.lib.templates import page
from server.lib.web import device_cookie, language_cookie, use_language
from server.participants import partners, services
from server.participants.guards import DEPENDENCIES, Enrolled
from server.participants.municipalities import municipalities
from server.participants.schemas import ConsentForm, LanguageForm, MunicipalityForm, RenewConsentForm
from server.participants.services import DOOR
from server.settings import get_settings

Form = Body(media_type=RequestEncodingType.URL_ENCODED)

_CODE_STATUS = {services.CodeProblem.UNKNOWN: 404, services.CodeProblem.EXPIRED: 410,
                services.CodeProblem.REVOKED: 410}


# A partner's link that was used, taken back or never made: 404; expired: 410; its site has since switched
# partners off: 404 (as if there were no such link).
_PARTNER_STATUS = {partners.PartnerProblem.UNKNOWN: 404, partners.PartnerProblem.EXPIRED: 410,
                   partners.PartnerProblem.OFF: 404}


def _code_problem(request: Request, problem: services.CodeProblem | partners.PartnerProblem) -> Template:
    if isinstance(problem, partners.PartnerProblem):
        return page(request, "participants/invite_problem.html", status_code=_PARTNER_STATUS[problem],
                    problem=problem.value, partner=True)
    return page(request, "participants/invite_problem.html", status_code=_CODE_STATUS[problem],
                problem=problem.value, partner=False)


# Patients join at /j/<code>, staff at /u/<code> (a unit's code, e.g. from a QR code on the break-room wall),
# a partner at /p/<code> (the single-use link she sent from her Settings).
_DOORS = [f"{DOOR['patient']}/{{code:str}}", f"{DOOR['staff']}/{{code:str}}", f"{DOOR['partner']}/{{code:str}}"]
START = {"patient": "journeys:home", "staff": "staff:home", "partner": "journeys:home"}
# Gives before it asks: a patient is first offered a short practice; her municipality and the WHO-5 come later
# (home asks for them once she has practised, or at her next visit).
_AFTER_JOIN = {"patient": "journeys:welcome", "staff": "staff:home", "partner": "journeys:home"}


def _kind(request: Request) -> str:
    """Which door she came through: the staff door, the partners' or the patients' one."""
    for kind in ("staff", "partner"):
        if request.url.path.startswith(DOOR[kind] + "/"):
            return kind
    return "patient"


async def _check(request: Request, code: str) -> services.ValidCode | services.CodeProblem | partners.PartnerProblem:
    """The code, looked up where its door says: a partner's link among partner links only."""
    if _kind(request) != "partner":
        return await services.check_code(code)
    checked = await partners.check_link(code)
    if isinstance(checked, partners.PartnerProblem):
        return checked
    return services.ValidCode(checked.id, "partner", checked.site, None, checked.course_group)


def _wrong_door(request: Request, code: str, checked: services.ValidCode) -> Redirect | None:
    """A staff code opened as /j/... (or the other way round) is sent to its own door, not refused."""
    if _kind(request) != checked.kind:
        query = f"?{request.url.query}" if request.url.query else ""
        return redirect_to(request, request.scope["route_handler"].name, query=query, under=DOOR[checked.kind],
                           code=code)
    return None


class JoinController(Controller):
    @get(_DOORS, name="participants:join")
    async def choose_language(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        if request.state.device is not None:  # already here: straight to her start (the QR code, scanned again)
            return redirect_to(request, START.get(request.state.device.kind, "journeys:home"))
        checked = await _check(request, code)
        if isinstance(checked, services.CodeProblem | partners.PartnerProblem):
            return _code_problem(request, checked)
        return _wrong_door(request, code, checked) or page(
            request, "participants/join_language.html", code=code, prefix=DOOR[_kind(request)])

    @get([f"{door}/consent" for door in _DOORS], name="participants:consent")
    async def consent(self, request: Request, code: FromPath[str], lang: FromQuery[str] = "") -> Template | Redirect:
        if request.state.device is not None:
            return redirect_to(request, "journeys:home")
        checked = await _check(request, code)
        if isinstance(checked, services.CodeProblem | partners.PartnerProblem):
            return _code_problem(request, checked)
        if wrong := _wrong_door(request, code, checked):
            return wrong
        if lang not in ("da", "en"):
            return redirect_to(request, "participants:join", under=DOOR[_kind(request)], code=code)
        use_language(request, lang)  # this page already speaks the language she chose
        response = page(request, "participants/join_consent.html", code=code, error=False,
                        prefix=DOOR[_kind(request)], kind=checked.kind)
        response.cookies.append(language_cookie(get_settings(), lang))
        return response

    @post(_DOORS, name="participants:enrol", status_code=303)
    async def enrol(self, request: Request, code: FromPath[str],
                    data: Annotated[ConsentForm, Form]) -> Template | Redirect:
        if request.state.device is not None:
            return redirect_to(request, "journeys:home")
        if data.consent != "yes":
            use_language(request, data.lang)
            return page(request, "participants/join_consent.html", status_code=400, code=code, error=True,
                        prefix=DOOR[_kind(request)], kind=_kind(request))
        try:
            if _kind(request) == "partner":
                participant_id, kind = await partners.enrol(code, language=data.lang,
                                                            client=client_address(request)), "partner"
            else:
                participant_id, kind = await services.enrol(code, language=data.lang,
                                                            client=client_address(request))
        except (services.EnrolmentRefused, partners.PartnerRefused) as refused:
            return _code_problem(request, refused.problem)
        response = redirect_to(request, _AFTER_JOIN.get(kind, "journeys:home"))
        response.cookies.append(device_cookie(get_settings(), participant_id, data.lang, kind))
        return response

    @post("/language", name="participants:language", status_code=303)
    async def language(self, request: Request, data: Annotated[LanguageForm, Form]) -> Redirect:
        """Changes the language for this device: the participant's, or a visitor's before she joins (so
        it is open to everyone, here beside the join pages)."""
        settings = get_settings()
        response = Redirect(safe_next(data.next), status_code=303)
        device = request.state.device
        if device is not None:
            await services.set_language(device.participant_id, data.lang)
            response.cookies.append(device_cookie(settings, device.participant_id, data.lang, device.kind))
        response.cookies.append(language_cookie(settings, data.lang))
        return response


def _municipality_page(request: Request, chosen: str | None, *, welcome: bool, error: bool = False) -> Template:
    return page(request, "participants/municipality.html", status_code=400 if error else 200,
                municipalities=municipalities(), chosen=chosen, error=error, welcome=welcome)


class SettingsController(Controller):
    """Her own settings, data and withdrawal: only for an enrolled participant."""

    guards = [requires_device]
    dependencies = DEPENDENCIES

    # Where she lives matters for a patient's support and the follow-up; a member of staff is never asked,
    # and these pages are not there for her (404).
    @get("/welcome/municipality", name="participants:municipality", guards=[requires_kind("patient")])
    async def municipality(self, request: Request, participant: Enrolled) -> Template:
        return _municipality_page(request, participant.municipality_code, welcome=True)

    @post("/welcome/municipality", name="participants:set_municipality", status_code=303,
          guards=[requires_kind("patient")])
    async def set_municipality(self, request: Request, participant: Enrolled,
                               data: Annotated[MunicipalityForm, Form]) -> Template | Redirect:
        if not data.skip:
            if data.municipality and data.municipality not in municipalities():
                from_settings = safe_next(data.next) == route_path(request.app, "participants:settings")
                return _municipality_page(request, participant.municipality_code, error=True,
                                          welcome=not from_settings)
            await services.set_municipality(participant.id, data.municipality or None)
        return Redirect(safe_next(data.next, route_path(request.app, "journeys:home")), status_code=303)

    @get("/consent", name="participants:reconsent")
    async def reconsent(self, request: Request, participant: Enrolled) -> Template | Redirect:
        """The consent text changed since she agreed: she reads the new one once, and goes on or stops."""
        if participant.consent_is_current:
            return redirect_to(request, START.get(participant.kind, "journeys:home"))
        return page(request, "participants/reconsent.html", kind=participant.kind, error=False)

    @post("/consent", name="participants:renew_consent", status_code=303)
    async def renew_consent(self, request: Request, participant: Enrolled,
                            data: Annotated[RenewConsentForm, Form]) -> Template | Redirect:
        if data.consent != "yes":
            return page(request, "participants/reconsent.html", status_code=400, kind=participant.kind, error=True)
        await services.renew_consent(participant.id)
        return redirect_to(request, START.get(participant.kind, "journeys:home"))

    @get("/settings", name="participants:settings")
    async def settings(self, request: Request, participant: Enrolled) -> Template:
        """Each kind of participant her own settings: a nurse's are her language, reminders and the way out."""
        if participant.kind == "staff":
            return page(request, "participants/settings_staff.html", participant=participant)
        if participant.kind == "partner":
            return page(request, "participants/settings_partner.html", participant=participant)
        chosen = municipalities().get(participant.municipality_code or "")
        return page(request, "participants/settings.html", participant=participant, municipality=chosen,
                    partner_panel=await partners.panel(participant.id))

    @get("/settings/municipality", name="participants:change_municipality", guards=[requires_kind("patient")])
    async def change_municipality(self, request: Request, participant: Enrolled) -> Template:
        return _municipality_page(request, participant.municipality_code, welcome=False)
