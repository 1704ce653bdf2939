"""What a coordinator sends: each form as a typed Struct with its limits and the words shown when a
field is not right (read by ``server.lib.forms``). Rules that depend on the moment or on other data
(the start within two years of today, a municipality or a course that exists) stay in the services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

from server.db import ROW_ID_MAX
from server.lib.i18n import N_

NAME_MAX = 120
LABEL_MAX = 120
CHECKIN_EVERY = (7, 90)  # days between the wellbeing check-ins a site may choose
DEFAULT_CHECKIN_EVERY = 14  # what WHO-5 asks about: the last two weeks
MAX_EXPIRY_DAYS = 366
MAX_USES = 100_000

# A ward's or clinic's switchboard number as dialled in Denmark: digits and spaces, an optional leading +,
# 3–20 characters; empty when the site has none. Shown to its patients as a call button (a tel: link).
SitePhone = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^(\+?[0-9][0-9 ]{1,17}[0-9])?$", extra={
    "error": N_("Please give the phone number as digits and spaces, for example 38 63 50 00.")})]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, extra={
    "missing": N_("Please give a name."), "error": N_("Please keep the name to %(max)d characters or fewer.")})]


class SiteForm(msgspec.Struct, frozen=True):
    name: Name
    kind: Annotated[Literal["hospital", "clinic"], msgspec.Meta(extra={
        "error": N_("Please choose whether the site is a hospital or a clinic.")})]
    municipality: Annotated[str, msgspec.Meta(max_length=4, extra={
        "error": N_("Please choose a municipality from the list.")})] = ""
    checkin_every: Annotated[int, msgspec.Meta(ge=CHECKIN_EVERY[0], le=CHECKIN_EVERY[1], extra={
        "error": N_("Please give the days between check-ins as a whole number from %(low)d to %(high)d.")})] = \
        DEFAULT_CHECKIN_EVERY
    ward_phone: SitePhone = ""
    clinic_phone: SitePhone = ""


class PartnersForm(msgspec.Struct, frozen=True):
    """The site's partner switch: ``on`` or ``off``, nothing else."""

    partners: Annotated[Literal["on", "off"], msgspec.Meta(extra={
        "error": N_("Please choose whether partners can join.")})]


class NameForm(msgspec.Struct, frozen=True):
    name: Name


class GroupForm(msgspec.Struct, frozen=True):
    name: Name
    course: Annotated[str, msgspec.Meta(min_length=1, max_length=80, extra={
        "error": N_("Please choose a course from the list.")})]
    starts_on: Annotated[date, msgspec.Meta(extra={
        "error": N_("Please give the start date as a date, for example 2027-02-01.")})]


class InviteForm(msgspec.Struct, frozen=True):
    kind: Annotated[Literal["patient", "staff"], msgspec.Meta(extra={
        "error": N_("Please choose who the code is for: patients or staff.")})]
    unit: Annotated[int, msgspec.Meta(ge=1, le=ROW_ID_MAX, extra={
        "error": N_("A staff code belongs to a unit. Please choose one.")})] | None = None
    group: Annotated[int, msgspec.Meta(ge=1, le=ROW_ID_MAX, extra={
        "error": N_("Please choose a course group from the list.")})] | None = None
    label: Annotated[str, msgspec.Meta(max_length=LABEL_MAX, extra={
        "error": N_("Please keep the label to %(max)d characters or fewer.")})] = ""
    days: Annotated[int, msgspec.Meta(ge=1, le=MAX_EXPIRY_DAYS, extra={
        "error": N_("Days until it expires must be a whole number from 1 to %(max)d, or empty.")})] | None = None
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=MAX_USES, extra={
        "error": N_("The number of uses must be a whole number from 1 to %(max)d, or empty.")})] | None = None
    format: Literal["link", "typed"] = "link"


class TypedCodeForm(msgspec.Struct, frozen=True):
    code: Annotated[str, msgspec.Meta(max_length=200)] = ""
