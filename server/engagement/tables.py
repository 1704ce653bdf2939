"""The engagement log: append-only, one row per thing that happened on a phone.

The primary key is the UUID the phone made, so a batch sent twice is stored once.
"""

from piccolo.columns import JSONB, UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.content.tables import ContentVersion
from server.participants.tables import Participant


class Event(Table, tablename="event"):
    id = UUID(primary_key=True)
    participant = ForeignKey(references=Participant, index=True)
    type = Varchar(length=32)
    # No index: no query looks events up by version (versions are never deleted), and on the ingest's hot path
    # every index is written for every event (measured: this one cost 5-13 % of a batch's time in SQLite).
    content_version = ForeignKey(references=ContentVersion, null=True, default=None)
    occurred_at = Timestamptz(index=True)  # the phone's clock
    day = Date(default=None)  # occurred_at's date in Copenhagen: reports count days, SQLite has no zones
    received_at = Timestamptz(index=True)  # ours: the rollups follow it
    step = Integer(null=True, default=None)  # step_completed: which step (0-based)
    seconds = Integer(null=True, default=None)  # seconds practised (left/completed)
    rating = Integer(null=True, default=None)  # rating_given: 1-5
    comment = Text(null=True, default=None)  # rating_given: her short comment, if she wrote one
    stress_before = Integer(null=True, default=None)  # pause_completed: 0-10 before the pause, if she said
    stress_after = Integer(null=True, default=None)  # pause_completed: 0-10 after it
    score = Integer(null=True, default=None)  # questionnaire_answered: the server's score (WHO-5: 0-100)
    answers = JSONB(null=True, default=None)  # questionnaire_answered: the item answers, e.g. [3, 4, 2, 5, 1]
    check_question = Varchar(length=20, null=True, default=None)  # check_answered: the question's id in the lesson
    check_option = Varchar(length=20, null=True, default=None)  # check_answered: the option she chose
    correct = Boolean(null=True, default=None)  # check_answered: right or wrong, judged by the server
    clock_suspect = Varchar(length=20, null=True, default=None)  # why occurred_at is not trusted
    fingerprint = Varchar(length=32)  # hash of the payload: a reused id with other content is refused
