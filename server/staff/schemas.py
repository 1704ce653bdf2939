"""What a member of staff sends when a pause is done: how stressed she felt before and after (both optional)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class PauseDoneForm(msgspec.Struct, frozen=True):
    version: Annotated[int, msgspec.Meta(ge=0)] = 0  # 0 names no pause: the page's own message answers it
    before: Annotated[str, msgspec.Meta(max_length=2)] = ""
    after: Annotated[str, msgspec.Meta(max_length=4)] = ""
