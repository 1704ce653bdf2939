"""What a member of staff sends when a pause is done: how stressed she felt before and after (both optional)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class PauseDoneForm(msgspec.Struct, frozen=True):
    version: Annotated[int, msgspec.Meta(ge=0)] = 0  # 0 names no pause: the page's own message answers it
    before: Annotated[str, msgspec.Meta(max_length=2)] = ""
    after: Annotated[str, msgspec.Meta(max_length=4)] = ""


class LearningAnswerForm(msgspec.Struct, frozen=True):
    """A case's choice or a check question's answer sent without JavaScript (``learning:case`` / ``learning:check``).
    Every field has a default, so an empty or partial form gets the page's own message, not a bare 400."""

    version: Annotated[int, msgspec.Meta(ge=0)] = 0  # the lesson version (content_version id) on the page
    item: Annotated[str, msgspec.Meta(max_length=20)] = ""  # the case's or the question's id
    option: Annotated[str, msgspec.Meta(max_length=20)] = ""
