"""The reminders page (a plain form, usable without JavaScript) and the small JSON API the page and the
service worker use for what only JavaScript can do: subscribing a browser, and the notification's buttons."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Response, Template

from server.lib.api import body_words, problem_response, requires_app
from server.lib.api_docs import api_route, inline_schema
from server.lib.errors import Problem, Refused
from server.lib.forms import FormOf, form_of, valid
from server.lib.guards import ThisDevice, requires_device
from server.lib.i18n import N_
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.guards import DEPENDENCIES, Enrolled
from server.reminders import services
from server.reminders.schemas import INTERVALS, ActionIn, Done, Enabled, ReminderForm, SubscriptionIn
from server.reminders.vapid import public_key_b64

DAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
             N_("Sunday"))


# P-256's base point: an example key the API accepts (a subscription's key must be a point on the curve).
EXAMPLE_KEY = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
API_BODY_BYTES = 8 * 1024  # a subscription or an action is a few hundred bytes
_NOT_APP_OR_JSON = "Not from the app (no `X-Pusterum: 1` header), or the body is not JSON."
_SUBSCRIBE_DOC = api_route(
    body=inline_schema(SubscriptionIn), ok=Enabled,
    errors={400: _NOT_APP_OR_JSON, 401: None, 413: None,
            409: "This endpoint is already subscribed by another participant (a subscription is never moved): "
                 "unsubscribe in the browser and send the fresh subscription it makes.",
            410: None,
            422: "Not a subscription we can use. Beyond this schema: `p256dh` must be a point on P-256, and the "
                 "endpoint must be https at a known push service (FCM, Mozilla, Apple, Windows and the "
                 "PUSH_SERVICE_HOSTS setting; outside production also http://127.0.0.1:<port>)."},
    description="The browser's push subscription (PushSubscription.toJSON()); turns her reminders on.",
    example={"endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
             "keys": {"p256dh": EXAMPLE_KEY, "auth": "A" * 22}})
_ACTION_DOC = api_route(body=inline_schema(ActionIn), ok=Done,
                        errors={400: _NOT_APP_OR_JSON, 401: None, 410: None, 413: None, 422: "Not an action."},
                        description="The button she pressed on a reminder.", example={"action": "snooze"})


REMINDER_FORM = form_of(ReminderForm)


def _shown(plan: services.PlanView) -> dict[str, Any]:
    """The form as her saved plan fills it, field by field as she sends it back."""
    times, windows = plan.choice.get("times") or [], plan.choice.get("windows") or []
    shown: dict[str, Any] = {f"time{i + 1}": time for i, time in enumerate(times[:3])}
    for i, window in enumerate(windows[:2]):
        shown |= {f"start{i + 1}": window.get("start", ""), f"end{i + 1}": window.get("end", "")}
    return shown | {"every": str(plan.choice.get("every_minutes") or ""), "days": list(plan.days),
                    "quiet_start": plan.quiet_start, "quiet_end": plan.quiet_end}


class RemindersController(Controller):
    """Her pages check her row (``Enrolled``: a withdrawn participant's old cookie is sent to the start page);
    the API checks it where it stores (``services.still_taking_part``: 410 once she has withdrawn)."""

    dependencies = DEPENDENCIES

    @get("/reminders", name="reminders:page", guards=[requires_device])
    async def show(self, request: Request, participant: Enrolled, saved: FromQuery[str] = "") -> Template:
        return await self._page(request, participant, saved=bool(saved))

    async def _page(self, request: Request, participant: Enrolled, *, status_code: int = 200,
                    error: str | None = None, saved: bool = False, form: dict[str, Any] | None = None) -> Template:
        plan = await services.get_plan(participant.id, participant.kind)
        return page(request, "reminders/page.html", status_code=status_code, plan=plan, form=form or _shown(plan),
                    vapid_key=public_key_b64(), error=error, saved=saved, day_names=DAY_NAMES,
                    intervals=INTERVALS)

    @post("/reminders", name="reminders:save", status_code=303, guards=[requires_device],
          dependencies={"form": REMINDER_FORM})
    async def save(self, request: Request, participant: Enrolled, form: FormOf[ReminderForm]) -> Redirect | Template:
        try:
            chosen = valid(form)
            await services.save_plan(participant.id, participant.kind, chosen.choice(participant.kind),
                                     "".join(chosen.days), chosen.quiet_start[:5], chosen.quiet_end[:5])
        except Refused as problem:  # a field, or a rule of the plan: her times come back with why
            return await self._page(request, participant, status_code=400, error=str(problem), form=form.raw)
        return redirect_to(request, "reminders:page", query="?saved=1")

    @post("/reminders/off", name="reminders:off", status_code=303, guards=[requires_device])
    async def off(self, request: Request, participant: Enrolled) -> Redirect:
        await services.turn_off(participant.id)
        return redirect_to(request, "reminders:page")

    @post("/reminders/not-today", name="reminders:not_today", status_code=303, guards=[requires_device])
    async def not_today(self, request: Request, participant: Enrolled) -> Redirect:
        await services.not_today(participant.id)
        return redirect_to(request, "reminders:page", query="?saved=1")

    @post("/api/push/subscription", name="reminders:subscribe", status_code=200, exclude_from_csrf=True,
          guards=[requires_app()], request_max_body_size=API_BODY_BYTES,
          opt=body_words(invalid=N_("This browser gave an address for reminders that we cannot use."),
                         unreadable=N_("This browser gave an address for reminders that we cannot use.")),
          **_SUBSCRIBE_DOC)
    async def subscribe(self, device: ThisDevice, data: JSONBody[SubscriptionIn]) -> Response:
        try:
            await services.subscribe(device.participant_id, device.kind, data.endpoint, data.keys.p256dh,
                                     data.keys.auth)
        except Problem as refused:  # 422 unusable, 409 someone else's, 410 withdrawn
            return problem_response(refused)
        return Response({"enabled": True})

    @post("/api/reminders/action", name="reminders:action", status_code=200, exclude_from_csrf=True,
          guards=[requires_app()], request_max_body_size=API_BODY_BYTES,
          opt=body_words(invalid=N_("That is not something a reminder can do."),
                         unreadable=N_("That is not something a reminder can do.")),
          **_ACTION_DOC)
    async def action(self, device: ThisDevice, data: JSONBody[ActionIn]) -> Response:
        """The notification's own buttons: "in 30 minutes" and "not today", sent by the service worker."""
        try:
            await (services.snooze if data.action == "snooze" else services.not_today)(device.participant_id)
        except Problem as refused:  # 410: she has withdrawn
            return problem_response(refused)
        return Response({"done": data.action})
