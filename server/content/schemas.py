"""The shapes of content documents and the words used to describe them.

These constants are shared by the file validator, the importer and (later) the editor, so a rule is
written once. Labels are gettext-marked and translated where they are shown.
"""

from __future__ import annotations

import re

from server.lib.i18n import N_

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
PHONE_RE = re.compile(r"^\+?[0-9 ]{3,20}$")

KINDS = {
    "mindfulness": N_("Mindfulness"),
    "pain_coping": N_("Pain coping"),
    "micro_pause": N_("Micro-pause"),
}
AUDIENCES = ("patient", "staff")
POSITIONS = {
    "sitting": N_("Sitting"),
    "standing": N_("Standing"),
    "lying": N_("Lying down"),
    "walking": N_("Walking"),
}
TAGS = {
    "anxiety": N_("Anxiety"),
    "stress": N_("Stress"),
    "sleep": N_("Sleep"),
    "night": N_("At night"),
    "body": N_("The body"),
    "breath": N_("Breathing"),
    "kindness": N_("Kindness"),
    "baby": N_("You and the baby"),
    "sounds": N_("Sounds"),
    "thoughts": N_("Thoughts"),
    "walking": N_("Walking"),
    "feelings": N_("Feelings"),
    "grounding": N_("Grounding"),
    "contractions": N_("Contractions"),
    "labour": N_("Labour"),
    "back_pain": N_("Back pain"),
    "pelvic_pain": N_("Pelvic pain"),
    "after_birth": N_("After birth"),
    "breastfeeding": N_("Breastfeeding"),
    "procedure": N_("Tests and examinations"),
    "tension": N_("Tension"),
    "short": N_("Short"),
    "before_hard_moment": N_("Before a hard moment"),
    "after_hard_moment": N_("After a hard moment"),
    "end_of_shift": N_("End of shift"),
    "hand_washing": N_("By the sink"),
    "standing": N_("Standing up"),
    "course": N_("Course"),
}
RESOURCE_CATEGORIES = {
    "emergency": N_("In an emergency"),
    "crisis": N_("When everything feels too much"),
    "clinic": N_("Your clinic and the maternity ward"),
    "support": N_("Support and advice"),
}

# Duration filters on the library page: (key, label, lowest minutes, highest minutes).
DURATIONS = (
    ("short", N_("Up to 5 minutes"), 0, 5),
    ("medium", N_("6 to 15 minutes"), 6, 15),
    ("long", N_("Over 15 minutes"), 16, 999),
)

LIMITS = {
    "title": 40,
    "summary": 120,
    "why": 800,
    "step": 400,
    "body": 4000,
    "contact_item": 160,
    "theme": 60,
    "intro": 800,
    "name": 80,
    "description": 300,
    "hours": 80,
}


def stress_value(raw: str) -> int | None:
    """How stressed she felt, 0-10, from the player's or the pause page's form or link; anything else
    means she did not say (the rating is always optional)."""
    return int(raw) if raw.isdigit() and 0 <= int(raw) <= 10 else None
