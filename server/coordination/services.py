"""Sites, units, course groups and invite codes as a coordinator manages them: the rules, without HTTP.

Two kinds of invite code exist, and only a hash of either is ever stored:

* a **link code** (``participants.services.new_code``, 128 random bits) for links and QR codes;
* a **typed code**: 8 characters from an alphabet without look-alikes (about 40 bits), for people who
  would rather type than scan. What is stored is the hash of a 22-character *link code derived from it*
  with the secret key, so ``/j/<typed code>`` finds nothing (that door is not rate-limited) and a leaked
  database cannot be searched for typed codes without the key. Typed codes only work through ``/join``,
  which is rate-limited per client (``server.coordination.typed``).

Nothing here ever writes a code to the audit log.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from server import db
from server.accounts.services import audit
from server.accounts.tables import AccountSite
from server.content.catalog import get_catalog
from server.lib.i18n import _
from server.lib.signing import keyed_digest, sign, unsign
from server.participants import services as participants
from server.participants.municipalities import municipalities
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.settings import get_settings

SITE_KINDS = ("hospital", "clinic")
NAME_MAX = 120
CHECKIN_EVERY = (7, 90)  # days between the wellbeing check-ins a site may choose
DEFAULT_CHECKIN_EVERY = 14  # what WHO-5 asks about: the last two weeks
LABEL_MAX = 120
MAX_EXPIRY_DAYS = 366
MAX_USES = 100_000
START_WITHIN_DAYS = 2 * 366  # a course group starts within about two years of today, either way
TYPED_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: nothing to mix up when typing
TYPED_LENGTH = 8
SHEET_VALID_SECONDS = 3600
_PREFIX = {"patient": "/j", "staff": "/u"}


class CoordinationError(ValueError):
    """A message for people: why this cannot be saved."""


# --- slugs ---

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.translate(_DANISH)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:50].strip("-") or "x"


async def _unique_slug(table: type[Site] | type[Unit] | type[CourseGroup], name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while await table.exists().where(table.slug == slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- checking what people typed ---

def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CoordinationError(_("Please give a name."))
    if len(name) > NAME_MAX:
        raise CoordinationError(_("Please keep the name to %(max)d characters or fewer.", max=NAME_MAX))
    return name


def _site_fields(name: str, kind: str, municipality: str, checkin_every: str = "") -> dict[Any, Any]:
    name = _name(name)
    if kind not in SITE_KINDS:
        raise CoordinationError(_("Please choose whether the site is a hospital or a clinic."))
    municipality = municipality.strip()
    if municipality and municipality not in municipalities():
        raise CoordinationError(_("Please choose a municipality from the list."))
    every = _whole_number(checkin_every, low=CHECKIN_EVERY[0], high=CHECKIN_EVERY[1], message=_(
        "Please give the days between check-ins as a whole number from %(low)d to %(high)d.",
        low=CHECKIN_EVERY[0], high=CHECKIN_EVERY[1]))
    return {Site.name: name, Site.kind: kind, Site.municipality_code: municipality or None,
            Site.checkin_every_days: every or DEFAULT_CHECKIN_EVERY}


def _start_date(text: str, today: date | None = None) -> date:
    try:
        starts_on = date.fromisoformat(text.strip())
    except ValueError:
        raise CoordinationError(_("Please give the start date as a date, for example 2027-02-01.")) from None
    today = today or date.today()
    if abs((starts_on - today).days) > START_WITHIN_DAYS:
        raise CoordinationError(_("Please give a start date within two years of today."))
    return starts_on


def _course(slug: str, current: str | None = None) -> str:
    if slug in get_catalog().courses or (current is not None and slug == current):
        return slug
    raise CoordinationError(_("Please choose a course from the list."))


def _whole_number(text: str, *, low: int, high: int, message: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,9}", text) or not low <= int(text) <= high:
        raise CoordinationError(message)
    return int(text)


# --- sites ---

async def _active_counts(column, where) -> dict[int | None, int]:
    rows = await Participant.select(column, Count()).where(where & Participant.withdrawn_at.is_null()).group_by(
        column)
    return {r[column._meta.name]: r["count"] for r in rows}


async def list_sites(within: frozenset[int] | None = None) -> list[dict[str, Any]]:
    """The sites ``within`` these ids (None: every site), with how many people, units and groups each has."""
    if within is not None and not within:
        return []
    query = Site.select().order_by(Site.name)
    sites = await (query.where(Site.id.is_in(sorted(within))) if within is not None else query)
    people = await _active_counts(Participant.site, Participant.site.is_not_null())
    units = {r["site"]: r["count"] for r in await Unit.select(Unit.site, Count()).group_by(Unit.site)}
    groups = {r["site"]: r["count"] for r in await CourseGroup.select(CourseGroup.site, Count()).group_by(
        CourseGroup.site)}
    return [{**s, "participants": people.get(s["id"], 0), "units": units.get(s["id"], 0),
             "groups": groups.get(s["id"], 0)} for s in sites]


async def get_site(site_id: int) -> dict[str, Any] | None:
    return await Site.select().where(Site.id == site_id).first()


async def create_site(actor: int, name: str, kind: str, municipality: str, checkin_every: str = "", *,
                      link_to_actor: bool = False) -> int:
    """``link_to_actor``: the coordinator who makes a site answers for it from then on."""
    fields = _site_fields(name, kind, municipality, checkin_every)
    slug = await _unique_slug(Site, fields[Site.name])
    async with db.transaction():
        row = await Site.insert(Site(slug=slug, name=fields[Site.name], kind=kind,
                                     municipality_code=fields[Site.municipality_code],
                                     checkin_every_days=fields[Site.checkin_every_days],
                                     created_at=datetime.now(UTC))).returning(Site.id)
        if link_to_actor:
            await AccountSite.insert(AccountSite(account=actor, site=row[0]["id"]))
    await audit(actor, "site.created", slug, name=fields[Site.name], kind=kind,
                municipality=fields[Site.municipality_code], checkin_every_days=fields[Site.checkin_every_days])
    return row[0]["id"]


async def update_site(actor: int, site: dict[str, Any], name: str, kind: str, municipality: str,
                      checkin_every: str = "") -> None:
    fields = _site_fields(name, kind, municipality, checkin_every)
    await Site.update(fields).where(Site.id == site["id"])  # the slug stays: the command line knows it
    await audit(actor, "site.changed", site["slug"], name=fields[Site.name], kind=kind,
                municipality=fields[Site.municipality_code], checkin_every_days=fields[Site.checkin_every_days])


# --- units ---

async def units_of(site_id: int) -> list[dict[str, Any]]:
    rows = await Unit.select().where(Unit.site == site_id).order_by(Unit.name)
    people = await _active_counts(Participant.unit, Participant.site == site_id)
    return [{**r, "participants": people.get(r["id"], 0)} for r in rows]


async def get_unit(unit_id: int) -> dict[str, Any] | None:
    return await Unit.select().where(Unit.id == unit_id).first()


async def create_unit(actor: int, site_id: int, name: str) -> int:
    name = _name(name)
    slug = await _unique_slug(Unit, name)
    row = await Unit.insert(Unit(site=site_id, slug=slug, name=name, created_at=datetime.now(UTC))).returning(
        Unit.id)
    await audit(actor, "unit.created", slug, name=name, site=site_id)
    return row[0]["id"]


async def update_unit(actor: int, unit: dict[str, Any], name: str) -> None:
    name = _name(name)
    await Unit.update({Unit.name: name}).where(Unit.id == unit["id"])
    await audit(actor, "unit.changed", unit["slug"], name=name)


# --- course groups ---

async def groups_of(site_id: int) -> list[dict[str, Any]]:
    rows = await CourseGroup.select().where(CourseGroup.site == site_id).order_by(CourseGroup.starts_on,
                                                                                 ascending=False)
    people = await _active_counts(Participant.course_group, Participant.site == site_id)
    return [{**r, "participants": people.get(r["id"], 0)} for r in rows]


async def get_group(group_id: int) -> dict[str, Any] | None:
    return await CourseGroup.select().where(CourseGroup.id == group_id).first()


async def create_group(actor: int, site_id: int, name: str, course_slug: str, starts_on: str) -> int:
    name, course_slug, start = _name(name), _course(course_slug), _start_date(starts_on)
    slug = await _unique_slug(CourseGroup, name)
    row = await CourseGroup.insert(CourseGroup(site=site_id, slug=slug, name=name, course_slug=course_slug,
                                               starts_on=start, created_at=datetime.now(UTC))).returning(
        CourseGroup.id)
    await audit(actor, "group.created", slug, name=name, site=site_id, course=course_slug,
                starts_on=start.isoformat())
    return row[0]["id"]


async def update_group(actor: int, group: dict[str, Any], name: str, course_slug: str, starts_on: str) -> None:
    name, course_slug = _name(name), _course(course_slug, group["course_slug"])
    start = _start_date(starts_on)
    await CourseGroup.update({CourseGroup.name: name, CourseGroup.course_slug: course_slug,
                              CourseGroup.starts_on: start}).where(CourseGroup.id == group["id"])
    await audit(actor, "group.changed", group["slug"], name=name, course=course_slug, starts_on=start.isoformat())


# --- invite codes ---

def new_typed_code() -> str:
    return "".join(secrets.choice(TYPED_ALPHABET) for _position in range(TYPED_LENGTH))


def normalise_typed(text: str) -> str | None:
    """What she typed, as a typed code: case, spaces and dashes do not matter. None if it cannot be one."""
    code = re.sub(r"[\s\-‐‑–—_.]+", "", text).lower()
    if len(code) != TYPED_LENGTH or any(ch not in TYPED_ALPHABET for ch in code):
        return None
    return code


def format_typed(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def typed_link_code(typed: str) -> str:
    """The link code a typed code stands for (only its hash is stored, like any other code)."""
    return keyed_digest("typed-invite", typed, 22)


def invite_link(kind: str, code: str) -> str:
    return f"{get_settings().base_url}{_PREFIX.get(kind, '/j')}/{code}"


def join_address() -> str:
    return f"{get_settings().base_url}/join"


@dataclass(frozen=True, slots=True)
class NewInvite:
    id: int
    kind: str
    code: str  # the link code
    typed: str | None  # the typed code, when one was asked for


async def create_site_invite(actor: int, site_id: int, *, kind: str, unit: str = "", group: str = "",
                             label: str = "", expiry_days: str = "", max_uses: str = "",
                             typed: bool = False, now: datetime | None = None) -> NewInvite:
    now = now or datetime.now(UTC)
    if kind not in ("patient", "staff"):
        raise CoordinationError(_("Please choose who the code is for: patients or staff."))
    unit_id = group_id = None
    if kind == "staff":
        row = await Unit.select(Unit.id).where((Unit.id == _id(unit)) & (Unit.site == site_id)).first()
        if row is None:
            raise CoordinationError(_("A staff code belongs to a unit. Please choose one."))
        unit_id = row["id"]
    elif group.strip():
        row = await CourseGroup.select(CourseGroup.id).where(
            (CourseGroup.id == _id(group)) & (CourseGroup.site == site_id)).first()
        if row is None:
            raise CoordinationError(_("Please choose a course group from the list."))
        group_id = row["id"]
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        raise CoordinationError(_("Please keep the label to %(max)d characters or fewer.", max=LABEL_MAX))
    days = _whole_number(expiry_days, low=1, high=MAX_EXPIRY_DAYS, message=_(
        "Days until it expires must be a whole number from 1 to %(max)d, or empty.", max=MAX_EXPIRY_DAYS))
    uses = _whole_number(max_uses, low=1, high=MAX_USES, message=_(
        "The number of uses must be a whole number from 1 to %(max)d, or empty.", max=MAX_USES))
    short = None
    for _attempt in range(5):  # a clash of two typed codes is rare, but it would make both ambiguous
        short = new_typed_code() if typed else None
        code = typed_link_code(short) if short else participants.new_code()
        if not await InviteCode.exists().where(InviteCode.code_hash == participants.hash_code(code)):
            break
    else:  # pragma: no cover - 31^8 codes
        raise CoordinationError(_("Something went wrong. Please try again."))
    await participants.create_invite(kind=kind, site_id=site_id, course_group_id=group_id, unit_id=unit_id,
                                     label=label, max_uses=uses,
                                     expires_at=now + timedelta(days=days) if days else None, code=code)
    invite_id = (await InviteCode.select(InviteCode.id).where(
        InviteCode.code_hash == participants.hash_code(code)).first())["id"]
    await audit(actor, "invite.created", f"invite {invite_id}", kind=kind, site=site_id, unit=unit_id,
                group=group_id, label=label, expires_in_days=days, max_uses=uses,
                format="typed" if short else "link")
    return NewInvite(invite_id, kind, code, short)


def _id(text: str) -> int:
    return int(text) if text.strip().isdigit() and len(text.strip()) < 10 else 0


async def invites_of(site_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    rows = await InviteCode.select(
        InviteCode.id, InviteCode.kind, InviteCode.label, InviteCode.uses, InviteCode.max_uses,
        InviteCode.expires_at, InviteCode.revoked_at, InviteCode.created_at, InviteCode.unit.name,
        InviteCode.course_group.name,
    ).where(InviteCode.site == site_id).order_by(InviteCode.created_at, ascending=False)
    return [{**r, "status": participants.invite_status(r, now)} for r in rows]


async def revoke_invite(actor: int, site_id: int, invite_id: int) -> bool:
    revoked = await InviteCode.update({InviteCode.revoked_at: datetime.now(UTC)}).where(
        (InviteCode.id == invite_id) & (InviteCode.site == site_id) & InviteCode.revoked_at.is_null()
    ).returning(InviteCode.id)
    if revoked:
        await audit(actor, "invite.revoked", f"invite {invite_id}", site=site_id)
    return bool(revoked)


# --- the printable sheet: the code travels in a signed, short-lived token, since only its hash is kept ---

def sheet_token(invite: NewInvite, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    fmt, value = ("t", invite.typed) if invite.typed else ("l", invite.code)
    return sign("invite-sheet", f"{issued}:{invite.id}:{fmt}:{value}")


@dataclass(frozen=True, slots=True)
class Sheet:
    invite_id: int
    kind: str
    link: str
    typed: str | None  # formatted for reading, e.g. "ab3d-9fgh"
    place: str  # the unit or site (and group) the code is for
    site: str
    site_id: int


class SheetProblem(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status  # 400: not a token we made; 410: too old, or the code is no longer in use


async def open_sheet(token: str, now: float | None = None) -> Sheet:
    value = unsign("invite-sheet", token)
    parts = value.split(":") if value else []
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit() or parts[2] not in ("t", "l"):
        raise SheetProblem(400)
    issued, invite_id, fmt, secret = int(parts[0]), int(parts[1]), parts[2], parts[3]
    if (now if now is not None else time.time()) - issued > SHEET_VALID_SECONDS:
        raise SheetProblem(410)
    code = typed_link_code(secret) if fmt == "t" else secret
    row = await InviteCode.select(
        InviteCode.kind, InviteCode.code_hash, InviteCode.revoked_at, InviteCode.site, InviteCode.site.name,
        InviteCode.unit.name,
        InviteCode.course_group.name,
    ).where(InviteCode.id == invite_id).first()
    if row is None or row["code_hash"] != participants.hash_code(code):
        raise SheetProblem(400)
    if row["revoked_at"] is not None:
        raise SheetProblem(410)
    place = row["unit.name"] or row["course_group.name"] or ""
    return Sheet(invite_id, row["kind"], invite_link(row["kind"], code), format_typed(secret) if fmt == "t" else None,
                 place, row["site.name"] or "", row["site"])
