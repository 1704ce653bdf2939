"""One Piccolo app over every domain's tables, so one migration history covers the whole schema."""

import os

from piccolo.conf.apps import AppConfig as PiccoloAppConfig

from server.accounts.tables import (
    Account,
    AccountInvite,
    AccountSession,
    AccountSite,
    AuditEntry,
    LoginThrottle,
    PasswordReset,
)
from server.content.tables import ContentItem, ContentVersion
from server.db.limits import RateCount
from server.editor.tables import ContentDraft
from server.engagement.tables import Event
from server.participants.tables import CourseGroup, InviteCode, Participant, PartnerInvite, Site, Unit
from server.reminders.tables import PushSubscription, ReminderPlan
from server.reports.tables import (
    ActiveDay,
    AnnualNote,
    QuestionnaireReading,
    RollupState,
    StoredKey,
    UsageExercise,
    UsageExerciseYear,
    UsageMonth,
    UsageYear,
)

TABLES = [ContentItem, ContentVersion, Site, Unit, CourseGroup, InviteCode, Participant, Event, PushSubscription,
          ReminderPlan, Account, AccountSession, AccountInvite, LoginThrottle, AuditEntry, ContentDraft,
          AccountSite, UsageMonth, UsageYear, UsageExercise, UsageExerciseYear, QuestionnaireReading, ActiveDay,
          RollupState, AnnualNote, RateCount, PasswordReset, StoredKey, PartnerInvite]

APP_CONFIG = PiccoloAppConfig(
    app_name="server",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
