"""The engagement API (the outbox posts here) and the no-JavaScript rating form that feeds the same log."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Redirect, Response, Template

from server.content.catalog import get_catalog
from server.engagement.schemas import MAX_BODY_BYTES, REQUIRED, BatchAccepted, EventBatch, EventIn, RatingForm
from server.engagement.services import ingest
from server.lib.api import body_words, problem_response, requires_app
from server.lib.api_docs import api_route, inline_schema
from server.lib.errors import Conflict, Problem, headers_of, status_of
from server.lib.guards import DEVICE, ThisDevice, requires_device
from server.lib.i18n import N_, _
from server.lib.paths import redirect_to
from server.lib.templates import page

log = logging.getLogger("pusterum.engagement")

_EVENTS_DOC = api_route(
    body=inline_schema(EventBatch), ok=BatchAccepted, errors={
        400: "Not from the app (no `X-Pusterum: 1` header, or not `Content-Type: application/json`), "
             "or the body is not JSON.",
        401: None, 403: None, 409: None, 410: None,
        413: f"The body is larger than {MAX_BODY_BYTES} bytes: send the events in smaller batches.", 422: None,
        429: "This participant has sent more events in this minute or day than the server takes (LIMIT_EVENTS_PER_"
             "MINUTE, LIMIT_EVENTS_PER_DAY; every event of a batch counts): nothing of the batch was stored; keep "
             "it and send it again after `Retry-After` seconds."},
    description="A batch of events made on the phone, all stored or none. Beyond this schema: each type needs "
                "its fields (" + "; ".join(f"{t}: {', '.join(f) or '-'}" for t, f in REQUIRED.items()) + "), "
                "exercise_version must be a published version, occurred_at and sent_at lie between 2020 and 2100, "
                "occurred_at (corrected by sent_at) at most 24 hours in the future, and a comment holds no "
                "control characters (tab, line feed and carriage return aside); otherwise 422, with `ids` "
                "naming the events that can never be stored (drop them, send the rest). Resending an event "
                "is harmless (a duplicate).",
    example={"events": [{"id": "0b9d1f3e-5c1a-4f4e-9a57-6c2b2f0d0a01", "type": "app_opened",
                         "occurred_at": "2025-01-06T08:30:00+01:00"}]})


class EngagementController(Controller):
    dependencies = {"device": DEVICE}
    @post("/api/events", name="engagement:events", status_code=200, exclude_from_csrf=True,
          guards=[requires_app(json_body=True)], request_max_body_size=MAX_BODY_BYTES,
          opt=body_words(invalid=N_("Some activity could not be saved because it was not in the right form."),
                         unreadable=N_("The activity could not be read."),
                         too_large=N_("Too much was sent at once. The app will send it in smaller parts.")),
          **_EVENTS_DOC)
    async def events(self, device: ThisDevice, data: JSONBody[EventBatch]) -> Response:
        """Takes a batch of events; protected from cross-site posts by SameSite and a custom header
        that a cross-site form cannot send without a CORS preflight, which we never grant."""
        try:
            ids, stored = await ingest(data.events, device.participant_id, get_catalog(), sent_at=data.sent_at,
                                       kind=device.kind)
        except Problem as rejected:
            if isinstance(rejected, Conflict):
                # A client bug or replayed ids: never merged, and an operator should look, so it is logged
                # (a count only: no ids, nothing about the person).
                log.warning("events refused with 409: %d id(s) reused with other content", len(rejected.ids or ()))
            return problem_response(rejected)
        return Response(content=BatchAccepted(ids=ids, stored=stored, duplicates=len(ids) - stored))

    @post("/exercises/{slug:str}/rating", name="engagement:rate", status_code=303, guards=[requires_device])
    async def rate(self, request: Request, device: ThisDevice, slug: FromPath[str],
                   data: Annotated[RatingForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                   ) -> Redirect | Template:
        """Without JavaScript the end screen is a plain form; it records what the player would have."""
        catalog = get_catalog()
        exercise = catalog.exercises.get(slug)
        if exercise is None or catalog.exercise_versions.get(data.version) != slug:
            return page(request, "content/done.html", status_code=400, exercise=exercise,
                        error=_("This exercise has changed in the meantime. Please open it again."))
        if data.rating not in ("", "1", "2", "3", "4", "5"):
            return page(request, "content/done.html", status_code=400, exercise=exercise,
                        error=_("Please choose between 1 and 5 stars, or leave it empty."))
        now = datetime.now(UTC)
        events = [EventIn(id=uuid.uuid4(), type="exercise_completed", occurred_at=now,
                          exercise_version=data.version)]
        if data.rating:
            events.append(EventIn(id=uuid.uuid4(), type="rating_given", occurred_at=now,
                                  exercise_version=data.version, rating=int(data.rating),
                                  comment=data.comment.strip() or None))
        try:
            await ingest(events, device.participant_id, catalog, now, kind=device.kind)
        except Problem as rejected:
            response = page(request, "content/done.html", status_code=status_of(rejected), exercise=exercise,
                            error=rejected.message)
            response.headers.update(headers_of(rejected))
            return response
        return redirect_to(request, "content:thanks", slug=slug)
