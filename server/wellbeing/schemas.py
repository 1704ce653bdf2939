"""What she answers on a questionnaire page without JavaScript, as a typed form (read by ``server.lib.forms``).

The items are the published instrument's, so the form is made for each version of it: one required field
per item (``item0``, ``item1``, …), each one of that instrument's own scores and nothing else. Anything
else (a missing answer, a score the instrument does not have, text, a NUL) is refused before anything is
recorded. With JavaScript the same answers arrive as an event and the event store checks them alike.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, ClassVar, Literal

import msgspec

from server.content.schemas import PublishedQuestionnaire
from server.lib.i18n import N_

CHOOSE = N_("Please choose an answer for each statement.")


class AnswersForm(msgspec.Struct, frozen=True, kw_only=True):
    """The part every questionnaire's form shares; ``answers_form`` adds a field per item."""

    version_id: ClassVar[int] = 0  # the published version the items and scores were taken from
    first: bool = False  # the check-in offered right after joining (the page says so)

    def scores(self) -> list[int]:
        """Her answers in the items' order."""
        return [getattr(self, name) for name in self.__struct_fields__ if name.startswith("item")]


def answers_form(instrument: PublishedQuestionnaire) -> type[AnswersForm]:
    """The form of one published questionnaire version (made once per version: a version never changes)."""
    return _answers_form(instrument.version_id, len(instrument.items),
                         tuple(option.score for option in instrument.options))


@lru_cache(maxsize=64)
def _answers_form(version_id: int, items: int, scores: tuple[int, ...]) -> type[AnswersForm]:
    answer = Annotated[Literal[scores], msgspec.Meta(extra={"error": CHOOSE, "missing": CHOOSE})]  # type: ignore[valid-type]
    return msgspec.defstruct(f"AnswersForm{version_id}", [(f"item{i}", answer) for i in range(items)],
                             bases=(AnswersForm,), frozen=True, kw_only=True, namespace={"version_id": version_id})
