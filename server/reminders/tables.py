"""Reminders: when she wants them (a plan in local time) and where they go (her browsers' push subscriptions).

A subscription is only an address at the browser's push service and two public keys; it says nothing
about the person. It is deleted when she turns reminders off, withdraws, or the push service says it is gone.
"""

from piccolo.columns import JSON, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from server.participants.tables import Participant


class PushSubscription(Table, tablename="push_subscription"):
    participant = ForeignKey(references=Participant, index=True)
    endpoint = Varchar(length=1024, unique=True)  # re-subscribing the same browser updates its row
    p256dh = Varchar(length=128)
    auth = Varchar(length=64)
    created_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)


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
