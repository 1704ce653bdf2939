"""The event writer formats times itself (it runs for every row); it must store exactly the text Piccolo's
SQLite adapter would, or a report comparing an event's time with a Piccolo-written one would be wrong."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from piccolo.engine.sqlite import convert_datetime_in

from server.engagement.store import received_at_str


@pytest.mark.parametrize("moment", [
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=2))),  # a Copenhagen summer-time moment
    datetime(2026, 12, 7, 8, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 12, 7, 8, 0),  # naive: kept as it is
])
def test_it_writes_times_as_piccolo_does(moment):
    assert received_at_str(moment) == convert_datetime_in(moment)


@pytest.mark.parametrize("sent", [
    "2026-03-29T03:59:59.999999+02:00",
    "2026-10-25T02:30:00+02:00",
    "2026-12-07T08:00:00-05:30",
    "2026-12-07T08:00:00Z",
])
@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=26, seconds=1)])
def test_the_ingest_hands_the_writer_the_same_text_and_fingerprint_as_before(sent, offset):
    """The ingest makes an event's time text once for the fingerprint and the writer: it must be the text
    Piccolo would store for the (clock-corrected) time, and the fingerprint must not change, or a resend of
    an event stored before would be refused as a conflict."""
    import msgspec

    from server.engagement.schemas import EventIn
    from server.engagement.services import _row, fingerprint

    event = msgspec.json.decode(f'{{"id": "0b9d1f3e-5c1a-4f4e-9a57-6c2b2f0d0a01", "type": "app_opened", '
                                f'"occurred_at": "{sent}"}}', type=EventIn)
    row = _row(event, offset, datetime(2026, 12, 8, tzinfo=UTC), {}, None)  # no lesson: the catalog is not read
    assert (row.occurred_text or received_at_str(row.occurred_at)) == convert_datetime_in(event.occurred_at + offset)
    assert row.fingerprint == fingerprint(event)
