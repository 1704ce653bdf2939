"""Sites, course groups, invite codes and enrolment: how a person becomes a pseudonymous participant."""

from __future__ import annotations

import enum
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from server import db
from server.db import limits
from server.lib import errors, localtime
from server.lib.i18n import _
from server.lib.signing import fingerprint, keyed_digest
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.settings import get_settings

# Bump when the consent text changes: each participant keeps the version she agreed to. A new version that
# changes what is recorded about a kind of participant is asked for again at her next visit; earlier versions
# listed here under her kind still hold (a change of wording only, nothing new recorded about her).
# v2 names the WHO-5 answers and who sees them; v3 the staff e-learning's lessons and check answers (issue 17).
# Both for the data-protection officer's review.
CONSENT_VERSION = "2026-12-v3"
CONSENT_STILL_VALID: dict[str, frozenset[str]] = {
    "patient": frozenset({"2026-12-v2"}),  # v3 records nothing new about patients
    "staff": frozenset(),  # v3 records lessons and check answers: staff are asked again at their next visit
    "partner": frozenset(),  # partners agree to their own text (participants/_what_we_record_partner.html)
}


def consent_is_current(kind: str, version: str) -> bool:
    """Whether the consent she gave still covers what we record about her kind of participant."""
    return version == CONSENT_VERSION or version in CONSENT_STILL_VALID.get(kind, frozenset())
DEMO_SITE_SLUG = "demo-familieambulatoriet"
DEMO_GROUP_SLUG = "demo-hold"
DEMO_HOSPITAL_SLUG = "demo-hospital"
DEMO_UNIT_SLUG = "demo-foedegangen"


class CodeProblem(enum.Enum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"  # past its expiry date, or all its uses are taken
    REVOKED = "revoked"


# The two doors: patients join at /j/<code>, staff at /u/<code> (the route paths, and the printed links).
DOOR = {"patient": "/j", "staff": "/u", "partner": "/p"}  # a partner's link: ``server.participants.partners``


@dataclass(frozen=True, slots=True)
class ValidCode:
    id: int
    kind: str
    site: int
    unit: int | None
    course_group: int | None


def hash_code(code: str) -> str:
    return fingerprint(code)


def new_code() -> str:
    """128 random bits: a code in a link or QR code cannot be guessed."""
    return secrets.token_urlsafe(16)


def looks_like_code(code: str) -> bool:
    return 8 <= len(code) <= 64 and all(ch.isalnum() or ch in "-_" for ch in code)


InviteStatus = Literal["active", "expired", "used up", "revoked"]


def invite_status(row: dict[str, Any], now: datetime) -> InviteStatus:
    """Whether an invite code (its row) still lets people in, and if not, why."""
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    if row["max_uses"] is not None and row["uses"] >= row["max_uses"]:
        return "used up"
    return "active"


_PROBLEM = {"revoked": CodeProblem.REVOKED, "expired": CodeProblem.EXPIRED, "used up": CodeProblem.EXPIRED}


async def check_code(code: str, *, now: datetime | None = None) -> ValidCode | CodeProblem:
    if not looks_like_code(code):
        return CodeProblem.UNKNOWN
    row = await InviteCode.select().where(InviteCode.code_hash == hash_code(code)).first()
    if row is None:
        return CodeProblem.UNKNOWN
    if problem := _PROBLEM.get(invite_status(row, now or datetime.now(UTC))):
        return problem
    return ValidCode(row["id"], row["kind"], row["site"], row["unit"], row["course_group"])


async def create_invite(*, kind: str, site_id: int, course_group_id: int | None = None,
                        unit_id: int | None = None, label: str = "", expires_at: datetime | None = None,
                        max_uses: int | None = None, code: str | None = None, sealed: str | None = None) -> str:
    """``sealed``: the code encrypted, where the caller keeps it (coordination: so its sheet can be printed
    again); without it only the hash is stored."""
    code = code or new_code()
    await InviteCode.insert(InviteCode(
        code_hash=hash_code(code), code_sealed=sealed, kind=kind, site=site_id, course_group=course_group_id,
        unit=unit_id, label=label, expires_at=expires_at, max_uses=max_uses, created_at=datetime.now(UTC),
    ))
    return code


class EnrolmentRefused(Exception):
    def __init__(self, problem: CodeProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def enrolment_limits(code_id: int, client: str) -> list[limits.Limit]:
    """Per code and per client address, each an hour: a photographed QR code cannot fill the database.
    The address is counted by a keyed hash, so no address is stored."""
    settings = get_settings()
    return [limits.Limit("enrol-code", str(code_id), settings.limit_enrol_per_code_hour, 3600),
            limits.Limit("enrol-addr", keyed_digest("limits", client, 32), settings.limit_enrol_per_address_hour,
                         3600)]


async def enrol(code: str, *, language: str, client: str) -> tuple[uuid.UUID, str]:
    """Create a participant from a valid invite code; the code's use is counted in the same transaction,
    and so are the enrolment limits, so an enrolment refused for either creates nothing and uses nothing."""
    async with db.transaction():
        checked = await check_code(code)
        if isinstance(checked, CodeProblem):
            raise EnrolmentRefused(checked)
        if over := await limits.take(enrolment_limits(checked.id, client)):
            raise errors.TooMany(_("Many people have joined in a short time, so joining is paused for a little "
                                   "while. Please try again later; it takes an hour at most."),
                                 f"{over.kind} limit reached", retry_after=over.retry_after)
        # Counted with a guarded update, so two people racing for the last use cannot both get it.
        counted = await InviteCode.update({InviteCode.uses: InviteCode.uses + 1}).where(
            (InviteCode.id == checked.id)
            & ((InviteCode.max_uses.is_null()) | (InviteCode.uses < InviteCode.max_uses))
        ).returning(InviteCode.id)
        if not counted:
            raise EnrolmentRefused(CodeProblem.EXPIRED)
        now = datetime.now(UTC)
        participant_id = uuid.uuid4()
        await Participant.insert(Participant(
            id=participant_id, kind=checked.kind, site=checked.site, unit=checked.unit,
            course_group=checked.course_group, invite_code=checked.id, language=language,
            consent_version=CONSENT_VERSION, consented_at=now, created_at=now,
        ))
    return participant_id, checked.kind


@dataclass(frozen=True, slots=True)
class ParticipantView:
    id: uuid.UUID
    kind: str
    language: str
    municipality_code: str | None
    course_slug: str | None
    course_starts_on: date | None
    withdrawn: bool
    joined_at: datetime | None = None
    consent_version: str = CONSENT_VERSION

    @property
    def consent_is_current(self) -> bool:
        return consent_is_current(self.kind, self.consent_version)

    @property
    def first_visit(self) -> bool:
        """Her first visit is the day she joined (in Copenhagen): "Welcome" then, "Welcome back" after."""
        if self.joined_at is None:
            return False
        joined = self.joined_at if self.joined_at.tzinfo else self.joined_at.replace(tzinfo=UTC)
        return localtime.local(joined).date() == localtime.today()


async def get_participant(participant_id: uuid.UUID) -> ParticipantView | None:
    row = await Participant.select(
        Participant.id, Participant.kind, Participant.language, Participant.municipality_code,
        Participant.withdrawn_at, Participant.course_group.course_slug, Participant.course_group.starts_on,
        Participant.created_at, Participant.consent_version,
    ).where(Participant.id == participant_id).first()
    if row is None:
        return None
    return ParticipantView(
        id=row["id"], kind=row["kind"], language=row["language"],
        municipality_code=row["municipality_code"], course_slug=row["course_group.course_slug"],
        course_starts_on=row["course_group.starts_on"], withdrawn=row["withdrawn_at"] is not None,
        joined_at=row["created_at"], consent_version=row["consent_version"],
    )


async def renew_consent(participant_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """She agreed to the current consent text: that version and its time replace the earlier ones (her join
    date stays). Returns False when she has withdrawn meanwhile (nothing is changed then)."""
    changed = await Participant.update({Participant.consent_version: CONSENT_VERSION,
                                        Participant.consented_at: now or datetime.now(UTC)}).where(
        (Participant.id == participant_id) & Participant.withdrawn_at.is_null()).returning(Participant.id)
    return bool(changed)


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """What the support page needs to know about where she is: the municipality she gave (if any), her
    site's municipality, and the numbers her site's coordinator keeps. Nothing else about her."""

    municipality_code: str | None
    site_municipality_code: str | None
    ward_phone: str | None
    clinic_phone: str | None


async def whereabouts(participant_id: uuid.UUID) -> Whereabouts | None:
    """None for a participant who is unknown or has withdrawn: the page then shows what it shows a stranger."""
    row = await Participant.select(
        Participant.municipality_code, Participant.withdrawn_at, Participant.site.municipality_code,
        Participant.site.ward_phone, Participant.site.clinic_phone,
    ).where(Participant.id == participant_id).first()
    if row is None or row["withdrawn_at"] is not None:
        return None
    return Whereabouts(municipality_code=row["municipality_code"],
                      site_municipality_code=row["site.municipality_code"],
                      ward_phone=row["site.ward_phone"], clinic_phone=row["site.clinic_phone"])


async def set_language(participant_id: uuid.UUID, language: str) -> None:
    await Participant.update({Participant.language: language}).where(Participant.id == participant_id)


async def set_municipality(participant_id: uuid.UUID, code: str | None) -> None:
    """Reports count people by where they live now: ``changed_at`` has the rollups rebuild her rows."""
    await Participant.update({Participant.municipality_code: code, Participant.changed_at: datetime.now(UTC)}).where(
        Participant.id == participant_id)


def course_week(starts_on: date, today: date, weeks: int) -> int:
    """Week N unlocks on day 7 × (N − 1) after the start; before the start it is week 1."""
    return max(1, min(weeks, (today - starts_on).days // 7 + 1))


# --- sites and groups (the coordinator's workspace arrives later; the CLI and demo use these) ---

async def ensure_site(slug: str, name: str, municipality_code: str | None = None) -> int:
    row = await Site.select(Site.id).where(Site.slug == slug).first()
    if row:
        return row["id"]
    return (await Site.insert(Site(slug=slug, name=name, municipality_code=municipality_code,
                                   created_at=datetime.now(UTC))).returning(Site.id))[0]["id"]


async def ensure_unit(site_id: int, slug: str, name: str) -> int:
    row = await Unit.select(Unit.id).where(Unit.slug == slug).first()
    if row:
        return row["id"]
    return (await Unit.insert(Unit(site=site_id, slug=slug, name=name, created_at=datetime.now(UTC)))
            .returning(Unit.id))[0]["id"]


async def ensure_group(site_id: int, slug: str, name: str, course_slug: str, starts_on: date) -> int:
    row = await CourseGroup.select(CourseGroup.id).where(CourseGroup.slug == slug).first()
    if row:
        return row["id"]
    return (await CourseGroup.insert(CourseGroup(
        site=site_id, slug=slug, name=name, course_slug=course_slug, starts_on=starts_on,
        created_at=datetime.now(UTC),
    )).returning(CourseGroup.id))[0]["id"]


async def ensure_demo(course_slug: str, today: date | None = None) -> str:
    """The demo site, a course group that started three weeks ago and its patient invite code.

    The code is derived from the secret key, so running this again finds the same code instead of
    adding another one, while no fixed demo code exists that would work on every installation.
    """
    today = today or localtime.today()
    site_id = await ensure_site(DEMO_SITE_SLUG, "Demo – Familieambulatoriet", "0101")
    group_id = await ensure_group(site_id, DEMO_GROUP_SLUG, "Demohold", course_slug,
                                  today - timedelta(weeks=3))
    code = keyed_digest("demo-invite", f"{DEMO_SITE_SLUG}/{DEMO_GROUP_SLUG}", 22)
    if isinstance(await check_code(code), CodeProblem):
        existing = await InviteCode.exists().where(InviteCode.code_hash == hash_code(code))
        if not existing:
            await create_invite(kind="patient", site_id=site_id, course_group_id=group_id,
                                label="Demo", code=code)
    return code


async def ensure_demo_staff() -> str:
    """The demo hospital unit and its staff code (for the QR code on the break-room wall), found again on rerun."""
    site_id = await ensure_site(DEMO_HOSPITAL_SLUG, "Demo – Hospitalet", "0101")
    unit_id = await ensure_unit(site_id, DEMO_UNIT_SLUG, "Demo – Fødegangen")
    code = keyed_digest("demo-staff-invite", f"{DEMO_HOSPITAL_SLUG}/{DEMO_UNIT_SLUG}", 22)
    if not await InviteCode.exists().where(InviteCode.code_hash == hash_code(code)):
        await create_invite(kind="staff", site_id=site_id, unit_id=unit_id, label="Demo staff", code=code)
    return code
