"""Reminders: when she wants them (a plan in local time) and where they go (her browsers' push subscriptions).

A subscription is only an address at the browser's push service and two public keys; it says nothing
about the person. It is deleted when she turns reminders off, withdraws, or the push service says it is gone.

A subscription also holds the one reminder waiting to go to it (``pending_until`` … ``attempts``), so a reminder
due while its push service is down is retried by whichever process runs next, also after a restart; a newer
reminder replaces a waiting older one, as the push service's ``Topic`` does.
"""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from server.participants.tables import Participant


class PushSubscription(Table, tablename="push_subscription"):
    participant = ForeignKey(references=Participant, index=True)
    endpoint = Varchar(length=1024, unique=True)  # re-subscribing the same browser updates its row
    p256dh = Varchar(length=128)
    auth = Varchar(length=64)
    created_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)
    # The reminder waiting to go here: sent until this moment (its due time + TTL), None when nothing waits.
    pending_until = Timestamptz(null=True, default=None)
    # When a process may try it (again); while a process sends, a lease a little into the future.
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    # The last reminder that could not be delivered, for the operator: when, and why (a status, never a URL).
    last_failed_at = Timestamptz(null=True, default=None)
    last_failure = Varchar(length=80, null=True, default=None)


class ReminderPlan(Table, tablename="reminder_plan"):
    participant = ForeignKey(references=Participant, unique=True)
    enabled = Boolean(default=False)
    # What she chose, as the form shows it again: {"times": ["08:00"], "windows": [{"start", "end"}],
    # "every_minutes": 120}. ``slots`` is what follows from it: local wall-clock times, "HH:MM".
    choice = JSON(default="{}")
    slots = JSON(default="[]")
    days = Varchar(length=7, default="1234567")  # ISO weekdays
    quiet_start = Varchar(length=5, default="21:00")
    quiet_end = Varchar(length=5, default="07:00")
    paused_until = Timestamptz(null=True, default=None)  # "not today"
    next_due_at = Timestamptz(null=True, default=None, index=True)  # UTC; the sender claims what is due
    updated_at = Timestamptz()
