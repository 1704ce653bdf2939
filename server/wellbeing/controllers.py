"""The wellbeing check-in (WHO-5) and her own scores over time, with a kind reading — never a diagnosis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.engagement.schemas import EventIn
from server.engagement.services import BatchRejected, ingest
from server.lib.i18n import _
from server.lib.templates import page
from server.participants.guards import current_participant
from server.wellbeing import services


def _instrument() -> dict:
    instrument = get_catalog().questionnaires.get(services.INSTRUMENT)
    if instrument is None:
        raise LookupError("WHO-5 is not published")
    return instrument


class WellbeingController(Controller):
    path = "/wellbeing"

    @get("/checkin", name="wellbeing:checkin")
    async def checkin(self, request: Request, first: FromQuery[str] = "") -> Template:
        await current_participant(request)
        return page(request, "wellbeing/checkin.html", instrument=_instrument(), first=bool(first), chosen={},
                    error=None)

    @post("/checkin", name="wellbeing:checkin_post", status_code=303)
    async def answer(self, request: Request) -> Template | Redirect:
        """Without JavaScript the answers come here; with it, through the outbox as the same event."""
        participant = await current_participant(request)
        instrument = _instrument()
        form = await request.form()
        chosen = {i: str(form.get(f"item{i}") or "") for i in range(len(instrument["items"]))}
        allowed = {str(o["score"]) for o in instrument["options"]}
        if any(v not in allowed for v in chosen.values()):
            return page(request, "wellbeing/checkin.html", status_code=400, instrument=instrument,
                        first=bool(form.get("first")), chosen=chosen,
                        error=_("Please choose an answer for each of the five statements."))
        event = EventIn(id=uuid.uuid4(), type="questionnaire_answered", occurred_at=datetime.now(UTC),
                        questionnaire_version=instrument["version_id"],
                        answers=[int(chosen[i]) for i in sorted(chosen)])
        try:
            await ingest([event], participant.id, get_catalog())
        except BatchRejected as rejected:
            return page(request, "wellbeing/checkin.html", status_code=rejected.status, instrument=instrument,
                        first=False, chosen=chosen, error=rejected.message)
        return Redirect("/wellbeing?saved=1", status_code=303)

    @get("/", name="wellbeing:history")
    async def history(self, request: Request, saved: FromQuery[str] = "") -> Template:
        participant = await current_participant(request)
        readings = await services.readings(participant.id, get_catalog())
        return page(request, "wellbeing/history.html", readings=readings, latest=readings[-1] if readings else None,
                    chart=services.chart(readings), saved=bool(saved), instrument=_instrument(),
                    due=await services.checkin_due(participant.id))
