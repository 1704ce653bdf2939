"""The content checker's problems in words an editor reads: "Trin 3 (på dansk): skal være tekst", not
"steps[3].da: skal være tekst".

The checker names a field by its path in the document (the same path in ``content/`` files, where a path
is what a developer wants, numbered from 1 as people count); the editor shows the same problem under the
label its form uses.
"""

from __future__ import annotations

import re

from server.content.validation import Problem
from server.lib.i18n import N_, _

LABELS = {
    "title": N_("Title"), "summary": N_("Summary"), "why": N_("Why this helps"), "body": N_("Introduction"),
    "kind": N_("Kind"), "audience": N_("For"), "tags": N_("Tags"), "position": N_("Positions"),
    "minutes": N_("Minutes"), "eyes_open_ok": N_("Can be done with eyes open"), "contact_if": N_("Contact us if"),
    "seconds": N_("Seconds"), "breathing": N_("Breathing guide"), "inhale": N_("In"), "hold": N_("Hold"),
    "exhale": N_("Out"), "hold_after": N_("Pause after"), "theme": N_("Theme"), "intro": N_("Introduction"),
    "practices": N_("Practices"), "number": N_("Week number"), "name": N_("Name"),
    "description": N_("Description"), "phone": N_("Phone number"), "hours": N_("Opening hours"),
    "url": N_("Web address"), "category": N_("Category"), "order": N_("Order"), "audio": N_("Recording"),
    "verify": N_("Needs checking"), "instruction": N_("Instruction"), "attribution": N_("Source"),
    "score": N_("Score"), "scoring": N_("Scoring"), "slug": N_("Address"),
    "confirmed_on": N_("Checked on"), "review": N_("Review"),
}
NUMBERED = {"steps": N_("Step %(n)s"), "weeks": N_("Week %(n)s"), "items": N_("Statement %(n)s"),
            "options": N_("Answer %(n)s")}
LANGUAGES = {"da": N_("in Danish"), "en": N_("in English")}
_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def field_label(path: str) -> str:
    """``steps[3].breathing.inhale`` → "Step 3, Breathing guide, In"; a language ends it in brackets."""
    words, language = [], None
    for part in filter(None, path.split(".")):
        match = _PART.fullmatch(part)
        if match is None:
            words.append(part)
        elif match.group(1) in LANGUAGES and match.group(2) is None:
            language = _(LANGUAGES[match.group(1)])
        elif match.group(2) is not None and match.group(1) in NUMBERED:
            words.append(_(NUMBERED[match.group(1)], n=int(match.group(2))))
        else:
            label = LABELS.get(match.group(1))
            words.append(_(label) if label else match.group(1))
            if match.group(2) is not None:
                words[-1] += f" {match.group(2)}"
    text = ", ".join(words)
    return f"{text} ({language})" if language else text


def describe(problem: Problem) -> str:
    return f"{field_label(problem.field)}: {problem.reason}"
