"""The two review mechanisms every content kind shares (questionnaires excepted: their wording is verbatim).

- **Review state**: a document with top-level ``review: awaiting`` is imported as a new version but never
  published: ``published_version`` (what participants see, through the catalog) stays where it was until an
  editor publishes it after the review. Publishing after review stores the document *without* ``review``,
  as a version of its own, so an export writes a file without it; the awaiting version stays in the history
  as it was (never published, ``published_at`` empty), and a re-import of the unchanged file (still saying
  ``awaiting``) finds it there and adds nothing.
- **Needs checking**: ``verify: true`` without ``confirmed_on`` anywhere in a document (top level on a
  resource or an exercise; on a lesson's sections and sources) is a check an editor still owes.

A new kind plugs in with its validator calling ``validation.review_state`` (top level) and
``validation.check_marks`` (at each place that may carry ``verify``), its Struct declaring ``review``,
``verify`` and ``confirmed_on`` with defaults, and, if the default wording of its checks does not fit,
an entry in ``CHECK_LABELS``. ``unconfirmed_checks`` then finds its checks without further code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from server.lib.i18n import N_, _

AWAITING = "awaiting"

# What is to be checked, per kind, at the top level of a document (``where == ""``). A kind may add its own
# entry; nested places (a lesson's ``sections[2]``) are named by their own title, see ``_describe``.
CHECK_LABELS: dict[str, str] = {
    "resource": N_("Phone number and opening hours"),
    "exercise": N_("The \"contact us if\" list"),
}
# Optional finer wording for a kind: (where, the mapping there, language) -> label, or None for the default.
CHECK_DESCRIBERS: dict[str, Callable[[str, dict[str, Any], str], str | None]] = {}

_STEP = re.compile(r"([a-z_]+)\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Check:
    """One ``verify: true`` still without ``confirmed_on``: where it sits (``""`` for the document itself,
    ``sections[2]`` or ``sections[2].sources[1]`` inside it, 1-based like the validator's messages)."""

    where: str
    node: dict[str, Any]


def is_awaiting(data: dict[str, Any] | None) -> bool:
    return bool(data) and data.get("review") == AWAITING


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from _walk(item, f"{where}.{key}[{i + 1}]" if where else f"{key}[{i + 1}]")
            elif isinstance(value, dict) and key not in ("title", "name", "summary", "body"):
                yield from _walk(value, f"{where}.{key}" if where else key)


def unconfirmed_checks(kind: str, data: dict[str, Any]) -> list[Check]:
    """Every ``verify: true`` without ``confirmed_on`` in a stored document of any kind, in document order.
    Questionnaires never carry the marks (their validator refuses them), so they have none."""
    if kind == "questionnaire":
        return []
    return [Check(where, node) for where, node in _walk(data, "")
            if node.get("verify") is True and not node.get("confirmed_on")]


def describe(kind: str, check: Check, lang: str) -> str:
    """What is to be checked, in the reader's language."""
    custom = CHECK_DESCRIBERS.get(kind)
    label = custom(check.where, check.node, lang) if custom else None
    if label:
        return label
    if check.where == "" and kind in CHECK_LABELS:
        return _(CHECK_LABELS[kind])
    for key in ("title", "heading", "name", "label"):
        value = check.node.get(key)
        if isinstance(value, dict) and value.get(lang):
            return str(value[lang])
        if isinstance(value, str) and value:
            return value
    return check.where or _("The whole document")


def locate(data: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The mapping at ``where`` (as ``Check.where`` names it), or ``None`` if the document has no such place."""
    node: Any = data
    for part in where.split(".") if where else []:
        match = _STEP.fullmatch(part)
        if match:
            items = node.get(match[1]) if isinstance(node, dict) else None
            index = int(match[2]) - 1
            node = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node if isinstance(node, dict) else None
