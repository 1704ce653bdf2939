"""Sites, units, course groups and invite codes as a coordinator manages them: the rules, without HTTP.

Two kinds of invite code exist:

* a **link code** (``participants.services.new_code``, 128 random bits) for links and QR codes;
* a **typed code**: 8 characters from an alphabet without look-alikes (about 40 bits), for people who
  would rather type than scan. It stands for a 22-character *link code derived from it* with the secret
  key, so ``/j/<typed code>`` finds nothing (that door is not rate-limited). Typed codes only work through
  ``/join``, which is rate-limited per client (``server.coordination.join``).

A code is found by its SHA-256 hash, and kept besides only **sealed**: encrypted with AES-GCM under a key
derived from SECRET_KEY (``server.accounts.secrets``), so that the coordinators of its site (and admins)
can print its sheet again months later, while a copy of the database alone opens nothing. A sealed code
is believed only when its hash is the row's, so a sealed value copied onto another row shows nothing.
The sheet has its own address, naming the site and the invite, never the code, so no code travels in an
address (browser history, proxy logs), and it opens whenever it is needed while the code is in use.
Nothing here ever writes a code to the audit log.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from piccolo.query.functions.aggregate import Count, Sum

from server import db
from server.accounts.secrets import decrypt, encrypt
from server.accounts.services import audit
from server.accounts.tables import AccountSite
from server.content.catalog import get_catalog
from server.coordination.schemas import GroupForm, InviteForm, SiteForm
from server.db import row_id
from server.lib import disclosure, errors, localtime
from server.lib.i18n import _
from server.lib.paths import path_for
from server.lib.signing import keyed_digest, keyed_digests
from server.participants import partners
from server.participants import services as participants
from server.participants.municipalities import municipalities
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.settings import get_settings

START_WITHIN_DAYS = 2 * 366  # a course group starts within about two years of today, either way
TYPED_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: nothing to mix up when typing
TYPED_LENGTH = 8


class CoordinationError(errors.Refused):
    """A message for people: why this cannot be saved."""


# --- slugs ---

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.translate(_DANISH)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:50].strip("-") or "x"


# Slugs that mean something else: "all" is the annual notes' key for every site (server.reports). The notes
# are keyed by site ids now, so a site called "all" could not reach them; the word stays reserved all the same.
RESERVED_SLUGS = frozenset({"all"})


async def _unique_slug(table: type[Site] | type[Unit] | type[CourseGroup], name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while slug in RESERVED_SLUGS or await table.exists().where(table.slug == slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- what the form's types cannot say: rules that need today, the catalog or the list of municipalities ---

def _name(name: str) -> str:
    return " ".join(name.split())  # the form has checked it is there and not too long


def _site_fields(form: SiteForm) -> dict[Any, Any]:
    if form.municipality and form.municipality not in municipalities():
        raise CoordinationError(_("Please choose a municipality from the list."))
    return {Site.name: _name(form.name), Site.kind: form.kind, Site.municipality_code: form.municipality or None,
            Site.checkin_every_days: form.checkin_every, Site.ward_phone: _phone(form.ward_phone),
            Site.clinic_phone: _phone(form.clinic_phone)}


def _phone(number: str) -> str | None:
    """As she typed it, spaces tidied (the form has checked the characters); None for none."""
    return " ".join(number.split()) or None


def _start_date(starts_on: date, today: date | None = None) -> date:
    if abs((starts_on - (today or localtime.today())).days) > START_WITHIN_DAYS:
        raise CoordinationError(_("Please give a start date within two years of today."))
    return starts_on


def _course(slug: str, current: str | None = None) -> str:
    if slug in get_catalog().courses or (current is not None and slug == current):
        return slug
    raise CoordinationError(_("Please choose a course from the list."))


# --- sites ---

async def _active_counts(column, where) -> dict[int | None, disclosure.Cell]:
    """Per value of ``column``: the participants taking part (not withdrawn) as a cell (how many, their keys)."""
    rows = await Participant.select(column, Count(), Sum(Participant.record_key).as_alias("keys")).where(
        where & Participant.withdrawn_at.is_null()).group_by(column)
    return {r[column._meta.name]: disclosure.Cell(people=r["count"], keys=int(r["keys"] or 0)) for r in rows}


def _shown(cell: disclosure.Cell | None) -> disclosure.Row:
    """How a count may be shown: the protected number, or hidden as small (kept true for ``protect``)."""
    cell = cell or disclosure.Cell()
    shown = cell.count()
    return disclosure.Row(None, "", cell.people if shown is None else shown,
                          hidden="small" if shown is None and cell.people else None)


def _counted(item: dict[str, Any], row: disclosure.Row) -> dict[str, Any]:
    """The item with its count as it may be shown (None when hidden) and why not ("small", "complement")."""
    return {**item, "participants": None if row.hidden else row.people, "hidden": row.hidden}


async def list_sites(within: frozenset[int] | None = None) -> list[dict[str, Any]]:
    """The sites ``within`` these ids (None: every site), with how many people (fewer than five: hidden),
    units and groups each has."""
    if within is not None and not within:
        return []
    query = Site.select().order_by(Site.name)
    sites = await (query.where(Site.id.is_in(sorted(within))) if within is not None else query)
    people = await _active_counts(Participant.site, Participant.site.is_not_null())
    units = {r["site"]: r["count"] for r in await Unit.select(Unit.site, Count()).group_by(Unit.site)}
    groups = {r["site"]: r["count"] for r in await CourseGroup.select(CourseGroup.site, Count()).group_by(
        CourseGroup.site)}
    return [_counted({**s, "units": units.get(s["id"], 0), "groups": groups.get(s["id"], 0)},
                     _shown(people.get(s["id"]))) for s in sites]


async def site_contents(site_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A site's units (with their staff) and course groups (with their patients): ``site_counts`` without
    the partners."""
    units, groups, _partners = await site_counts(site_id)
    return units, groups


async def site_counts(site_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """A site's units (with their staff), course groups (with their patients) and its partners (a group of
    their own, never counted with the patients), counted under one rule with the patients in no group:
    together they add up to the site's total on the index, so they are protected as one table
    (``disclosure.protect``: a small row is hidden, and one more beside it, so that no row is "the total
    minus the rest")."""
    units = await Unit.select().where(Unit.site == site_id).order_by(Unit.name)
    groups = await CourseGroup.select().where(CourseGroup.site == site_id).order_by(CourseGroup.starts_on,
                                                                                  ascending=False)
    staff = await _active_counts(Participant.unit, (Participant.site == site_id) & (Participant.kind == "staff"))
    patients = await _active_counts(Participant.course_group,
                                    (Participant.site == site_id) & (Participant.kind == "patient"))
    partners = await _active_counts(Participant.site, (Participant.site == site_id) & (Participant.kind == "partner"))
    outside = disclosure.Cell()  # patients in no group and staff in no unit: the table's last, unlabelled row
    for cell in (patients.get(None), staff.get(None)):
        if cell is not None:
            outside.merge(cell.people, cell.keys, {}, {})
    rows = {("unit", u["id"]): _shown(staff.get(u["id"])) for u in units}
    rows |= {("group", g["id"]): _shown(patients.get(g["id"])) for g in groups}
    rows[("group", None)] = _shown(outside)
    rows[("partners", None)] = _shown(partners.get(site_id))
    for key, row in rows.items():
        row.key, row.label = key, str(key)
    disclosure.protect(list(rows.values()))
    return ([_counted(u, rows[("unit", u["id"])]) for u in units],
            [_counted(g, rows[("group", g["id"])]) for g in groups],
            _counted({}, rows[("partners", None)]))


async def get_site(site_id: int) -> dict[str, Any] | None:
    return await Site.select().where(Site.id == site_id).first()


async def create_site(actor: int, form: SiteForm, *, link_to_actor: bool = False) -> int:
    """``link_to_actor``: the coordinator who makes a site answers for it from then on."""
    fields = _site_fields(form)
    slug = await _unique_slug(Site, fields[Site.name])
    async with db.transaction():
        row = await Site.insert(Site(slug=slug, name=fields[Site.name], kind=form.kind,
                                     municipality_code=fields[Site.municipality_code],
                                     checkin_every_days=fields[Site.checkin_every_days],
                                     ward_phone=fields[Site.ward_phone], clinic_phone=fields[Site.clinic_phone],
                                     created_at=datetime.now(UTC))).returning(Site.id)
        if link_to_actor:
            await AccountSite.insert(AccountSite(account=actor, site=row[0]["id"]))
    await audit(actor, "site.created", slug, name=fields[Site.name], kind=form.kind, linked_to_creator=link_to_actor,
                municipality=fields[Site.municipality_code], checkin_every_days=fields[Site.checkin_every_days])
    return row[0]["id"]


async def update_site(actor: int, site: dict[str, Any], form: SiteForm) -> None:
    fields = _site_fields(form)
    await Site.update(fields).where(Site.id == site["id"])  # the slug stays: the command line knows it
    await audit(actor, "site.changed", site["slug"], name=fields[Site.name], kind=form.kind,
                municipality=fields[Site.municipality_code], checkin_every_days=fields[Site.checkin_every_days],
                ward_phone=fields[Site.ward_phone], clinic_phone=fields[Site.clinic_phone])


async def set_partners(actor: int, site: dict[str, Any], enabled: bool) -> None:
    """Whether this site's patients may invite a partner (``server.participants.partners``); off again, every
    unused link of the site stops working. Audit-logged: it is the clinic's safety decision."""
    await partners.set_partners_enabled(site["id"], enabled)
    await audit(actor, "site.partners", site["slug"], enabled=enabled)


# --- units ---

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

async def get_group(group_id: int) -> dict[str, Any] | None:
    return await CourseGroup.select().where(CourseGroup.id == group_id).first()


async def create_group(actor: int, site_id: int, form: GroupForm) -> int:
    name, course_slug, start = _name(form.name), _course(form.course), _start_date(form.starts_on)
    slug = await _unique_slug(CourseGroup, name)
    row = await CourseGroup.insert(CourseGroup(site=site_id, slug=slug, name=name, course_slug=course_slug,
                                               starts_on=start, created_at=datetime.now(UTC))).returning(
        CourseGroup.id)
    await audit(actor, "group.created", slug, name=name, site=site_id, course=course_slug,
                starts_on=start.isoformat())
    return row[0]["id"]


async def update_group(actor: int, group: dict[str, Any], form: GroupForm) -> None:
    name, course_slug = _name(form.name), _course(form.course, group["course_slug"])
    start = _start_date(form.starts_on)
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
    """The link code a typed code stands for (found by its hash, like any other code)."""
    return keyed_digest("typed-invite", typed, 22)


def typed_link_codes(typed: str) -> tuple[str, ...]:
    """The link codes a typed code may stand for: under the current SECRET_KEY first, then under each
    former one (SECRET_KEY_FALLBACKS), so a code printed before a key change still works when typed."""
    return keyed_digests("typed-invite", typed, 22)


async def check_typed(typed: str) -> tuple[str, participants.ValidCode | participants.CodeProblem]:
    """The link code a typed code stands for and its state: the first key under which it is in use, else the
    current key's code and its problem."""
    current, *former = typed_link_codes(typed)
    answer = await participants.check_code(current)
    if isinstance(answer, participants.CodeProblem):
        for code in former:
            checked = await participants.check_code(code)
            if not isinstance(checked, participants.CodeProblem):
                return code, checked
    return current, answer


def invite_link(kind: str, code: str) -> str:
    """The printed link: this installation's public address and the door for this kind of code."""
    door = participants.DOOR.get(kind, participants.DOOR["patient"])
    return get_settings().base_url + path_for("participants:join", under=door, code=code)


def join_address() -> str:
    return get_settings().base_url + path_for("coordinate:join")


# --- a code kept sealed ---

# What is encrypted: "invite:l:<link code>" or "invite:t:<typed code>". The prefix keeps the one key's two
# uses apart (a sealed TOTP secret never reads as a code, nor a sealed code as a TOTP secret).
_SEALED = "invite"
_FORMATS = ("l", "t")


def seal(code: str, typed: str | None = None) -> str:
    """The code as kept: the typed code if there is one (its link code follows from it), else the link code."""
    return encrypt(f"{_SEALED}:t:{typed}" if typed else f"{_SEALED}:l:{code}")


async def keep_sealed(code: str) -> None:
    """A code made where only its hash was kept (``pusterum demo``'s) gets its sealed copy too, so its site's
    coordinators can print its sheet like any other code's."""
    await InviteCode.update({InviteCode.code_sealed: seal(code)}).where(
        (InviteCode.code_hash == participants.hash_code(code)) & InviteCode.code_sealed.is_null())


@dataclass(frozen=True, slots=True)
class Unsealed:
    code: str  # the link code
    typed: str | None  # the typed code, if it is one


def unseal(sealed: str | None, code_hash: str) -> Unsealed | None:
    """The code kept in ``sealed``, if it opens with our key and is the code of the row (its hash is
    ``code_hash``); None for a code made before codes were kept, or one that cannot be opened any more
    (the key has changed) or belongs to another row."""
    if not sealed:
        return None
    try:
        purpose, fmt, value = decrypt(sealed).split(":", 2)
    except (InvalidTag, ValueError):  # another key, or not something we sealed (binascii and UTF-8 errors too)
        return None
    if purpose != _SEALED or fmt not in _FORMATS:
        return None
    # A typed code's link code follows from it under a key: the row's may be a former key's (SECRET_KEY_FALLBACKS).
    candidates = typed_link_codes(value) if fmt == "t" else (value,)
    code = next((c for c in candidates if participants.hash_code(c) == code_hash), None)
    if code is None:
        return None
    return Unsealed(code, value if fmt == "t" else None)


@dataclass(frozen=True, slots=True)
class NewInvite:
    id: int
    kind: str
    code: str  # the link code
    typed: str | None  # the typed code, when one was asked for


async def create_site_invite(actor: int | None, site_id: int, form: InviteForm, *,
                             now: datetime | None = None) -> NewInvite:
    """A code for patients (of the site, or of one of its course groups) or for one of its units' staff."""
    now = now or datetime.now(UTC)
    kind, typed, days, uses = form.kind, form.format == "typed", form.days, form.max_uses
    unit_id = group_id = None
    if kind == "staff":
        row = await Unit.select(Unit.id).where((Unit.id == (form.unit or 0)) & (Unit.site == site_id)).first()
        if row is None:
            raise CoordinationError(_("A staff code belongs to a unit. Please choose one."))
        unit_id = row["id"]
    elif form.group is not None:
        row = await CourseGroup.select(CourseGroup.id).where(
            (CourseGroup.id == form.group) & (CourseGroup.site == site_id)).first()
        if row is None:
            raise CoordinationError(_("Please choose a course group from the list."))
        group_id = row["id"]
    label = " ".join(form.label.split())
    short = None
    for _attempt in range(5):  # a clash of two typed codes is rare, but it would make both ambiguous
        short = new_typed_code() if typed else None
        code = typed_link_code(short) if short else participants.new_code()
        # A typed code is also compared under former keys: typing it must never lead to two invitations.
        taken = typed_link_codes(short) if short else (code,)
        if not await InviteCode.exists().where(
                InviteCode.code_hash.is_in([participants.hash_code(c) for c in taken])):
            break
    else:  # pragma: no cover - 31^8 codes
        raise CoordinationError(_("Something went wrong. Please try again."))
    await participants.create_invite(kind=kind, site_id=site_id, course_group_id=group_id, unit_id=unit_id,
                                     label=label, max_uses=uses,
                                     expires_at=now + timedelta(days=days) if days else None, code=code,
                                     sealed=seal(code, short))
    invite_id = (await InviteCode.select(InviteCode.id).where(
        InviteCode.code_hash == participants.hash_code(code)).first())["id"]
    await audit(actor, "invite.created", f"invite {invite_id}", kind=kind, site=site_id, unit=unit_id,
                group=group_id, label=label, expires_in_days=days, max_uses=uses,
                format="typed" if short else "link")
    return NewInvite(invite_id, kind, code, short)


async def invites_of(site_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """A site's codes, newest first: what each is for, its uses (fewer than five: hidden, like every count of
    people), its state, and whether it was kept (``kept``: its sheet can be printed again). Never the code."""
    now = now or datetime.now(UTC)
    rows = await InviteCode.select(
        InviteCode.id, InviteCode.kind, InviteCode.label, InviteCode.uses, InviteCode.max_uses,
        InviteCode.expires_at, InviteCode.revoked_at, InviteCode.created_at, InviteCode.unit.name,
        InviteCode.course_group.name, InviteCode.code_sealed,
    ).where(InviteCode.site == site_id).order_by(InviteCode.created_at, ascending=False)
    return [{**{k: v for k, v in r.items() if k != "code_sealed"}, "kept": r["code_sealed"] is not None,
             "status": participants.invite_status(r, now), "uses_hidden": disclosure.too_few(r["uses"])}
            for r in rows]


async def invite_like(site_id: int, invite_id: int) -> dict[str, Any] | None:
    """What a new code made to replace this one starts from (her site's codes only): whom it is for, its label."""
    if not row_id(invite_id):
        return None
    return await InviteCode.select(InviteCode.kind, InviteCode.unit, InviteCode.course_group,
                                   InviteCode.label).where(
        (InviteCode.id == invite_id) & (InviteCode.site == site_id)).first()


async def revoke_invite(actor: int, site_id: int, invite_id: int) -> bool:
    if not row_id(invite_id):
        return False
    revoked = await InviteCode.update({InviteCode.revoked_at: datetime.now(UTC)}).where(
        (InviteCode.id == invite_id) & (InviteCode.site == site_id) & InviteCode.revoked_at.is_null()
    ).returning(InviteCode.id)
    if revoked:
        await audit(actor, "invite.revoked", f"invite {invite_id}", site=site_id)
    return bool(revoked)


# --- the printable sheet: at its own address, which names the site and the invite, never the code ---


@dataclass(frozen=True, slots=True)
class Sheet:
    invite_id: int
    site_id: int
    kind: str
    link: str
    typed: str | None  # formatted for reading, e.g. "ab3d-9fgh"
    place: str  # the unit or course group the code is for ("" for a whole site)
    site: str
    clinic_phone: str | None  # the site's numbers (issue 15's site settings), printed on a patients' sheet
    ward_phone: str | None


class SheetGone(errors.Gone):
    """The sheet cannot be shown now; ``site_id`` and ``invite_id`` say where to turn instead."""

    def __init__(self, message: str, *, site_id: int, invite_id: int) -> None:
        super().__init__(message)
        self.site_id, self.invite_id = site_id, invite_id


class CodeNotInUse(SheetGone):
    """The code no longer lets anyone in (``status``: revoked, expired or used up): there is nothing to hang up."""

    def __init__(self, message: str, *, site_id: int, invite_id: int, status: str) -> None:
        super().__init__(message, site_id=site_id, invite_id=invite_id)
        self.status = status


class CodeNotKept(SheetGone):
    """The code was made before codes were kept (or cannot be opened any more): make a new one."""


async def open_sheet(site_id: int, invite_id: int, *, actor: int | None = None) -> Sheet:
    """The sheet of one of ``site_id``'s invites, whenever it is asked for while the code is in use.

    The caller has already found ``site_id`` within her reach (``scope``); an invite of any other site is not
    found, before anything else about it (its code's state) is told. The address holds the two ids, never
    the code, so history and logs keep nothing that lets anyone in; the page is no-store. Opening a sheet
    shows a code, so it is written to the audit log (the invite, never the code)."""
    if not row_id(invite_id):
        raise errors.NotFound("no such sheet here")
    row = await InviteCode.select(
        InviteCode.id, InviteCode.kind, InviteCode.code_hash, InviteCode.code_sealed, InviteCode.revoked_at,
        InviteCode.expires_at, InviteCode.uses, InviteCode.max_uses, InviteCode.site, InviteCode.site.name,
        InviteCode.site.clinic_phone, InviteCode.site.ward_phone, InviteCode.unit.name,
        InviteCode.course_group.name,
    ).where((InviteCode.id == invite_id) & (InviteCode.site == site_id)).first()
    if row is None:
        raise errors.NotFound("no such sheet here")
    where = {"site_id": row["site"], "invite_id": row["id"]}
    status = participants.invite_status(row, datetime.now(UTC))
    if status != "active":
        raise CodeNotInUse("the code no longer lets anyone in", status=status, **where)
    kept = unseal(row["code_sealed"], row["code_hash"])
    if kept is None:
        raise CodeNotKept("the code was not kept", **where)
    await audit(actor, "invite.sheet_opened", f"invite {row['id']}", site=row["site"])
    return Sheet(row["id"], row["site"], row["kind"], invite_link(row["kind"], kept.code),
                 format_typed(kept.typed) if kept.typed else None,
                 row["unit.name"] or row["course_group.name"] or "", row["site.name"] or "",
                 row["site.clinic_phone"], row["site.ward_phone"])
