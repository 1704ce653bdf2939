"""The engagement log: append-only, one row per thing that happened on a phone.

The primary key is the UUID the phone made, so a batch sent twice is stored once.
"""

from piccolo.columns import UUID, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.content.tables import ContentVersion
from server.participants.tables import Participant


class Event(Table, tablename="event"):
    id = UUID(primary_key=True)
    participant = ForeignKey(references=Participant, index=True)
    type = Varchar(length=32)
    content_version = ForeignKey(references=ContentVersion, null=True, default=None, index=True)
    occurred_at = Timestamptz(index=True)  # the phone's clock
    day = Date(null=True, default=None)  # occurred_at's date in Copenhagen: reports count days, SQLite has no zones
    received_at = Timestamptz(index=True)  # ours: the rollups follow it
    step = Integer(null=True, default=None)  # step_completed: which step (0-based)
    seconds = Integer(null=True, default=None)  # seconds practised (left/completed)
    value = Integer(null=True, default=None)  # rating 1-5 and later ratings
    note = Text(null=True, default=None)  # a rating's short comment
    stress_before = Integer(null=True, default=None)  # pause_completed: 0-10 before the pause, if she said
    stress_after = Integer(null=True, default=None)  # pause_completed: 0-10 after it
    answers = Varchar(length=120, null=True, default=None)  # questionnaire_answered: "3,4,2,5,1" (value: score)
    clock_suspect = Varchar(length=20, null=True, default=None)  # why occurred_at is not trusted
    fingerprint = Varchar(length=32)  # hash of the payload: a reused id with other content is refused
