"""The reminders page (a plain form, usable without JavaScript), the page a reminder opens on a phone that shows
no notification buttons, and the small JSON API the page and the service worker use for what only JavaScript
can do: subscribing a browser, a test reminder, renewing a subscription the browser replaced, and the
notification's buttons."""

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
from server.reminders import sender, services
from server.reminders.schemas import (
    INTERVALS,
    ActionIn,
    Done,
    Enabled,
    LaterForm,
    ReminderForm,
    RenewalIn,
    Renewed,
    Sent,
    SubscriptionIn,
    TestIn,
)
from server.reminders.vapid import public_key_b64

DAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
             N_("Sunday"))


# P-256's base point: an example key the API accepts (a subscription's key must be a point on the curve).
EXAMPLE_KEY = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
API_BODY_BYTES = 8 * 1024  # a subscription or an action is a few hundred bytes
RENEWAL_BODY_BYTES = 2 * API_BODY_BYTES  # two endpoints: each may be 1,024 characters of up to 4 bytes
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


_RENEW_DOC = api_route(
    body=inline_schema(RenewalIn), ok=Renewed,
    errors={400: _NOT_APP_OR_JSON, 401: None, 413: None,
            404: "The old endpoint is not one of hers, or there is nothing to renew (her reminders are off).",
            409: "The new endpoint is already subscribed by another participant.", 410: None,
            422: "Not a subscription we can use (as for the subscription itself)."},
    description="Sent by the service worker after `pushsubscriptionchange`: the browser's new subscription "
                "replaces the old one (her own only), keeping any reminder waiting for it.",
    example={"old_endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
             "subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/def456",
                              "keys": {"p256dh": EXAMPLE_KEY, "auth": "A" * 22}}})
_TEST_DOC = api_route(
    body=inline_schema(TestIn), ok=Sent,
    errors={400: _NOT_APP_OR_JSON, 401: None, 413: None, 404: "This endpoint is not one of hers.",
            410: "The push service says the subscription has ended (it is deleted).",
            422: "Not an endpoint.", 429: "A test or a reminder went to it seconds ago.",
            503: "The push service did not take it."},
    description="A reminder at once to this browser's subscription, so she sees what a reminder looks like.",
    example={"endpoint": "https://fcm.googleapis.com/fcm/send/abc123"})


REMINDER_FORM = form_of(ReminderForm)
LATER_FORM = form_of(LaterForm)


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
    async def show(self, request: Request, participant: Enrolled, saved: FromQuery[str] = "",
                   on: FromQuery[str] = "") -> Template:
        """``on``: the page's script has just turned reminders on; the page says what comes next."""
        return await self._page(request, participant, saved=bool(saved), turned_on=bool(on))

    async def _page(self, request: Request, participant: Enrolled, *, status_code: int = 200,
                    error: str | None = None, saved: bool = False, turned_on: bool = False,
                    form: dict[str, Any] | None = None) -> Template:
        plan = await services.get_plan(participant.id, participant.kind)
        return page(request, "reminders/page.html", status_code=status_code, plan=plan, form=form or _shown(plan),
                    vapid_key=public_key_b64(), error=error, saved=saved, turned_on=turned_on, day_names=DAY_NAMES,
                    intervals=INTERVALS, lock_screen=sender.lock_screen(participant.kind, participant.language))

    @get("/reminders/now", name="reminders:now", guards=[requires_device])
    async def now(self, request: Request, participant: Enrolled, done: FromQuery[str] = "") -> Template:
        """What a reminder opens where the phone shows no buttons on it (iPhone): start now, or the buttons'
        two choices. ``done`` says which she chose, so the page can tell her when the next one comes."""
        return await self._now(request, participant, done=done if done in ("snooze", "not_today") else "")

    async def _now(self, request: Request, participant: Enrolled, *, done: str = "", status_code: int = 200,
                   error: str | None = None) -> Template:
        plan = await services.get_plan(participant.id, participant.kind)
        return page(request, "reminders/now.html", status_code=status_code, plan=plan, done=done, error=error,
                    lock_screen=sender.lock_screen(participant.kind, participant.language),
                    start_route="staff:home" if participant.kind == "staff" else "journeys:home")

    @post("/reminders/now", name="reminders:later", status_code=303, guards=[requires_device],
          dependencies={"form": LATER_FORM})
    async def later(self, request: Request, participant: Enrolled, form: FormOf[LaterForm]) -> Redirect | Template:
        """"In 30 minutes" or "not today", from the page: the same as the notification's own buttons."""
        try:
            chosen = valid(form)
        except Refused as problem:
            return await self._now(request, participant, status_code=400, error=str(problem))
        await (services.snooze if chosen.action == "snooze" else services.not_today)(participant.id)
        return redirect_to(request, "reminders:now", query=f"?done={chosen.action}")

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

    @get("/api/push/key", name="reminders:key")
    async def key(self) -> Response:
        """The server's public VAPID key (public by nature), for the service worker when it must subscribe again
        and the browser no longer tells it the key it used (``pushsubscriptionchange`` without an old one)."""
        return Response({"key": public_key_b64()})  # null until `pusterum push keys` has made one

    @post("/api/push/subscription/renew", name="reminders:renew", status_code=200, exclude_from_csrf=True,
          guards=[requires_app()], request_max_body_size=RENEWAL_BODY_BYTES,
          opt=body_words(invalid=N_("This browser gave an address for reminders that we cannot use."),
                         unreadable=N_("This browser gave an address for reminders that we cannot use.")),
          **_RENEW_DOC)
    async def renew(self, device: ThisDevice, data: JSONBody[RenewalIn]) -> Response:
        """The service worker's ``pushsubscriptionchange``: the browser's new subscription in the old one's place."""
        new = data.subscription
        try:
            await services.renew(device.participant_id, data.old_endpoint, new.endpoint, new.keys.p256dh,
                                 new.keys.auth)
        except Problem as refused:  # 422 unusable, 404 not hers, 409 someone else's new one, 410 withdrawn
            return problem_response(refused)
        return Response({"renewed": True})

    @post("/api/reminders/test", name="reminders:test", status_code=200, exclude_from_csrf=True,
          guards=[requires_app()], request_max_body_size=API_BODY_BYTES,
          opt=body_words(invalid=N_("This phone is not set up for reminders yet. Turn them on first."),
                         unreadable=N_("This phone is not set up for reminders yet. Turn them on first.")),
          **_TEST_DOC)
    async def test(self, device: ThisDevice, data: JSONBody[TestIn]) -> Response:
        """A reminder now, to this browser: the last step of turning reminders on."""
        try:
            await sender.send_test(device.participant_id, data.endpoint, device.kind, device.language)
        except Problem as refused:
            return problem_response(refused)
        return Response({"sent": True})

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
