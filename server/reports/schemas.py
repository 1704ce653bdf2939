"""What a coordinator writes in the annual report: her notes, one per section, each a typed field with its limit
(read by ``server.lib.forms``). Which year and sites they belong to come in the address, as the report's."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.lib.i18n import N_

NOTE_LIMIT = 4000

Note = Annotated[str, msgspec.Meta(max_length=NOTE_LIMIT, extra={
    "error": N_("Each note can be at most %(max)d characters.")})]


class NotesForm(msgspec.Struct, frozen=True):
    """The sections of the report she may comment on (``controllers.SECTIONS`` gives their headings);
    an empty note removes the section's note."""

    summary: Note = ""
    activity: Note = ""
    quality: Note = ""
    wellbeing: Note = ""
    ahead: Note = ""
