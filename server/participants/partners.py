"""Partners: the link a patient sends her partner, and the partner's enrolment as a participant of their own.

The clinic cares for women living with violence, so all of this is off unless her site's coordinator has
switched it on (``Site.partners_enabled``), and every step checks the switch again: a link made while it was
on opens nothing once it is off.

**Never linked to her.** A partner is a participant of kind ``partner`` at her site and in her course group,
and nothing more: no column names the one who invited. While a link is unused, its row
(``PartnerInvite``) holds a keyed hash of her id, so that she can see that it is open and take it back;
the row is deleted in the transaction that enrols the partner (and when she revokes it or makes a new one),
so after the partner has joined no row anywhere ties the two together. The code in the link is 128 random
bits, found by its hash and never stored; her id is never in the link.

Making a link is rate-limited in ``server.coordination.partners`` (it needs the accounts' throttle, which
this layer cannot import).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server import db
from server.db import limits
from server.lib import errors
from server.lib.i18n import _
from server.lib.signing import keyed_digest, keyed_digests
from server.participants.services import CONSENT_VERSION, hash_code, looks_like_code, new_code
from server.participants.tables import Participant, PartnerInvite, Site
from server.settings import get_settings

LINK_VALID = timedelta(days=7)  # long enough to choose a calm moment to send it, short enough not to linger


class PartnerProblem(enum.Enum):
    UNKNOWN = "unknown"  # never made, already used, or taken back: the same answer for all three
    EXPIRED = "expired"
    OFF = "off"  # the site has switched partners off since


class PartnerRefused(Exception):
    def __init__(self, problem: PartnerProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class PartnerPanel:
    """What her Settings show about partners: only where her site has them on."""

    open_until: datetime | None  # her unused link's expiry, or None when she has none open


@dataclass(frozen=True, slots=True)
class ValidPartnerLink:
    id: int
    site: int
    course_group: int | None


def inviter_key(participant_id: uuid.UUID) -> str:
    """Her id as the invitation keeps it: a keyed hash, so a copy of the table names nobody."""
    return keyed_digest("partner-inviter", participant_id.hex, 43)


def _inviter_keys(participant_id: uuid.UUID) -> tuple[str, ...]:
    """Under every key of the ring: a link made before a key rotation is still hers to take back."""
    return keyed_digests("partner-inviter", participant_id.hex, 43)


async def _her_site(participant_id: uuid.UUID) -> dict | None:
    """Her site's switch and her course group, for a patient who is still taking part; else None."""
    row = await Participant.select(Participant.kind, Participant.site, Participant.course_group,
                                   Participant.withdrawn_at, Participant.site.partners_enabled).where(
        Participant.id == participant_id).first()
    if row is None or row["kind"] != "patient" or row["withdrawn_at"] is not None:
        return None
    return row


async def panel(participant_id: uuid.UUID, *, now: datetime | None = None) -> PartnerPanel | None:
    """None where her site has partners off (Settings then say nothing about partners)."""
    her = await _her_site(participant_id)
    if her is None or not her["site.partners_enabled"]:
        return None
    row = await PartnerInvite.select(PartnerInvite.expires_at).where(
        PartnerInvite.inviter.is_in(list(_inviter_keys(participant_id)))
        & (PartnerInvite.expires_at > (now or datetime.now(UTC)))).order_by(
        PartnerInvite.expires_at, ascending=False).first()
    return PartnerPanel(open_until=row["expires_at"] if row else None)


async def partners_enabled_for(participant_id: uuid.UUID) -> bool:
    her = await _her_site(participant_id)
    return bool(her and her["site.partners_enabled"])


class PartnersOff(errors.NotFound):
    """Her site has no partners (or she is not a patient taking part): there is nothing to invite to."""


async def make_link(participant_id: uuid.UUID, *, now: datetime | None = None) -> tuple[str, datetime]:
    """A new link for her partner; her earlier unused link stops working (one open link at a time).
    Returns the code (shown to her once, never stored) and its expiry. Raises PartnersOff."""
    now = now or datetime.now(UTC)
    code = new_code()
    async with db.transaction():
        if not db.is_sqlite():  # her links one after another (SQLite's write lock already does this)
            await db.raw("SELECT id FROM participant WHERE id = {} FOR UPDATE", participant_id)
        her = await _her_site(participant_id)
        if her is None or not her["site.partners_enabled"]:
            raise PartnersOff(_("Partners cannot join Pusterum here."), "partners off")
        # Her earlier link, and anyone's expired one (its hash of her id need not stay a day longer).
        await PartnerInvite.delete().where(PartnerInvite.inviter.is_in(list(_inviter_keys(participant_id)))
                                           | (PartnerInvite.expires_at <= now))
        expires_at = now + LINK_VALID
        await PartnerInvite.insert(PartnerInvite(
            code_hash=hash_code(code), inviter=inviter_key(participant_id), site=her["site"],
            course_group=her["course_group"], expires_at=expires_at, created_at=now))
    return code, expires_at


async def revoke(participant_id: uuid.UUID) -> bool:
    """Takes back her unused link (if any): returns whether there was one."""
    gone = await PartnerInvite.delete().where(
        PartnerInvite.inviter.is_in(list(_inviter_keys(participant_id)))).returning(PartnerInvite.id)
    return bool(gone)


async def forget_inviter(participant_id: uuid.UUID) -> None:
    """She withdraws: her unused link goes with her."""
    await revoke(participant_id)


async def check_link(code: str, *, now: datetime | None = None) -> ValidPartnerLink | PartnerProblem:
    if not looks_like_code(code):
        return PartnerProblem.UNKNOWN
    row = await PartnerInvite.select(PartnerInvite.id, PartnerInvite.site, PartnerInvite.course_group,
                                     PartnerInvite.expires_at, PartnerInvite.site.partners_enabled).where(
        PartnerInvite.code_hash == hash_code(code)).first()
    if row is None:
        return PartnerProblem.UNKNOWN
    if not row["site.partners_enabled"]:
        return PartnerProblem.OFF
    if row["expires_at"] <= (now or datetime.now(UTC)):
        return PartnerProblem.EXPIRED
    return ValidPartnerLink(row["id"], row["site"], row["course_group"])


async def enrol(code: str, *, language: str, client: str) -> uuid.UUID:
    """The partner agreed: a participant of kind ``partner`` at her site and in her group, and the link's row
    deleted in the same transaction (a guarded delete, so two people racing for one link cannot both join).
    A refused enrolment creates nothing and uses nothing."""
    async with db.transaction():
        checked = await check_link(code)
        if not isinstance(checked, ValidPartnerLink):
            raise PartnerRefused(checked)
        # The per-address hour limit of every enrolment (a link opens once, so no per-code limit is needed).
        per_address = limits.Limit("enrol-addr", keyed_digest("limits", client, 32),
                                   get_settings().limit_enrol_per_address_hour, 3600)
        if over := await limits.take([per_address]):
            raise errors.TooMany(_("Many people have joined in a short time, so joining is paused for a little "
                                   "while. Please try again later; it takes an hour at most."),
                                 f"{over.kind} limit reached", retry_after=over.retry_after)
        used = await PartnerInvite.delete().where(PartnerInvite.id == checked.id).returning(PartnerInvite.id)
        if not used:
            raise PartnerRefused(PartnerProblem.UNKNOWN)
        now = datetime.now(UTC)
        participant_id = uuid.uuid4()
        await Participant.insert(Participant(
            id=participant_id, kind="partner", site=checked.site, unit=None, course_group=checked.course_group,
            invite_code=None, language=language, consent_version=CONSENT_VERSION, consented_at=now,
            created_at=now,
        ))
    return participant_id


async def set_partners_enabled(site_id: int, enabled: bool) -> None:
    """The coordinator's switch. Switching off also removes every unused link of the site."""
    async with db.transaction():
        await Site.update({Site.partners_enabled: enabled}).where(Site.id == site_id)
        if not enabled:
            await PartnerInvite.delete().where(PartnerInvite.site == site_id)
