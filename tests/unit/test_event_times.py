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
