"""What an editor sends from the review pages, each form as a typed Struct with its limits and words (read by
``server.lib.forms``). Whether a date lies in the future depends on the day, so that rule is the
validator's (``server.content.validation.confirmed_on_problem``), the same one a file meets."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from server.db import ROW_ID_MAX
from server.lib.i18n import N_

Version = Annotated[int, msgspec.Meta(ge=1, le=ROW_ID_MAX, extra={
    "error": N_("This page is out of date. Please load it again.")})]


class ReviewedForm(msgspec.Struct, frozen=True):
    """Publish after review: names the awaiting version the page showed, so a newer one is never published
    unseen."""

    version: Version


class ConfirmForm(msgspec.Struct, frozen=True):
    """A check confirmed: which document and version, where in it, and on which day it was checked."""

    slug: Annotated[str, msgspec.Meta(min_length=3, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$",
                                      extra={"error": N_("This page is out of date. Please load it again.")})]
    version: Version
    confirmed_on: Annotated[date, msgspec.Meta(extra={
        "missing": N_("Please give the day it was checked."),
        "error": N_("Please give the day it was checked as a date, for example 2026-12-08.")})]
    where: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[a-z_\[\]0-9.]*$", extra={
        "error": N_("This page is out of date. Please load it again.")})] = ""
